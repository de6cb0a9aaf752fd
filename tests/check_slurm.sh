#!/usr/bin/env bash
# End to end through a REAL single-node SLURM cluster on localhost (Debian's slurm-wlm + munge):
# starts a private munged, slurmctld and slurmd (own config, ports, state, spool, pid and log
# files in a temp dir: a cluster already running on this machine is not disturbed) and stops
# them at the end, whatever happens. Then:
#   (a) slurm/submit.sh -> slurm/phasecube.sbatch, 2 MPI ranks via srun --mpi=pmix: the cube is
#       complete and bitwise equal to a serial run;
#   (b) slurm/array.sbatch, two sweeps as an array, 1 rank x 2 threads each: same check;
#   (c) a slower sweep is requeued mid-run (scontrol requeue): the job saves a partial cube,
#       comes back by itself, resumes, and ends complete and bitwise equal to a serial run;
#   (d) an InfoNCE sweep (the one that needs a cluster), unchanged scripts, 2 ranks: same check.
# Usage: check_slurm.sh <phasecube-exe> <source-dir>    (exit 77: skipped)
# PHASECUBE_SLURM_KEEP=1 keeps the temp dir (logs, cubes) for debugging; PHASECUBE_SLURM_TRIALS
# sets the trials of the slow sweep instead of calibrating them.
set -euo pipefail
exe=$(realpath "$1")
src=$(realpath "$2")
py=/usr/bin/python3

# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
[[ $(id -u) -eq 0 ]] || skip "starting munged, slurmctld and slurmd needs root"
for b in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd; do
  [[ -x $b ]] || skip "$b missing (install slurm-wlm and munge: tools/deps.sh)"
done
for b in munge sbatch squeue sinfo scontrol scancel srun; do
  command -v "$b" >/dev/null || skip "$b missing (install slurm-wlm: tools/deps.sh)"
done
"$py" -c "import h5py" 2>/dev/null || skip "$py lacks h5py"
# Capture first: with pipefail, grep -q closing the pipe early would fail the pipeline (SIGPIPE).
run_help=$("$exe" run --help)
if ! grep -q -- --resume <<<"$run_help"; then
  echo "FAIL: $exe run has no --resume" >&2
  exit 1
fi

# A job started from inside another SLURM job must not inherit that job's settings.
while read -r v; do unset "$v"; done < <(compgen -e | grep -E '^(SLURM|SBATCH|SRUN|SALLOC)_' || true)

tmp=$(mktemp -d /tmp/phasecube-slurm.XXXXXX)
chmod 711 "$tmp" # munged insists that every directory above its socket is searchable
mkdir -p "$tmp"/{etc,state,spool,log,run,work} "$tmp/munge"
chmod 755 "$tmp/run"
chmod 700 "$tmp/munge"
# Every process of this private cluster (daemons, slurmstepd, job tasks) carries this variable,
# so cleanup can find exactly them and nothing else.
token="PHASECUBE_SLURM_TEST=$tmp"
export SLURM_CONF=$tmp/etc/slurm.conf
work=$tmp/work
T0=$SECONDS

say() { echo "[check_slurm $((SECONDS - T0))s] $*"; }
dump_logs() {
  local f
  for f in "$tmp"/log/*.log "$tmp"/munge/munged.log "$work"/*.out; do
    [[ -f $f ]] || continue
    echo "----- $f (last 60 lines)"
    tail -n 60 "$f"
  done
  echo "----- squeue / sinfo"
  timeout 5 squeue 2>&1 || true
  timeout 5 sinfo 2>&1 || true
}
fail() {
  echo "FAIL: $*" >&2
  dump_logs >&2
  exit 1
}

# Stops a daemon by the pid file it wrote (after checking the pid still is that daemon).
stop_daemon() { # pidfile name
  local pid
  pid=$(cat "$1" 2>/dev/null) || return 0
  [[ -n $pid ]] && grep -qs "$2" "/proc/$pid/cmdline" || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid p
  set +e
  trap - EXIT
  if [[ -s $tmp/run/slurmctld.pid ]]; then
    # Cancel what is still queued or running so slurmd ends the job steps (bounded).
    mapfile -t left < <(timeout 10 squeue -h -o %i 2>/dev/null)
    if [[ ${#left[@]} -gt 0 ]]; then
      say "cleanup: cancelling jobs ${left[*]}"
      timeout 10 scancel "${left[@]}"
      for _ in $(seq 40); do
        [[ -z $(timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
        sleep 0.5
      done
    fi
  fi
  stop_daemon "$tmp/run/slurmd.pid" slurmd
  stop_daemon "$tmp/run/slurmctld.pid" slurmctld
  stop_daemon "$tmp/run/munged.pid" munged
  # Anything of ours still alive (a stuck slurmstepd or task): kill it by the token.
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $pid == "$$" ]] && continue
    if { tr '\0' '\n' <"$p/environ"; } 2>/dev/null | grep -qxF "$token"; then
      kill -9 "$pid" 2>/dev/null && echo "cleanup: killed leftover $pid $(tr '\0' ' ' <"$p/cmdline")"
    fi
  done
  if [[ ${PHASECUBE_SLURM_KEEP:-0} == 1 ]]; then
    echo "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Polls "$@" every 0.5 s until it succeeds; fails the test after $1 seconds.
wait_for() { # seconds description command...
  local limit=$1 what=$2 t=$SECONDS
  shift 2
  until "$@"; do
    ((SECONDS - t < limit)) || fail "timed out after ${limit}s waiting for $what"
    sleep 0.5
  done
}

# ---------------------------------------------------------------- munged, slurmctld, slurmd
host=$(hostname -s)
cpus=$(nproc)
((cpus >= 2)) || cpus=2 # the jobs below ask for 2 CPUs; config_overrides lets 1 core carry them
read -r ctld_port slurmd_port < <("$py" - <<'PY'
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))
PY
)

# Our own munged: own key, socket, pid, seed and log; slurm reaches it through AuthInfo.
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
env "$token" /usr/sbin/munged --socket="$tmp/run/munge.socket" --key-file="$tmp/munge/munge.key" \
  --pid-file="$tmp/run/munged.pid" --seed-file="$tmp/munge/munged.seed" \
  --log-file="$tmp/munge/munged.log" || fail "munged did not start"
munge -S "$tmp/run/munge.socket" -n | unmunge -S "$tmp/run/munge.socket" >/dev/null ||
  fail "munge credential round trip failed"

cat >"$SLURM_CONF" <<EOF
# Generated by tests/check_slurm.sh: a private single-node cluster for one test run.
ClusterName=pctest$$
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/run/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
PlugStackConfig=$tmp/etc/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
JobRequeue=1
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=8000 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
: >"$tmp/etc/plugstack.conf" # no SPANK plugins (not the system's)

say "starting slurmctld (port $ctld_port) and slurmd (port $slurmd_port) on $host, conf $SLURM_CONF"
env "$token" /usr/sbin/slurmctld -f "$SLURM_CONF" || fail "slurmctld did not start"
env "$token" /usr/sbin/slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
node_idle() { [[ $(timeout 5 sinfo -h -N -o %T 2>/dev/null) == idle ]]; }
wait_for 60 "node $host idle in sinfo" node_idle
say "cluster up: $(sinfo -h -o '%P %a %D %T %N')"
out=$(timeout 60 srun -n 2 hostname) || fail "srun -n 2 hostname failed"
[[ $(wc -l <<<"$out") -eq 2 ]] || fail "srun -n 2 hostname printed: $out"

# ---------------------------------------------------------------- sweeps and helpers
cd "$work"
# Open MPI refuses to start as root unless told it is on purpose (the batch script does the
# same for the jobs); containers often forbid its ptrace-based shared-memory copies (CMA).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
cat >small.ini <<'INI'
[model]
d = 6
k = 2
n = 200
[axes]
kappa = linspace(0.2, 2, 6)
nu = linspace(0, 0.9, 5)
[run]
trials = 20
INI
cat >infonce.ini <<'INI'
[model]
d = 6
k = 2
n = 400
kappa = 2
infonce_batch = 64
infonce_max_steps = 60
infonce_patience = 10
[axes]
infonce_tau = 0.1, 0.5
nu = 0, 0.5, 0.9
[run]
trials = 3
methods = ca, cp, infonce
INI
# The slow sweep must still run when its first checkpoint with finished cells appears
# (checkpoints are 5 s apart): size it for about 30 s of 2 cores with this machine and build (ASan
# is ~20x slower than Release), timing a tenth of its cells at 1 and at T trials per cell (the
# difference cancels the start-up cost). Other load during the calibration (ctest -j, an
# oversubscribed MPI test) can make the job much faster than planned: then (c) retries with 4x
# the trials.
slow_ini() { # kappa-points trials
  printf '[model]\nd = 6\nk = 2\nn = 200\n[axes]\nkappa = linspace(0.2, 2, %s)\n' "$1"
  printf 'nu = linspace(0, 0.9, 30)\n[run]\ntrials = %s\nseed = 11\n' "$2"
}
timed_run() { # trials -> milliseconds of a 120-cell run
  local t
  slow_ini 4 "$1" >calibrate.ini
  t=$(date +%s%N)
  OMP_NUM_THREADS=2 "$exe" run --config calibrate.ini --output calibrate.h5 --overwrite \
    2>/dev/null || return 1
  echo $((($(date +%s%N) - t) / 1000000))
}
w0=$(timed_run 1) || fail "calibration run failed"
ct=150
w1=$(timed_run $ct) || fail "calibration run failed"
if ((w1 - w0 < 1000)); then
  ct=1500
  w1=$(timed_run $ct) || fail "calibration run failed"
fi
dt=$((w1 - w0 > 50 ? w1 - w0 : 50))
rate=$((120 * (ct - 1) * 1000 / dt)) # trials per second on 2 threads
# On a loaded machine the 1-trial run can take longer than the long one (CI saw 1612 ms against
# 1336 ms), which makes dt meaningless. All of w1 spent on trials bounds the rate from below, so
# the sweep is capped at 60 s of that slowest plausible rate: it can end too early (then the retry
# below takes 4x the trials), never run for many minutes past the waits.
floor=$((120 * ct * 1000 / (w1 > 1 ? w1 : 1)))
trials=$((30 * rate / 1200))
((trials <= 60 * floor / 1200)) || trials=$((60 * floor / 1200))
((trials >= 40)) || trials=40
((trials <= 50000)) || trials=50000
trials=${PHASECUBE_SLURM_TRIALS:-$trials} # to exercise the retry below
say "slow sweep: 1200 cells x $trials trials (calibration: $rate trials/s, at least $floor; 120 cells took ${w0} ms at 1 trial, ${w1} ms at $ct)"

# Same data variables bit for bit (axes excluded), status complete, and the expected run layout.
cat >compare.py <<'PY'
import sys, h5py
def load(path):
    with h5py.File(path, "r") as f:
        axes = f.attrs["axes"]
        axes = axes.decode() if isinstance(axes, bytes) else str(axes)
        skip = set(axes.split(",")) if axes else set()
        attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
        return {k: f[k][()] for k in f if k not in skip}, attrs
ref, _ = load(sys.argv[1])
got, attrs = load(sys.argv[2])
ranks, threads = int(sys.argv[3]), int(sys.argv[4])
assert set(ref) == set(got) and len(ref) >= 29, (sorted(ref), sorted(got))
bad = [k for k in ref if ref[k].tobytes() != got[k].tobytes()]
assert not bad, f"{sys.argv[2]}: differs from the serial run in {bad}"
assert attrs["status"] == "complete", attrs["status"]
assert (got["done"] == 1).all()
assert int(attrs["mpi_ranks"]) == ranks, ("mpi_ranks", attrs["mpi_ranks"], ranks)
assert int(attrs["threads"]) == threads, ("threads", attrs["threads"], threads)
print(f"{sys.argv[2]}: {len(ref)} variables bitwise equal to the serial run, complete, "
      f"{ranks} rank(s) x {threads} thread(s)")
PY
# Prints "<status> <cells done> <cells>" of a cube, or "none" when it does not exist yet.
cat >state.py <<'PY'
import os, sys, h5py
if not os.path.exists(sys.argv[1]):
    print("none"); sys.exit()
with h5py.File(sys.argv[1], "r") as f:
    s = f.attrs["status"]
    print(s.decode() if isinstance(s, bytes) else s, int(f["done"][()].sum()), f["done"].size)
PY
compare() { "$py" compare.py "$@" || fail "cube check failed: $*"; }

job_gone() { [[ -z $(timeout 5 squeue -h -j "$1" -o %i 2>/dev/null) ]]; }
job_field() { # jobid field -> value from scontrol show job (jobs stay visible for MinJobAge)
  timeout 5 scontrol show job "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}
expect_completed() { # jobid
  local state code
  state=$(job_field "$1" JobState)
  code=$(job_field "$1" ExitCode)
  [[ $state == COMPLETED && $code == 0:0 ]] || fail "job $1 ended $state, exit code $code"
}

say "serial reference runs"
for r in "small.ini serial_small.h5" "small.ini serial_seed3.h5 --run.seed=3" \
  "small.ini serial_seed4.h5 --run.seed=4" "infonce.ini serial_infonce.h5"; do
  read -r -a a <<<"$r"
  OMP_NUM_THREADS=2 "$exe" run --config "${a[0]}" --output "${a[1]}" "${a[@]:2}" 2>/dev/null ||
    fail "serial run ${a[*]}"
done

# ---------------------------------------------------------------- (a) submit.sh, 2 MPI ranks
say "(a) slurm/submit.sh small.ini -> 2 ranks x 1 thread"
sub=$(env "$token" PHASECUBE="$exe" timeout 30 "$src/slurm/submit.sh" small.ini a.h5 -n 2 \
  --cpus-per-task=1) || fail "submit.sh failed: $sub"
echo "$sub"
job=$(sed -n 's/^submitted job \([0-9]*\):.*/\1/p' <<<"$sub")
[[ -n $job ]] || fail "no job id in submit.sh output"
wait_for 120 "job $job to finish" job_gone "$job"
expect_completed "$job"
grep -q "step exited with status 0" "phasecube-$job.out" || fail "no clean step exit in the log"
compare serial_small.h5 a.h5 2 1

# ---------------------------------------------------------------- (d) an InfoNCE sweep
say "(d) slurm/submit.sh infonce.ini -> 2 ranks x 1 thread"
sub=$(env "$token" PHASECUBE="$exe" timeout 30 "$src/slurm/submit.sh" infonce.ini d.h5 -n 2 \
  --cpus-per-task=1) || fail "submit.sh failed: $sub"
job=$(sed -n 's/^submitted job \([0-9]*\):.*/\1/p' <<<"$sub")
[[ -n $job ]] || fail "no job id in submit.sh output"
wait_for 180 "job $job to finish" job_gone "$job"
expect_completed "$job"
compare serial_infonce.h5 d.h5 2 1
"$py" -c "import h5py; assert 'infonce_projector_distance_mean' in h5py.File('d.h5', 'r')" ||
  fail "d.h5 has no InfoNCE variables"

# ---------------------------------------------------------------- (b) job array
say "(b) slurm/array.sbatch: 2 sweeps, 1 rank x 2 threads each"
printf '# config output options\nsmall.ini arr3.h5 --run.seed=3\n\nsmall.ini arr4.h5 --run.seed=4\n' \
  >sweeps.list
job=$(env "$token" PHASECUBE="$exe" PHASECUBE_ROOT="$src" timeout 30 sbatch --parsable \
  --array=1-2 -n 1 --cpus-per-task=2 "$src/slurm/array.sbatch" sweeps.list) ||
  fail "sbatch array failed"
job=${job%%;*}
wait_for 120 "array job $job to finish" job_gone "$job"
for t in 1 2; do expect_completed "${job}_$t"; done
compare serial_seed3.h5 arr3.h5 1 2
compare serial_seed4.h5 arr4.h5 1 2

# ---------------------------------------------------------------- (c) requeue mid-run
# One attempt: returns 0 when the job was requeued mid-run and resumed, 2 when the sweep was
# too fast to be caught partial (the job is then gone and c.h5 removed), fails otherwise.
requeue_attempt() {
  local job st
  slow_ini 40 "$trials" >slow.ini
  rm -f c.h5
  job=$(env "$token" PHASECUBE="$exe" timeout 30 sbatch --parsable -n 2 --cpus-per-task=1 \
    "$src/slurm/phasecube.sbatch" slow.ini c.h5) || fail "sbatch failed"
  job=${job%%;*}
  partial_or_complete() {
    local s
    read -r -a s < <("$py" state.py c.h5)
    # running: the working cube of the job in progress (issue 15), checkpointed in place
    [[ ${s[0]} == complete || ((${s[0]} == partial || ${s[0]} == running) && ${s[1]} -gt 0) ]]
  }
  wait_for 240 "a cube with some cells done" partial_or_complete
  read -r -a st < <("$py" state.py c.h5)
  if [[ ${st[0]} == partial || ${st[0]} == running ]]; then
    say "cube before requeue: ${st[*]}"
    timeout 30 scontrol requeue "$job" || fail "scontrol requeue $job failed"
    pending() { [[ $(job_field "$job" JobState) == PENDING ]]; }
    wait_for 60 "job $job back in the queue" pending
    read -r -a st < <("$py" state.py c.h5)
    say "cube after the interrupted run: ${st[*]}"
  fi
  if [[ ${st[0]} == complete ]]; then # finished before the requeue could stop it
    say "the sweep finished before it could be interrupted; again with 4x the trials"
    timeout 10 scancel "$job"
    wait_for 60 "job $job to go" job_gone "$job"
    return 2
  fi
  [[ ${st[0]} == partial && ${st[1]} -gt 0 && ${st[1]} -lt ${st[2]} ]] ||
    fail "after the requeue the cube should be partial, got: ${st[*]}"
  grep -q "step exited with status 3" "phasecube-$job.out" ||
    fail "the interrupted step did not exit with status 3 (saved and stopped)"
  # SLURM holds a requeued job back for ~120 s (Reason=BeginTime); let it start now.
  timeout 30 scontrol update JobId="$job" StartTime=now || fail "scontrol update StartTime failed"
  wait_for 240 "requeued job $job to finish" job_gone "$job"
  expect_completed "$job"
  [[ $(job_field "$job" Restarts) == 1 ]] || fail "job $job: Restarts=$(job_field "$job" Restarts)"
  grep -q "restart 1:" "phasecube-$job.out" || fail "no second run in the log"
  grep -q "resuming .*: ${st[1]} of ${st[2]} cells already done" "phasecube-$job.out" ||
    fail "the second run did not resume from the ${st[1]} saved cells"
}
for attempt in 1 2 3; do
  say "(c) slow sweep (1200 cells x $trials trials), 2 ranks, requeued mid-run"
  rc=0
  requeue_attempt || rc=$?
  ((rc == 2)) || break
  ((attempt < 3)) || fail "the slow sweep always finished before it could be requeued"
  trials=$((trials * 4))
done
OMP_NUM_THREADS=2 "$exe" run --config slow.ini --output serial_slow.h5 2>/dev/null ||
  fail "serial run slow.ini"
compare serial_slow.h5 c.h5 2 1

say "PASS: sbatch/srun --mpi=pmix, job array, requeue-resume and an InfoNCE sweep all give the serial cube"
