#!/usr/bin/env bash
# The Python module (python/, built into BUILD/python/phasecube) gives the CLI's results
# bitwise: diagnose's JSON text and dict equal `phasecube diagnose --json` on the digits and
# on a synthetic set (arrays of any order, float32/float64/int, NaN labels, -1 classes), for
# several option sets (the label transformations too); theory() equals the `phasecube
# theory` cube of a small grid, broadcast; open_cube() gives the file's dimensions, coordinates, values and attributes; bad
# input raises ValueError with the CLI's message (without the "phasecube: error: " prefix);
# the install rule gives an importable package. Exit 77 (skip) when the module was not built (no
# pybind11-dev) or sklearn/xarray are missing; under CI=true those fail.
#   bash tests/check_python.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
SRC=$(realpath "$2")
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
BUILD=$(dirname "$EXE")
MODULE=$BUILD/python
compgen -G "$MODULE/phasecube/_core*.so" >/dev/null ||
  skip "the Python module was not built ($MODULE/phasecube; install pybind11-dev)"
"$PY" -c 'import numpy, h5py, xarray, h5netcdf' 2>/dev/null || skip "$PY lacks numpy/h5py/xarray/h5netcdf"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
export PYTHONPATH=$MODULE

"$PY" "$SRC/tools/digits_to_h5.py" digits.h5
rc=$?
[[ $rc -eq 77 ]] && skip "python3-sklearn missing"
[[ $rc -eq 0 ]] || { echo "FAIL: digits_to_h5.py exited $rc" >&2; exit 1; }

# A synthetic set: a shared 2-D signal in 12 + 9 dimensions, 2 numeric label columns, 40
# rows unlabelled (NaN), written C-order for the CLI.
"$PY" - <<'PYEOF' || fail "writing the synthetic set"
import numpy as np
rng = np.random.default_rng(7)
n = 300
s = rng.standard_normal((n, 2))
x = np.hstack([2 * s, np.zeros((n, 10))]) + rng.standard_normal((n, 12))
y = np.hstack([1.5 * s, np.zeros((n, 7))]) + rng.standard_normal((n, 9))
lab = s @ rng.standard_normal((2, 2)) + 0.3 * rng.standard_normal((n, 2))
lab[rng.choice(n, 40, replace=False), rng.integers(0, 2, 40)] = np.nan
np.save("sx.npy", x); np.save("sy.npy", y); np.save("slab.npy", lab)
np.save("sx32.npy", x.astype(np.float32)); np.save("slab32.npy", lab.astype(np.float32))
bad = x[:299]; np.save("short.npy", bad)
import h5py
with h5py.File("digits.h5") as f:
    few = f["labels"][()].astype(np.int32)
few[400:] = -1  # unlabelled classes
np.save("few.npy", few)
nan = x.copy(); nan[3, 1] = np.nan; np.save("nan.npy", nan)
PYEOF

# CLI runs: NAME followed by the diagnose arguments (the JSON in NAME.json).
cli() {
  local name=$1; shift
  "$EXE" diagnose "$@" --json >"$name.json" 2>"$name.err" || fail "CLI $name: $(cat "$name.err")"
}
DX=(--x digits.h5:x --y digits.h5:y --labels digits.h5:labels --drop-constant)
SX=(--x sx.npy --y sy.npy --labels slab.npy)
cli d_default "${DX[@]}"
cli d_perm "${DX[@]}" --pca 12 --classifier permutation --permutations 20 --fold-seed 3
cli d_folds "${DX[@]}" --folds 3 --ridge 0.01 --whiten-reg 1e-4
cli d_few --x digits.h5:x --y digits.h5:y --labels few.npy --drop-constant
# The label transformations ride on the shared procedure options (issue 14 item 3).
cli d_noise "${DX[@]}" --label-noise 0.5 --fold-seed 4
cli d_proxy "${DX[@]}" --proxy-labels kmeans:8:x
cli s_default "${SX[@]}"
cli s_f32 --x sx32.npy --y sy.npy --labels slab32.npy --folds 4
cli s_perm "${SX[@]}" --classifier permutation --permutations 30 --pca 5 --fold-seed 12

# Bad input through the CLI: NAME then the arguments; the one stderr line in NAME.err.
cli_error() {
  local name=$1; shift
  "$EXE" "$@" >/dev/null 2>"$name.err"
  local rc=$?
  [[ $rc -eq 2 ]] || fail "CLI error case $name: exit $rc, expected 2 ($(cat "$name.err"))"
}
cli_error e_rows diagnose --x sx.npy --y short.npy --labels slab.npy
cli_error e_folds diagnose "${SX[@]}" --folds 1
cli_error e_classifier diagnose "${SX[@]}" --classifier knn
cli_error e_real diagnose "${SX[@]}" --ridge -1
cli_error e_constant diagnose --x digits.h5:x --y digits.h5:y --labels digits.h5:labels
cli_error e_nan diagnose --x nan.npy --y sy.npy --labels slab.npy
cli_error e_perm diagnose "${SX[@]}" --permutations 0
cli_error e_noise diagnose "${SX[@]}" --label-noise 2
: >empty.ini
cli_error e_nu theory --config empty.ini --output never.h5 --model.nu=2
cli_error e_k theory --config empty.ini --output never.h5 --model.k=12
cli_error e_nan_nu theory --config empty.ini --output never.h5 --model.nu=nan

# A small grid (the model's default methods) and one with chosen methods.
printf '%s\n' '[model]' 'd = 6' 'k = 2' 'n = 100' 'gamma_x = 0.5' '[axes]' \
  'kappa = 0.25, 0.5, 1, 2' 'nu = 0.1, 0.5, 0.9' '[run]' 'trials = 1' >grid.ini
"$EXE" theory --config grid.ini --output grid.h5 2>grid.err || fail "theory grid: $(cat grid.err)"
"$EXE" theory --config grid.ini --output ca_cp.h5 --run.methods=ca,cp 2>>grid.err ||
  fail "theory ca,cp: $(cat grid.err)"

"$PY" - <<'PYEOF' || fail "Python checks"
import json, math, struct, sys
import h5py, numpy as np
import phasecube

bad = []
def same(a, b, where):
    """Bitwise equality of decoded JSON (floats by bit pattern, NaN included)."""
    if isinstance(a, float) and isinstance(b, float):
        if struct.pack("<d", a) != struct.pack("<d", b):
            bad.append(f"{where}: {a!r} != {b!r}")
    elif isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            bad.append(f"{where}: keys {list(a)} != {list(b)}")
        for k in a:
            if k in b:
                same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (u, v) in enumerate(zip(a, b)):
            same(u, v, f"{where}[{i}]")
    elif type(a) is not type(b) or a != b:
        bad.append(f"{where}: {a!r} != {b!r}")

def against_cli(name, x, y, labels, **options):
    with open(f"{name}.json") as f:
        text = f.read()
    got = phasecube.diagnose(x, y, labels, **options)
    same(got, json.loads(text, object_hook=phasecube._non_finite), name)
    if not isinstance(got["delta_ca"], float):
        bad.append(f"{name}: delta_ca is {type(got['delta_ca'])}")
    return got

with h5py.File("digits.h5") as f:
    dx, dy, dlab = f["x"][()], f["y"][()], f["labels"][()]
# The pixels are small integers: float32 holds them exactly. Fortran order, a transposed
# view and a strided copy: every layout gives the CLI's bits.
fx = np.asfortranarray(dx.astype(np.float32))
ty = np.ascontiguousarray(dy.T).T
args = ["--drop-constant"]
text = phasecube.diagnose_json(fx, ty, dlab, args)
with open("d_default.json") as f:
    if text != f.read():
        bad.append("digits: diagnose_json text differs from the CLI's")
d = against_cli("d_default", fx, ty, dlab, drop_constant=True)
against_cli("d_perm", dx, dy, dlab.astype(np.int32), drop_constant=True, pca=12,
            classifier="permutation", permutations=20, fold_seed=3)
against_cli("d_folds", dx[:, ::1], np.asfortranarray(dy), dlab, drop_constant=True, folds=3,
            ridge=0.01, whiten_reg=1e-4)
few = np.load("few.npy")
f = against_cli("d_few", dx, dy, few, drop_constant=True)
against_cli("d_noise", dx, dy, dlab, drop_constant=True, label_noise=0.5, fold_seed=4)
against_cli("d_proxy", dx, dy, dlab, drop_constant=True, proxy_labels="kmeans:8:x")
if f["n_labelled"] != 400:
    bad.append(f"digits with -1 classes: n_labelled {f['n_labelled']}")
if d["regime"] not in ("CA only", "CP only", "Both", "Neither"):
    bad.append(f"digits regime {d['regime']!r}")

sx, sy, slab = np.load("sx.npy"), np.load("sy.npy"), np.load("slab.npy")
s = against_cli("s_default", np.asfortranarray(sx), sy[::-1][::-1], slab)
if s["n_labelled"] != 300 - 40 or s["label_columns"] != 2:
    bad.append(f"synthetic: n_labelled {s['n_labelled']}, label columns {s['label_columns']}")
against_cli("s_f32", np.asfortranarray(sx.astype(np.float32)), sy, np.load("slab32.npy"), folds=4)
against_cli("s_perm", sx, np.asfortranarray(sy), np.asfortranarray(slab), classifier="permutation",
            permutations=30, pca=5, fold_seed=12)

# Bad input: ValueError with the CLI's line.
def message(name):
    with open(f"{name}.err") as f:
        line = f.read().rstrip("\n")
    prefix = "phasecube: error: "
    if not line.startswith(prefix):
        bad.append(f"{name}: CLI stderr {line!r}")
    return line[len(prefix):]
def raises(name, call, kind=ValueError):
    try:
        call()
    except kind as e:
        if kind is ValueError and str(e) != message(name):
            bad.append(f"{name}: {str(e)!r} != CLI {message(name)!r}")
        return
    except Exception as e:
        bad.append(f"{name}: raised {type(e).__name__}: {e}")
        return
    bad.append(f"{name}: no exception")
raises("e_rows", lambda: phasecube.diagnose(sx, sx[:299], slab))
raises("e_folds", lambda: phasecube.diagnose(sx, sy, slab, folds=1))
raises("e_classifier", lambda: phasecube.diagnose(sx, sy, slab, classifier="knn"))
raises("e_real", lambda: phasecube.diagnose(sx, sy, slab, ridge=-1))
raises("e_constant", lambda: phasecube.diagnose(dx, dy, dlab))
nan = sx.copy(); nan[3, 1] = np.nan
raises("e_nan", lambda: phasecube.diagnose(nan, sy, slab))
raises("e_perm", lambda: phasecube.diagnose(sx, sy, slab, permutations=0))
raises("e_noise", lambda: phasecube.diagnose(sx, sy, slab, label_noise=2))
raises("e_nu", lambda: phasecube.theory(nu=2))
raises("e_nu", lambda: phasecube.theory(nu=[0.5, 2], kappa=[[1], [2]]))
raises("e_k", lambda: phasecube.theory(k=12))
raises("e_nan_nu", lambda: phasecube.theory(nu=np.nan))
raises(None, lambda: phasecube.diagnose(sx, sy, slab, fols=3), TypeError)
raises(None, lambda: phasecube.theory(nuu=0.3), TypeError)
for call, want in ((lambda: phasecube.diagnose(sx[:0], sy[:0], slab[:0]), "--x: shape (0, 12) has no rows"),
                   (lambda: phasecube.diagnose(sx[None], sy, slab), "--x: expected a 1-D or 2-D array, got 3-D"),
                   (lambda: phasecube.diagnose(sx.astype(complex), sy, slab), "--x: complex128 values")):
    try:
        call()
        bad.append(f"no ValueError for {want!r}")
    except ValueError as e:
        if not str(e).startswith(want):
            bad.append(f"{str(e)!r} does not start {want!r}")

# theory(): the cube's values, broadcast over (kappa, nu), every theory_* variable in its dtype.
def cube_vars(path):
    with h5py.File(path) as f:
        return ({k: f[k][()] for k in f if k.startswith("theory_")},
                f["kappa"][()], f["nu"][()])
for path, methods in (("grid.h5", None), ("ca_cp.h5", "ca,cp")):
    want, kappa, nu = cube_vars(path)
    got = phasecube.theory(kappa=kappa[:, None], nu=nu, d=6, k=2, n=100, gamma_x=0.5,
                           methods=methods)
    if sorted(got) != sorted(want):
        bad.append(f"{path}: variables {sorted(got)} != cube {sorted(want)}")
    for name, w in want.items():
        g = got.get(name)
        if g is None:
            continue
        if g.dtype != w.dtype or g.shape != w.shape or g.tobytes() != w.tobytes():
            bad.append(f"{path} {name}: {g.dtype}{g.shape} differs from the cube's {w.dtype}{w.shape}")
    one = phasecube.theory(kappa=kappa[2], nu=nu[1], d=6, k=2, n=100, gamma_x=0.5, methods=methods)
    for name, w in want.items():
        if one[name].shape != () or one[name].tobytes() != w[2, 1].tobytes():
            bad.append(f"{path} {name}: the scalar call differs from cell (2, 1)")
grid = phasecube.theory(kappa=[0.25, 0.5, 1, 2], nu=[[0.1], [0.5]])
if grid["theory_delta_ca"].shape != (2, 4):
    bad.append(f"broadcast shape {grid['theory_delta_ca'].shape}")
for key in ("theory_delta_ca", "theory_delta_cp", "theory_delta_cp_rev", "theory_regime",
            "theory_r_ca", "theory_r_cp"):
    if key not in grid:
        bad.append(f"theory() lacks {key}")
lam = phasecube.theory(lambda_=[0, 0.5])
if not lam or any(v.shape != (2,) for v in lam.values()):
    bad.append(f"theory(lambda_=...) gave {lam}")

# open_cube(): dimensions from the dimension scales, coordinates, values, attributes.
with phasecube.open_cube("grid.h5") as ds, h5py.File("grid.h5") as f:
    if ds["theory_delta_ca"].dims != ("kappa", "nu"):
        bad.append(f"open_cube dims {ds['theory_delta_ca'].dims}")
    if not (np.array_equal(ds["kappa"].values, f["kappa"][()]) and
            np.array_equal(ds["nu"].values, f["nu"][()])):
        bad.append("open_cube coordinates")
    for name in ("theory_delta_ca", "theory_regime", "trials_done"):
        v = ds[name].values
        if v.dtype != f[name].dtype or v.tobytes() != f[name][()].tobytes():
            bad.append(f"open_cube {name} values")
    for key in f.attrs:
        if key not in ds.attrs:
            bad.append(f"open_cube lacks root attribute {key}")
    if ds.attrs.get("theory_only") != f.attrs["theory_only"]:
        bad.append(f"open_cube theory_only {ds.attrs.get('theory_only')}")

for b in bad[:30]:
    print("  " + b, file=sys.stderr)
if len(bad) > 30:
    print(f"  ... and {len(bad) - 30} more", file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

version=$("$PY" -c 'import phasecube; print(phasecube.__version__)' 2>&1)
[[ $version == $("$EXE" --version | awk '{print $2}') ]] || fail "phasecube.__version__ $version"

# The install rule: the component `python` alone gives an importable package.
cmake --install "$BUILD" --prefix "$TMP/prefix" --component python >install.log 2>&1 ||
  fail "cmake --install --component python: $(cat install.log)"
site=$(compgen -G "$TMP/prefix/lib/python3*/dist-packages" | head -1)
out=$(cd / && PYTHONPATH=$site "$PY" -c \
  'import phasecube; print(phasecube.__file__, phasecube.theory(kappa=2, nu=0.1)["theory_regime"])' 2>&1)
[[ $out == "$TMP/prefix/"*" "* ]] || fail "the installed package: $out"

[[ $failures -eq 0 ]] || exit 1
echo "check_python: diagnose, theory and open_cube equal the CLI's results; errors and install OK"
