#!/usr/bin/env bash
# Hostile inputs of `phasecube diagnose` (issue 11, items 7, 11, 12, 14, 16, 18): matrices
# without rows or columns, PCA beyond the data's rank, labels without variance, a UTF-8 BOM
# and CRLF line endings in CSV, HDF5 datasets with huge declared shapes or unusable types, a
# NUL byte in a CSV cell, and the command line (--plot paths, negative and malformed
# numbers, stray arguments). Every refusal: exit 2, one line on stderr, no file created.
# Issue 14: labels that carry no information (one class, constant, pure noise, independent
# views) are not refused but answered: exit 0, JSON regime "no signal", with both classifiers.
# Needs /usr/bin/python3 with numpy and h5py: exit 77 (skip) without, a failure when CI=true.
#   bash tests/check_diagnose_inputs.sh <phasecube-exe> <source-dir>
set -uo pipefail

# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
EXE=$(realpath "$1")
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

$PY -c "import numpy, h5py" 2>/dev/null || skip "numpy/h5py missing"

$PY - << 'PYEOF' || { echo "FAIL: writing the inputs" >&2; exit 1; }
import numpy as np, h5py
rng = np.random.default_rng(1)
n = 60
x = rng.normal(size=(n, 5)); y = rng.normal(size=(n, 4))
lab = rng.integers(0, 3, size=n)
np.save("x.npy", x); np.save("y.npy", y); np.save("lab.npy", lab.astype(np.int64))
np.save("x0.npy", np.zeros((n, 0))); np.save("rows0.npy", np.zeros((0, 3)))
np.save("lab0.npy", np.zeros((n, 0)))
np.save("wide_x.npy", rng.normal(size=(10, 20))); np.save("wide_y.npy", rng.normal(size=(10, 20)))
np.save("lab10.npy", np.arange(10) % 2)
np.save("one_class.npy", np.zeros(n, dtype=np.int64))
np.save("const_labels.npy", np.full((n, 2), 0.5))
np.save("unlabelled.npy", np.full(n, -1, dtype=np.int64))
one = np.full(n, -1, dtype=np.int64); one[:20] = 4; np.save("one_labelled_class.npy", one)
# A clear synthetic cell (3 shared signal coordinates, correlated nuisance) and noise labels.
m = 1500
s = 2 * rng.normal(size=(m, 3))
z = rng.normal(size=(m, 5))
np.save("cell_x.npy", np.hstack([s + rng.normal(size=(m, 3)), z]))
np.save("cell_y.npy", np.hstack([s + rng.normal(size=(m, 3)), 0.3 * z + rng.normal(size=(m, 5))]))
np.save("cell_labels.npy", s + 0.5 * rng.normal(size=(m, 3)))  # each label reads one direction
np.save("noise_labels.npy", rng.normal(size=(m, 4)))
# Sizes that fit on disk but not in memory: 500000 distinct classes (a 500000^2 one-hot
# table), and 100000 columns (100000^2 covariances).
m = 500000
np.save("x_tall.npy", rng.normal(size=(m, 2))); np.save("classes_tall.npy", np.arange(m))
np.save("x_wide.npy", rng.normal(size=(4, 100000))); np.save("lab4.npy", np.array([0, 1, 0, 1]))
with h5py.File("bad.h5", "w") as f:
    # Declares 8e18 bytes and stores nothing (chunked, never written).
    f.create_dataset("huge", shape=(10**12, 10**6), dtype="f8", chunks=(1, 1000))
    f.create_dataset("huge1d", shape=(10**15,), dtype="f8", chunks=(1000,))
    f.create_dataset("x0", data=np.zeros((n, 0)))
    f.create_dataset("cube3", data=np.zeros((2, 2, 2)))
    f.create_dataset("scalar", data=1.0)
    f.create_dataset("strings", data=np.array([b"a", b"b"]))
    f.create_dataset("compound", data=np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]))
    f.create_dataset("enum", data=np.zeros(3, dtype=np.int8),
                     dtype=h5py.enum_dtype({"A": 0, "B": 1}, basetype="i1"))
    f.create_dataset("vlen", shape=(3,), dtype=h5py.vlen_dtype(np.float64))
    f.create_dataset("x", data=x)
# The same x as CSV: plain, with a UTF-8 BOM, CRLF, BOM + CRLF, BOM + header.
rows = [",".join(repr(float(v)) for v in r) for r in x]
open("x.csv", "w", newline="").write("\n".join(rows) + "\n")
open("x_bom.csv", "wb").write(b"\xef\xbb\xbf" + ("\n".join(rows) + "\n").encode())
open("x_crlf.csv", "w", newline="").write("\r\n".join(rows) + "\r\n")
open("x_bom_crlf.csv", "wb").write(b"\xef\xbb\xbf" + ("\r\n".join(rows) + "\r\n").encode())
header = ",".join(f"p{i}" for i in range(5))
open("x_bom_header.csv", "wb").write(b"\xef\xbb\xbf" + (header + "\n" + "\n".join(rows) + "\n").encode())
nul = rows[:]; nul[2] = "1.5\0evil" + nul[2][nul[2].index(","):]
open("x_nul.csv", "w", newline="").write("\n".join(nul) + "\n")
PYEOF

# Every path in the working directory with its size and checksum.
snapshot() { find . -printf '%p %s\n' | sort; find . -type f -exec md5sum {} + | sort; }

# expect_error NEEDLE -- ARGS: exit 2, one stderr line "phasecube: error: ..." containing the
# fixed string NEEDLE, no file created or changed.
expect_error() {
  local needle=$1
  shift 2
  cases=$((cases + 1))
  local before
  before=$(snapshot)
  "$EXE" diagnose "$@" > out.txt 2> err.txt
  local rc=$?
  local line
  line=$(cat err.txt)
  rm -f out.txt err.txt
  [[ $rc -eq 2 ]] || fail "exit $rc (expected 2) for: $* ($line)"
  [[ $(wc -l <<< "$line") -eq 1 && $line == "phasecube: error: "* ]] ||
    fail "stderr not one error line for: $* ($line)"
  [[ $line == *"$needle"* ]] || fail "stderr lacks '$needle' for: $* ($line)"
  [[ $before == "$(snapshot)" ]] || fail "files changed by: $*"
}
ok=(--y y.npy --labels lab.npy)

# --- item 7: every dimension read from input is validated before use
expect_error "x0.npy: shape (60, 0) has no columns" -- --x x0.npy "${ok[@]}"
expect_error "x0.npy: shape (60, 0) has no columns" -- --x x.npy --y x0.npy --labels lab.npy
expect_error "bad.h5:x0: shape (60, 0) has no columns" -- --x bad.h5:x0 "${ok[@]}"
expect_error "rows0.npy: shape (0, 3) has no rows" -- --x rows0.npy --y rows0.npy --labels rows0.npy
expect_error "lab0.npy: shape (60, 0) has no columns" -- --x x.npy --y y.npy --labels lab0.npy
# --pca beyond min(d_x, d_y, n - 1) is clamped with a note on stderr (issue 14, as the
# authors' code does): the same JSON as asking for the clamped count.
for c in "wide_x.npy wide_y.npy lab10.npy 12 9" "x.npy y.npy lab.npy 5 4"; do
  read -r cx cy cl asked got <<<"$c"
  cases=$((cases + 1))
  "$EXE" diagnose --x "$cx" --y "$cy" --labels "$cl" --json --pca "$asked" >clamped.json 2>note.txt ||
    fail "--pca $asked on $cx: exit $?"
  grep -qF "phasecube: note: --pca $asked clamped to min(d_x, d_y, n - 1) = $got" note.txt ||
    fail "--pca $asked: no clamping note ($(cat note.txt))"
  "$EXE" diagnose --x "$cx" --y "$cy" --labels "$cl" --json --pca "$got" >exact.json 2>/dev/null ||
    fail "--pca $got on $cx"
  cmp -s clamped.json exact.json || fail "--pca $asked clamped differs from --pca $got"
  rm -f clamped.json exact.json note.txt
done
expect_error "need at least folds = 61" -- --x x.npy "${ok[@]}" --folds 61
expect_error "labels one-hot encoded (500000 classes): shape (5e+05, 5e+05) would need 2.0 TB" -- \
  --x x_tall.npy --y x_tall.npy --labels classes_tall.npy
expect_error "diagnose of n = 4 rows, d_x = 100000, d_y = 100000 would need" -- \
  --x x_wide.npy --y x_wide.npy --labels lab4.npy --folds 2

# --- item 11: labels without a labelled row
expect_error "no row is labelled" -- --x x.npy --y y.npy --labels unlabelled.npy

# --- issue 14, item 1: labels without information give "no label signal", exit 0, with both
# classifiers; the same cell with informative labels keeps a regime.
# expect_verdict REGIME ARGS: exit 0 and JSON regime REGIME (no objective for "no signal").
expect_verdict() {
  local want=$1
  shift
  for cls in elbow permutation; do
    cases=$((cases + 1))
    if ! "$EXE" diagnose "$@" --classifier $cls --json > got.json 2> err.txt; then
      fail "exit $? (expected 0) for: $* --classifier $cls ($(cat err.txt))"
      continue
    fi
    $PY - "$want" << 'PYEOF' || fail "$* --classifier $cls: $(cat why.txt)"
import json, math, sys
want = sys.argv[1]
r = json.load(open("got.json"))
why = []
if r["regime"] != want:
    why.append(f"regime {r['regime']!r}, expected {want!r}")
if want == "no signal":
    if r["regime_code"] != 4 or r["objective"] or r["direction"] or r["margin"] != "nan":
        why.append(f"code {r['regime_code']}, objective {r['objective']!r}, margin {r['margin']}")
    if "no label signal" not in r["warning"]:
        why.append(f"warning {r['warning']!r}")
    for name, s in r["steps"].items():
        if s["n_signal"] == 0 and (s["delta"] != "nan" or not s["no_signal"]):
            why.append(f"{name}: Delta {s['delta']} and reason {s['no_signal']!r} without signal")
open("why.txt", "w").write("; ".join(why))
sys.exit(1 if why else 0)
PYEOF
  done
  rm -f got.json err.txt why.txt
}
expect_verdict "no signal" --x x.npy --y y.npy --labels one_class.npy
expect_verdict "no signal" --x x.npy --y y.npy --labels one_labelled_class.npy
expect_verdict "no signal" --x x.npy --y y.npy --labels const_labels.npy
expect_verdict "no signal" --x cell_x.npy --y cell_y.npy --labels noise_labels.npy
expect_verdict "no signal" --x x.npy --y y.npy --labels lab.npy  # independent views
expect_verdict "Both" --x cell_x.npy --y cell_y.npy --labels cell_labels.npy
# The report says so in words.
cases=$((cases + 1))
"$EXE" diagnose --x x.npy --y y.npy --labels one_class.npy > out.txt 2> err.txt ||
  fail "one class report: exit $?"
grep -q "^Verdict: no label signal: the labels do not predict either view$" out.txt ||
  fail "one class report lacks the no-signal verdict: $(grep Verdict out.txt)"
rm -f out.txt err.txt

# --- item 14: HDF5 shapes and types
expect_error "bad.h5:huge: shape (1e+12, 1e+06) would need 8.0 EB of memory" -- \
  --x bad.h5:huge "${ok[@]}"
expect_error "bad.h5:huge1d: shape (1e+15, 1) would need" -- --x bad.h5:huge1d "${ok[@]}"
expect_error "expected a 1-D or 2-D dataset, got 3-D" -- --x bad.h5:cube3 "${ok[@]}"
expect_error "expected a 1-D or 2-D dataset, got 0-D" -- --x bad.h5:scalar "${ok[@]}"
for ds in strings compound enum vlen; do
  expect_error "bad.h5:$ds: not a numeric dataset" -- --x bad.h5:$ds "${ok[@]}"
done

# --- item 16: a NUL byte in a CSV cell is printed escaped, not cut
expect_error "line 3 is not numeric (field '1.5\\x00evil')" -- --x x_nul.csv "${ok[@]}"

# --- item 12: BOM and CRLF in CSV read exactly like the plain file
"$EXE" diagnose --x x.csv "${ok[@]}" --json > plain.json || fail "plain CSV run"
grep -q '"n": 60,' plain.json || fail "plain CSV: n is not 60"
for f in x_bom.csv x_crlf.csv x_bom_crlf.csv x_bom_header.csv; do
  cases=$((cases + 1))
  if "$EXE" diagnose --x "$f" "${ok[@]}" --json > got.json 2> err.txt; then
    cmp -s plain.json got.json || fail "$f: result differs from the plain CSV"
  else
    fail "$f: exit $? ($(cat err.txt))"
  fi
  rm -f got.json err.txt
done

# --- item 18: --plot, numbers, stray arguments
mkdir plots
expect_error "--plot 'plots': is a directory" -- --x x.npy "${ok[@]}" --plot plots
expect_error "is a directory" -- --x x.npy "${ok[@]}" --plot plots/
expect_error "unsupported format '.txt'" -- --x x.npy "${ok[@]}" --plot fig.txt
[[ -e plots.png ]] && fail "--plot plots wrote plots.png"
expect_error "--fold-seed '-1': must be an integer in [0, 2^64 - 1]" -- \
  --x x.npy "${ok[@]}" --fold-seed -1
expect_error "--fold-seed '18446744073709551616'" -- \
  --x x.npy "${ok[@]}" --fold-seed 18446744073709551616
# 1e1 (= 10 folds) is accepted as in the config grammar; 2.5 is not an integer.
for bad in 2.5 1e99 0x10 " 5" 5abc nan inf -3 +-5 ""; do
  expect_error "--folds '$bad': must be an integer in [2, " -- --x x.npy "${ok[@]}" --folds "$bad"
done
for bad in nan inf -inf 0x10 " 1" 1abc -1 1e999; do
  expect_error "--ridge '$bad': must be a number >= 0" -- --x x.npy "${ok[@]}" --ridge "$bad"
done
expect_error "--permutations '0'" -- --x x.npy "${ok[@]}" --permutations 0
expect_error "--pca '-1'" -- --x x.npy "${ok[@]}" --pca -1
expect_error "--whiten-reg '-1e-6'" -- --x x.npy "${ok[@]}" --whiten-reg -1e-6
expect_error "unexpected argument 'stray'; see phasecube diagnose --help" -- \
  --x x.npy "${ok[@]}" stray
expect_error "unknown option '--frobnicate'; see phasecube diagnose --help" -- \
  --x x.npy "${ok[@]}" --frobnicate
expect_error "option '--x' is given more than once" -- --x x.npy --x x.npy "${ok[@]}"
expect_error "option '--x' needs a value (got '--y')" -- --x --y y.npy --labels lab.npy
expect_error "option '--folds' needs a value" -- --x x.npy "${ok[@]}" --folds
# Valid spellings still work: scientific reals, the largest seed.
cases=$((cases + 1))
"$EXE" diagnose --x x.npy "${ok[@]}" --ridge 1e-2 --fold-seed 18446744073709551615 \
  --whiten-reg 0 > /dev/null 2> err.txt || fail "valid numbers refused: $(cat err.txt)"

# The plot: exactly the path it reports (needs matplotlib).
if $PY -c "import matplotlib" 2> /dev/null; then
  cases=$((cases + 1))
  "$EXE" diagnose --x x.npy "${ok[@]}" --plot fig > out.txt 2> err.txt || fail "--plot fig: $(cat err.txt)"
  grep -qx "plot: fig.png" out.txt || fail "--plot fig reports: $(grep plot: out.txt)"
  [[ -s fig.png && ! -e fig ]] || fail "--plot fig did not write exactly fig.png"
  # A no-signal verdict plots too (no marker on the phase diagram, a note instead).
  cases=$((cases + 1))
  "$EXE" diagnose --x x.npy --y y.npy --labels const_labels.npy --plot nosignal.png > out.txt \
    2> err.txt || fail "--plot on a no-signal verdict: $(cat err.txt)"
  [[ -s nosignal.png ]] || fail "--plot on a no-signal verdict wrote nothing"
fi

echo "check_diagnose_inputs: $cases cases, $failures failures"
[[ $failures -eq 0 ]]
