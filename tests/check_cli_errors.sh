#!/usr/bin/env bash
# Bad input through the real executable (issue "Command line"): every case must exit with
# code 2, print exactly one line on stderr naming the key and value at fault, and create
# or change no file. Also: --help on every subcommand exits 0 and shows an example.
#   bash tests/check_cli_errors.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
TMP=$(mktemp -d)
trap 'chmod -R u+rwx "$TMP"; rm -rf "$TMP"' EXIT
mkdir "$TMP/cwd" "$TMP/io"
cd "$TMP/cwd" || exit 1  # the default output (<config>.h5) would land here
IO=$TMP/io

# cfg NAME: writes a config from stdin.
cfg() { cat >"$1"; }

good_config good.ini

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
# Root reads any file, so as root the case runs as the unprivileged user nobody.
if [[ $(id -u) -eq 0 ]]; then
  chmod 755 "$TMP" "$TMP/cwd"
  run_as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
expect_error "cannot read config file 'locked.ini'" "Permission denied" -- run --config locked.ini
run_as=()

# --- the command line itself
expect_error "unknown subcommand 'frobnicate'" -- frobnicate --config good.ini
expect_error "missing subcommand" --
expect_error "--config" -- run
expect_error "--output" -- theory --config good.ini
expect_error "unknown option '--frobnicate'" -- run --config good.ini --frobnicate
expect_error "unexpected argument 'stray'" -- run --config good.ini stray
expect_error "--model.nu" "needs a value" -- run --config good.ini --model.nu
expect_error "missing.h5" -- inspect missing.h5

# --- one command-line parser for every subcommand (issue 11, item 18): the same line for
# the same mistake, stray arguments refused everywhere, one syntax for numbers
for cmd in "run --config good.ini" "theory --config good.ini --output t.h5" "inspect existing.h5" \
  "validate existing.h5" "diagnose --x a.npy --y b.npy --labels c.npy"; do
  name=${cmd%% *}
  # shellcheck disable=SC2086  # split into arguments on purpose
  expect_error "unknown option '--frobnicate'; see phasecube $name --help" -- $cmd --frobnicate
  # shellcheck disable=SC2086
  expect_error "unexpected argument 'stray'; see phasecube $name --help" -- $cmd stray
done
expect_error "option '--config' is given more than once; see phasecube run --help" -- \
  run --config good.ini --config good.ini
expect_error "option '--overwrite' is given more than once; see phasecube theory --help" -- \
  theory --config good.ini --output t.h5 --overwrite --overwrite
expect_error "option '--json' is given more than once; see phasecube validate --help" -- \
  validate existing.h5 --json --json
expect_error "option '--json' is given more than once; see phasecube diagnose --help" -- \
  diagnose --x a.npy --y b.npy --labels c.npy --json --json
expect_error "option '--config' needs a value; see phasecube run --help" -- run --config
expect_error "option '--config' needs a value (got '--output')" -- run --config --output x.h5
expect_error "option '--output' needs a value; see phasecube theory --help" -- \
  theory --config good.ini --output
expect_error "option '--band' needs a value; see phasecube validate --help" -- validate existing.h5 --band
expect_error "option '--x' needs a value; see phasecube diagnose --help" -- diagnose --x
for bad in nan inf 0x10 " 0.1" 0.1x -1 1e999 ""; do
  expect_error "--band '$bad': must be a number >= 0" -- validate existing.h5 --band "$bad"
done

# --- a UTF-8 BOM and CRLF line endings in a config (issue 11, item 12)
printf '\xef\xbb\xbf[model]\nd = 6\nk = 2\n[run]\ntrials = 2\n' > bom.ini
"$EXE" theory --config bom.ini --output bom.h5 > /dev/null 2> "$TMP/io/err" ||
  fail "theory on a config with a BOM: $(cat "$TMP/io/err")"
printf '\xef\xbb\xbf[model]\nmodalities = 3\nd = 6\n' > bom_binding.ini
"$EXE" theory --config bom_binding.ini --output bom_binding.h5 > /dev/null 2> "$TMP/io/err" ||
  fail "theory on a binding config with a BOM: $(cat "$TMP/io/err")"
printf '\xef\xbb\xbf[model]\r\nd = 6\r\nk = 2\r\n[axes]\r\nnu = 0.2, 0.8\r\n' > crlf.ini
"$EXE" theory --config crlf.ini --output crlf.h5 > /dev/null 2> "$TMP/io/err" ||
  fail "theory on a CRLF config with a BOM: $(cat "$TMP/io/err")"
rm -f bom.ini bom.h5 bom_binding.ini bom_binding.h5 crlf.ini crlf.h5

# --- NUL bytes from a config are printed escaped, never cut or used (issue 11, item 16)
printf '[model]\nnu = 0.5\0junk\n' > nul.ini
expect_error "model.nu = '0.5\\x00junk'" -- run --config nul.ini
printf '[model]\nmodalities = 3\nnu = 0.5\0junk\n' > nul_binding.ini
expect_error "model.nu = '0.5\\x00junk'" -- theory --config nul_binding.ini --output t.h5
printf '[run]\noutput = o\0ut.h5\n' > nul_output.ini
expect_error "output 'o\\x00ut.h5' contains a NUL byte" -- run --config nul_output.ini
[[ -e o ]] && fail "a NUL in run.output wrote the file 'o'"
rm -f nul.ini nul_binding.ini nul_output.ini

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
# d at its limit does not fit: refused before any cell is validated. A grid's memory no longer
# grows with its cells (issue 15); one over the 10^9-cell limit is refused as such.
expect_error "needs about" "memory" -- theory --config good.ini --output o.h5 --model.d=1e9
expect_error "more than 1000000000 cells" -- \
  theory --config good.ini --output o.h5 --axes.kappa="linspace(0,1,1000)" \
  --axes.nu="linspace(0,1,1000)" --axes.gamma_x="linspace(1,2,1001)"
expect_error "more than 1000000000 cells" -- \
  theory --config binding.ini --output o.h5 --axes.kappa="linspace(0,1,10000)" \
  --axes.nu="linspace(0,1,100001)"
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
