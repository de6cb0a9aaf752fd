#!/usr/bin/env bash
# tools/compare_cubes.py, the bitwise safety net of refactors: identical runs (1 vs 2 threads,
# different output paths) compare equal; a changed seed, one flipped bit of one variable, a
# changed attribute and a dropped variable are each found (exit 1, the variable named); a new
# variable is allowed only with --allow-new; a binding cube (modality scale) compares too.
# Usage: check_compare_cubes.sh <phasecube-exe> <source-dir>
set -euo pipefail
exe=$1
src=$2
py=/usr/bin/python3
cmp="$py $src/tools/compare_cubes.py"
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
"$py" -c "import h5py, numpy" 2>/dev/null || skip "$py lacks h5py/numpy"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cat >"$tmp/c.ini" <<'INI'
[model]
d = 5
k = 2
n = 400
[axes]
kappa = 0.5, 1.5
nu = 0.1, 0.5, 0.9
[run]
trials = 6
INI
OMP_NUM_THREADS=2 "$exe" run --config "$tmp/c.ini" --output "$tmp/a.h5" 2>/dev/null
OMP_NUM_THREADS=1 "$exe" run --config "$tmp/c.ini" --output "$tmp/b.h5" 2>/dev/null
"$exe" run --config "$tmp/c.ini" --output "$tmp/seed.h5" --run.seed=9 2>/dev/null
expect() {  # expect RC NEEDLE -- ARGS: compare_cubes exits RC and prints NEEDLE
  local rc=$1 needle=$2 got out
  shift 3
  out=$($cmp "$@" 2>&1) && got=0 || got=$?
  if [[ $got -ne $rc || $out != *"$needle"* ]]; then
    fail "compare_cubes $*: exit $got (want $rc), output: $out"
  fi
}
expect 0 identical -- "$tmp/a.h5" "$tmp/b.h5"
expect 1 "DIFF ca_distance_mean: data differs" -- "$tmp/a.h5" "$tmp/seed.h5"
expect 1 "attribute seed differs" -- "$tmp/a.h5" "$tmp/seed.h5"

cp "$tmp/b.h5" "$tmp/bit.h5"
"$py" - "$tmp/bit.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r+") as f:
    v = f["cp_gap_mean"][()]
    bits = v.view(np.uint64)
    bits.flat[3] ^= np.uint64(1)  # the last bit of one cell
    f["cp_gap_mean"][...] = bits.view(np.float64)
PY
expect 1 "DIFF cp_gap_mean: data differs" -- "$tmp/a.h5" "$tmp/bit.h5"

cp "$tmp/b.h5" "$tmp/new.h5"
"$py" -c "import sys,h5py; f=h5py.File(sys.argv[1],'r+'); f['extra']=[1.0]; f.attrs['x']=1" \
  "$tmp/new.h5"
expect 1 "extra: only in B" -- "$tmp/a.h5" "$tmp/new.h5"
expect 0 "2 new in B" -- "$tmp/a.h5" "$tmp/new.h5" --allow-new
expect 1 "extra: missing in B" -- "$tmp/new.h5" "$tmp/a.h5" --allow-new

cp "$tmp/b.h5" "$tmp/attr.h5"
"$py" -c "import sys,h5py; f=h5py.File(sys.argv[1],'r+'); f['nu'].attrs['long_name']='x'" \
  "$tmp/attr.h5"
expect 1 "nu: attribute long_name differs" -- "$tmp/a.h5" "$tmp/attr.h5"
expect 0 identical -- "$tmp/a.h5" "$tmp/attr.h5" --ignore-attr long_name
expect 2 "error" -- "$tmp/a.h5" "$tmp/missing.h5"

cat >"$tmp/m.ini" <<'INI'
[model]
d = 4
k = 1
n = 300
gamma = 1, 0.2
[axes]
modalities = 2, 3
[run]
trials = 4
INI
"$exe" run --config "$tmp/m.ini" --output "$tmp/m1.h5" 2>/dev/null
OMP_NUM_THREADS=1 "$exe" run --config "$tmp/m.ini" --output "$tmp/m2.h5" 2>/dev/null
expect 0 identical -- "$tmp/m1.h5" "$tmp/m2.h5"

[[ $failures -eq 0 ]] || { echo "check_compare_cubes: $failures failure(s)"; exit 1; }
echo "check_compare_cubes: OK"
