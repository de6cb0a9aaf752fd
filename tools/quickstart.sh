#!/usr/bin/env bash
# One command from a fresh clone to a phase-diagram plot: installs dependencies, builds,
# runs the small sweep in sweeps/quickstart.ini and plots it (results/quickstart.{h5,png}).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

tools/deps.sh
tools/build.sh build
exe=build/phasecube

# OpenMP parallelism is over trials within a cell: use every core unless told otherwise.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
# Open MPI refuses to run as root (containers) without these.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mkdir -p results
"$exe" run --config sweeps/quickstart.ini --output results/quickstart.h5 --overwrite
tools/plot_phase.py results/quickstart.h5 --output results/quickstart.png

echo
echo "cube: $ROOT/results/quickstart.h5"
echo "plot: $ROOT/results/quickstart.png"
echo "hint: build/phasecube inspect results/quickstart.h5   (summary of the cube)"
