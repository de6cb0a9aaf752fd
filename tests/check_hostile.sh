#!/usr/bin/env bash
# Hostile inputs and faults through the real executable (issue 11, Acceptance): malformed
# configs and overrides, axis grammar, mutated cubes, diagnose inputs, output paths that are
# not ours, concurrent runs, signals, disk full (a small tmpfs, as root) and memory limits.
# Every case states its expected exit code and is checked for: that exit code (1 only where
# a case documents a fault), no death by signal, no sanitizer report, one line on stderr for
# exit 1 and 2 ("phasecube: error: " for 2), no file created or changed outside the output
# (a sentinel directory and the case's working directory are compared before and after:
# names, types, sizes, mtimes, checksums), and old outputs byte-identical where promised.
#   bash tests/check_hostile.sh <phasecube-exe> <source-dir>
# One line per failing case, then "N passed, M failed"; exit 1 on any failure.
# PHASECUBE_HOSTILE_JOBS (default 3) cases run at once.
set -uo pipefail

EXE=$(realpath "$1")
HERE=$(dirname "$(realpath "${BASH_SOURCE[0]}")")
# shellcheck source=tests/lib.sh
source "$HERE/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import h5py, numpy' 2>/dev/null || skip "$PY lacks h5py/numpy"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=2
ASAN=0
if grep -qa __asan_init "$EXE"; then
  ASAN=1
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
fi
ROOT=0
[[ $(id -u) -eq 0 ]] && ROOT=1
JOBS=${PHASECUBE_HOSTILE_JOBS:-3}

TMP=$(mktemp -d /tmp/pc-hostile.XXXXXX)
chmod 755 "$TMP"  # the cases run as an unprivileged user traverse it
F=$TMP/fix       # inputs shared by every case, never written by one
K=$TMP/cfg       # configs written while cases run
C=$TMP/case      # per case: w/ (working directory), s/ (a sentinel: files no case may
                 # touch, the targets of hostile symlinks), io/ (stdout, stderr, copies)
mkdir -p "$F" "$C" "$K"

cleanup() {  # PHASECUBE_HOSTILE_KEEP=1 keeps $TMP (every case's files) for debugging
  local p m
  for p in $(jobs -p); do kill -- "$p" 2>/dev/null; done
  wait 2>/dev/null
  # Disk-full cases mount small tmpfs under $TMP; a just-exited process can keep one busy.
  while read -r m; do
    umount "$m" 2>/dev/null || { sleep 1; umount "$m" 2>/dev/null; } || umount -l "$m"
  done < <(awk -v t="$TMP/" 'index($2, t) == 1 {print $2}' /proc/mounts | sort -r)
  if [[ ${PHASECUBE_HOSTILE_KEEP:-0} == 1 ]]; then echo "kept $TMP" >&2; return; fi
  chmod -R u+rwx "$TMP" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------
# The case runner.
#   c EXPECT [OPTION...] -- ARGS...   runs phasecube ARGS in a fresh working directory
# EXPECT: the exit codes allowed, e.g. 2 or 0\|2. OPTIONS (evaluated in the working dir):
#   pre=SHELL    set-up before the "before" snapshot
#   keep=FILE    FILE must be byte-identical afterwards
#   out=FILE     the output the case may create or change (default out.h5; also .FILE.lock,
#                an advisory lock file), not with exit 2 unless shared=1
#   shared=1     another process writes FILE meanwhile: its changes are not the case's
#   has=TEXT     stderr must contain TEXT
#   via=WORDS    run "WORDS... $EXE ARGS" instead (signals, other users, concurrent runs)
#   post=SHELL   after the run; every line it prints is a failure
#   to=SECONDS   time limit (default 60)
#   name=TEXT    shown before the command in the report
n=0
c() {
  n=$((n + 1))
  while (($(jobs -rp | wc -l) >= JOBS)); do wait -n; done
  run_case "$n" "$@" &
}

run_case() {
  local id=$1 expect=$2
  shift 2
  local pre="" keep="" out=out.h5 has="" via="" post="" to=60 name="" shared=0
  while [[ $1 != -- ]]; do
    case $1 in
      pre=* | keep=* | out=* | has=* | via=* | post=* | to=* | name=* | shared=*)
        local "${1%%=*}=${1#*=}"
        ;;
      *) echo "check_hostile: bad case option '$1'" >&2; exit 1 ;;
    esac
    shift
  done
  shift
  local d=$C/$id
  local S=$d/s
  mkdir -p "$d/w" "$d/io/tmp" "$S"
  echo "not yours" >"$S/target"
  chmod 755 "$d" "$d/w" && chmod 1777 "$d/io/tmp"
  cd "$d/w" || return
  local what="${name:+$name }${pre:+[$pre] }${via:+[via $via] }phasecube $*"
  what=${what//$F\//}
  what=${what//$K\//}
  what=${what//$TMP/\$TMP}
  echo "$what" >"$d/io/what"
  if [[ -n $pre ]] && ! eval "$pre" >"$d/io/pre" 2>&1; then
    echo "set-up failed: $pre: $(tr '\n' ' ' <"$d/io/pre")" >"$d/io/reasons"
    return
  fi
  [[ -z $keep ]] || cp -p "$keep" "$d/io/keep"
  local before_w before_s rc
  before_w=$(snapshot "$d/w")
  before_s=$(snapshot "$S")
  # via names exported functions: timeout runs them through bash.
  # shellcheck disable=SC2086  # via is a command prefix, split into words on purpose
  # The subshell takes bash's own "Segmentation fault" notes, which would break the report.
  (
    TMPDIR=$d/io/tmp timeout -k 5 "$to" bash -c '"$@"' via $via "$EXE" "$@" >"$d/io/out" 2>"$d/io/err"
    exit $?
  ) 2>/dev/null
  rc=$?
  judge "$d" "$expect" "$rc" "$out" "$keep" "$has" "$before_w" "$before_s" "$shared"
  if [[ -n $post ]]; then eval "$post" >>"$d/io/reasons" 2>&1; fi
}

# judge DIR EXPECT RC OUT KEEP HAS BEFORE_W BEFORE_S SHARED: writes DIR/io/reasons (empty:
# the case passed).
judge() {
  local d=$1 expect=$2 rc=$3 out=$4 keep=$5 has=$6 before_w=$7 before_s=$8 shared=$9
  local err=$d/io/err r=()
  if [[ $rc -eq 124 ]]; then
    r+=("timed out")
  elif [[ $rc -ge 128 ]]; then
    r+=("killed by signal $((rc - 128))")
  elif ! [[ $rc =~ ^($expect)$ ]]; then
    r+=("exit $rc, expected $expect")
  fi
  ls "$d"/w/core* >/dev/null 2>&1 && r+=("core dump")
  sanitizer_report "$err" && r+=("sanitizer report")
  [[ $(tr -d '\000' <"$err" | wc -c) -eq $(wc -c <"$err") ]] || r+=("NUL byte on stderr")
  # Progress and resume notes may precede a fault's line.
  local lines
  lines=$(grep -cvE '^phasecube: ([0-9]+/[0-9]+ cells|resuming )' "$err")
  case $rc in
    2)
      [[ $(wc -l <"$err") -eq 1 ]] || r+=("stderr has $(wc -l <"$err") lines")
      [[ $(head -c 18 "$err") == "phasecube: error: " ]] || r+=("stderr does not start 'phasecube: error: '")
      ;;
    1)
      [[ $lines -eq 1 ]] || r+=("stderr has $lines lines besides progress")
      ;;
    0 | 3)
      grep -qE '^phasecube: (error|fatal)' "$err" && r+=("an error line with exit $rc")
      ;;
  esac
  [[ -z $has ]] || grep -qF -- "$has" "$err" || r+=("stderr lacks '$has'")
  [[ $before_s == "$(snapshot "$S")" ]] || r+=("the sentinel directory changed")
  local after_w
  after_w=$(snapshot "$d/w")
  if [[ $rc -ne 2 || $shared == 1 ]]; then  # the output may change; directories gain it
    before_w=$(unowned "$out" <<<"$before_w")
    after_w=$(unowned "$out" <<<"$after_w")
  else  # a refused --resume takes and drops the output's lock file: same entries, new dir mtime
    before_w=$(dir_entries <<<"$before_w")
    after_w=$(dir_entries <<<"$after_w")
  fi
  [[ $before_w == "$after_w" ]] ||
    r+=("files changed: $(diff <(echo "$before_w") <(echo "$after_w") | grep '^[<>]' | head -4 | tr '\n' ' ')")
  [[ -z $keep ]] || cmp -s "$keep" "$d/io/keep" || r+=("$keep is not byte-identical")
  if ((${#r[@]})); then
    local IFS=';'
    echo "exit $rc: ${r[*]}; stderr: $(head -c 300 "$err" | tr '\n\0' '  ')" >"$d/io/reasons"
  else
    : >"$d/io/reasons"
  fi
}

# A snapshot without the output's (and its lock file's) lines, and without directory sizes
# and mtimes.
unowned() {
  local lock
  lock="./$(dirname "$1")/.$(basename "$1").lock"
  lock=${lock/#.\/.\//./}
  awk -v o="./$1" -v l="$lock" '$1 == o || $2 == o || $1 == l || $2 == l {next}
    $2 == "d" {print $1, "d"; next} {print}'
}

# A snapshot with directories reduced to their names (their entries are listed anyway).
dir_entries() { awk '$2 == "d" {print $1, "d"; next} {print}'; }

# ---------------------------------------------------------------------------------------
# Set-up and post-check helpers (run inside a case's working directory).
cube() { cp "$F/$1" "${2:-out.h5}"; }
with_fifo() { mkfifo "$1"; }
with_chardev() { mknod "$1" c 1 3; }  # a null device of our own, never /dev/null itself
mount_small() {  # mount_small DIR KB: a tmpfs of KB kilobytes (disk-full cases)
  mkdir -p "$1" && mount -t tmpfs -o "size=${2}k" tmpfs "$1"
}
readable_cube() {  # prints a failure unless $1 is a cube phasecube can inspect
  "$EXE" inspect "$1" >/dev/null 2>&1 || echo "$1 is not a readable cube after the case"
}
absent() { [[ ! -e $1 && ! -L $1 ]] || echo "$1 exists after the case"; }

# via: the command is given as the words after the helper.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
with_memory_limit() { (ulimit -v 3000000 && "$@"); }  # 3 GB of address space
# Background commands of a script ignore SIGINT; env --default-signal undoes that.
signal_after() {  # signal_after SIGNAL SECONDS CMD...: sends SIGNAL SECONDS after the start
  local sig=$1 t=$2
  shift 2
  env --default-signal "$@" &
  local pid=$!
  sleep "$t"
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid"
}
signal_when_written() {  # signal_when_written SIGNAL CMD...: SIGNAL once out.h5 exists
  local sig=$1
  shift
  env --default-signal "$@" &
  local pid=$! i
  for ((i = 0; i < 400; i++)); do
    [[ -e out.h5 ]] && break
    sleep 0.05
  done
  sleep 0.2
  kill -s "$sig" "$pid" 2>/dev/null
  wait "$pid"
}
# while_running CMD...: CMD while another run writes out.h5 (--overwrite; it must succeed
# and CMD must name its process id).
while_running() {
  local ino
  ino=$(stat -c %i out.h5)
  "$EXE" run --config "$F/long.ini" --output out.h5 --overwrite >../io/other.out 2>../io/other.err &
  local other=$! i
  for ((i = 0; i < 400; i++)); do
    [[ $(stat -c %i out.h5 2>/dev/null) != "$ino" ]] && break
    sleep 0.05
  done
  "$@"
  local rc=$?
  grep -qw "$other" ../io/err || echo "the refusal does not name process $other" >>../io/extra
  wait "$other" || echo "the other run failed: $(tail -1 ../io/other.err)" >>../io/extra
  return "$rc"
}
extra() { cat ../io/extra 2>/dev/null; }
export EXE F
export -f as_nobody with_memory_limit signal_after signal_when_written while_running

# ---------------------------------------------------------------------------------------
# Fixtures: good configs, good cubes, then everything derived from them.
good_config "$F/good.ini"
cat >"$F/bind.ini" <<'EOF'
[model]
modalities = 3
d = 4
k = 1
n = 50
[axes]
nu = 0.1, 0.3
[run]
trials = 2
EOF
# A run of a few seconds (several in parallel with ASan: fewer trials).
cat >"$F/long.ini" <<EOF
[model]
d = 10
k = 2
n = 1000
[axes]
nu = linspace(0.1, 0.9, 8)
[run]
trials = $((ASAN ? 3000 : 20000))
EOF
# Validation walks a million cells (seconds), then fails in the last ones: no file ever.
cat >"$F/slow_invalid.ini" <<'EOF'
[model]
d = 6
k = 2
[axes]
n = 100, 5
kappa = linspace(0, 1, 1000000)
[run]
sampler = wishart
EOF
# A valid grid whose validation takes about a second.
cat >"$F/slow_valid.ini" <<'EOF'
[model]
d = 6
k = 2
[axes]
kappa = linspace(0, 1, 400000)
[run]
trials = 1
EOF
(
  cd "$F" &&
    "$EXE" run --config good.ini --output run.h5 &&
    "$EXE" run --config bind.ini --output bind.h5 &&
    "$EXE" theory --config good.ini --output theory.h5 &&
    "$PY" "$HERE/hostile_inputs.py" "$F"
) >"$TMP/fixtures.log" 2>&1 || {
  echo "FAIL: fixtures: $(tail -3 "$TMP/fixtures.log")" >&2
  exit 1
}
sed 's/^nu = 0.2, 0.8$/nu = 0.2, 0.5, 0.8/' "$F/good.ini" >"$F/good3.ini"
ln -s "$TMP/absent.ini" "$F/dangling.ini"
mkdir "$F/adir"
fix_before=$(snapshot "$F")
CUBE_KB=$(($(stat -c %s "$F/run.h5") / 1024))

# k EXPECT 'TEXT' [OPTION...]: a config with TEXT (printf %b escapes), run through `theory`
# (the same checks as `run`, no simulation).
k() {
  local expect=$1 text=$2 file
  shift 2
  file=$K/k$((n + 1)).ini
  printf '%b' "$text" >"$file"
  local shown=${text:0:60}
  c "$expect" name="'${shown//$'\n'/\\n}'" "$@" -- theory --config "$file" --output out.h5
}
# o EXPECT OVERRIDE...: overrides on the good config, through `theory`.
o() {
  local expect=$1
  shift
  c "$expect" -- theory --config "$F/good.ini" --output out.h5 "$@"
}
# b EXPECT 'TEXT': a binding config (modalities = 3 plus TEXT in [model], or TEXT as given
# when it starts with a section), through `theory`.
b() {
  local text=$2
  [[ $text == \[* ]] || text="[model]\nmodalities = 3\nd = 4\nk = 1\n$text"
  k "$1" "$text"
}
# dg EXPECT X Y LABELS [OPTION...]: diagnose on fixture files (names relative to $F).
dg() {
  local expect=$1 x=$2 y=$3 l=$4
  shift 4
  c "$expect" -- diagnose --x "$F/$x" --y "$F/$y" --labels "$F/$l" "$@"
}
D3=(dg_x.npy dg_y.npy dg_labels.npy)

# ---------------------------------------------------------------------------------------
# Configs: every section's keys with wrong types and values, and the file format itself.
k 2 '[model]\nd = abc'
k 2 '[model]\nd = -3'
k 2 '[model]\nd = 2.5'
k 2 '[model]\nd ='
k 2 '[model]\nd = inf'
k 2 '[model]\nd = 0x10'
k 2 '[model]\nd = 5abc'
k 2 '[model]\nd = 1e20'
k 0 '[model]\nd = 1e1'
k 2 '[model]\nd = 6, 7'
k 2 '[model]\nk = -1'
k 2 '[model]\nk = 1.5'
k 2 '[model]\nk = nan'
k 2 '[model]\nk = 1e300'
k 2 '[model]\nn = -5'
k 2 '[model]\nn = 1e12'
k 0 '[model]\nn = 1e9'
k 2 '[model]\nkappa = -1'
k 2 '[model]\nkappa = 1,'
k 2 '[model]\nkappa = ,'
k 0 '[model]\nkappa = 1e300'
k 0 '[model]\nkappa = 1e160\nnu = 0.5'
k 2 '[model]\nkappa_decay = -0.5'
k 2 '[model]\nk = 2\nkappa = 1, 2\nkappa_decay = 0.5'
k 2 '[model]\ngamma_x = inf'
k 0 '[model]\ngamma_y = -0'
k 2 '[model]\ngamma_tilde_x = 1e400'
k 2 '[model]\ngamma_tilde_y = -1e-300'
k 2 '[model]\nnu = 1.0000001'
k 0 '[model]\nnu = 1'
k 2 '[model]\nnu = NaN'
k 2 '[model]\nlambda = -1'
k 0 '[model]\nlambda = 1e308'
k 2 '[model]\neta = -1'
k 2 '[model]\neta = 0.5\ngamma_tilde_x = 1, 2'
k 2 '[model]\nmodalities = 1'
k 2 '[run]\ntrials = 1.5'
k 2 '[run]\ntrials = 1e13'
k 2 '[run]\ntrials = abc'
k 2 '[run]\ntrials ='
k 2 '[run]\nseed = -1'
k 2 '[run]\nseed = 1.5'
k 2 '[run]\nseed = 0x10'
k 2 '[run]\nseed = 18446744073709551616'
k 0 '[run]\nseed = 18446744073709551615'
k 2 '[run]\nsampler = WISHART'
k 2 '[run]\nsampler ='
k 2 '[run]\nchunk_cells = -1'
k 0 '[run]\nchunk_cells = 1e3'  # one number syntax (issue 12)
k 2 '[run]\nchunk_cells = 99999999999999999999'
k 2 '[run]\nthreads = 2'
printf '[run]\noutput = no/such/dir/x.h5\n' >"$K/run_output.ini"
c 2 -- run --config "$K/run_output.ini"
printf '[run]\noutput = adir\n' >"$K/run_output_dir.ini"
c 2 pre="mkdir adir" -- run --config "$K/run_output_dir.ini"
printf '[run]\ntrials = 1\noutput =\n' >"$K/run_output_empty.ini"
c 0 out=run_output_empty.h5 -- run --config "$K/run_output_empty.ini"
k 2 '[diagnose]\nlabels = 0'
k 2 '[diagnose]\nlabels = 1001'
k 2 '[diagnose]\nlabel_noise = -1'
k 2 '[diagnose]\nlabel_noise = nan'
k 2 '[diagnose]\nlabelled = 1'
k 2 '[diagnose]\nlabelled = 1e10'
k 2 '[diagnose]\nfolds = 1'
k 2 '[model]\nn = 50\n[diagnose]\nfolds = 100'
k 2 '[diagnose]\nridge = -1'
k 2 '[diagnose]\nfold_seed = -1'
k 2 '[diagnose]\nwhiten_reg = inf'
k 2 '[diagnose]\nclassifier = Elbow'
k 2 '[diagnose]\npermutations = 0'
k 2 '[model]\nd = 6\n[diagnose]\npca = 7'
k 2 '[diagnose]\npca = -1'
k 2 '[diagnose]\nfoo = 1'
k 0 '[diagnose]\n'
k 2 '[model]\nd = 6\n[model]\nd = 7'
k 0 '[model]\nd = 6\n[model]\nk = 2'
k 2 'd = 5'
k 2 '[model\nd = 5'
k 2 '[]\nd = 5'
k 2 '= 5'
k 2 '[model]\nnu == 0.5'
k 2 '[MODEL]\nd = 5'
k 2 '[ model ]\nd = 6'
k 2 '[model]\nd = "6"'
k 0 '[model]\n; a comment\nd = 6'  # ';' comments in every config (issue 12)
k 0 '# a comment\n[model]\nd = 6 # six'
k 2 '[model]\nnu = 0.5 ; half'
k 0 ''
k 0 ' \n\t\n'
k 0 '\xef\xbb\xbf[model]\nd = 6'
k 0 '\xef\xbb\xbf# comment\n[model]\nd = 6'
k 0 '[model]\r\nd = 6\r\nk = 2\r\n'
k 2 '[model]\r\nd = 6x\r\n'
k 2 '\xff\xfe[\x00m\x00o\x00d\x00e\x00l\x00]\x00'
k 2 '[model]\nnu = 1\x00zz' has=zz
k 2 '[model]\nd\x00zz = 5' has=zz
k 2 "[model]\nnu = $(printf '0.5%.0s' {1..20000})"
k 2 "[model]\n$(printf 'x%.0s' {1..5000}) = 1"
k 2 "[model]\nk = 2\nkappa = $(printf '1, %.0s' {1..30000})1"
k 0 "$(printf '# padding %.0s\n' {1..100000})\n[model]\nd = 6"
c 2 -- theory --config "$F/garbage.ini" --output out.h5
c 2 -- theory --config "$F/dangling.ini" --output out.h5
c 0 -- theory --config <(printf '[model]\nd = 6\n') --output out.h5

# Command-line overrides: the same, through apply_overrides.
o 2 --model.nu=
o 2 --model..nu=1
o 2 --.nu=1
o 2 --model.=1
o 2 --MODEL.nu=1
o 2 -model.nu=1
o 2 --model.nu=0.5=0.6
o 2 --model.nu=1e2
o 2 --model.d=0x10
o 0 --model.d=1e1
o 0 --model.nu=0.5 --model.nu=0.6
o 0 --model.nu 0.5
o 0 '--model.nu= 0.5 '
o 2 $'--model.nu=0.5\nx'
o 2 "--model.nu=$(printf '9%.0s' {1..100000})"
o 2 --axes.kappa=0.1 --model.kappa=0.2
o 0 '--axes.nu=linspace(0,1,3)' --axes.nu=0.5
o 2 --diagnose.folds=abc
o 2 '--model.gamma_tilde[1]=-3'
o 2 --output other.h5
o 2 --config "$F/good.ini"
o 2 --overwrite=yes
o 2 --resume
c 2 -- run --config "$F/good.ini" --output out.h5 --overwrite --resume
c 2 -- theory --config "$F/good.ini" --output=
c 2 -- theory --config "$F/good.ini" --output out.h5 stray

# Axis grammar.
o 2 '--axes.kappa=linspace(0, 1, 2, 3)'
o 0 '--axes.kappa=linspace(1, 0, 3)'
o 2 '--axes.kappa=linspace(0, 1, -1)'
o 2 '--axes.kappa=linspace(0, 1, 2.5)'
o 2 '--axes.kappa=linspace(0, 1, 1e9)'
o 2 '--axes.kappa=linspace((0, 1, 3))'
o 2 '--axes.kappa=linspace(0, 1, 3))'
o 2 '--axes.kappa=linspace(0, 1, 3),'
o 2 '--axes.kappa=0.1, 0.2,'
o 2 '--axes.kappa=,0.1'
o 0 '--axes.kappa=linspace (0, 1, 3)'
o 2 '--axes.kappa=LINSPACE(0, 1, 3)'
o 2 '--axes.kappa=linspace(0; 1; 3)'
o 2 '--axes.kappa=linspace(0, 1, )'
o 2 '--axes.kappa=logspace(0, 400, 2)'
o 2 '--axes.nu=logspace(-1, 1, 3)'
o 2 '--axes.nu=linspace(0, nan, 3)'
o 2 '--axes.kappa=()'
o 0 --axes.kappa=1e-300,1e300
o 2 '--axes.kappa=linspace(0,1,100000)' '--axes.gamma_x=linspace(0,1,100000)'
c 2 to=30 -- theory --config "$F/good.ini" --output out.h5 \
  '--axes.kappa=linspace(0,1,100000)' '--axes.gamma_x=linspace(0,1,20000)'
o 2 --axes.k=1,2,6
o 2 --axes.lambda=-1,0
k 2 '[axes]\neta = 0.1, -0.1'
o 2 --axes.gamma_tilde_y=nan
o 2 --axes.kappa_decay=0.5,-2

# Binding configs.
b 2 'modalities = 65'
b 2 'd = 0'
b 2 'k = 4'
b 2 'n = -1'
b 2 'kappa = -1'
b 2 'kappa_decay = nan'
b 2 'modalities = 2.5'
b 2 'modalities = nan'
b 2 'anchor = 3'
b 2 'anchor = -1'
b 2 'gamma_tilde = 0'
b 2 'gamma[5] = 1'
b 2 'gamma[x] = 1'
b 2 'gamma[-1] = 1'
b 2 'gamma[1 = 1'
b 2 'nu = 1.5'
b 2 'nu = 1, 0.5, 0.5, 1'
b 2 'nu = 1, 0.5, 0.5, 0.4, 1, 0.5, 0.5, 0.5, 1'
b 2 'nu = 2, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 1'
b 2 'nu = 1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1'
b 2 'gamma_x = 1'
b 0 '[model]\nmodalities = 3\nd = 4\nk = 1\n[axes]\ngamma[1] = 0.1, 1'
b 2 '[model]\nmodalities = 3\nd = 4\nk = 1\n[axes]\nanchor = 0, 5'
c 2 has='gamma_tilde[1]' -- theory --config "$F/bind.ini" --output out.h5 '--model.gamma_tilde[1]=-3'

# inspect, validate and diagnose command lines.
c 2 -- validate "$F/run.h5" --band -1
c 2 -- validate "$F/run.h5" --band nan
c 2 -- validate "$F/run.h5" --band abc
c 2 -- inspect "$F/run.h5" "$F/run.h5"
c 2 -- validate
c 2 -- inspect --json "$F/run.h5"
dg 2 "${D3[@]}" --folds 0
dg 2 "${D3[@]}" --folds abc
dg 2 "${D3[@]}" --fold-seed -1
dg 2 "${D3[@]}" --ridge nan
dg 2 "${D3[@]}" --ridge -1
dg 2 "${D3[@]}" --whiten-reg inf
dg 2 "${D3[@]}" --permutations 0
dg 2 "${D3[@]}" stray
c 2 pre="mkdir pdir" -- diagnose --x "$F/dg_x.npy" --y "$F/dg_y.npy" --labels "$F/dg_labels.npy" \
  --plot pdir
dg 0 "${D3[@]}"

# Cubes: codes out of range, shapes against the stored config, attributes, not HDF5 at all.
for m in regime_code regime_neg short_var short_regime axis_2d axis_short axis_missing \
  axes_int axes_absent string_var no_vars half head empty text bare; do
  c 2 -- inspect "$F/cube_$m.h5"
  c 2 -- validate "$F/cube_$m.h5"
done
for m in done_code huge_done rank2_done float_done; do c 2 -- inspect "$F/cube_$m.h5"; done
# Attributes inspect only prints: refusing them or showing them are both fine.
c 0\|2 -- inspect "$F/cube_trials_text.h5"
c 0\|2 -- inspect "$F/cube_config_number.h5"
# The stored config's grid is bigger than the cube's arrays.
c 2 -- validate "$F/cube_grid_grown.h5"
c 2 pre="cube cube_grid_grown.h5" keep=out.h5 -- run --config "$F/good3.ini" --output out.h5 --resume
c 2 -- validate "$F/cube_config_absent.h5"
c 2 -- validate "$F/cube_config_garbage.h5"
for m in winner_code pair_index short_bind; do c 2 -- inspect "$F/cube_$m.h5"; done
c 2 -- inspect "$F/adir"
c 2 -- validate "$F/adir"
# A refused --resume leaves the old cube's bytes unchanged.
for m in regime_code done_code short_var short_done rank2_done huge_done axes_int axes_absent \
  config_absent config_garbage foreign_version half empty text bare; do
  c 2 pre="cube cube_$m.h5" keep=out.h5 -- run --config "$F/good.ini" --output out.h5 --resume
done
c 2 pre="cube cube_short_bind.h5" keep=out.h5 -- run --config "$F/bind.ini" --output out.h5 --resume
c 0 pre="cube cube_partial.h5" post="readable_cube out.h5" -- \
  run --config "$F/good.ini" --output out.h5 --resume
# A refused --overwrite leaves it unchanged too.
c 2 pre="cube run.h5" keep=out.h5 -- run --config "$F/good.ini" --output out.h5 --overwrite --model.nu=2

# Diagnose inputs.
dg 2 dg_cols0.npy dg_y.npy dg_labels.npy
dg 2 dg_x.npy dg_cols0.npy dg_labels.npy
dg 2 dg_x.npy dg_y.npy dg_cols0.npy
dg 2 dg_rows0.npy dg_rows0.npy dg_rows0.npy
dg 0 dg_x.npy dg_y.npy dg_one_class.npy  # issue 14: answered "no label signal", exit 0
dg 2 dg_x.npy dg_y.npy dg_unlabelled.npy
dg 0 dg_x.npy dg_y.npy dg_flat_labels.npy
dg 0 dg_fortran.npy dg_y.npy dg_labels.npy  # issue 14: Fortran order is read
for m in 3d scalar bool complex text inf huge_shape overflow_shape short_shape float_shape \
  no_descr not_dict header_only magic_only; do
  dg 2 "dg_$m.npy" dg_y.npy dg_labels.npy
done
dg 0\|2 dg_bigendian.npy dg_y.npy dg_labels.npy
dg 0 dg_bom.csv dg_y.csv dg_labels.npy
dg 0 dg_bom_header.csv dg_y.csv dg_labels.npy
dg 0 dg_crlf.csv dg_y.csv dg_labels.npy
for m in ragged nan words empty header_only blank_lines semicolons trailing_comma nul; do
  dg 2 "dg_$m.csv" dg_y.csv dg_labels.npy
done
for m in huge huge_cols cube3 strings compound cols0 scalar group; do
  dg 2 "dg.h5:$m" dg.h5:y dg.h5:labels
done
dg 2 adir dg_y.npy dg_labels.npy
c 2 pre="with_fifo x.fifo" -- diagnose --x x.fifo --y "$F/dg_y.npy" --labels "$F/dg_labels.npy"

# Output paths that are not a regular file of ours.
for sub in theory run; do
  c 2 pre="with_fifo out.h5" -- "$sub" --config "$F/good.ini" --output out.h5 --overwrite
  c 0 pre="ln -s \$S/target out.h5.writing" -- "$sub" --config "$F/good.ini" --output out.h5
  c 0 pre="ln -s \$S/absent out.h5.writing" -- "$sub" --config "$F/good.ini" --output out.h5
  c 0 pre="cube run.h5 && ln -s \$S/target out.h5.writing" -- \
    "$sub" --config "$F/good.ini" --output out.h5 --overwrite
  c 0 pre="mkdir out.h5.writing" -- "$sub" --config "$F/good.ini" --output out.h5
  c 0\|2 pre="ln -s \$S/target out.h5" -- "$sub" --config "$F/good.ini" --output out.h5 --overwrite
  c 0\|2 pre="ln -s \$S/absent out.h5" -- "$sub" --config "$F/good.ini" --output out.h5 --overwrite
  c 2 pre="mkdir out.h5" -- "$sub" --config "$F/good.ini" --output out.h5 --overwrite
done
c 2 pre="with_fifo out.h5" -- run --config "$F/good.ini" --output out.h5 --resume
c 2 pre="with_fifo out.h5" -- theory --config "$F/good.ini" --output out.h5
c 0 pre="with_fifo out.h5.writing" -- run --config "$F/good.ini" --output out.h5
c 2 pre="mkdir adir" -- theory --config "$F/good.ini" --output adir/
c 2 pre="touch afile" -- theory --config "$F/good.ini" --output afile/out.h5
long=$(printf 'o%.0s' {1..247}).h5  # 250 characters: a legal name, whatever the temp's suffix
c 0 out="$long" -- theory --config "$F/good.ini" --output "$long"
c 0 out="$long" -- run --config "$F/good.ini" --output "$long"
c 2 out="o$long" -- theory --config "$F/good.ini" --output "o$(printf 'o%.0s' {1..5})$long"
if ((ROOT)); then
  for sub in theory run; do
    c 2 pre="with_chardev out.h5" -- "$sub" --config "$F/good.ini" --output out.h5 --overwrite
  done
  c 2 pre="with_chardev out.h5" -- run --config "$F/good.ini" --output out.h5 --resume
  NOBODY="as_nobody"
else
  NOBODY=""
fi
# A directory we may not write: as root, the case runs as the user nobody.
c 2 pre="mkdir ro && chmod 555 ro" via="$NOBODY" -- theory --config "$F/good.ini" --output ro/out.h5
c 2 pre="mkdir ro && cp $F/run.h5 ro/out.h5 && chmod 555 ro" keep=ro/out.h5 via="$NOBODY" -- \
  run --config "$F/good.ini" --output ro/out.h5 --overwrite

# Concurrent runs on one output: the second is refused (naming the first), the first wins.
c 2 pre="cube run.h5" shared=1 via=while_running post=extra -- \
  run --config "$F/long.ini" --output out.h5 --overwrite
c 2 pre="cube run.h5" shared=1 via=while_running post=extra -- \
  run --config "$F/long.ini" --output out.h5 --resume

# Signals during validation (nothing written, or a resumable stop) and during a run.
for sig in TERM INT USR1; do
  c 2\|3 via="signal_after $sig 0.5" -- run --config "$F/slow_invalid.ini" --output out.h5
  c 3 via="signal_when_written $sig" post="readable_cube out.h5" -- \
    run --config "$F/long.ini" --output out.h5
done
c 2\|3 via="signal_after TERM 0.3" -- run --config "$F/slow_valid.ini" --output out.h5

# Limits: what is accepted must work or be refused before any file is touched. These need
# a memory limit (ulimit -v), which AddressSanitizer's shadow memory does not allow.
if ((ASAN)); then
  echo "note: ASan build: the memory-limit cases run only in the Release build" >&2
else
  c 0 via=with_memory_limit -- run --config "$F/good.ini" --output out.h5  # the limit alone
  c 2 via=with_memory_limit -- theory --config "$F/good.ini" --output out.h5 --model.d=1e9
  c 2\|3 via="with_memory_limit signal_after TERM 3" post="absent out.h5.writing" -- \
    run --config "$F/good.ini" --output out.h5 --run.trials=2147483648
  c 1\|2 via=with_memory_limit post="absent out.h5.writing" -- \
    run --config "$F/good.ini" --output out.h5 --axes.nu=0.5 --model.d=10000 --model.k=1 --model.n=10
fi

# Disk full: a tmpfs that holds one final cube but not a working cube beside it (a run's
# cube while it runs: about a third of a final cube of this size, its metadata not chunked),
# or not even half a cube.
if ((ROOT)) && mkdir "$TMP/m" && mount_small "$TMP/m" 64 && umount "$TMP/m"; then
  K=$((CUBE_KB * 9 / 8))
  c 1 pre="mount_small full $K" out=full/out.h5 post="readable_cube full/out.h5" -- \
    run --config "$F/good.ini" --output full/out.h5
  c 1 pre="mount_small full $((CUBE_KB / 2))" out=full/out.h5 post="absent full/out.h5" -- \
    theory --config "$F/good.ini" --output full/out.h5
  c 1 pre="mount_small full $K && cube cube_partial.h5 full/out.h5" out=full/out.h5 \
    keep=full/out.h5 -- run --config "$F/good.ini" --output full/out.h5 --resume
  c 1 pre="mount_small full $K && cube run.h5 full/out.h5" out=full/out.h5 keep=full/out.h5 -- \
    run --config "$F/good.ini" --output full/out.h5 --overwrite
  c 1 pre="mount_small full $K && cube theory.h5 full/out.h5" out=full/out.h5 keep=full/out.h5 -- \
    theory --config "$F/good.ini" --output full/out.h5 --overwrite
elif [[ ${CI:-} == true ]]; then
  fail "the disk-full cases need root and tmpfs mounts (CI=true: not skipped)"
else
  echo "note: not root or no tmpfs mounts: the disk-full cases are skipped" >&2
fi

wait
[[ $fix_before == "$(snapshot "$F")" ]] || fail "a case changed the shared inputs in $F"
passed=0
failed=0
for ((i = 1; i <= n; i++)); do
  if [[ -s $C/$i/io/reasons || ! -e $C/$i/io/reasons ]]; then
    echo "FAIL #$i $(cat "$C/$i/io/what"): $(tr '\n' ' ' 2>/dev/null <"$C/$i/io/reasons" || echo 'no result')"
    failed=$((failed + 1))
  else
    passed=$((passed + 1))
  fi
done
failed=$((failed + failures))
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
