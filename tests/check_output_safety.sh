#!/usr/bin/env bash
# Nothing lost, nothing clobbered (issue 11, items 1-4, 17, 19), through the real executable:
#   1. disk full (a small tmpfs; root only): run, run --resume, run --overwrite and theory exit
#      1 with one line, no signal death, no temporary or lock file left, the last good snapshot
#      kept as a valid, resumable cube; --resume after freeing space completes it bitwise equal
#      to an uninterrupted run;
#   2. a symbolic link planted where the old fixed temporary OUT.writing was: its target is
#      never written;
#   3. an output that is a FIFO, a character device (mknod, in the temp dir), a socket, a
#      directory or a symbolic link (to a regular file, to a FIFO, dangling): exit 2, one line,
#      the node unchanged, also with --overwrite / --resume;
#   4. a second run on the output of a running one (--overwrite, --resume, or two fresh runs
#      at once): exit 2, one line naming the first one's pid; the first completes correctly;
#  17. SIGTERM, SIGINT, SIGUSR1 during the validation of a big grid (run and theory): exit 3,
#      one line, nothing written;
#  19. --resume of a cube whose numerics_version differs or is missing (two-modality and
#      binding): exit 2, one line naming both, the cube byte-identical.
# Usage: check_output_safety.sh <phasecube-exe> <source-dir>   (exit 77: skipped)
set -uo pipefail
EXE=$(realpath "$1")
PY=/usr/bin/python3
skip() {  # under CI a missing dependency is a failure, not a skip
  if [[ ${CI:-} == true ]]; then echo "check_output_safety: FAIL: $*" >&2; exit 1; fi
  echo "SKIP: $*"
  exit 77
}
"$PY" -c "import h5py" 2>/dev/null || skip "$PY lacks h5py"
CUBES="$(realpath "$(dirname "${BASH_SOURCE[0]}")")/cubes.py"

TMP=$(mktemp -d /tmp/pc-output.XXXXXX)
FULL=$TMP/full  # the small tmpfs, when mounted
cleanup() {
  local pids
  pids=$(pgrep -f -- "--config $TMP/" || true)
  [[ -z $pids ]] || kill -9 $pids 2>/dev/null
  mountpoint -q "$FULL" && umount "$FULL"
  rm -rf "$TMP"
}
trap cleanup EXIT
cd "$TMP" || exit 1
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# run_pc RC_WANTED LABEL ARGS...: runs phasecube and checks the exit status; a failure must
# print exactly one error line, the last on stderr (progress lines such as "resuming ..." may
# come before it). ERR = that line (all of stderr on success).
run_pc() {
  local want=$1 label=$2 rc=0
  shift 2
  OMP_NUM_THREADS=2 timeout -k 5 120 "$EXE" "$@" >/dev/null 2>"$TMP/err" || rc=$?
  ERR=$(cat "$TMP/err")
  ((rc == want)) || fail "$label: exit $rc, expected $want: $ERR"
  if ((want != 0)); then
    [[ $(grep -cE '^phasecube: (error|fatal|stopped)' "$TMP/err") -eq 1 ]] ||
      fail "$label: expected one error line on stderr, got: $ERR"
    ERR=$(tail -n 1 "$TMP/err")
    [[ $ERR =~ ^phasecube:\ (error|fatal|stopped) ]] || fail "$label: stderr ends with: $ERR"
  fi
}
needs() {  # needs LABEL TEXT...: ERR contains every TEXT
  local label=$1 t
  shift
  for t in "$@"; do [[ $ERR == *"$t"* ]] || fail "$label: stderr lacks '$t': $ERR"; done
}
# leftovers OUT: the snapshot temporaries and the lock file of OUT that exist
leftovers() {
  local d b
  d=$(dirname "$1") b=$(basename "$1")
  compgen -G "$d/.$b.*" || true
}
no_leftovers() { [[ -z $(leftovers "$1") ]] || fail "$2: left behind: $(leftovers "$1")"; }
state() { "$PY" "$CUBES" state "$1"; }  # "status done total"

cat >small.ini <<'EOF'
[model]
d = 6
k = 2
n = 60
gamma_y = 0.2
[axes]
kappa = linspace(0.2, 2, 12)
nu = linspace(0.05, 0.95, 10)
[run]
trials = 30
seed = 11
EOF
run_pc 0 "reference run" run --config small.ini --output ref.h5

# --- 1. disk full --------------------------------------------------------------------------------
echo "1. disk full"
mkdir "$FULL"
if [[ $(id -u) -ne 0 ]]; then
  skip "disk full needs root (mount -t tmpfs)"
elif ! mount -t tmpfs -o size=4m tmpfs "$FULL" 2>"$TMP/err"; then
  skip "cannot mount a tmpfs: $(cat "$TMP/err")"
else
  size=$(stat -c %s ref.h5)
  # fill EIGHTHS: leaves EIGHTHS/8 final cubes of free space (9: the run's working cube fits,
  # about a third of a final one here, but not the final cube beside it, which finish builds
  # before the rename frees the working one; 1: not even a working cube)
  fill() {
    local avail
    rm -f "$FULL/filler"
    avail=$(df -B1 --output=avail "$FULL" | tail -n 1)
    head -c $((avail - $1 * size / 8)) /dev/zero >"$FULL/filler"
  }
  fill 9
  out=$FULL/cube.h5
  run_pc 1 "run into a full disk" run --config "$TMP/small.ini" --output "$out"
  needs "run into a full disk" "No space left on device" "cube.h5 is unchanged" "--resume"
  echo "  run: $ERR"
  no_leftovers "$out" "run into a full disk"
  # The working cube stays (issue 15): readable, every cell it holds whole, resumable.
  read -r st d n < <(state "$out") || fail "the working cube is not a readable cube"
  [[ $st == running ]] || fail "the working cube has status $st"
  cp "$out" "$TMP/kept.h5"
  fill 1
  for mode in --resume --overwrite; do
    run_pc 1 "run $mode into a full disk" run --config "$TMP/small.ini" --output "$out" $mode
    needs "run $mode into a full disk" "No space left on device" "cube.h5 is unchanged"
    echo "  run $mode: $ERR"
    cmp -s "$out" "$TMP/kept.h5" || fail "run $mode into a full disk changed the cube"
    no_leftovers "$out" "run $mode into a full disk"
  done
  run_pc 1 "theory --overwrite into a full disk" theory --config "$TMP/small.ini" --output "$out" --overwrite
  cmp -s "$out" "$TMP/kept.h5" || fail "theory --overwrite into a full disk changed the cube"
  no_leftovers "$out" "theory --overwrite into a full disk"
  run_pc 1 "theory into a full disk" theory --config "$TMP/small.ini" --output "$FULL/theory.h5"
  needs "theory into a full disk" "No space left on device" "nothing written"
  echo "  theory: $ERR"
  [[ ! -e $FULL/theory.h5 ]] || fail "theory into a full disk left theory.h5"
  no_leftovers "$FULL/theory.h5" "theory into a full disk"
  rm "$FULL/filler"
  run_pc 0 "--resume after freeing space" run --config "$TMP/small.ini" --output "$out" --resume
  "$PY" "$CUBES" same ref.h5 "$out" || fail "the resumed cube differs from an uninterrupted run"
  no_leftovers "$out" "--resume after freeing space"
fi

# --- 2. a link where the temporary used to be ----------------------------------------------------
echo "2. a symbolic link planted at OUT.writing"
echo "precious" >victim.txt
ln -s victim.txt planted.h5.writing
run_pc 0 "run beside a planted link" run --config small.ini --output planted.h5
[[ $(cat victim.txt) == precious ]] || fail "the planted link's target was overwritten"
[[ -L planted.h5.writing ]] || fail "the planted link was replaced"
"$PY" "$CUBES" same ref.h5 planted.h5 || fail "planted.h5 differs from the reference"

# --- 3. outputs that are not regular files -------------------------------------------------------
echo "3. outputs that are not regular files"
mkfifo fifo.h5
"$PY" -c "import socket; socket.socket(socket.AF_UNIX).bind('socket.h5')"
mkdir dir.h5
cp ref.h5 target.h5
ln -s target.h5 link.h5
ln -s fifo.h5 link_fifo.h5
ln -s missing.h5 dangling.h5
nodes=(fifo.h5 socket.h5 dir.h5 link.h5 link_fifo.h5 dangling.h5)
if mknod null.h5 c 1 3 2>/dev/null; then nodes+=(null.h5); else echo "  (no mknod here)"; fi
describe() { stat -c '%F %t:%T %i %s %Y' "$1"; readlink "$1" || true; }
for node in "${nodes[@]}"; do
  before=$(describe "$node")
  for args in "run --overwrite" "run --resume" "run" "theory --overwrite"; do
    # shellcheck disable=SC2086  # split into arguments on purpose
    run_pc 2 "$args --output $node" ${args%% *} --config small.ini --output "$node" ${args#* }
    [[ $args == run ]] && continue  # refused as existing, or as not regular
    needs "$args --output $node" "output '$node' is" "not a regular file"
  done
  echo "  $node: $ERR"
  [[ $(describe "$node") == "$before" ]] || fail "$node changed: $before -> $(describe "$node")"
  no_leftovers "$TMP/$node" "$node"
done
cmp -s ref.h5 target.h5 || fail "the target of link.h5 changed"

# --- 4. a second run on the output of a running one ----------------------------------------------
echo "4. concurrent runs on one output"
sed -e 's/^trials = 30/trials = 6000/' small.ini >slow.ini
run_pc 0 "slow reference" run --config slow.ini --output slow_ref.h5
OMP_NUM_THREADS=1 "$EXE" run --config "$TMP/slow.ini" --output busy.h5 2>"$TMP/first.err" &
first=$!
for _ in $(seq 200); do [[ -e busy.h5 ]] && break; sleep 0.05; done
[[ -e busy.h5 ]] || fail "the first run wrote no snapshot within 10 s"
for mode in --overwrite --resume; do
  run_pc 2 "a second run $mode" run --config slow.ini --output busy.h5 $mode
  needs "a second run $mode" "busy.h5" "another phasecube run (pid $first)"
  echo "  $mode: $ERR"
done
run_pc 2 "a theory --overwrite" theory --config slow.ini --output busy.h5 --overwrite
needs "a theory --overwrite" "pid $first"
kill -0 "$first" 2>/dev/null || fail "the first run ended before the second ones were refused"
rc=0
wait "$first" || rc=$?
((rc == 0)) || fail "the first run exited $rc: $(cat "$TMP/first.err")"
"$PY" "$CUBES" same slow_ref.h5 busy.h5 || fail "the first run's cube differs from the reference"
# Two fresh runs at once: one writes, the other is refused before writing anything.
rcs=()
for i in 1 2; do
  OMP_NUM_THREADS=1 "$EXE" run --config "$TMP/small.ini" --output twin.h5 2>"$TMP/twin$i.err" &
  pids[i]=$!
done
for i in 1 2; do
  rc=0
  wait "${pids[i]}" || rc=$?
  rcs+=("$rc")
done
[[ ${rcs[*]} == "0 2" || ${rcs[*]} == "2 0" ]] || fail "two fresh runs exited ${rcs[*]}"
echo "  two fresh runs at once: exit ${rcs[*]}: $(cat "$TMP/twin1.err" "$TMP/twin2.err" | grep error)"
"$PY" "$CUBES" same ref.h5 twin.h5 || fail "the fresh run's cube differs from the reference"

# --- 17. a stop signal at the start of a big grid ------------------------------------------------
# Validation takes milliseconds (per axis, issue 15) and `run` starts computing at once: a
# signal 0.3 s in stops a run with a resumable partial cube (or, on a slow start still
# validating, with nothing written), and a theory cube, built in a temporary, with nothing
# written.
echo "17. stop signals at the start of a big grid (9 x 10^6 cells)"
cat >big.ini <<'EOF'
[model]
d = 8
k = 2
n = 400
[axes]
kappa = linspace(0.2, 2, 3000)
nu = linspace(0.05, 0.95, 3000)
[run]
trials = 10
seed = 1
EOF
caught() {  # caught PID: it runs phasecube and its SIGTERM, SIGINT and SIGUSR1 handlers are in
  local mask
  # Between fork and exec the child is a copy of this shell, whose own handlers have the same
  # bits (CI once saw them, then the exec'd phasecube without handlers yet): check the image.
  [[ $(readlink "/proc/$1/exe" 2>/dev/null) == "$EXE" ]] || return 1
  mask=$(awk '/^SigCgt/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
  (((0x$mask & 0x4202) == 0x4202))
}
for sub_sig in run:TERM run:INT run:USR1 theory:TERM; do
  sub=${sub_sig%:*} sig=${sub_sig#*:}
  OMP_NUM_THREADS=1 "$EXE" "$sub" --config "$TMP/big.ini" --output big.h5 2>"$TMP/err" &
  pid=$!
  # A deadline, not a count: under ASan on a loaded 2-core CI machine start-up alone has taken
  # more than 3 s; a fast start still waits only until the handlers are in. A slow one is
  # reported with the process state, so the next failure says why.
  started=$SECONDS deadline=$((SECONDS + 180))
  until caught "$pid" || ((SECONDS >= deadline)); do sleep 0.02; done
  if ! caught "$pid"; then
    fail "$sub: no stop handlers 180 s after the start: $(readlink "/proc/$pid/exe") \
      $(grep -E '^(State|SigCgt)' "/proc/$pid/status" 2>&1 | tr '\n\t' '  ')"
  elif ((SECONDS - started > 5)); then
    echo "  $sub: the stop handlers took $((SECONDS - started)) s to appear (a loaded machine)"
  fi
  sleep 0.3
  kill -s "$sig" "$pid"
  deadline=$((SECONDS + 20))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.05; done
  kill -0 "$pid" 2>/dev/null && { kill -9 "$pid"; fail "$sub, SIG$sig: still running 20 s later"; }
  rc=0
  wait "$pid" 2>/dev/null || rc=$?
  ERR=$(tail -n 1 "$TMP/err")
  ((rc == 3)) || fail "$sub, SIG$sig at the start: exit $rc, expected 3: $ERR"
  # A slow start (ASan, a loaded machine) can still be validating: then nothing is written.
  if [[ $ERR == "phasecube: stopped by a signal before any cell was computed; nothing written" ||
    ($sub == theory &&
    $ERR == "phasecube: stopped by a signal before the theory cube was complete; nothing written") ]]; then
    [[ ! -e big.h5 ]] || fail "$sub, SIG$sig: '$ERR', but big.h5 exists"
  elif [[ $sub == run ]]; then
    [[ $ERR =~ ^phasecube:\ stopped\;\ big.h5\ holds\ [0-9]+\ of\ 9000000\ cells\ \(status\ partial\) ]] ||
      fail "$sub, SIG$sig: stderr: $ERR"
    read -r st d n < <(state big.h5) || fail "$sub, SIG$sig: big.h5 is not a readable cube"
    [[ $st == partial ]] && ((d < n)) || fail "$sub, SIG$sig: big.h5 is $st with $d of $n cells"
  else
    fail "$sub, SIG$sig: stderr: $ERR"
  fi
  no_leftovers "$TMP/big.h5" "$sub, SIG$sig"
  echo "  $sub, SIG$sig: exit $rc: $ERR"
  rm -f big.h5
done

# --- 19. --resume across numerics versions -------------------------------------------------------
echo "19. --resume of a cube of other numerics"
printf '[model]\nmodalities = 2\nd = 4\nk = 1\nn = 100\n[axes]\nnu = 0.3, 0.6\n[run]\ntrials = 4\n' >binding.ini
run_pc 0 "binding run" run --config binding.ini --output binding.h5
run_pc 0 "--resume of a complete cube" run --config small.ini --output ref.h5 --resume
for cube in ref.h5:small.ini binding.h5:binding.ini; do
  file=${cube%:*} config=${cube#*:}
  [[ $("$PY" -c "import h5py; print(h5py.File('$file')['/'].attrs['numerics_version'])") == 4 ]] ||
    fail "$file: numerics_version is not 4"
  for change in "attrs['numerics_version'] = numpy.int32(0)" "del attrs['numerics_version']"; do
    cp "$file" changed.h5
    "$PY" -c "import h5py, numpy
with h5py.File('changed.h5', 'r+') as f:
    attrs = f.attrs
    $change"
    cp changed.h5 before.h5
    run_pc 2 "--resume ($file, $change)" run --config "$config" --output changed.h5 --resume
    if [[ $change == del* ]]; then
      needs "--resume ($file, $change)" "no numerics_version" "this build has numerics_version 4"
    else
      needs "--resume ($file, $change)" "numerics_version 0" "this build has 4"
    fi
    cmp -s changed.h5 before.h5 || fail "--resume ($file, $change) changed the cube"
    no_leftovers "$TMP/changed.h5" "--resume ($file, $change)"
    echo "  $file, $change: $ERR"
  done
done

echo "check_output_safety: $failures failures"
((failures == 0))
