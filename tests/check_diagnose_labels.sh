#!/usr/bin/env bash
# Issue 14 item 3: the label transformations of `phasecube diagnose` on the command line.
# On the digits (class labels): --label-noise 1 is the clean JSON plus "label_transform";
# --coarsen map:FILE merges the ten digits into the classes of the map; --proxy-labels
# kmeans:K:V labels with K clusters (--labels not needed); every run is bitwise
# reproducible. On a numeric label: --coarsen q gives q classes, --label-noise halves the
# calibration R^2. Every bad value exits 2 with one line and no file written (--plot not
# created). tools/label_robustness.py runs its grid on a small set and writes its table.
#   bash tests/check_diagnose_labels.sh <phasecube-exe> <source-dir>
set -uo pipefail

# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
EXE=$(realpath "$1")
SRC=$(realpath "$2")
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
IO=$TMP/io
mkdir -p "$IO" "$TMP/work"
cd "$TMP/work" || exit 1

$PY -c "import numpy, h5py" 2>/dev/null || skip "numpy/h5py missing"
$PY "$SRC/tools/digits_to_h5.py" digits.h5
rc=$?
[[ $rc -eq 77 ]] && skip "python3-sklearn missing"
[[ $rc -eq 0 ]] || { echo "FAIL: digits_to_h5.py exited $rc" >&2; exit 1; }
$PY - <<'PYEOF' || { echo "FAIL: writing the inputs" >&2; exit 1; }
import numpy as np
rng = np.random.default_rng(5)
n = 400
s = rng.normal(size=(n, 2))
np.save("sx.npy", np.hstack([2 * s, rng.normal(size=(n, 4))]) + rng.normal(size=(n, 6)))
np.save("sy.npy", np.hstack([2 * s, rng.normal(size=(n, 3))]) + rng.normal(size=(n, 5)))
np.save("slab.npy", s[:, 0] + 0.3 * rng.normal(size=n))
np.save("slab2.npy", s + 0.3 * rng.normal(size=(n, 2)))
PYEOF
printf '%s\n' 'old,new' '# odd and even digits' 0,0 1,1 2,0 3,1 4,0 5,1 6,0 7,1 8,0 9,1 >parity.csv

D=(--x digits.h5:x --y digits.h5:y --labels digits.h5:labels --drop-constant --json)
S=(--x sx.npy --y sy.npy --labels slab.npy --json)
run() {  # NAME ARGS...: the JSON in NAME.json
  local name=$1; shift
  "$EXE" diagnose "$@" >"$IO/$name.json" 2>"$IO/$name.err" || fail "$name: $(cat "$IO/$name.err")"
}
run clean "${D[@]}"
run r1 "${D[@]}" --label-noise 1
run noise "${D[@]}" --label-noise 0.5
run noise_again "${D[@]}" --label-noise 0.5
run parity "${D[@]}" --coarsen map:parity.csv
run kmeans "${D[@]}" --proxy-labels kmeans:8:x
run kmeans_again "${D[@]}" --proxy-labels kmeans:8:x
run kmeans_nolabels --x digits.h5:x --y digits.h5:y --drop-constant --json --proxy-labels kmeans:8
run kmeans_weaker "${D[@]}" --proxy-labels kmeans:8
run s_bins "${S[@]}" --coarsen 5
run s_noise "${S[@]}" --label-noise 0.5
run s_noise2 --x sx.npy --y sy.npy --labels slab2.npy --json --label-noise 0.25
cmp -s "$IO/noise.json" "$IO/noise_again.json" || fail "--label-noise 0.5 is not reproducible"
cmp -s "$IO/kmeans.json" "$IO/kmeans_again.json" || fail "--proxy-labels is not reproducible"
"$EXE" diagnose --x digits.h5:x --y digits.h5:y --labels digits.h5:labels --drop-constant \
  --proxy-labels kmeans:8:x >"$IO/report.txt" 2>&1 || fail "report run"
grep -q "^labels: proxy labels: 8 k-means clusters of x" "$IO/report.txt" ||
  fail "the report lacks the labels line: $(head -3 "$IO/report.txt")"

IO=$IO $PY - <<'PYEOF' || fail "JSON checks"
import json, os
io = os.environ["IO"]
def load(name):
    with open(f"{io}/{name}.json") as f:
        return json.load(f)
bad = []
clean, r1 = load("clean"), load("r1")
t = r1.pop("label_transform")
if r1 != clean or json.dumps(r1) != json.dumps(clean):
    bad.append("--label-noise 1 differs from the clean run")
if (t["kind"], t["r"], t["labels"], t["fraction"], t["reassigned"]) != ("label noise", 1.0, "classes", 0.0, 0) \
        or t["r2_noisy"] != t["r2_clean"]:
    bad.append(f"--label-noise 1 transform {t}")
n = load("noise")["label_transform"]
if n["reassigned"] != round((1 - 0.5 ** 0.5) * 1797):
    bad.append(f"class noise reassigned {n['reassigned']}")
p = load("parity")
if p["label_columns"] != 2 or p["label_transform"]["classes_after"] != 2:
    bad.append(f"parity map: {p['label_columns']} label columns")
for name, view in (("kmeans", "x"), ("kmeans_nolabels", "y")):
    k = load(name)
    if k["label_columns"] != 8 or k["label_transform"]["view"] != view or k["n_labelled"] != 1797:
        bad.append(f"{name}: {k['label_columns']} columns, view {k['label_transform']['view']}")
w = load("kmeans_weaker")["label_transform"]
c = w["view_choice"]
if w["view"] != ("x" if c["r2_x"] < c["r2_y"] else "y"):
    bad.append(f"weaker view {w}")
b = load("s_bins")
if b["label_columns"] != 5 or len(b["label_transform"]["edges"]) != 4:
    bad.append(f"--coarsen 5: {b['label_columns']} classes")
for name, r in (("s_noise", 0.5), ("s_noise2", 0.25)):
    s = load(name)["label_transform"]
    for clean_r2, noisy in zip(s["r2_clean"], s["r2_noisy"]):
        if not (clean_r2 > 0.5 and abs(noisy - r * clean_r2) < 1e-9):
            bad.append(f"{name}: R^2 {clean_r2} -> {noisy}, expected x{r}")
for b_ in bad:
    print("FAIL:", b_)
raise SystemExit(1 if bad else 0)
PYEOF

# Bad values: exit 2, one line, nothing written (not even the --plot figure).
printf '%s\n' '0,0' '0,1' >twice.csv
printf '%s\n' '0,0' '1' >short.csv
printf '%s\n' '0,a' >letter.csv
printf '%s\n' '0,0' '1,1' >partial.csv
printf '%s\n' '0,0' '1,0' '2,0' '3,0' '4,0' '5,0' '6,0' '7,0' '8,0' '9,0' '10,1' >extra.csv
printf '%s\n' '0,-1' >unlabelled.csv
: >empty.csv
P=(--x digits.h5:x --y digits.h5:y --labels digits.h5:labels --drop-constant --plot out.png)
expect_error "--label-noise '0'" "(0, 1]" -- diagnose "${P[@]}" --label-noise 0
expect_error "--label-noise '1.5'" -- diagnose "${P[@]}" --label-noise 1.5
expect_error "--label-noise 'nan'" -- diagnose "${P[@]}" --label-noise nan
expect_error "--label-noise 'x'" -- diagnose "${P[@]}" --label-noise x
expect_error "at most one" -- diagnose "${P[@]}" --label-noise 0.5 --coarsen 3
expect_error "--coarsen '1'" -- diagnose "${P[@]}" --coarsen 1
expect_error "--coarsen 'x'" -- diagnose "${P[@]}" --coarsen x
expect_error "--coarsen map:FILE" "empty" -- diagnose "${P[@]}" --coarsen map:
expect_error "missing.csv" "not a regular file" -- diagnose "${P[@]}" --coarsen map:missing.csv
expect_error "map:/dev/zero" "not a regular file" -- diagnose "${P[@]}" --coarsen map:/dev/zero
expect_error "map:.:" "not a regular file" -- diagnose "${P[@]}" --coarsen map:.
expect_error "twice.csv line 2" "mapped twice" -- diagnose "${P[@]}" --coarsen map:twice.csv
expect_error "short.csv line 2" "old,new" -- diagnose "${P[@]}" --coarsen map:short.csv
expect_error "letter.csv line 1 new class 'a'" -- diagnose "${P[@]}" --coarsen map:letter.csv
expect_error "class 2 of the labels is not mapped" -- diagnose "${P[@]}" --coarsen map:partial.csv
expect_error "class 10 does not occur" -- diagnose "${P[@]}" --coarsen map:extra.csv
expect_error "unlabelled" -- diagnose "${P[@]}" --coarsen map:unlabelled.csv
expect_error "no 'old,new' line" -- diagnose "${P[@]}" --coarsen map:empty.csv
expect_error "not one integer class column" -- diagnose --x sx.npy --y sy.npy --labels slab.npy --coarsen map:parity.csv
expect_error "needs one label column" -- diagnose --x sx.npy --y sy.npy --labels slab2.npy --coarsen 3
expect_error "more bins than the 400 labelled rows" -- diagnose --x sx.npy --y sy.npy --labels slab.npy --coarsen 401
expect_error "--proxy-labels 'kmeans'" -- diagnose "${P[@]}" --proxy-labels kmeans
expect_error "--proxy-labels 'dbscan:3'" -- diagnose "${P[@]}" --proxy-labels dbscan:3
expect_error "--proxy-labels 'kmeans:4:z'" -- diagnose "${P[@]}" --proxy-labels kmeans:4:z
expect_error "--proxy-labels kmeans:K '1'" -- diagnose "${P[@]}" --proxy-labels kmeans:1
expect_error "more clusters than the 1797 labelled rows" -- diagnose "${P[@]}" --proxy-labels kmeans:2000
expect_error "diagnose needs --labels" -- diagnose --x digits.h5:x --y digits.h5:y --label-noise 0.5

# tools/label_robustness.py on the small numeric set: the grid's rows in its table.
$PY -c "import matplotlib" 2>/dev/null || skip "matplotlib missing"
PHASECUBE=$EXE $PY "$SRC/tools/label_robustness.py" --x sx.npy --y sy.npy --labels slab.npy \
  --out grid --kmeans 3,8 >"$IO/grid.out" 2>"$IO/grid.err" || fail "label_robustness.py: $(cat "$IO/grid.err")"
[[ -s grid.png ]] || fail "label_robustness.py wrote no figure"
# clean, 3 noise levels, bins 8 and 4, k-means 3 and 8 on x and y: 10 rows + the header.
[[ $(wc -l <grid.csv) -eq 11 ]] || fail "grid.csv has $(wc -l <grid.csv) lines, expected 11"
grep -q "^| label noise r = 0.5 |" grid.md || fail "grid.md lacks the r = 0.5 row"
grep -q "^| coarsen 4 bins |" grid.md || fail "grid.md lacks the 4 bins row"

echo "$cases refusals checked, $failures failures"
[[ $failures -eq 0 ]]
