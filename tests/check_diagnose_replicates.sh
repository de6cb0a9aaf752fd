#!/usr/bin/env bash
# `phasecube diagnose --replicates` (issue 14 item 2) on the digits (sklearn) and on a synthetic
# clear cell: regime fractions sum to 1 and match the per-replicate verdicts; the JSON's
# percentiles equal np.percentile of its per-replicate values bit for bit; JSON and report are
# the same bits with OMP_NUM_THREADS=1 and 2; the epsilon x n table's cell of --whiten-reg and
# the replicates' size repeats the replicate set, and without replicates its cell of all rows
# is the full-data run; --replicates 0 is today's output; bad values exit 2 with one line;
# --plot draws the intervals; the Python module takes the options and gives the CLI's JSON.
# Exit 77 (skip) without sklearn.
#   bash tests/check_diagnose_replicates.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
SRC=$(realpath "$2")
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/work" "$TMP/io"
IO=$TMP/io
cd "$TMP/work" || exit 1

"$PY" "$SRC/tools/digits_to_h5.py" digits.h5
rc=$?
[[ $rc -eq 77 ]] && skip "python3-sklearn missing"
[[ $rc -eq 0 ]] || { echo "FAIL: digits_to_h5.py exited $rc" >&2; exit 1; }

# A clear cell: a 2-D shared signal, strong in both views, numeric labels on 250 of 400 rows.
"$PY" - <<'PYEOF' || fail "writing the synthetic cell"
import numpy as np
rng = np.random.default_rng(11)
n = 400
s = rng.standard_normal((n, 2))
x = np.hstack([2 * s, np.zeros((n, 8))]) + rng.standard_normal((n, 10))
y = np.hstack([2 * s, np.zeros((n, 6))]) + rng.standard_normal((n, 8))
lab = s @ np.array([[1.0, 0.4], [-0.3, 1.0]]) + 0.2 * rng.standard_normal((n, 2))
lab[250:] = np.nan
np.save("sx.npy", x); np.save("sy.npy", y); np.save("slab.npy", lab)
# Independent views and pure-noise labels: no signal to find.
rng = np.random.default_rng(3)
np.save("nx.npy", rng.standard_normal((300, 8))); np.save("ny.npy", rng.standard_normal((300, 6)))
np.save("nl.npy", rng.standard_normal((300, 1)))
PYEOF

D=(diagnose --x digits.h5:x --y digits.h5:y --labels digits.h5:labels --drop-constant)
S=(diagnose --x sx.npy --y sy.npy --labels slab.npy)
run() {  # run NAME THREADS ARGS...: stdout in NAME
  local name=$1 threads=$2
  shift 2
  OMP_NUM_THREADS=$threads "$EXE" "$@" >"$name" 2>"$name.err" || fail "$name: $(cat "$name.err")"
}
run d1.json 1 "${D[@]}" --replicates 12 --json
run d2.json 2 "${D[@]}" --replicates 12 --json
run d1.txt 1 "${D[@]}" --replicates 12
run d2.txt 2 "${D[@]}" --replicates 12
run s1.json 1 "${S[@]}" --replicates 16 --resample bootstrap --json
run s2.json 2 "${S[@]}" --replicates 16 --resample bootstrap --json
run sm.json 2 "${S[@]}" --replicates 10 --resample subsample:300 --json
# Pure noise: subsample replicates nearly always answer "no signal"; bootstrap ones, whose
# repeated rows sit in training and test folds alike, call a regime far more often (why
# subsample is the default).
N=(diagnose --x nx.npy --y ny.npy --labels nl.npy --replicates 40 --json)
run noise_sub.json 2 "${N[@]}"
run noise_boot.json 2 "${N[@]}" --resample bootstrap
for f in d s; do
  cmp -s "${f}1.json" "${f}2.json" || fail "$f: --json differs between OMP_NUM_THREADS=1 and 2"
done
cmp -s d1.txt d2.txt || fail "digits: the report differs between OMP_NUM_THREADS=1 and 2"
grep -q "^  support: .* in [0-9]* of 12 replicates" d1.txt || fail "the report lacks the support line"
grep -q "^Uncertainty: 12 replicates, each a subsample of 1136 of the 1797 rows" d1.txt ||
  fail "the report lacks the uncertainty header: $(grep Uncertainty d1.txt)"

# The table: digits with replicates (the cell of --whiten-reg and 1136 rows repeats the
# replicate set) and without (the cell of all rows at --whiten-reg is the full-data run).
run dg.json 2 "${D[@]}" --replicates 12 --epsilon-grid 1e-6,1e-2 --n-grid 600,1136 --json
run d0g.json 1 "${D[@]}" --epsilon-grid 1e-6,0.1 --n-grid 1797,900 --json
run d0g.txt 1 "${D[@]}" --epsilon-grid 1e-6,0.1 --n-grid 1797,900
grep -q "^Sensitivity (whitening regularisation epsilon x rows n" d0g.txt || fail "no table in the report"
run d0.json 1 "${D[@]}" --json
run d00.json 1 "${D[@]}" --replicates 0 --json
run d0.txt 1 "${D[@]}"
run d00.txt 1 "${D[@]}" --replicates 0
cmp -s d0.json d00.json || fail "--replicates 0 changes the JSON"
cmp -s d0.txt d00.txt || fail "--replicates 0 changes the report"
grep -q uncertainty d0.json && fail "the JSON without replicates has an uncertainty key"

"$PY" - <<'PYEOF' || fail "JSON checks"
import json, math, struct, sys
import numpy as np
bad = []
def load(p):
    with open(p) as f:
        return json.load(f)
NAMES = ["Neither", "CA only", "CP only", "Both", "no signal"]
def f(v):
    return float(v)  # "inf", "nan" strings too
def bits(v):
    return struct.pack("<d", f(v))
def check(doc, tag, reps, size):
    u = doc["uncertainty"]
    if u["replicates"] != reps or u["rows"] != size:
        bad.append(f"{tag}: {u['replicates']} replicates of {u['rows']} rows")
    if list(u["regimes"]) != NAMES:
        bad.append(f"{tag}: regimes {list(u['regimes'])}")
    total = sum(v["fraction"] for v in u["regimes"].values())
    if abs(total - 1) > 1e-12 or sum(v["count"] for v in u["regimes"].values()) != reps:
        bad.append(f"{tag}: regime fractions sum to {total}")
    codes = u["per_replicate"]["regime_code"]
    for c, name in enumerate(NAMES):
        if u["regimes"][name]["count"] != codes.count(c):
            bad.append(f"{tag}: {name} count {u['regimes'][name]['count']} != {codes.count(c)}")
    if u["support"]["verdict"] != doc["regime"] or \
            u["support"]["count"] != codes.count(doc["regime_code"]):
        bad.append(f"{tag}: support {u['support']}")
    for key, q in u["quantities"].items():
        v = np.array([f(x) for x in u["per_replicate"][key]])
        kept = v[~np.isnan(v)]
        if q["count"] != kept.size or q["nan"] != v.size - kept.size:
            bad.append(f"{tag} {key}: count {q['count']}/{q['nan']}")
        if kept.size == 0 or not np.all(np.isfinite(kept)):
            continue  # numpy gives NaN next to an infinite value; the gtest covers that
        want = np.percentile(np.sort(kept), [2.5, 25, 50, 75, 97.5])
        got = [q[k] for k in ("p2.5", "p25", "median", "p75", "p97.5")]
        for w, g, name in zip(want, got, ("p2.5", "p25", "median", "p75", "p97.5")):
            if bits(w) != bits(g):
                bad.append(f"{tag} {key} {name}: {g!r} != numpy {float(w)!r}")
        if key.startswith("delta_") and q["straddles_one"] != bool(want[0] < 1 < want[4]):
            bad.append(f"{tag} {key}: straddles_one {q['straddles_one']}")
    return u

d = load("d1.json")
check(d, "digits", 12, 1136)
s = check(load("s1.json"), "synthetic", 16, 400)
check(load("sm.json"), "synthetic subsample:300", 10, 300)
if load("sm.json")["uncertainty"]["labelled_rows"] != round(300 * 250 / 400):
    bad.append("subsample:300 labelled rows")
# The clear cell: every replicate agrees with the full data.
synthetic = load("s1.json")
if synthetic["regime"] == "no signal" or s["support"]["count"] != 16:
    bad.append(f"synthetic clear cell: {synthetic['regime']}, support {s['support']}")

g = load("dg.json")
cells = {(c["epsilon"], c["n"]): c for c in g["sensitivity"]["cells"]}
if sorted(cells) != sorted((e, n) for e in (1e-6, 1e-2) for n in (600, 1136)):
    bad.append(f"table cells {sorted(cells)}")
same = cells.get((1e-6, 1136))
if same is None or same["quantities"] != g["uncertainty"]["quantities"] or \
        same["regimes"] != g["uncertainty"]["regimes"]:
    bad.append("the table's cell (1e-6, 1136) differs from the replicate set")
if g["uncertainty"] != d["uncertainty"]:
    bad.append("adding the table changed the replicate set")
g0, d0 = load("d0g.json"), load("d0.json")
if "uncertainty" in g0 or g0["sensitivity"]["replicates"] != 0:
    bad.append("grid without replicates: unexpected keys")
for c in g0["sensitivity"]["cells"]:
    if sum(v["count"] for v in c["regimes"].values()) != 1:
        bad.append(f"grid without replicates: cell {c['epsilon']},{c['n']} is not one run")
    if c["n"] == 1797 and c["epsilon"] == 1e-6:
        for key in ("delta_ca", "delta_cp", "delta_cp_rev", "kappa2", "nu"):
            if bits(c["quantities"][key]["median"]) != bits(d0[key]):
                bad.append(f"grid cell of all rows: {key} {c['quantities'][key]['median']} != {d0[key]}")
        if c["support"]["count"] != 1:
            bad.append("grid cell of all rows: another verdict than the full data")
sub = load("noise_sub.json")["uncertainty"]["regimes"]["no signal"]["count"]
boot = load("noise_boot.json")["uncertainty"]["regimes"]["no signal"]["count"]
if not (sub >= 32 and boot <= 24):
    bad.append(f"pure noise: no signal in {sub} of 40 subsample and {boot} of 40 bootstrap replicates")
for b in bad:
    print("FAIL:", b, file=sys.stderr)
print(f"pure noise: no signal in {sub} of 40 subsample, {boot} of 40 bootstrap replicates")
print(f"digits: {d['regime']} in {d['uncertainty']['support']['count']} of 12; "
      f"synthetic: {synthetic['regime']} in {s['support']['count']} of 16")
sys.exit(1 if bad else 0)
PYEOF

# Bad values: exit 2, one line, nothing written.
expect_error "--replicates '-1'" -- "${S[@]}" --replicates -1
expect_error "--replicates 'two'" -- "${S[@]}" --replicates two
expect_error "--resample 'jackknife'" -- "${S[@]}" --replicates 3 --resample jackknife
expect_error "--resample subsample:m '0'" -- "${S[@]}" --replicates 3 --resample subsample:0
expect_error "--resample subsample:m '1.5'" -- "${S[@]}" --replicates 3 --resample subsample:1.5
expect_error "--resample bootstrap:m ''" -- "${S[@]}" --replicates 3 --resample bootstrap:
expect_error "--resample: 500 rows, more than the data's 400" -- "${S[@]}" --replicates 3 \
  --resample subsample:500
expect_error "--resample needs --replicates" -- "${S[@]}" --resample bootstrap
expect_error "--epsilon-grid" "comma-separated" -- "${S[@]}" --epsilon-grid 1e-6,,1
expect_error "--epsilon-grid '-1'" -- "${S[@]}" --epsilon-grid 1e-6,-1
expect_error "--n-grid 6: 6 rows hold 4 labelled ones, fewer than --folds 5" -- "${S[@]}" --n-grid 6
expect_error "--n-grid 'many'" -- "${S[@]}" --n-grid 100,many
expect_error "--n-grid 401: 401 rows, more than the data's 400" -- "${S[@]}" --n-grid 401
expect_error "--plot" -- "${S[@]}" --replicates 3 --plot no_such_dir/out.png

# --plot with replicates (matplotlib): a PNG.
if "$PY" -c 'import matplotlib' 2>/dev/null; then
  run plot.txt 2 "${S[@]}" --replicates 8 --plot rep.png
  [[ $(head -c 4 rep.png | od -An -tx1 | tr -d ' ') == 89504e47 ]] || fail "--plot wrote no PNG"
fi

# The Python module: the options as keywords, the CLI's JSON text.
MODULE=$(dirname "$EXE")/python
if compgen -G "$MODULE/phasecube/_core*.so" >/dev/null; then
  run py.json 2 "${S[@]}" --replicates 6 --epsilon-grid 1e-6,0.01 --n-grid 200 --json
  PYTHONPATH=$MODULE "$PY" - <<'PYEOF' || fail "Python module with replicates"
import json, sys
import numpy as np
import phasecube
x, y, lab = (np.load(f) for f in ("sx.npy", "sy.npy", "slab.npy"))
got = phasecube.diagnose(x, y, lab, replicates=6, epsilon_grid=[1e-6, 0.01], n_grid=[200])
with open("py.json") as f:
    want = json.loads(f.read(), object_hook=phasecube._non_finite)
if json.dumps(got, sort_keys=True) != json.dumps(want, sort_keys=True):
    sys.exit("phasecube.diagnose(replicates=6, ...) differs from the CLI's JSON")
PYEOF
fi

[[ $failures -eq 0 ]] || exit 1
echo "check_diagnose_replicates: fractions, percentiles, threads, table, errors, plot OK"
