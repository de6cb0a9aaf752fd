#!/usr/bin/env bash
# The JSON of `validate --json` and `diagnose --json` (one writer, src/json_out.hpp): paths
# with a tab, a newline, a control byte and a byte that is not UTF-8 still give valid JSON
# (the invalid byte read back as U+FFFD); numbers parse back to the cube's doubles exactly;
# a non-finite value is the string "inf" or "nan" in both commands (theory Delta at nu = 0,
# and a diagnose of one-column views, which have no nuisance component). diagnose's JSON
# names no input file: its odd paths only check that reading them works.
# Needs /usr/bin/python3 with numpy and h5py: exit 77 (skip) without, a failure when CI=true.
#   bash tests/check_json.sh <phasecube-exe> <source-dir>
set -uo pipefail

# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
EXE=$(realpath "$1")
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
$PY -c "import numpy, h5py" 2>/dev/null || skip "numpy/h5py missing"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

# kappa values of 17 significant digits; nu = 0 gives Delta = inf in closed form.
printf '%s\n' '[model]' 'd = 4' 'k = 1' 'n = 400' '[axes]' 'kappa = linspace(0.3, 2.9, 7)' \
  'nu = 0, 0.45, 0.9' '[run]' 'trials = 4' 'seed = 3' >j.ini
"$EXE" run --config j.ini --output plain.h5 >/dev/null 2>&1 || { echo "FAIL: run" >&2; exit 1; }
# Tamper: every cell flipped to Neither, so every cell of another regime is a disagreement
# with its Deltas listed.
$PY -c "
import h5py
with h5py.File('plain.h5', 'r+') as f:
    f['empirical_regime'][...] = 0
" || fail "tampering the cube"
odd=$'tab\there, new\nline, bell\a, not utf-8 \xff'
mkdir "$odd" && cp plain.h5 "$odd/cube.h5"
"$EXE" validate plain.h5 --json >validate.json || fail "validate --json exit $?"
"$EXE" validate "$odd/cube.h5" --json >odd.json || fail "validate --json (odd path) exit $?"

# diagnose: one-column views (every component is signal: Delta = inf) under an odd name.
$PY -c "
import numpy as np, sys
rng = np.random.default_rng(4)
z = rng.normal(size=80)
np.save(sys.argv[1] + '/x.npy', (z + 0.3 * rng.normal(size=80))[:, None])
np.save(sys.argv[1] + '/y.npy', (z + 0.3 * rng.normal(size=80))[:, None])
np.save(sys.argv[1] + '/lab.npy', (z > 0).astype(np.int64))
" "$odd" || fail "writing the diagnose inputs"
"$EXE" diagnose --x "$odd/x.npy" --y "$odd/y.npy" --labels "$odd/lab.npy" --json >diagnose.json ||
  fail "diagnose --json exit $?"

$PY - "$odd" <<'PYEOF' || fail "JSON checks"
import json, math, os, sys
import h5py, numpy as np
odd = sys.argv[1]
bad = []
def load(p):
    try:
        with open(p, "rb") as f:
            return json.loads(f.read().decode("utf-8"))  # strict: valid UTF-8 JSON only
    except ValueError as e:
        bad.append(f"{p} is not valid JSON: {e}")
        return None
v, d, o = load("validate.json"), load("diagnose.json"), load("odd.json")
want = os.fsencode(odd + "/cube.h5").decode("utf-8", "replace")
if o is not None and o["path"] != want:
    bad.append(f"validate path {o['path']!r} != {want!r}")
if v is not None:
    with h5py.File("plain.h5") as f:
        kappa, nu = f["kappa"][()], f["nu"][()]
        dca, dcp = f["theory_delta_ca"][()], f["theory_delta_cp"][()]
        flipped = int((f["theory_regime"][()] != 0).sum())
    if len(v["disagreements"]) != flipped:
        bad.append(f"{len(v['disagreements'])} disagreements, expected {flipped}")
    exact = inf = 0
    for r in v["disagreements"]:
        i = int(np.flatnonzero(kappa == r["at"]["kappa"])[0]) if r["at"]["kappa"] in kappa else -1
        j = int(np.flatnonzero(nu == r["at"]["nu"])[0]) if r["at"]["nu"] in nu else -1
        if i < 0 or j < 0:
            bad.append(f"coordinates {r['at']} are not the cube's kappa/nu values exactly")
            continue
        for key, cube in (("delta_ca", dca[i, j]), ("delta_cp", dcp[i, j])):
            got = r[key]
            if math.isinf(cube):
                inf += got == "inf"
                if got != "inf":
                    bad.append(f"validate {key} at {r['at']}: {got!r}, expected \"inf\"")
            elif isinstance(got, str) or got != cube:
                bad.append(f"validate {key} at {r['at']}: {got!r} != cube {cube!r}")
            else:
                exact += 1
    if not inf or not exact:
        bad.append(f"expected both exact and infinite Deltas: {exact} exact, {inf} inf")
if d is not None:
    for key in ("delta_ca", "delta_cp", "delta_cp_rev"):
        if d[key] != "inf":
            bad.append(f"diagnose {key} = {d[key]!r}, expected \"inf\"")
    if d["steps"]["cca"]["delta"] != "inf":
        bad.append(f"diagnose steps.cca.delta = {d['steps']['cca']['delta']!r}")
    # No nuisance component: its mean variance is 0/0.
    if d["gamma_tilde_x"] != "nan":
        bad.append(f"diagnose gamma_tilde_x = {d['gamma_tilde_x']!r}, expected \"nan\"")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

[[ $failures -eq 0 ]] && echo "check_json: all passed"
exit $((failures > 0))
