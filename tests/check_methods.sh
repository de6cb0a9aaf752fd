#!/usr/bin/env bash
# [run] methods = ...: a run computes and stores only the selected methods (method plug-ins,
# src/sweep/methods), for both models.
#  - the cube holds exactly the selected methods' variables, closed forms included, and the
#    counters (the regime only with both ca and cp, the winner only with all four binding
#    methods) and a root attribute `methods`;
#  - every variable it holds is bitwise the full run's, serial and under mpirun -np 2;
#  - without the key the resolved config has no `methods` line (today's cubes unchanged);
#  - pls is selectable but not a default method: its variables only when selected;
#  - bad lists (also another model's names), a --resume with other methods, validate without
#    ca and cp are refused with one line (exit 2, nothing touched); inspect says there is no
#    regime (no winner).
# Usage: check_methods.sh <phasecube-exe> <source-dir>
set -uo pipefail
EXE=$(realpath "$1")
src=$2
py=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
"$py" -c "import h5py, numpy" 2>/dev/null || skip "$py lacks h5py/numpy"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=$(mktemp -d)
IO=$(mktemp -d)
trap 'rm -rf "$tmp" "$IO"' EXIT
cd "$tmp"
printf '%s\n' '[model]' 'd = 6' 'k = 2' 'n = 200' 'lambda = 0.5' '[axes]' 'nu = 0.1, 0.5, 0.9' \
  '[run]' 'trials = 6' >c.ini

"$EXE" run --config c.ini --output full.h5 2>/dev/null || fail "full run"
"$EXE" run --config c.ini --output sub.h5 --run.methods=cp,joint 2>/dev/null || fail "cp,joint"
"$EXE" run --config c.ini --output ca.h5 '--run.methods= ca , cp ' 2>/dev/null || fail "ca, cp"
command -v mpirun >/dev/null || skip "mpirun not found"
mpirun -np 2 "$EXE" run --config c.ini --output sub_mpi.h5 --run.methods=cp,joint 2>/dev/null ||
  fail "mpirun -np 2"
"$py" "$src/tools/compare_cubes.py" --quiet sub.h5 sub_mpi.h5 || fail "mpirun -np 2 differs"
cases=$((cases + 1))
"$py" - <<'PY' || fail "cube contents"
import h5py, numpy as np
full, sub, both = (h5py.File(p, "r") for p in ("full.h5", "sub.h5", "ca.h5"))
axes = {"nu"}
names = set(sub.keys()) - axes
want = {"theory_delta_cp", "theory_r_cp"} | {k for k in full.keys()
        if k.startswith(("cp_", "joint_")) and not k.startswith("cp_rev_")} | {"trials_done", "done"}
assert names == want, sorted(names ^ want)
assert sub.attrs["methods"] == b"cp,joint", sub.attrs["methods"]
assert full.attrs["methods"] == b"ca,cp,cp_rev,probe,joint"
assert "empirical_regime" in both and "cp_rev_distance_mean" not in both
assert "ca_probe_risk_mean" not in both and "ca_encoder_norm_mean" in both
assert {"theory_regime", "theory_delta_ca", "theory_r_ca"} <= set(both.keys())
assert "theory_delta_cp_rev" not in both and "theory_regime" not in sub
for f in (sub, both):
    for k in set(f.keys()) - axes:
        assert np.array_equal(f[k][()], full[k][()], equal_nan=True), k
for f, has in ((full, False), (sub, True)):
    text = f.attrs["config"].decode()
    assert ("methods =" in text) == has, text
assert "methods = cp,joint" in sub.attrs["config"].decode()
PY
cases=$((cases + 1))
"$EXE" inspect sub.h5 | grep -q "no simulated regime: methods = cp,joint" || fail "inspect sub.h5"
cases=$((cases + 1))

# pls (issue 13) is an estimator outside the default set: its variables only when selected,
# none in the default cube; listing the default five explicitly is still the default
# (no methods line), listing all six is not.
"$EXE" run --config c.ini --output pls.h5 --run.methods=ca,pls 2>/dev/null || fail "ca,pls"
"$EXE" run --config c.ini --output six.h5 --run.methods=ca,cp,cp_rev,probe,joint,pls \
  2>/dev/null || fail "six methods"
"$EXE" run --config c.ini --output five.h5 --run.methods=joint,probe,cp_rev,cp,ca \
  2>/dev/null || fail "five methods"
"$EXE" run --config c.ini --output pls.h5 --resume --run.methods=ca,pls 2>/dev/null ||
  fail "--resume ca,pls"
cases=$((cases + 1))
"$py" - <<'PY' || fail "pls cube contents"
import h5py, numpy as np
full, pls, six, five = (h5py.File(p, "r") for p in ("full.h5", "pls.h5", "six.h5", "five.h5"))
axes = {"nu"}
pls_vars = {"theory_delta_pls", "theory_r_pls", "pls_distance_mean", "pls_distance_std",
            "pls_recovery_rate", "pls_recovered_dims_mean", "pls_gap_mean",
            "pls_projector_distance_mean", "pls_projector_distance_std"}
assert not any("pls" in k for k in full.keys()), sorted(full.keys())
assert not any("pls" in k for k in five.keys())
want = {"theory_delta_ca", "theory_r_ca"} | {k for k in full.keys() if k.startswith("ca_")
        and not k.startswith("ca_probe_")} | pls_vars | {"trials_done", "done"}
assert set(pls.keys()) - axes == want, sorted((set(pls.keys()) - axes) ^ want)
assert set(six.keys()) == set(full.keys()) | pls_vars
assert pls.attrs["methods"] == b"ca,pls", pls.attrs["methods"]
assert six.attrs["methods"] == b"ca,cp,cp_rev,probe,joint,pls"
assert five.attrs["methods"] == full.attrs["methods"]
for k in set(full.keys()):
    assert np.array_equal(six[k][()], full[k][()], equal_nan=True), k
    assert np.array_equal(five[k][()], full[k][()], equal_nan=True), k
for k in set(pls.keys()):
    assert np.array_equal(pls[k][()], six[k][()], equal_nan=True), k
assert np.all(pls["trials_done"][()] == 6)
d = pls["pls_distance_mean"][()]
assert np.all(np.isfinite(d)) and np.all((d >= 0) & (d <= 1)), d
assert "methods = ca,pls" in pls.attrs["config"].decode()
assert "methods = ca,cp,cp_rev,probe,joint,pls" in six.attrs["config"].decode()
assert "methods =" not in five.attrs["config"].decode()
PY
# validate walks the closed-form boundaries of every method that has one (pls too).
cases=$((cases + 1))
"$EXE" run --config "$src/sweeps/quickstart.ini" --output q.h5 --run.methods=ca,cp,pls \
  --run.trials=4 2>/dev/null || fail "quickstart with pls"
"$EXE" validate q.h5 >"$IO/validate" 2>&1
grep -qE "^  pls along nu +[0-9]+ crossings" "$IO/validate" ||
  fail "validate q.h5 has no pls boundary: $(tail -3 "$IO/validate")"
# inspect summarises every method in the cube, with its closed-form agreement where it has one.
cases=$((cases + 1))
"$EXE" inspect pls.h5 >"$IO/inspect" 2>&1
grep -qE "^  pls +[0-9.]+ +[0-9.]+ +[0-9.]+% of 3$" "$IO/inspect" &&
  grep -qE "^  ca +[0-9.]+ +[0-9.]+ +[0-9.]+% of 3$" "$IO/inspect" &&
  ! grep -qE "^  cp " "$IO/inspect" || fail "inspect pls.h5: $(tail -4 "$IO/inspect")"
"$EXE" theory --config c.ini --output plst.h5 --run.methods=pls 2>/dev/null || fail "theory pls"
cases=$((cases + 1))
"$py" - <<'PY' || fail "pls theory cube"
import h5py, numpy as np
t = h5py.File("plst.h5", "r")
# d = 6, k = 2, kappa = 1, gamma_tilde = 1: Delta_PLS = 1 / nu, r_PLS = 2 when nu < 1.
assert np.allclose(t["theory_delta_pls"][()], 1 / np.array([0.1, 0.5, 0.9]), rtol=1e-14, atol=0)
assert np.all(t["theory_r_pls"][()] == 2)
assert np.all(np.isnan(t["pls_distance_mean"][()])) and "theory_delta_ca" not in t
PY

expect_error "run.methods = ca,foo: unknown method 'foo' (methods: ca, cp, cp_rev, probe, joint, pls, infonce)" \
  -- run --config c.ini --output x.h5 --run.methods=ca,foo
expect_error "'ca' is listed twice" -- run --config c.ini --output x.h5 --run.methods=ca,ca
expect_error "an empty name" -- run --config c.ini --output x.h5 --run.methods=ca,,cp
# --resume with other methods: refused after the output's lock is taken (the hidden lock file
# comes and goes), the cube itself untouched.
sum=$(md5sum sub.h5)
"$EXE" run --config c.ini --output sub.h5 --resume --run.methods=cp 2>"$IO/err"
rc=$?
cases=$((cases + 1))
[[ $rc -eq 2 ]] && grep -qF "run.methods = cp here, cp,joint" "$IO/err" ||
  fail "--resume with other methods: exit $rc: $(cat "$IO/err")"
[[ $(md5sum sub.h5) == "$sum" ]] || fail "--resume with other methods changed sub.h5"
expect_error "needs both" -- validate sub.h5
printf '%s\n' '[model]' 'modalities = 3' 'd = 4' 'k = 1' 'n = 50' '[axes]' 'nu = 0.2, 0.6' \
  '[run]' 'trials = 3' >b.ini
expect_error "run.methods = ca: unknown method 'ca' (methods: anchor, centroid, best_pair, all_pairs)" \
  -- run --config b.ini --output x.h5 --run.methods=ca
expect_error "unknown method 'winner'" -- run --config b.ini --output x.h5 --run.methods=winner
"$EXE" run --config b.ini --output bfull.h5 2>/dev/null || fail "binding full run"
"$EXE" run --config b.ini --output bsub.h5 --run.methods=centroid,anchor 2>/dev/null ||
  fail "binding centroid,anchor"
cases=$((cases + 1))
"$py" - <<'PY' || fail "binding cube contents"
import h5py, numpy as np
full, sub = h5py.File("bfull.h5", "r"), h5py.File("bsub.h5", "r")
assert sub.attrs["methods"] == b"anchor,centroid", sub.attrs["methods"]
assert full.attrs["methods"] == b"anchor,centroid,best_pair,all_pairs"
names = set(sub.keys()) - {"nu", "modality"}
want = {k for k in full.keys() if k.startswith(("anchor_", "centroid_"))} | {
    "theory_delta_anchor", "theory_delta_centroid", "trials_done", "done"}
assert names == want, sorted(names ^ want)
for k in names:
    assert np.array_equal(sub[k][()], full[k][()], equal_nan=True), k
assert "methods = anchor,centroid" in sub.attrs["config"].decode()
PY
"$EXE" inspect bsub.h5 | grep -q "no simulated winner: methods = anchor,centroid" ||
  fail "inspect bsub.h5"
cases=$((cases + 1))

[[ $failures -eq 0 ]] || { echo "check_methods: $failures of $cases checks failed" >&2; exit 1; }
echo "check_methods: $cases checks OK"
