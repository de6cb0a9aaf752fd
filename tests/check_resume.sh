#!/usr/bin/env bash
# Nothing lost (issue 3):
#   a. kill -9 of the whole job (serial, then mpirun -np 2) at four moments in a row (random
#      early, random after the first periodic checkpoint, while the cube is being finished or
#      converted (its temporary exists), random early again), each followed by --resume (in
#      place when the cube kept its working layout): after every kill the cube, when it
#      exists, is readable by h5py; a last --resume finishes a cube bitwise equal to an
#      uninterrupted run, and leaves no temporary (.OUT.XXXXXX.writing) or lock file behind;
#   b. SIGTERM, SIGINT, SIGUSR1 (serial), then SIGUSR1 to mpirun, SIGTERM to every rank (what
#      SLURM does) and SIGTERM to mpirun, in a row, each on a --resume of the previous: the job
#      ends within 10 s with status 3 (mpirun's own SIGTERM: non-zero, mpirun chooses), the
#      cube is "partial" and holds more cells than before and fewer than all; `phasecube
#      inspect` on the running sweep shows the cells done; a last --resume completes it equal
#      to the uninterrupted run;
#   c. --resume with a config that changes results: exit 2, one stderr line naming the key,
#      the cube byte-identical (also under mpirun); a different chunking is no mismatch; a
#      `phasecube theory` cube is not resumable (exit 2, untouched);
#   d. --resume with --overwrite: exit 2, cube untouched;
#   e. `phasecube inspect` on a partial cube prints "cells done N / TOTAL", also at the very
#      start of a sweep (0 cells done).
# Random moments come from bash's $RANDOM with a fixed seed (reproducible).
# Usage: check_resume.sh <phasecube-exe> <source-dir>      (exit 77: skipped)
# shellcheck disable=SC2086  # pid lists ($pids) are split into words on purpose
set -euo pipefail
RANDOM=42
exe=$1
# shellcheck source=tests/mpi_env.sh
source "$(dirname "${BASH_SOURCE[0]}")/mpi_env.sh" resume
cfg=$tmp/sweep.ini
cleanup() {
  local pids
  pids=$(pgrep -f -- "--config $cfg" || true)
  [[ -z $pids ]] || kill -9 $pids 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# ~10 s of work on 2 cores (400 cells x 2000 trials, Release), so kills and signals land
# mid-run; the reference run below scales the trials up on a faster (idle) machine.
write_cfg() {  # write_cfg TRIALS
  cat >"$cfg" <<INI
[model]
d = 8
k = 2
n = 400
gamma_y = 0.2
[axes]
kappa = linspace(0.2, 2, 20)
nu = linspace(0.05, 0.95, 20)
[run]
trials = $1
seed = 5
INI
}
trials=$((2000 / slow))
write_cfg "$trials"
total=400

t_start=$SECONDS
fail() { echo "check_resume: FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }  # seconds since a now() stamp
lt() { (($(echo "$1 < $2" | bc))); }  # lt A B: A < B for decimals

# pick LO HI: DELAY = a random decimal in [LO, HI]. Runs in this shell, never in $(...):
# bash reseeds $RANDOM in subshells, which would break reproducibility.
pick() {
  local r=$RANDOM
  DELAY=$(echo "scale=2; $1 + ($2 - $1) * $r / 32767" | bc)
}

cubes="$(dirname "${BASH_SOURCE[0]}")/cubes.py"  # state / same: see its docstring
state() { "$py" "$cubes" state "$1"; }  # prints "status done total"
same() {                                        # same OUT: equal to the reference, complete
  "$py" "$cubes" same "$tmp/ref.h5" "$1" || fail "$(basename "$1") differs (see above)"
  [[ -z $(leftovers "$1") ]] || fail "left behind by a completed run: $(leftovers "$1")"
}
# leftovers OUT: the snapshot temporaries and the lock file of OUT that exist (none: empty)
leftovers() {
  local d b
  d=$(dirname "$1") b=$(basename "$1")
  compgen -G "$d/.$b.*.writing" || true
  [[ ! -e $d/.$b.lock ]] || echo "$d/.$b.lock"
}
writing() { compgen -G "$(dirname "$1")/.$(basename "$1").*.writing" >/dev/null; }

serial_threads=2  # OpenMP threads of a serial job
# start MODE OUT [ARGS...]: the sweep in the background, in its own session; JOB = its pid
# (mpirun's for MODE mpi). MODE serial: one process, 2 threads; mpi: mpirun -np 2, 1 thread.
start() {
  local mode=$1 out=$tmp/$2.h5
  shift 2
  echo "--- $mode $*" >>"$out.log"
  if [[ $mode == serial ]]; then
    OMP_NUM_THREADS=$serial_threads setsid "$exe" run --config "$cfg" --output "$out" "$@" \
      2>>"$out.log" &
  else
    OMP_NUM_THREADS=1 setsid mpirun -np 2 --bind-to none -x OMP_NUM_THREADS \
      "$exe" run --config "$cfg" --output "$out" "$@" 2>>"$out.log" &
  fi
  JOB=$!
}
# Every process of the job: the launcher's group and each rank (mpirun puts ranks in their
# own process groups).
job_pids() { echo "-$JOB $JOB $(pgrep -f -- "--config $cfg" | tr '\n' ' ')"; }
all_gone() {  # all_gone SECONDS: no process of any job left
  local end=$((SECONDS + $1))
  while [[ -n $(pgrep -f -- "--config $cfg" || true) ]]; do
    ((SECONDS < end)) || fail "processes still alive: $(pgrep -af -- "--config $cfg")"
    sleep 0.05
  done
}
kill_job() {  # kill_job [PIDS...]: kill -9 of the whole job at once (PIDS: gathered earlier)
  local pids=${*:-$(job_pids)}
  kill -9 $pids 2>/dev/null || true
  wait "$JOB" 2>/dev/null || true
  all_gone 10
}
wait_exit() {  # wait_exit SECONDS: RC = the job's exit status; fails if it runs longer
  local t0
  t0=$(now)
  while kill -0 "$JOB" 2>/dev/null; do
    lt "$(since "$t0")" "$1" || { kill_job; fail "job still running after $1 s"; }
    sleep 0.05
  done
  RC=0
  wait "$JOB" || RC=$?
  all_gone 10
}
done_cells() {  # done_cells OUT: the cells the cube marks done (-1: no readable cube)
  local st d n
  if read -r st d n < <(state "$1" 2>/dev/null); then echo "$d"; else echo -1; fi
}
cube_status() {  # cube_status OUT: its status (none: no readable cube)
  local st d n
  if read -r st d n < <(state "$1" 2>/dev/null); then echo "$st"; else echo none; fi
}
# wait_until OUT WHAT CONDITION...: polls CONDITION while the job runs, for at most 30 s.
wait_until() {
  local out=$1 what=$2 t0
  shift 2
  t0=$(now)
  until "$@"; do
    kill -0 "$JOB" 2>/dev/null || fail "job ended before $what: $(tail -n 3 "$out.log")"
    lt "$(since "$t0")" 30 || fail "no $what of $out within 30 s"
    sleep 0.05
  done
}
more_done() { (($(done_cells "$1") > $2)); }
is_running() { [[ $(cube_status "$1") == running ]]; }
# The job holds its working cube (created, converted from a partial one, or reopened).
wait_running() { wait_until "$1" "working cube" is_running "$1"; }
# A checkpoint: the cube marks more than BEFORE cells done (every 5 s, written in place).
wait_checkpoint() { wait_until "$1" "checkpoint" more_done "$1" "$2"; }
finish() {  # finish MODE OUT [ARGS...]: --resume to completion; fails unless exit 0
  start "$1" "$2" --resume "${@:3}"
  wait_exit 120
  ((RC == 0)) || fail "--resume of $2 exited $RC: $(tail -n 5 "$tmp/$2.h5.log")"
}
resumed_cells() {  # cells the last --resume of OUT found done
  grep -o "resuming .*: [0-9]* of" "$tmp/$1.h5.log" | tail -n 1 | awk '{print $(NF-1)}'
}

echo "reference: uninterrupted serial run"
# The kills and signals below assume about 10 s or more of work: on a machine that does it
# much faster, more trials per cell (at most twice over), then the reference again.
for attempt in 1 2 3; do
  t0=$(now)
  OMP_NUM_THREADS=2 timeout -k 5 120 "$exe" run --config "$cfg" --output "$tmp/ref.h5" \
    --overwrite 2>"$tmp/ref.log" || fail "reference run failed: $(tail -n 3 "$tmp/ref.log")"
  took=$(since "$t0")
  echo "  $(printf %.1f "$took") s with $trials trials per cell"
  lt "$took" 10 && ((attempt < 3)) || break
  trials=$(echo "$trials * 14 / ($took + 0.5)" | bc)
  write_cfg "$trials"
done

# --- a. kill -9 at several moments in a row -----------------------------------------------------
kill_series() {  # kill_series MODE OUT
  local mode=$1 name=$2 out=$tmp/$2.h5 i how pids t0 end st d n before
  for i in 1 2 3 4; do
    before=$(done_cells "$out")
    start "$mode" "$name" --resume  # the first has no cube yet: --resume starts afresh
    disown "$JOB"                   # no "Killed" notices from bash
    t0=$(now)
    case $i in
      2)  # a random moment after the first periodic checkpoint (5 s in), so cells are saved
        wait_checkpoint "$out" "$before"
        pick 0.0 2.0
        sleep "$DELAY"
        how="at $(printf %.2f "$(since "$t0")") s ($(printf %.2f "$DELAY") s after a checkpoint)"
        pids=$(job_pids)
        ;;
      3)  # while a cube is being built (finished or converted): as soon as its temporary exists
        end=$((SECONDS + 15))
        while [[ $(job_pids | wc -w) -lt $([[ $mode == serial ]] && echo 3 || echo 5) ]]; do
          ((SECONDS < end)) || break
          sleep 0.005
        done
        pids=$(job_pids)
        while ! writing "$out" && ((SECONDS < end)); do :; done
        kill -9 $pids 2>/dev/null || true  # at once: the write takes milliseconds
        how="once its temporary appeared ($(printf %.2f "$(since "$t0")") s)"
        ;;
      *)
        pick 0.3 3.0
        how="at $(printf %.2f "$DELAY") s"
        sleep "$DELAY"
        pids=$(job_pids)
        ;;
    esac
    kill_job $pids
    if [[ -e $out ]]; then
      read -r st d n < <(state "$out") || fail "$out unreadable after kill $i ($how)"
      echo "  kill $i $how: readable, $st, $d of $n cells$(writing "$out" &&
        echo ", a temporary left behind (the next run removes it)")"
    else
      echo "  kill $i $how: no cube yet"
    fi
  done
  finish "$mode" "$name"
  d=$(resumed_cells "$name")
  echo "  last --resume found $d cells done and completed the sweep"
  ((d > 0)) || fail "no cell survived the kills (the late kill should have kept some)"
  same "$out"
}
echo "a. kill -9 of the whole job, 4 times in a row, then --resume (serial)"
kill_series serial kill_serial
echo "a. the same under mpirun -np 2"
kill_series mpi kill_mpi

# --- b. stop signals, c. config mismatch, d. --resume --overwrite, e. inspect --------------------
sig=$tmp/sig.h5
prev_done=0
# signal_step MODE SIGNAL TARGET EXPECTED_RC [ARGS...]: --resume of sig.h5, SIGNAL to TARGET
# (job: the process or mpirun; ranks: every MPI rank) once it computes; checks exit and cube.
signal_step() {
  local mode=$1 signal=$2 target=$3 want=$4 t_sig took st d n line
  start "$mode" sig --resume "${@:5}"
  wait_running "$sig"
  if ((prev_done > 0)); then  # inspect on the running sweep shows its progress
    line=$("$exe" inspect "$sig" | grep "cells done") || fail "inspect of the running sweep"
    [[ $line =~ ^\ +cells\ done\ +$prev_done\ /\ $total\  ]] || fail "inspect (running): '$line'"
  fi
  # Some cells arrive after the last snapshot. The six steps must leave cells undone for the
  # last one on an idle machine too (a full second per step, 2 threads, finished the grid).
  sleep 0.5
  t_sig=$(now)
  if [[ $target == ranks ]]; then
    local ranks
    mapfile -t ranks < <(pgrep -f -- "--config $cfg" | grep -vx "$JOB")
    # A match can end between pgrep and kill (a short-lived helper process of the launcher):
    # no error for it; the exit code and the cube below show whether the ranks stopped.
    kill -s "$signal" "${ranks[@]}" 2>/dev/null || true
  else
    kill -s "$signal" "$JOB"
  fi
  wait_exit 10
  took=$(since "$t_sig")
  if [[ $want == nonzero ]]; then
    ((RC != 0)) || fail "SIG$signal to $target: exit 0"
  else
    ((RC == want)) || fail "SIG$signal to $target: exit $RC, expected $want: $(tail -n 3 "$sig.log")"
  fi
  read -r st d n < <(state "$sig") || fail "sig.h5 unreadable after SIG$signal"
  echo "  $mode, SIG$signal to $target: exit $RC after $(printf %.2f "$took") s; $st, $d of $n cells"
  [[ $st == partial ]] || fail "status $st after SIG$signal"
  ((d > prev_done && d < n)) ||
    fail "SIG$signal: expected more than $prev_done and fewer than $n cells, got $d"
  prev_done=$d
}
# unchanged_after EXPECTED_RC MODE [ARGS...]: a run that must fail with EXPECTED_RC and leave
# sig.h5 byte-identical; ERR = its stderr.
unchanged_after() {
  local want=$1 mode=$2
  shift 2
  cp "$sig" "$tmp/before.h5"
  if [[ $mode == serial ]]; then
    RC=0
    timeout -k 5 60 "$exe" run --config "$cfg" --output "$sig" "$@" 2>"$tmp/err" || RC=$?
  else
    RC=0
    timeout -k 5 60 mpirun -np 2 "$exe" run --config "$cfg" --output "$sig" "$@" 2>"$tmp/err" ||
      RC=$?
  fi
  ERR=$(cat "$tmp/err")
  ((RC == want)) || fail "$mode $*: exit $RC, expected $want: $ERR"
  cmp -s "$sig" "$tmp/before.h5" || fail "$mode $*: the cube changed"
  [[ -z $(leftovers "$sig") ]] || fail "$mode $*: left $(leftovers "$sig")"
}
one_line_naming() {  # one_line_naming KEY: ERR is one line that names KEY
  [[ $(printf '%s\n' "$ERR" | wc -l) -eq 1 ]] || fail "expected one stderr line, got: $ERR"
  [[ $ERR == *"$1"* ]] || fail "the message does not name $1: $ERR"
}

echo "b. stop signals in a row, each on a --resume of the previous"
serial_threads=1  # (a resume is bitwise whatever the threads) fewer cells per step
signal_step serial TERM job 3
signal_step serial INT job 3
signal_step serial USR1 job 3

echo "c. --resume with a different config: exit 2, one line, cube byte-identical"
for change in --model.gamma_y=0.3 --run.seed=9 --run.trials=100 "--axes.nu=linspace(0.05, 0.95, 21)" \
  --model.n=500; do
  key=${change#--}
  key=${key%%=*}
  unchanged_after 2 serial --resume "$change"
  one_line_naming "$key"
  echo "  $change: $ERR"
done
unchanged_after 2 mpi --resume --run.sampler=direct
[[ $(grep -c "phasecube: error" <<<"$ERR") -eq 1 && $ERR == *run.sampler* ]] ||
  fail "mpirun: expected one error line naming run.sampler: $ERR"
echo "  mpirun -np 2 --run.sampler=direct: exit 2, cube byte-identical"
# A `phasecube theory` cube has every cell marked done but no trials: not resumable.
"$exe" theory --config "$cfg" --output "$tmp/theory.h5" 2>/dev/null || fail "phasecube theory"
cp "$tmp/theory.h5" "$tmp/before.h5"
RC=0
"$exe" run --config "$cfg" --output "$tmp/theory.h5" --resume 2>"$tmp/err" || RC=$?
ERR=$(cat "$tmp/err")
((RC == 2)) || fail "--resume of a theory cube: exit $RC: $ERR"
cmp -s "$tmp/theory.h5" "$tmp/before.h5" || fail "--resume of a theory cube changed it"
one_line_naming "theory-only"
echo "  a theory-only cube: $ERR"

echo "d. --resume --overwrite: exit 2, cube untouched"
unchanged_after 2 serial --resume --overwrite
one_line_naming "--overwrite"
echo "  $ERR"

echo "e. inspect on the partial cube"
line=$("$exe" inspect "$sig" | grep -E "status|cells done" | tr -s ' ' | paste -sd ';')
[[ $line == " status partial; cells done $prev_done / $total ("* ]] || fail "inspect: '$line'"
echo "  $line"

echo "b. (continued) under mpirun -np 2; a different chunking is no mismatch"
signal_step mpi USR1 job 3 --run.chunk_cells=3
signal_step mpi TERM ranks 3
signal_step mpi TERM job nonzero
finish serial sig
d=$(resumed_cells sig)
((d == prev_done)) || fail "the last --resume found $d cells done, the cube held $prev_done"
same "$sig"

echo "e. inspect at the very start of a sweep (0 cells done)"
start serial fresh
wait_running "$tmp/fresh.h5"
line=$("$exe" inspect "$tmp/fresh.h5" | grep -E "status|cells done" | tr -s ' ' | paste -sd ';')
kill -TERM "$JOB"
wait_exit 10
# The first checkpoint comes 5 s in: the working cube just created holds no cell yet.
[[ $line == " status running; cells done 0 / $total ("* ]] || fail "inspect at the start: '$line'"
echo "  $line"

echo "check_resume: PASS ($((SECONDS - t_start)) s)"
