#!/usr/bin/env bash
# 64-bit safe MPI messages (issue 11, item 20) between two real ranks: the Messages test of
# test_mpi (messages split into pieces of at most 3 elements and joined again, in order, for
# both element types and every send kind) under mpirun -np 2. ctest runs it on one rank.
#   bash tests/check_mpi_pieces.sh <phasecube-exe> <source-dir>      (exit 77: skipped)
set -euo pipefail
exe=$1
test_mpi=$(dirname "$exe")/tests/test_mpi
if ! command -v mpirun >/dev/null || [[ ! -x $test_mpi ]]; then
  [[ ${CI:-} == true ]] && { echo "FAIL: mpirun or $test_mpi missing (CI=true)"; exit 1; }
  echo "SKIP: mpirun or $test_mpi missing"
  exit 77
fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d /tmp/pc-pieces.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp OMPI_MCA_btl_vader_backing_directory=$tmp
timeout -k 5 120 mpirun -np 2 --bind-to none "$test_mpi" --gtest_filter='Messages.*' \
  --gtest_color=no >"$tmp/out" 2>&1 || { cat "$tmp/out"; echo "check_mpi_pieces: FAIL"; exit 1; }
[[ $(grep -c '^\[  PASSED  \] 1 test' "$tmp/out") == 2 ]] || { cat "$tmp/out"; exit 1; }
echo "check_mpi_pieces: pieces of 3 elements sent and joined between 2 ranks"
