#!/usr/bin/env bash
# ctest: bash tests/check_plot.sh <phasecube-exe> <source-dir>
# Runs a tiny sweep with the real executable, plots it with tools/plot_phase.py and checks
# the PNG (exists, PNG magic bytes, > 10 kB) and that a bad axis name exits with code 2.
# Exits 77 (ctest SKIP) when Debian's python lacks matplotlib/h5py.
set -euo pipefail

exe=${1:?usage: check_plot.sh <phasecube-exe> <source-dir>}
src=${2:?usage: check_plot.sh <phasecube-exe> <source-dir>}
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"

"$PY" -c 'import matplotlib, h5py, numpy' 2>/dev/null ||
  skip "$PY lacks matplotlib/h5py/numpy (run tools/deps.sh)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Small override of the quickstart sweep: 5 x 4 cells, 4 trials (seconds, even under ASan).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
"$exe" run --config "$src/sweeps/quickstart.ini" --output "$tmp/q.h5" --run.trials=4 \
  --axes.kappa="linspace(0,3,5)" --axes.nu="linspace(0,1,4)"
[[ -f "$tmp/q.h5" ]] || fail "phasecube run wrote no cube"

"$PY" "$src/tools/plot_phase.py" "$tmp/q.h5" --output "$tmp/q.png"
[[ -f "$tmp/q.png" ]] || fail "no PNG written"
magic=$(head -c 8 "$tmp/q.png" | od -An -tx1 | tr -d ' \n')
[[ "$magic" == 89504e470d0a1a0a ]] || fail "q.png is not a PNG (magic $magic)"
size=$(stat -c %s "$tmp/q.png")
((size > 10240)) || fail "q.png is only $size bytes (expected > 10 kB)"

# The default output is the cube path with .png.
"$PY" "$src/tools/plot_phase.py" "$tmp/q.h5" >/dev/null
[[ -f "$tmp/q.png" ]] || fail "default output path not used"

# Bad input is reported with exit code 2 (not a traceback).
rc=0
"$PY" "$src/tools/plot_phase.py" "$tmp/q.h5" --x no_such_axis --output "$tmp/bad.png" \
  2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] || fail "bad axis name: exit code $rc, expected 2"
grep -q "no_such_axis" "$tmp/err" || fail "bad axis error does not name the axis"
rc=0
"$PY" "$src/tools/plot_phase.py" "$tmp/missing.h5" 2>/dev/null || rc=$?
[[ $rc -eq 2 ]] || fail "missing file: exit code $rc, expected 2"

# Indexed axes (issue 12): kappa[2] swept, gamma_x[0] fixed; plot_phase and plot_cube take the
# names as written, and the title lists the fixed coordinate after its parameter.
"$exe" theory --config "$src/sweeps/soft_bottleneck_kappa3.ini" --output "$tmp/i.h5" \
  --axes.nu="0.2, 0.5, 0.8" --axes.gamma_tilde_x[1]="0.5, 2" --model.gamma_x[0]=3 >/dev/null
"$PY" "$src/tools/plot_phase.py" "$tmp/i.h5" --x "kappa[2]" --y nu --at "gamma_tilde_x[1]=2" \
  --output "$tmp/i.png" >/dev/null || fail "plot_phase.py refused the kappa[2] axis"
"$PY" "$src/tools/plot_cube.py" "$tmp/i.h5" --slice "kappa[2]" --strip "$tmp/s.png" >/dev/null ||
  fail "plot_cube.py refused the kappa[2] axis"
[[ -f "$tmp/i.png" && -f "$tmp/s.png" ]] || fail "no PNG for the indexed axes"
title=$(cd "$src/tools" && "$PY" -c 'import sys, h5py, plot_phase as pp
print(" ".join(pp.fixed_params(h5py.File(sys.argv[1]))))' "$tmp/i.h5")
[[ $title == *"gamma_x=1 gamma_x[0]=3 gamma_y=1"* ]] || fail "title lacks gamma_x[0]: $title"

echo "PASS: plot_phase.py wrote a $size-byte PNG"
