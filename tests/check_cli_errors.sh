#!/usr/bin/env bash
# Bad input through the real executable (issue "Command line"): every case must exit with
# code 2, print exactly one line on stderr naming the key and value at fault, and create
# or change no file. Also: --help on every subcommand exits 0 and shows an example.
#   bash tests/check_cli_errors.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
TMP=$(mktemp -d)
trap 'chmod -R u+rwx "$TMP"; rm -rf "$TMP"' EXIT
mkdir "$TMP/cwd" "$TMP/io"
cd "$TMP/cwd" || exit 1  # the default output (<config>.h5) would land here
failures=0
cases=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# Every path under the working directory with its size, mtime and checksum.
snapshot() {
  find . -printf '%p %s %T@\n' | sort
  find . -type f -readable -exec md5sum {} + | sort
}

# expect_error NEEDLE... -- ARGS...
# Runs phasecube ARGS and checks: exit 2, one line on stderr containing every NEEDLE
# (fixed strings), and no file created or changed.
expect_error() {
  local needles=()
  while [[ $1 != -- ]]; do needles+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  local before after rc line
  before=$(snapshot)
  "$EXE" "$@" >"$TMP/io/out" 2>"$TMP/io/err"
  rc=$?
  after=$(snapshot)
  line=$(cat "$TMP/io/err")
  local what="phasecube $*"
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, expected 2 (stderr: $line)"
  [[ $(wc -l <"$TMP/io/err") -eq 1 ]] || fail "$what: stderr is not exactly one line: $line"
  [[ $line == "phasecube: error: "* ]] || fail "$what: stderr does not start 'phasecube: error:': $line"
  for needle in "${needles[@]}"; do
    grep -qF -- "$needle" "$TMP/io/err" || fail "$what: stderr lacks '$needle': $line"
  done
  [[ $before == "$after" ]] || fail "$what: files changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
}

# cfg NAME: writes a config from stdin.
cfg() { cat >"$1"; }

cfg good.ini <<'EOF'
[model]
d = 6
k = 2
n = 50
[axes]
nu = 0.2, 0.8
[run]
trials = 2
EOF

# A positive control: the good config works, so the failures below are about their input.
"$EXE" theory --config good.ini --output existing.h5 >/dev/null 2>"$TMP/io/err" ||
  fail "theory on a good config failed: $(cat "$TMP/io/err")"
[[ -s existing.h5 ]] || fail "theory on a good config wrote no existing.h5"

# --- nu outside [0, 1]
cfg nu.ini <<<$'[model]\nnu = 1.5'
expect_error "model.nu = 1.5" "[0, 1]" -- run --config nu.ini
cfg nu_axis.ini <<<$'[axes]\nnu = 0.5, 1.5'
expect_error "axes.nu value 1.5" "[0, 1]" -- run --config nu_axis.ini
expect_error "model.nu = -0.5" -- run --config good.ini --axes.nu=0.5 --model.nu=-0.5
expect_error "model.nu = 2" -- theory --config good.ini --output t.h5 --axes.nu 0 --model.nu 2

# --- negative variance
cfg var.ini <<<$'[model]\ngamma_x = -1'
expect_error "model.gamma_x = -1" ">= 0" -- run --config var.ini
cfg var_axis.ini <<<$'[axes]\ngamma_tilde_y = 1, -0.5'
expect_error "axes.gamma_tilde_y value -0.5" -- run --config var_axis.ini

# --- k >= d, k < 1, n < 1
cfg kd.ini <<<$'[model]\nd = 5\nk = 5'
expect_error "model.k = 5" "d = 5" -- run --config kd.ini
cfg kd_axis.ini <<<$'[model]\nk = 3\n[axes]\nd = 8, 3'
expect_error "model.k = 3" "d = 3" -- run --config kd_axis.ini
cfg k0.ini <<<$'[model]\nk = 0'
expect_error "model.k = 0" -- run --config k0.ini
cfg n0.ini <<<$'[model]\nn = 0'
expect_error "model.n = 0" -- run --config n0.ini
cfg n0_axis.ini <<<$'[axes]\nn = 0, 100'
expect_error "axes.n value 0" -- run --config n0_axis.ini

# --- trials < 1
cfg trials.ini <<<$'[run]\ntrials = 0'
expect_error "run.trials = 0" -- run --config trials.ini
expect_error "run.trials = -2" -- run --config good.ini --run.trials=-2

# --- empty or malformed axis
cfg empty_axis.ini <<<$'[axes]\nkappa ='
expect_error "axes.kappa" "empty" -- run --config empty_axis.ini
cfg bad_axis.ini <<<$'[axes]\nkappa = linspace(0, 1)'
expect_error "axes.kappa" "linspace(0, 1)" -- run --config bad_axis.ini
expect_error "axes.kappa" "linspace(0,1,0)" -- run --config good.ini '--axes.kappa=linspace(0,1,0)'
expect_error "axes.kappa" "foo(1,2,3)" -- run --config good.ini --axes.kappa 'foo(1,2,3)'
expect_error "axes.kappa" "1,,2" -- run --config good.ini --axes.kappa=1,,2
cfg frac_axis.ini <<<$'[axes]\nd = 6, 6.5'
expect_error "axes.d value 6.5" "integer" -- run --config frac_axis.ini

# --- unknown section or key
cfg section.ini <<<$'[modle]\nnu = 0.5'
expect_error "unknown section 'modle'" "modle.nu" -- run --config section.ini
cfg key.ini <<<$'[model]\nfoo = 1'
expect_error "unknown key 'model.foo'" -- run --config key.ini
expect_error "unknown key 'run.threads'" -- run --config good.ini --run.threads=4
cfg syntax.ini <<<$'[model]\nnu 0.5'
expect_error "invalid line 'nu 0.5'" -- run --config syntax.ini

# --- a number that does not parse
cfg number.ini <<<$'[model]\nnu = 1.5x'
expect_error "model.nu" "1.5x" -- run --config number.ini
expect_error "model.kappa" "nan" -- run --config good.ini --model.kappa=nan
expect_error "run.seed" "abc" -- run --config good.ini --run.seed=abc
expect_error "run.sampler" "bartlett" -- run --config good.ini --run.sampler=bartlett

# --- a list of the wrong length
cfg list.ini <<<$'[model]\nk = 2\nkappa = 3, 2, 1'
expect_error "model.kappa = 3, 2, 1" "needs 1 value or 2" -- run --config list.ini
cfg list_axis.ini <<<$'[model]\nk = 2\ngamma_tilde_x = 1, 2, 3\n[axes]\nd = 5, 6'
expect_error "model.gamma_tilde_x = 1, 2, 3" "d = 6" -- run --config list_axis.ini

# --- the same parameter fixed and swept
cfg both.ini <<<$'[model]\nnu = 0.3\n[axes]\nnu = linspace(0, 1, 3)'
expect_error "model.nu = 0.3" "axes.nu = linspace(0, 1, 3)" "never both" -- run --config both.ini

# --- wishart with n < 2d (fixed, and with n an axis)
cfg wishart.ini <<<$'[model]\nd = 20\nn = 10\n[run]\nsampler = wishart'
expect_error "run.sampler = wishart" "model.n = 10" "model.d = 20" -- run --config wishart.ini
cfg wishart_axis.ini <<<$'[model]\nd = 20\n[axes]\nn = 100, 10\n[run]\nsampler = wishart'
expect_error "run.sampler = wishart" "axes.n value 10" -- run --config wishart_axis.ini

# --- output in a missing directory; existing output without --overwrite
expect_error "output directory 'no/such/dir' does not exist" -- \
  run --config good.ini --output no/such/dir/out.h5
expect_error "output directory" "does not exist" -- theory --config good.ini --output nodir/t.h5
cp existing.h5 "$TMP/io/existing.copy"
expect_error "output 'existing.h5' exists" "--overwrite" -- run --config good.ini --output existing.h5
expect_error "output 'existing.h5' exists" -- theory --config good.ini --output existing.h5
cfg existing.ini <"good.ini"  # its default output is existing.h5 in the current directory
expect_error "output 'existing.h5' exists" -- run --config existing.ini
cmp -s existing.h5 "$TMP/io/existing.copy" || fail "existing.h5 changed by a refused run"
rm existing.ini

# --- unreadable config file
expect_error "cannot read config file 'missing.ini'" -- run --config missing.ini
mkdir adir.ini
expect_error "cannot read config file 'adir.ini'" "directory" -- run --config adir.ini
cp good.ini locked.ini && chmod 000 locked.ini
if [[ -r locked.ini ]]; then
  echo "note: running as root, skipping the unreadable-permissions case" >&2
else
  expect_error "cannot read config file 'locked.ini'" "Permission denied" -- run --config locked.ini
fi

# --- the command line itself
expect_error "unknown subcommand 'frobnicate'" -- frobnicate --config good.ini
expect_error "missing subcommand" --
expect_error "--config" -- run
expect_error "--output" -- theory --config good.ini
expect_error "unknown option '--frobnicate'" -- run --config good.ini --frobnicate
expect_error "unexpected argument 'stray'" -- run --config good.ini stray
expect_error "--model.nu" "needs a value" -- run --config good.ini --model.nu
expect_error "missing.h5" -- inspect missing.h5

# --- limits (issue 11 items 9, 15)
cfg binding.ini <<'EOF'
[model]
modalities = 3
d = 4
k = 1
n = 50
[run]
trials = 3
EOF
# trials is an int32 in the cube: both grammars, the limit named.
expect_error "run.trials = 2147483648" "must be <= 2147483647" -- \
  run --config good.ini --output o.h5 --run.trials=2147483648
expect_error "run.trials = 2147483648" "must be <= 2147483647" -- \
  run --config binding.ini --output o.h5 --run.trials=2147483648
# The limit itself is a valid value; its per-trial outcomes do not fit: refused, not bad_alloc.
expect_error "needs about" "per-trial outcomes" -- \
  run --config good.ini --output o.h5 --run.trials=2147483647
# Too large integers name the limit (d = 1e20 said "must be an integer").
expect_error "model.d = 1e+20" "must be <= 1000000000" -- \
  run --config good.ini --output o.h5 --model.d=1e20
expect_error "model.d = 1e+20" "must be <= 100000" -- \
  run --config binding.ini --output o.h5 --model.d=1e20
# d at its limit, and a 1e9-cell grid, do not fit: refused before any cell is validated.
expect_error "needs about" "memory" -- theory --config good.ini --output o.h5 --model.d=1e9
expect_error "needs about" "per-cell records" -- \
  theory --config good.ini --output o.h5 --axes.kappa="linspace(0,1,1000)" \
  --axes.nu="linspace(0,1,1000)" --axes.gamma_x="linspace(1,2,1000)"
expect_error "needs about" "per-cell records" -- \
  theory --config binding.ini --output o.h5 --axes.kappa="linspace(0,1,10000)" \
  --axes.nu="linspace(0,1,10000)"
# A binding per-modality error names the indexed key the user wrote, fixed or swept.
expect_error "model.gamma_tilde[1] = -3" "modality 1 must be > 0" -- \
  run --config binding.ini --output o.h5 --model.gamma_tilde[1]=-3
expect_error "axes.gamma[2] value -1" "modality 2 must be >= 0" -- \
  run --config binding.ini --output o.h5 --axes.gamma[2]=1,-1

# --- help on every subcommand, and the version
for args in "--help" "-h" "run --help" "theory --help" "inspect --help" "run -h"; do
  # shellcheck disable=SC2086  # split into arguments on purpose
  out=$("$EXE" $args 2>&1)
  rc=$?
  [[ $rc -eq 0 ]] || fail "phasecube $args: exit $rc"
  [[ $out == *Example* ]] || fail "phasecube $args: no 'Example' in the help"
done
grep -q '^phasecube [0-9]' <<<"$("$EXE" --version)" || fail "phasecube --version"

echo "check_cli_errors: $cases error cases, $failures failures"
[[ $failures -eq 0 ]]
