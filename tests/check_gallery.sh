#!/usr/bin/env bash
# ctest: bash tests/check_gallery.sh <phasecube-exe> <source-dir>
# Runs tools/gallery.py --quick with the real executable and checks every figure (exists,
# PNG magic bytes, > 10 kB); runs tools/plot_cube.py on a small 3-D cube (strip PNG and an
# animated GIF with more than one frame) and checks that a 2-D cube, an unknown axis and a
# missing executable are refused with one clear line. About 15 s on 2 cores.
# Exits 77 (ctest SKIP) when Debian's python lacks matplotlib/h5py/numpy/PIL.
set -euo pipefail

exe=${1:?usage: check_gallery.sh <phasecube-exe> <source-dir>}
src=${2:?usage: check_gallery.sh <phasecube-exe> <source-dir>}
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"

"$PY" -c 'import matplotlib, h5py, numpy, PIL' 2>/dev/null ||
  skip "$PY lacks matplotlib/h5py/numpy/PIL (run tools/deps.sh)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}

check_png() {  # path: exists, PNG magic bytes, > 10 kB
  [[ -f "$1" ]] || fail "missing $1"
  local magic size
  magic=$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')
  [[ "$magic" == 89504e470d0a1a0a ]] || fail "$1 is not a PNG (magic $magic)"
  size=$(stat -c %s "$1")
  ((size > 10240)) || fail "$1 is only $size bytes (expected > 10 kB)"
}

gif_frames() {  # path: GIF89a magic, prints the number of frames
  [[ "$(head -c 6 "$1")" == GIF89a ]] || fail "$1 is not a GIF89a file"
  "$PY" -c 'import sys; from PIL import Image; print(Image.open(sys.argv[1]).n_frames)' "$1"
}

# 1. The gallery, quick mode: every expected figure, and the list printed.
start=$SECONDS
"$PY" "$src/tools/gallery.py" --quick --exe "$exe" --outdir "$tmp/gallery" >"$tmp/gallery.out" \
  2>"$tmp/gallery.err" || { cat "$tmp/gallery.out" "$tmp/gallery.err" >&2; fail "gallery.py failed"; }
expected=(phase_diagram default_cube recovery_vs_nu risk_probe_vs_cp separation_vs_gamma_tilde_y
          joint_objective partial_recovery soft_bottleneck convergence)
for name in "${expected[@]}"; do
  check_png "$tmp/gallery/$name.png"
  grep -q "$tmp/gallery/$name.png" "$tmp/gallery.out" || fail "gallery.py did not list $name.png"
done
frames=$(gif_frames "$tmp/gallery/default_cube.gif")
((frames > 1)) || fail "default_cube.gif has $frames frame(s)"
echo "gallery.py --quick: ${#expected[@]} PNGs and a $frames-frame GIF in $((SECONDS - start)) s"

# 2. A missing executable: non-zero exit and one line naming it.
rc=0
"$PY" "$src/tools/gallery.py" --quick --exe "$tmp/no-such-phasecube" --outdir "$tmp/g2" \
  >/dev/null 2>"$tmp/err" || rc=$?
((rc != 0)) || fail "gallery.py with a missing executable exited 0"
[[ $(wc -l <"$tmp/err") -eq 1 ]] || fail "missing executable: expected one line, got: $(cat "$tmp/err")"
grep -q "no-such-phasecube" "$tmp/err" || fail "missing executable: the error does not name it"

# 3. plot_cube.py on a small 3-D cube: a strip PNG and a GIF stepping through gamma_x.
"$exe" run --config "$src/sweeps/default_cube.ini" --output "$tmp/cube3.h5" --overwrite \
  --run.trials=4 --axes.gamma_x="0.1, 1, 10" --axes.kappa="linspace(0, 3, 6)" \
  --axes.nu="linspace(0, 1, 5)" >/dev/null 2>&1 || fail "phasecube run (3-D cube) failed"
"$PY" "$src/tools/plot_cube.py" "$tmp/cube3.h5" --strip "$tmp/strip.png" --gif "$tmp/cube3.gif" \
  >/dev/null || fail "plot_cube.py failed on a 3-D cube"
check_png "$tmp/strip.png"
frames=$(gif_frames "$tmp/cube3.gif")
((frames == 3)) || fail "cube3.gif has $frames frames, expected 3 (one per gamma_x)"
# Another slicing axis: one panel per nu value.
"$PY" "$src/tools/plot_cube.py" "$tmp/cube3.h5" --slice nu --x kappa --y gamma_x \
  --strip "$tmp/strip_nu.png" >/dev/null || fail "plot_cube.py --slice nu failed"
check_png "$tmp/strip_nu.png"

# 4. Bad input: a 2-D cube and an unknown axis exit 2 with a message.
"$exe" run --config "$src/sweeps/quickstart.ini" --output "$tmp/cube2.h5" --overwrite \
  --run.trials=2 --axes.kappa="linspace(0, 3, 3)" --axes.nu="linspace(0, 1, 3)" >/dev/null 2>&1 \
  || fail "phasecube run (2-D cube) failed"
rc=0
"$PY" "$src/tools/plot_cube.py" "$tmp/cube2.h5" --strip "$tmp/bad.png" 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] || fail "plot_cube.py on a 2-D cube: exit code $rc, expected 2"
grep -q "3-D" "$tmp/err" || fail "plot_cube.py on a 2-D cube: unclear message: $(cat "$tmp/err")"
[[ ! -e "$tmp/bad.png" ]] || fail "plot_cube.py wrote a PNG for a 2-D cube"
rc=0
"$PY" "$src/tools/plot_cube.py" "$tmp/cube3.h5" --slice no_such_axis 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] || fail "plot_cube.py --slice no_such_axis: exit code $rc, expected 2"
grep -q "no_such_axis" "$tmp/err" || fail "unknown axis error does not name the axis"

echo "PASS: gallery and plot_cube figures in $SECONDS s"
