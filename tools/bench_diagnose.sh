#!/usr/bin/env bash
# Side-by-side speed of `phasecube diagnose` and the paper authors' estimate_parameters on
# the same rows, one core each, in one run on this machine (issue 14's anchor).
#
# Usage: tools/bench_diagnose.sh AUTHORS_PY [BUILD_DIR]
#   AUTHORS_PY  the authors' src/analyze_phase_diagram.py (github IlayMalinyak/mm_align_vs_pred);
#               "none" skips their run (it needs numpy, scikit-learn, pandas, matplotlib).
#   BUILD_DIR   default build/ (tools/build.sh first).
# Data: a synthetic cell (k = 10 signal directions, d = 512 per view, 10 classes), written as
# .npy under a temporary directory: n = 2000 rows all labelled, and n = 50,000 rows of which
# 2000 labelled. Figures: wall and user seconds and peak RSS (/usr/bin/time), the input size.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
authors=${1:?usage: tools/bench_diagnose.sh AUTHORS_PY [BUILD_DIR]}
exe=${2:-$ROOT/build}/phasecube
py=/usr/bin/python3
[[ -x $exe ]] || { echo "bench_diagnose: no executable at $exe (run tools/build.sh)" >&2; exit 2; }
[[ $authors == none || -f $authors ]] || { echo "bench_diagnose: no file $authors" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

"$py" - "$tmp" <<'PY'
import sys
import numpy as np
out = sys.argv[1]
def write(name, n, d, labelled):
    rng = np.random.default_rng(7)
    k = 10
    s = 1.5 * rng.normal(size=(n, k))
    z = rng.normal(size=(n, d - k))
    gt = np.linspace(2, 0.5, d - k)
    x = np.hstack([s + 0.7 * rng.normal(size=(n, k)), z * np.sqrt(gt)])
    y = np.hstack([s + 0.7 * rng.normal(size=(n, k)),
                   0.6 * z * np.sqrt(gt) + 0.8 * rng.normal(size=(n, d - k))])
    classes = np.argmax(s @ rng.normal(size=(k, 10)), axis=1).astype(np.int64)
    classes[labelled:] = -1
    for view, a in (("x", x), ("y", y), ("l", classes)):
        np.save(f"{out}/{name}_{view}.npy", a)
write("small", 2000, 512, 2000)
write("large", 50000, 512, 2000)
PY

# One line: label, wall s, user s, peak RSS MB (of `cmd`, whose stdout goes to $tmp/out).
measure() {
  local label=$1
  shift
  /usr/bin/time -f "%e %U %M" -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" ||
    { echo "bench_diagnose: $label failed: $(tail -1 "$tmp/err")" >&2; exit 1; }
  read -r wall user rss <"$tmp/time"
  printf '%-58s %8.2f %8.2f %8.0f\n' "$label" "$wall" "$user" "$((rss / 1024))"
}
verdict() {  # the Deltas of the last phasecube --json run
  "$py" -c "import json; d = json.load(open('$tmp/out'))
print('  Delta_CA %.4f  Delta_CP %.4f  Delta_CP(y->x) %.4f  %s' % (d['delta_ca'], d['delta_cp'], d['delta_cp_rev'], d['regime']))"
}

printf '%-58s %8s %8s %8s\n' "n = 2000 labelled x d = 512 (16 MB of input)" "wall s" "user s" "RSS MB"
if [[ $authors != none ]]; then
  cat >"$tmp/authors.py" <<PY
import sys
import numpy as np
sys.path.insert(0, "$(dirname "$authors")")
import analyze_phase_diagram as apd
x, y, c = (np.load("$tmp/small_%s.npy" % v) for v in "xyl")
r = apd.estimate_parameters(x, y, np.eye(int(c.max()) + 1)[c], n_components=50, cv=5,
                            n_permutations=30)
print("  Delta_CA %.4f  Delta_CP %.4f  %s" % (r["delta_ca_direct"], r["delta_cp_direct"],
                                            r["predicted_regime"]))
PY
  measure "authors' estimate_parameters (50 components, 30 perms)" "$py" "$tmp/authors.py"
  tail -1 "$tmp/out"
fi
small=(diagnose --x "$tmp/small_x.npy" --y "$tmp/small_y.npy" --labels "$tmp/small_l.npy" --json)
measure "phasecube diagnose --parity reference" "$exe" "${small[@]}" --parity reference
verdict
measure "phasecube diagnose --components 50" "$exe" "${small[@]}" --components 50
verdict
measure "phasecube diagnose (all 512 components)" "$exe" "${small[@]}"
verdict

echo
printf '%-58s %8s %8s %8s\n' "n = 50,000 (2000 labelled) x d = 512 (410 MB of input)" "wall s" "user s" "RSS MB"
large=(diagnose --x "$tmp/large_x.npy" --y "$tmp/large_y.npy" --labels "$tmp/large_l.npy" --json)
measure "phasecube diagnose (all 512 components)" "$exe" "${large[@]}"
verdict
measure "phasecube diagnose --components 50" "$exe" "${large[@]}" --components 50

echo
printf '%-58s %8s %8s %8s\n' "replicates: n = 2000 x d = 512, --components 50" "wall s" "user s" "RSS MB"
for threads in 1 2; do
  OMP_NUM_THREADS=$threads measure "--replicates 20 on $threads thread(s)" "$exe" "${small[@]}" \
    --components 50 --replicates 20
done
