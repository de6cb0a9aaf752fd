#!/usr/bin/env bash
# Known answers (issue 12): the cubes of tests/reference/*.ini (two-modality with both
# samplers and joint lambda, binding, [diagnose]) must reproduce, dataset by dataset, the
# SHA-256 stored beside each config, in every build (Release and ASan/UBSan alike). A change
# to random streams or numerics fails here; when it is intended, bump kNumericsVersion in
# src/version.hpp.in and regenerate the lists (see tools/cube_hashes.py). One process with 2
# threads and `mpirun -np 2` with 1 thread must give the same hashes.
# Usage: check_reference_cubes.sh <phasecube-exe> <source-dir>
set -uo pipefail
exe=$1
src=$2
py=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
"$py" -c "import h5py, numpy" 2>/dev/null || skip "$py lacks h5py/numpy"
command -v mpirun >/dev/null || skip "mpirun not found"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for ini in "$src"/tests/reference/*.ini; do
  name=$(basename "$ini" .ini)
  ref=${ini%.ini}.sha256
  [[ -f $ref ]] || { fail "$name: no stored hashes $ref"; continue; }
  if ! OMP_NUM_THREADS=2 "$exe" run --config "$ini" --output "$tmp/$name.h5" 2>"$tmp/err"; then
    fail "$name: run failed: $(tail -1 "$tmp/err")"
    continue
  fi
  OMP_NUM_THREADS=1 mpirun -np 2 "$exe" run --config "$ini" --output "$tmp/$name.mpi.h5" \
    2>"$tmp/err" || fail "$name: mpirun -np 2 failed: $(tail -1 "$tmp/err")"
  for cube in "$tmp/$name.h5" "$tmp/$name.mpi.h5"; do
    [[ -f $cube ]] || continue
    if out=$("$py" "$src/tools/cube_hashes.py" "$cube" --check "$ref"); then
      echo "  $(basename "$cube"): $(wc -l <"$ref") datasets as stored"
    else
      fail "$(basename "$cube") differs from $ref (numerics changed? bump kNumericsVersion): $out"
    fi
  done
done
[[ $failures -eq 0 ]] || { echo "check_reference_cubes: $failures failure(s)"; exit 1; }
echo "check_reference_cubes: OK"
