#!/usr/bin/env bash
# `phasecube diagnose` on a real two-view dataset: the handwritten digits of python3-sklearn
# (x = left half of each 8 x 8 image, y = right half, labels = the digit). Checks that the
# report is complete (every estimate finite, a known regime), that swapping x and y mirrors
# the CP directions and keeps CA, that another fold seed gives the same regime, that the
# CSV and .npy readers give the same result as HDF5, that bad input exits 2 with one line,
# and that --plot writes a PNG. Exit 77 (skip) without sklearn.
#   bash tests/check_diagnose.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
SRC=$(realpath "$2")
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

$PY "$SRC/tools/digits_to_h5.py" digits.h5
rc=$?
[[ $rc -eq 77 ]] && skip "python3-sklearn missing"
[[ $rc -eq 0 ]] || { echo "FAIL: digits_to_h5.py exited $rc" >&2; exit 1; }

D=(--labels digits.h5:labels --drop-constant --json)
"$EXE" diagnose --x digits.h5:x --y digits.h5:y "${D[@]}" > xy.json || fail "x,y run"
"$EXE" diagnose --x digits.h5:y --y digits.h5:x "${D[@]}" > yx.json || fail "y,x run"
"$EXE" diagnose --x digits.h5:x --y digits.h5:y "${D[@]}" --fold-seed 2 > seed2.json ||
  fail "fold seed 2 run"

# The same data through the CSV (with a header) and .npy readers.
$PY - <<'PYEOF' || fail "writing CSV/npy copies"
import h5py, numpy as np
with h5py.File("digits.h5") as f:
    x, y, lab = f["x"][()], f["y"][()], f["labels"][()]
np.save("x.npy", x)
np.save("xf.npy", np.asfortranarray(x))  # column-major: the same matrix
np.save("y32.npy", y.astype(np.float32))
np.save("labels.npy", lab)
np.savetxt("x.csv", x, delimiter=",", header=",".join(f"p{i}" for i in range(x.shape[1])), comments="")
PYEOF
"$EXE" diagnose --x x.csv --y y32.npy --labels labels.npy --drop-constant --json > mixed.json ||
  fail "CSV/npy run"
# A Fortran-order .npy is the same matrix: the same JSON, byte for byte (issue 14).
"$EXE" diagnose --x x.npy --y digits.h5:y "${D[@]}" > c_order.json || fail "C-order npy run"
"$EXE" diagnose --x xf.npy --y digits.h5:y "${D[@]}" > f_order.json || fail "Fortran-order npy run"
cmp -s c_order.json f_order.json || fail "Fortran-order .npy gives another result than C order"

$PY - <<'PYEOF' || fail "report checks"
import json, math, sys
def load(p):
    with open(p) as f:
        return json.load(f)
xy, yx, s2, mixed = (load(p) for p in ("xy.json", "yx.json", "seed2.json", "mixed.json"))
bad = []
def finite(name, v):
    if isinstance(v, str) or not math.isfinite(v):
        bad.append(f"{name} = {v} is not finite")
for r, tag in ((xy, "x,y"), (yx, "y,x")):
    for key in ("kappa2", "nu", "gamma_x", "gamma_y", "gamma_tilde_x", "gamma_tilde_y",
                "delta_ca", "delta_cp", "delta_cp_rev", "margin"):
        finite(f"{tag} {key}", r[key])
    if r["regime"] not in ("Neither", "CA only", "CP only", "Both"):
        bad.append(f"{tag}: regime {r['regime']!r}")
    if r["objective"] not in ("CA", "CP") or r["direction"] not in ("x->y", "y->x"):
        bad.append(f"{tag}: objective {r['objective']!r} direction {r['direction']!r}")
    if (r["regime"] == "Neither") != bool(r["warning"]):
        bad.append(f"{tag}: warning must be given exactly for Neither")
    if r["n"] != 1797 or r["n_labelled"] != 1797 or r["label_columns"] != 10:
        bad.append(f"{tag}: n {r['n']}, labelled {r['n_labelled']}, columns {r['label_columns']}")
    for name, s in r["steps"].items():
        if not 1 <= s["n_signal"] < len(s["values"]):
            bad.append(f"{tag} {name}: {s['n_signal']} signal components of {len(s['values'])}")
        for v in s["values"] + s["r2"]:
            finite(f"{tag} {name} value", v)
# x has 2 constant pixel columns, y has 1: 30 and 31 columns remain.
if (xy["dx"], xy["dy"]) != (30, 31) or (yx["dx"], yx["dy"]) != (31, 30):
    bad.append(f"dimensions after dropping constants: {xy['dx']},{xy['dy']} / {yx['dx']},{yx['dy']}")
# Swapping the views mirrors CP and keeps CA (the same numbers up to rounding).
def close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(a))
if not (close(xy["delta_cp"], yx["delta_cp_rev"]) and close(xy["delta_cp_rev"], yx["delta_cp"])):
    bad.append(f"CP not mirrored: {xy['delta_cp']},{xy['delta_cp_rev']} vs {yx['delta_cp']},{yx['delta_cp_rev']}")
if not close(xy["delta_ca"], yx["delta_ca"]):
    bad.append(f"Delta_CA changed under the swap: {xy['delta_ca']} vs {yx['delta_ca']}")
if xy["regime"] != yx["regime"]:
    bad.append(f"regime changed under the swap: {xy['regime']} vs {yx['regime']}")
if xy["objective"] == "CP" and {xy["direction"], yx["direction"]} != {"x->y", "y->x"}:
    bad.append(f"directions not mirrored: {xy['direction']} / {yx['direction']}")
# Another fold seed: the same regime.
if s2["regime"] != xy["regime"]:
    bad.append(f"fold seed 2 regime {s2['regime']} != {xy['regime']}")
# CSV + float32 npy + int64 npy labels: the same verdict and (float32 y) Deltas within 1e-4.
if mixed["regime"] != xy["regime"]:
    bad.append(f"CSV/npy regime {mixed['regime']} != {xy['regime']}")
for key in ("delta_ca", "delta_cp", "delta_cp_rev"):
    if abs(mixed[key] - xy[key]) > 1e-4 * abs(xy[key]):
        bad.append(f"CSV/npy {key} {mixed[key]} != {xy[key]}")
print(f"digits: regime {xy['regime']}, Delta_CA {xy['delta_ca']:.4g}, Delta_CP {xy['delta_cp']:.4g}, "
      f"Delta_CPrev {xy['delta_cp_rev']:.4g}, objective {xy['objective']} {xy['direction']}")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# Bad input: exit 2, one stderr line containing the needle.
expect_error() {
  local needle=$1
  shift
  "$EXE" diagnose "$@" > out.txt 2> err.txt
  local rc=$?
  [[ $rc -eq 2 ]] || fail "exit $rc (expected 2) for: $*"
  [[ $(wc -l < err.txt) -eq 1 ]] || fail "stderr not one line for: $* ($(cat err.txt))"
  grep -qF -- "$needle" err.txt || fail "stderr lacks '$needle' for: $* ($(cat err.txt))"
}
$PY -c "
import numpy as np
np.save('short.npy', np.zeros((10, 3)))
x = np.random.default_rng(1).normal(size=(20, 3)); x[4, 1] = np.nan; np.save('nan.npy', x)
np.save('y20.npy', np.random.default_rng(2).normal(size=(20, 3)))
lab = np.full(20, -1.0); lab[:3] = [0, 1, 2]; np.save('few.npy', lab)
np.save('lab20.npy', np.arange(20) % 3)
# Headers that lie about the shape: negative, and far more rows than the file holds.
def lying(name, shape):
    h = \"{'descr': '<f8', 'fortran_order': False, 'shape': %s, }\" % shape
    h += ' ' * (63 - (10 + len(h)) % 64) + '\\n'
    data = np.zeros((20, 3)).tobytes()
    open(name, 'wb').write(b'\\x93NUMPY\\x01\\x00' + len(h).to_bytes(2, 'little') + h.encode() + data)
lying('neg.npy', '(-3, 3)')
lying('huge.npy', '(4000000000000, 3)')
"
expect_error "constant" --x digits.h5:x --y digits.h5:y --labels digits.h5:labels
expect_error "row counts differ" --x short.npy --y digits.h5:y --labels digits.h5:labels
expect_error "not finite" --x nan.npy --y y20.npy --labels lab20.npy
expect_error "labelled rows" --x y20.npy --y y20.npy --labels few.npy
expect_error "no dataset 'nope'" --x digits.h5:nope --y digits.h5:y --labels digits.h5:labels
expect_error "needs a dataset" --x digits.h5 --y digits.h5:y --labels digits.h5:labels
expect_error "no such file" --x missing.csv --y digits.h5:y --labels digits.h5:labels
expect_error "--classifier" --x y20.npy --y y20.npy --labels lab20.npy --classifier magic
expect_error "--y" --x y20.npy --labels lab20.npy
expect_error "negative size" --x neg.npy --y y20.npy --labels lab20.npy
expect_error "truncated data" --x huge.npy --y y20.npy --labels lab20.npy

# The plot: a PNG of plausible size.
if "$EXE" diagnose --x digits.h5:x --y digits.h5:y --labels digits.h5:labels --drop-constant \
  --plot digits.png > /dev/null; then
  [[ $(head -c 8 digits.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "--plot did not write a PNG"
else
  fail "--plot run failed"
fi

[[ $failures -eq 0 ]] && echo "check_diagnose: all passed"
exit $((failures > 0))
