#!/usr/bin/env bash
# Malformed cubes (issue 11, items 5, 6, 13): good cubes made by the executable (two-modality
# and binding), each copy broken in one way by tests/bad_cubes.py (out-of-range codes, flags
# and counters, done cells without codes, missing / non-string / non-numeric attributes, wrong
# datatypes, truncated, transposed and huge declared shapes, zero-size, duplicate and 2-D
# axes, axes that are not the stored config's grid, a corrupt compressed chunk, a filter the
# executable's HDF5 lacks), then fed to inspect, validate and run --resume. Every one must
# exit 2 with exactly one stderr line "phasecube: error: ..." naming what is wrong, no crash,
# and leave the cube byte-identical and no file beside it.
# (Cubes that are consistent on their own but not their stored config's grid are refused by
# validate and --resume; inspect shows them.) Two of them also through --resume under
# mpirun -np 2, when mpirun exists.
#   bash tests/check_bad_cubes.sh <phasecube-exe> <source-dir>      (exit 77: skipped)
set -uo pipefail
EXE=$(realpath "$1")
SRC=$(realpath "$2")
PY=/usr/bin/python3
if ! "$PY" -c 'import h5py, numpy' 2>/dev/null; then
  [[ ${CI:-} == true ]] && { echo "FAIL: $PY lacks h5py/numpy (CI=true)"; exit 1; }
  echo "SKIP: $PY lacks h5py/numpy"
  exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
failures=0
fail() { echo "FAIL: $*" >&2 && failures=$((failures + 1)); }

cat >cube.ini <<'INI'
[model]
d = 4
k = 1
n = 60
[axes]
kappa = 0.5, 1, 2
nu = 0.1, 0.6
[run]
trials = 4
seed = 9
INI
cat >binding.ini <<'INI'
[model]
d = 4
k = 1
n = 100
kappa = 1.2
gamma = 8, 0.3
anchor = 1
[axes]
modalities = 2, 3
nu = 0.2, 0.8
[run]
trials = 3
seed = 3
INI
OMP_NUM_THREADS=1 "$EXE" run --config cube.ini --output good.h5 2>err || { cat err; exit 1; }
OMP_NUM_THREADS=1 "$EXE" run --config binding.ini --output bgood.h5 2>err || { cat err; exit 1; }
for c in good.h5 bgood.h5; do
  "$EXE" inspect "$c" >/dev/null 2>err || fail "inspect of the good $c: $(cat err)"
done
"$EXE" validate good.h5 >/dev/null 2>err || fail "validate of the good cube: $(cat err)"
mkdir bad
"$PY" "$SRC/tests/bad_cubes.py" good.h5 bgood.h5 bad >cases || { echo "FAIL: bad_cubes.py"; exit 1; }

# expect_refused CASE WORD COMMAND...: exit 2, one stderr line starting "phasecube: error: "
# and containing WORD, the cube unchanged and alone in its directory.
expect_refused() {
  local name=$1 word=$2 cube=bad/$1.h5
  shift 2
  local before listing rc
  before=$(sha256sum "$cube")
  listing=$(ls -a bad)
  OMP_NUM_THREADS=1 timeout -k 5 60 "$@" >out 2>err
  rc=$?
  # Under mpirun, only our lines count (mpirun adds its own banner about the exit status).
  [[ $1 == mpirun ]] && { grep '^phasecube' err >err.ours || true; } && mv err.ours err
  local lines
  lines=$(wc -l <err)
  if [[ $rc != 2 || $lines != 1 ]] || ! head -n 1 err | grep -q '^phasecube: error: ' ||
    ! sed "s|$cube||g" err | grep -qF -- "$word"; then  # the cube's name does not count
    fail "$name: ${*:1:2}: exit $rc, $lines stderr line(s), want 2 and one naming '$word': $(head -c 300 err)"
  fi
  [[ $(sha256sum "$cube") == "$before" ]] || fail "$name: ${*:1:2} changed the cube"
  [[ $(ls -a bad) == "$listing" ]] || fail "$name: ${*:1:2} left files: $(ls -a bad | tr '\n' ' ')"
}

n=0
while read -r name kind word; do
  n=$((n + 1))
  cube=bad/$name.h5
  ini=cube.ini
  [[ $kind == binding* ]] && ini=binding.ini
  # KIND: cube or binding, -grid: a good cube for inspect, -resume: only --resume refuses it
  [[ $kind == *-* ]] || expect_refused "$name" "$word" "$EXE" inspect "$cube"
  [[ $kind == binding* || $kind == *-resume ]] ||
    expect_refused "$name" "$word" "$EXE" validate "$cube"
  expect_refused "$name" "$word" "$EXE" run --config "$ini" --output "$cube" --resume
done <cases
# Under mpirun the master refuses the cube and releases its workers: the same one line, exit 2.
if command -v mpirun >/dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
  export TMPDIR=$TMP OMPI_MCA_btl_vader_backing_directory=$TMP
  for name_word in cube_smaller_than_grid:kappa code_too_big:empirical_regime; do
    name=${name_word%:*}
    expect_refused "$name" "${name_word#*:}" mpirun -np 2 --bind-to none -x OMP_NUM_THREADS "$EXE" run \
      --config cube.ini --output "bad/$name.h5" --resume
  done
fi
((n >= 30)) || fail "only $n malformed cubes"
echo "check_bad_cubes: $n malformed cubes through inspect, validate and run --resume, $failures failure(s)"
((failures == 0))
