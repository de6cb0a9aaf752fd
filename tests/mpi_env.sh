# Sourced by the MPI test scripts (not a test itself): skips without mpirun or h5py, sets up
# Open MPI for root, oversubscription and containers (as tools/test.sh does), detects a slow
# AddressSanitizer build, and makes a private temporary directory.
# In: $exe (the phasecube executable), $1 = a name for the temp dir.
# Out: $py, $slow (1, or 5 for an ASan build: long sweeps use 5x fewer trials), $tmp.
py=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
command -v mpirun >/dev/null || skip "mpirun not found"
"$py" -c "import h5py" 2>/dev/null || skip "$py lacks h5py"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# An ASan build runs ~6x slower; Open MPI's at-exit leaks are not ours.
slow=1
if grep -qa __asan_init "$exe"; then
  slow=5
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
fi

tmp=$(mktemp -d "/tmp/pc-$1.XXXXXX")
# Open MPI's session directory and shared-memory segments go under $tmp, so a job killed
# with -9 leaves nothing behind in /tmp or /dev/shm.
export TMPDIR=$tmp OMPI_MCA_btl_vader_backing_directory=$tmp
