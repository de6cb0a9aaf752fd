#!/usr/bin/env bash
# `phasecube validate` on small cubes with known answers: the confusion table equals an
# independent count; cells tampered to disagree are attributed to the right cause (a clear
# cell -> unexplained and listed, a cell near a boundary -> near boundary); JSON and text
# agree; a theory-only cube is refused (exit 2); an n axis gives the distance-vs-n table.
# Usage: check_validate.sh <phasecube-exe> <source-dir>
set -euo pipefail
exe=$1
py=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
"$py" -c "import h5py, numpy" 2>/dev/null || skip "$py lacks h5py/numpy"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

cat >"$tmp/v.ini" <<'INI'
[model]
d = 6
k = 2
n = 20000
gamma_y = 0.05
gamma_tilde_y = 5
[axes]
kappa = linspace(0.2, 3, 15)
nu = linspace(0, 0.95, 11)
[run]
trials = 20
seed = 5
INI
"$exe" run --config "$tmp/v.ini" --output "$tmp/v.h5" 2>/dev/null
"$exe" validate "$tmp/v.h5" --json >"$tmp/v.json"
"$exe" validate "$tmp/v.h5" >"$tmp/v.txt"

# Tamper: one clear cell (both Delta far above 1) flipped to Neither, one cell with
# Delta_CA within 5% of 1 flipped in its CA bit.
"$py" - "$tmp" <<'PY'
import sys, shutil, h5py, numpy as np
tmp = sys.argv[1]
shutil.copy(f"{tmp}/v.h5", f"{tmp}/t.h5")
with h5py.File(f"{tmp}/t.h5", "r+") as f:
    dca, dcp = f["theory_delta_ca"][()], f["theory_delta_cp"][()]
    emp = f["empirical_regime"][()]
    clear = np.argwhere((dca > 3) & (dcp > 3) & (emp == 3))
    near = np.argwhere((np.abs(dca - 1) < 0.05) & (emp == f["theory_regime"][()]))
    assert len(clear) and len(near), (len(clear), len(near))
    c, n = tuple(clear[-1]), tuple(near[0])
    emp[c] = 0
    emp[n] = emp[n] ^ 1
    f["empirical_regime"][...] = emp
    kappa, nu = f["kappa"][()], f["nu"][()]
    open(f"{tmp}/tampered.txt", "w").write(f"{kappa[c[0]]!r} {nu[c[1]]!r}\n")
PY
"$exe" validate "$tmp/t.h5" --json >"$tmp/t.json"
"$exe" validate "$tmp/t.h5" >"$tmp/t.txt"

"$py" - "$tmp" <<'PY'
import sys, json, h5py, numpy as np
tmp = sys.argv[1]
v, t = json.load(open(f"{tmp}/v.json")), json.load(open(f"{tmp}/t.json"))
with h5py.File(f"{tmp}/v.h5") as f:
    th, em = f["theory_regime"][()].ravel(), f["empirical_regime"][()].ravel()
confusion = [[int(((th == i) & (em == j)).sum()) for j in range(4)] for i in range(4)]
assert v["confusion"] == confusion, (v["confusion"], confusion)
assert v["agree"] == int((th == em).sum()) and v["done"] == th.size == 165
causes = v["causes"]
assert sum(causes.values()) == v["done"] - v["agree"], causes
assert len(v["disagreements"]) == v["done"] - v["agree"]
assert v["clear_agree"] <= v["clear_cells"] <= v["done"]
# The tampering adds exactly one unexplained and one near-boundary disagreement.
assert t["causes"]["unexplained"] == causes["unexplained"] + 1, (t["causes"], causes)
assert t["causes"]["near_boundary"] == causes["near_boundary"] + 1, (t["causes"], causes)
assert t["clear_agree"] == v["clear_agree"] - 1 and t["clear_cells"] == v["clear_cells"]
kappa, nu = (float(x) for x in open(f"{tmp}/tampered.txt").read().split())
listed = [d for d in t["disagreements"] if d["cause"] == "unexplained"]
assert any(abs(d["at"]["kappa"] - kappa) < 1e-3 and abs(d["at"]["nu"] - nu) < 1e-3 for d in listed), listed
text = open(f"{tmp}/t.txt").read()
assert "unexplained disagreements (look at these)" in text and f"kappa = {kappa:.4g}" in text, text
# Boundaries: crossings found along both axes for both methods, near the closed forms.
b = {(x["method"], x["axis"]): x for x in v["boundaries"]}
assert set(b) == {("ca", "kappa"), ("ca", "nu"), ("cp", "kappa"), ("cp", "nu")}, set(b)
assert b[("ca", "nu")]["found"] >= 5 and b[("ca", "nu")]["mean_abs_distance"] < 0.1, b[("ca", "nu")]
print("validate: confusion, causes, unexplained listing and boundaries check out")
PY

# A theory-only cube has nothing to validate: one line, exit 2.
"$exe" theory --config "$tmp/v.ini" --output "$tmp/theory.h5" 2>/dev/null
set +e
err=$("$exe" validate "$tmp/theory.h5" 2>&1 >/dev/null); rc=$?
set -e
[[ $rc == 2 && $err == *"no Monte Carlo results"* && $(wc -l <<<"$err") == 1 ]] \
  || { echo "theory-only cube: rc=$rc err=$err"; exit 1; }

# An n axis: the boundary distance is tabulated against n.
cat >"$tmp/n.ini" <<'INI'
[model]
d = 6
k = 2
kappa = 1
gamma_y = 0.05
gamma_tilde_y = 5
[axes]
n = 200, 2000, 20000
nu = linspace(0, 0.95, 11)
[run]
trials = 20
INI
"$exe" run --config "$tmp/n.ini" --output "$tmp/n.h5" 2>/dev/null
"$exe" validate "$tmp/n.h5" --json | "$py" -c '
import json, sys
d = json.load(sys.stdin)
ns = sorted({b["n"] for b in d["by_n"] if b["method"] == "ca"})
assert ns == [200, 2000, 20000], d["by_n"]
ca = {b["n"]: b["mean_abs_distance"] for b in d["by_n"] if b["method"] == "ca"}
assert ca[20000] < ca[200], ca   # the empirical CA boundary approaches the closed form
print("validate: distance against n", ca)'
