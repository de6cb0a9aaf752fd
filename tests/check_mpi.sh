#!/usr/bin/env bash
# The MPI driver (issue 3, "MPI driver" and "a rank that dies"):
#   1. a small sweep run serially and under mpirun -np P, P = 1..4 (oversubscribed on small
#      machines) x OMP_NUM_THREADS 1, 2: every data variable bitwise identical to the serial
#      cube, attributes mpi_ranks == P, threads == OMP_NUM_THREADS, status complete;
#   2. a sweep with an n axis (cells of very unequal cost, dynamic hand-out) under -np 3, with
#      the cost-based and with a fixed chunking: identical to serial;
#   3. kill -9 of one worker rank mid-run: mpirun fails (non-zero) within a bounded time, no
#      process is left behind, the cube is readable (status partial, the cells that arrived),
#      and a serial --resume finishes it bitwise equal to an uninterrupted serial run.
# Usage: check_mpi.sh <phasecube-exe> <source-dir>      (exit 77: skipped)
# shellcheck disable=SC2086  # pid lists ($pids) are split into words on purpose
set -euo pipefail
exe=$1
# shellcheck source=tests/mpi_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/mpi_env.sh" mpi
cleanup() {
  local pids
  pids=$(pgrep -f -- "--config $tmp/" || true)
  [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

t_start=$SECONDS
fail() { echo "check_mpi: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }  # seconds since a now() stamp

# run_serial OUT THREADS CONFIG [ARGS...]: one process, no mpirun
run_serial() {
  local out=$1 threads=$2 cfg=$3
  OMP_NUM_THREADS=$threads timeout -k 5 120 "$exe" run --config "$cfg" --output "$tmp/$out.h5" \
    "${@:4}" 2>"$tmp/$out.log" || fail "serial run $out failed: $(tail -n 3 "$tmp/$out.log")"
}
# run_mpi OUT RANKS THREADS CONFIG [ARGS...]
run_mpi() {
  local out=$1 np=$2 threads=$3 cfg=$4
  OMP_NUM_THREADS=$threads timeout -k 5 120 mpirun -np "$np" --bind-to none -x OMP_NUM_THREADS \
    "$exe" run --config "$cfg" --output "$tmp/$out.h5" "${@:5}" 2>"$tmp/$out.log" ||
    fail "mpirun -np $np run $out failed: $(tail -n 5 "$tmp/$out.log")"
}

cubes="$(dirname "${BASH_SOURCE[0]}")/cubes.py"  # state / same: see its docstring
same() { "$py" "$cubes" same "$@" || fail "cubes differ (see above)"; }
state() { "$py" "$cubes" state "$1"; }

# --- 1. P = 1..4 ranks x 1, 2 threads ----------------------------------------------------------
cat >"$tmp/small.ini" <<'INI'
[model]
d = 6
k = 2
n = 300
gamma_y = 0.2
[axes]
kappa = linspace(0.2, 2, 10)
nu = linspace(0.05, 0.95, 8)
[run]
trials = 30
seed = 7
INI
echo "1. small sweep (80 cells): serial vs mpirun -np 1..4 x threads 1, 2"
run_serial serial 1 "$tmp/small.ini"
specs=()
for np in 1 2 3 4; do
  for threads in 1 2; do
    run_mpi "np${np}_t$threads" "$np" "$threads" "$tmp/small.ini"
    specs+=("$tmp/np${np}_t$threads.h5:$np:$threads")
  done
done
same "$tmp/serial.h5" "$tmp/serial.h5:1:1" "${specs[@]}"

# --- 2. unequal cells: an n axis -------------------------------------------------------------
cat >"$tmp/naxis.ini" <<'INI'
[model]
d = 4
k = 2
gamma_y = 0.2
[axes]
n = 50, 200, 2000
kappa = linspace(0.3, 2, 6)
nu = 0.1, 0.5, 0.9
[run]
trials = 40
seed = 3
sampler = direct
INI
echo "2. n axis (50, 200, 2000; direct sampler): serial vs -np 3, cost-based and 1-cell chunks"
run_serial naxis_serial 1 "$tmp/naxis.ini"
run_mpi naxis_np3 3 1 "$tmp/naxis.ini"
run_mpi naxis_np3_chunk1 3 1 "$tmp/naxis.ini" --run.chunk_cells=1
same "$tmp/naxis_serial.h5" "$tmp/naxis_np3.h5:3:1" "$tmp/naxis_np3_chunk1.h5:3:1"

# --- 3. a worker rank dies -------------------------------------------------------------------
# ~5 s of work on 2 cores (Release): long enough to kill a rank mid-run.
cat >"$tmp/die.ini" <<INI
[model]
d = 8
k = 2
n = 400
gamma_y = 0.2
[axes]
kappa = linspace(0.2, 2, 20)
nu = linspace(0.05, 0.95, 20)
[run]
trials = $((1000 / slow))
seed = 11
INI
echo "3. kill -9 of worker rank 1 under mpirun -np 3"
run_serial die_ref 2 "$tmp/die.ini"

# rank_pid CONFIG RANK: pid of that MPI rank of the job running CONFIG (empty if none yet)
rank_pid() {
  local p
  for p in $(pgrep -f -- "--config $1" || true); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
      echo "$p"
      return
    fi
  done
}
OMP_NUM_THREADS=1 timeout -k 5 60 mpirun -np 3 --bind-to none -x OMP_NUM_THREADS \
  "$exe" run --config "$tmp/die.ini" --output "$tmp/die.h5" 2>"$tmp/die_mpi.log" &
job=$!
t0=$(now)
while [[ ! -e $tmp/die.h5 ]]; do  # rank 0 creates the cube once every rank is up
  (($(echo "$(since "$t0") < 30" | bc))) || fail "no cube 30 s after starting mpirun"
  kill -0 $job 2>/dev/null || fail "mpirun ended early: $(tail -n 5 "$tmp/die_mpi.log")"
  sleep 0.05
done
sleep 1.5
victim=$(rank_pid "$tmp/die.ini" 1)
[[ -n $victim ]] || fail "rank 1 not found"
kill -9 "$victim"
t_kill=$(now)
rc=0
wait $job || rc=$?
took=$(since "$t_kill")
echo "  mpirun exited $rc, $(printf %.1f "$took") s after the kill"
((rc != 0)) || fail "mpirun exited 0 after a rank was killed"
(($(echo "$took < 30" | bc))) || fail "mpirun took ${took} s to notice the dead rank (hang?)"
for _ in $(seq 50); do  # every rank is gone (no orphan keeps computing or holds the file)
  [[ -z $(pgrep -f -- "--config $tmp/die.ini" || true) ]] && break
  sleep 0.1
done
[[ -z $(pgrep -f -- "--config $tmp/die.ini" || true) ]] || fail "processes left after the job failed"
read -r status saved total < <(state "$tmp/die.h5") || fail "die.h5 unreadable after the failure"
echo "  die.h5 readable: status $status, $saved of $total cells done"
# The job died mid-run: its cube keeps the working layout (status running, issue 15), every
# cell marked done whole; --resume takes it over in place.
[[ $status == running ]] || fail "status $status after a failed job"
((saved > 0 && saved < total)) || fail "expected some but not all cells saved, got $saved of $total"
run_serial die 2 "$tmp/die.ini" --resume
grep -q "resuming .*: $saved of $total cells already done" "$tmp/die.log" ||
  fail "resume did not reuse the $saved saved cells: $(cat "$tmp/die.log")"
same "$tmp/die_ref.h5" "$tmp/die.h5::2"

echo "check_mpi: PASS ($((SECONDS - t_start)) s)"
