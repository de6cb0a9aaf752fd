#!/usr/bin/env bash
# Scaling benchmark of the sweep driver on this machine (issue goal on 2 cores: -np 2 with
# 1 thread and -np 1 with 2 threads each reach >= 1.8x the throughput of -np 1, 1 thread),
# and the rate at which the master hands out chunks (what limits the rank count).
#
# Usage: tools/bench_scaling.sh [BUILD_DIR]      (default build/; run tools/build.sh first)
# Throughput = trials / the cube's wall_seconds (measured inside phasecube, from the start of
# the sweep to the last snapshot: MPI start-up is not counted, cube writing is).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=${1:-$ROOT/build}/phasecube
[[ -x $exe ]] || { echo "bench_scaling: no executable at $exe (run tools/build.sh)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1600 cells x 100 trials at d = 10 (Wishart): ~6 s on one core.
cat >"$tmp/scaling.ini" <<'INI'
[model]
d = 10
k = 2
n = 2000
gamma_y = 0.05
gamma_tilde_y = 5
[axes]
kappa = linspace(0, 3, 40)
nu = linspace(0, 1, 40)
[run]
trials = 100
INI

wall() { /usr/bin/python3 -c "import h5py,sys; print(h5py.File(sys.argv[1])['/'].attrs['wall_seconds'])" "$1"; }
run() {  # run NAME NP THREADS [extra args]: prints trials/s
  local name=$1 np=$2 threads=$3; shift 3
  OMP_NUM_THREADS=$threads mpirun -np "$np" --bind-to none "$exe" run --config "$tmp/scaling.ini" \
    --output "$tmp/$name.h5" "$@" 2>/dev/null
  /usr/bin/python3 -c "import sys; print(f'{1600 * 100 / float(sys.argv[1]):.0f}')" "$(wall "$tmp/$name.h5")"
}

base=$(run np1_t1 1 1)
np2=$(run np2_t1 2 1)
t2=$(run np1_t2 1 2)
ratio() { /usr/bin/python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
echo "sweep: 1600 cells x 100 trials, d = 10, Wishart sampler"
printf '  %-22s %10s trials/s\n' "-np 1, 1 thread" "$base"
printf '  %-22s %10s trials/s  (%sx)\n' "-np 2, 1 thread each" "$np2" "$(ratio "$np2" "$base")"
printf '  %-22s %10s trials/s  (%sx)\n' "-np 1, 2 threads" "$t2" "$(ratio "$t2" "$base")"

# Master capacity: trivial cells (1 trial, d = 2, n = 4) in chunks of one cell, so every
# cell is a chunk handed out and returned; the worker does almost no work per chunk.
cat >"$tmp/chunks.ini" <<'INI'
[model]
d = 2
k = 1
n = 4
[axes]
kappa = linspace(0, 3, 200)
nu = linspace(0, 1, 100)
[run]
trials = 1
chunk_cells = 1
INI
OMP_NUM_THREADS=1 mpirun -np 2 --bind-to none "$exe" run --config "$tmp/chunks.ini" \
  --output "$tmp/chunks.h5" 2>/dev/null
rate=$(/usr/bin/python3 -c "import sys; print(f'{20000 / float(sys.argv[1]):.0f}')" "$(wall "$tmp/chunks.h5")")
echo "master: 20000 one-cell chunks of trivial cells, -np 2: $rate chunks/s (cells computed by both ranks)"
