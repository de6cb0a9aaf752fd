#!/usr/bin/env bash
# InfoNCE as a method of the engine (issue 13), end to end through the CLI:
#  - a sweep with methods = ca, infonce is bitwise the same with 1 or 2 threads and under
#    mpirun -np 3, and `--resume` after a stop signal gives the uninterrupted cube;
#  - the cube has the infonce_* variables, a resolved config that reloads, rotate = auto
#    rotating (rotate = false gives other InfoNCE values, the same CA values);
#  - bad hyper-parameters, rotate values and sampler = wishart are refused with one line.
# Usage: check_infonce.sh <phasecube-exe> <source-dir>
set -uo pipefail
EXE=$(realpath "$1")
src=$(realpath "$2")
py=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
"$py" -c "import h5py, numpy" 2>/dev/null || skip "$py lacks h5py/numpy"
command -v mpirun >/dev/null || skip "mpirun not found"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d)
IO=$(mktemp -d)
trap 'rm -rf "$tmp" "$IO"' EXIT
cd "$tmp"
cmp_cubes() { "$py" "$src/tools/compare_cubes.py" --quiet "$@"; }
printf '%s\n' '[model]' 'd = 6' 'k = 2' 'n = 400' 'kappa = 2' 'infonce_batch = 64' \
  'infonce_max_steps = 60' 'infonce_patience = 10' '[axes]' 'nu = 0, 0.5, 0.9' \
  'infonce_tau = 0.1, 0.5' '[run]' 'trials = 3' 'seed = 4' 'methods = ca, infonce' \
  'chunk_cells = 1' >c.ini

OMP_NUM_THREADS=2 "$EXE" run --config c.ini --output two.h5 2>/dev/null || fail "2 threads"
OMP_NUM_THREADS=1 "$EXE" run --config c.ini --output one.h5 2>/dev/null || fail "1 thread"
OMP_NUM_THREADS=1 mpirun -np 3 "$EXE" run --config c.ini --output mpi.h5 2>/dev/null ||
  fail "mpirun -np 3"
cases=$((cases + 1))
cmp_cubes two.h5 one.h5 || fail "1 vs 2 threads differ"
cmp_cubes two.h5 mpi.h5 || fail "mpirun -np 3 differs"
"$EXE" run --config c.ini --output norot.h5 --run.rotate=false 2>/dev/null || fail "rotate=false"
cases=$((cases + 1))
"$py" - <<'PY' || fail "cube contents"
import h5py, numpy as np
f, g = h5py.File("two.h5", "r"), h5py.File("norot.h5", "r")
want = {"infonce_distance_mean", "infonce_distance_std", "infonce_recovery_rate",
        "infonce_recovered_dims_mean", "infonce_projector_distance_mean", "infonce_steps_mean",
        "infonce_final_loss_mean", "ca_projector_distance_mean"}
assert want <= set(f.keys()), sorted(want - set(f.keys()))
assert "cp_distance_mean" not in f and "theory_regime" not in f
assert f.attrs["methods"] == b"ca,infonce"
steps = f["infonce_steps_mean"][()]
assert steps.min() >= 21 and steps.max() <= 60, steps  # the stop rule: > 2 patience steps
assert np.all(f["infonce_projector_distance_mean"][()] <= 1)
assert np.array_equal(f["ca_distance_mean"][()], g["ca_distance_mean"][()])
assert not np.array_equal(f["infonce_distance_mean"][()], g["infonce_distance_mean"][()])
assert "rotate = false" in g.attrs["config"].decode() and "rotate" not in f.attrs["config"].decode()
PY

# --resume after SIGTERM mid-run (longer trainings: about 5 s on one thread); wherever the
# signal lands, the resumed cube is the uninterrupted one.
long=(--model.infonce_batch=256 --model.infonce_max_steps=400 --model.infonce_patience=1000)
OMP_NUM_THREADS=2 "$EXE" run --config c.ini --output whole.h5 "${long[@]}" 2>/dev/null ||
  fail "uninterrupted long run"
OMP_NUM_THREADS=1 "$EXE" run --config c.ini --output part.h5 "${long[@]}" 2>/dev/null &
pid=$!
sleep 1.5
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
cases=$((cases + 1))
[[ $rc -eq 0 || $rc -eq 3 ]] || fail "interrupted run: exit $rc"
echo "  interrupted run exited $rc ($( [[ $rc -eq 3 ]] && echo stopped || echo finished first))"
OMP_NUM_THREADS=1 "$EXE" run --config c.ini --output part.h5 "${long[@]}" --resume 2>/dev/null ||
  fail "--resume"
cmp_cubes whole.h5 part.h5 || fail "the resumed cube differs (interrupted run exited $rc)"

expect_error "run.sampler = wishart" "trains on the data matrix" -- run --config c.ini \
  --output x.h5 --run.sampler=wishart
expect_error "run.rotate = 'yes': must be auto, true or false" -- run --config c.ini \
  --output x.h5 --run.rotate=yes
expect_error "infonce_tau" "must be > 0" -- run --config c.ini --output x.h5 \
  --axes.infonce_tau=0,0.1
expect_error "infonce_batch" "must be <= 16384" -- run --config c.ini --output x.h5 \
  --model.infonce_batch=20000
expect_error "infonce_max_steps" -- run --config c.ini --output x.h5 --model.infonce_max_steps=0

[[ $failures -eq 0 ]] || { echo "check_infonce: $failures of $cases checks failed" >&2; exit 1; }
echo "check_infonce: $cases checks OK"
