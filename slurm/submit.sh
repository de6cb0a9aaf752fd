#!/usr/bin/env bash
# Submits one phasecube sweep to SLURM (slurm/phasecube.sbatch) and says how to watch it.
#
#   slurm/submit.sh CONFIG OUTPUT [sbatch options...]
#
#   slurm/submit.sh sweeps/quickstart.ini results/quickstart.h5 -n 2 --time=10
#   slurm/submit.sh sweeps/big.ini /scratch/big.h5 -N 4 --ntasks-per-node=2 --cpus-per-task=8
#
# CONFIG and OUTPUT are made absolute (the job may start in another directory, and a requeued
# job must find the same files); PHASECUBE_ROOT is set to this repository, so the job runs
# build/phasecube from here unless PHASECUBE names another executable.
# The job log is phasecube-<jobid>.out in the current directory (sbatch's --output/-o wins).
#
# Several independent sweeps: see slurm/array.sbatch (one array task per line of a list file).
set -euo pipefail

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
if [[ ${1:-} == -h || ${1:-} == --help ]]; then usage; exit 0; fi
if [[ $# -lt 2 ]]; then usage >&2; exit 2; fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
config=$(realpath -e -- "$1") || { echo "submit.sh: no config file $1" >&2; exit 2; }
output=$(realpath -m -- "$2")
shift 2
[[ -d $(dirname "$output") ]] || { echo "submit.sh: directory of $output does not exist" >&2; exit 2; }

export PHASECUBE_ROOT=$ROOT
exe=${PHASECUBE:-$ROOT/build/phasecube}
[[ -x $exe ]] || echo "submit.sh: warning: $exe is not built yet (tools/build.sh)" >&2

jobid=$(sbatch --parsable "$@" "$ROOT/slurm/phasecube.sbatch" "$config" "$output")
jobid=${jobid%%;*} # --parsable prints "id" or "id;cluster"

echo "submitted job $jobid: $config -> $output"
echo "watch it:"
echo "  squeue -j $jobid          # PD pending, R running; gone when finished"
echo "  tail -f phasecube-$jobid.out   # progress lines: cells done, trials/s, ETA"
echo "  $exe inspect $output   # the cube so far (readable while it runs)"
echo "  scontrol show job $jobid | grep -E 'JobState|ExitCode|Restarts'"
