#!/usr/bin/env bash
# ctest: bash tests/check_plot_infonce.sh <phasecube-exe> <source-dir>
# tools/plot_infonce.py on tiny InfoNCE cubes made with the real executable: a (kappa, nu) cube
# gives the heatmaps and an (infonce_tau, nu) cube the line plot, each a PNG (magic bytes, not
# blank: pixel variance); a cube without infonce variables, a missing file and an unknown output
# format are refused with exit 2, one line "plot_infonce: error: ..." and no file written.
# Exits 77 (ctest SKIP) when Debian's python lacks matplotlib/h5py.
set -uo pipefail

exe=${1:?usage: check_plot_infonce.sh <phasecube-exe> <source-dir>}
src=${2:?usage: check_plot_infonce.sh <phasecube-exe> <source-dir>}
PY=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
"$PY" -c 'import matplotlib, h5py, numpy' 2>/dev/null ||
  skip "$PY lacks matplotlib/h5py/numpy (run tools/deps.sh)"

tmp=$(mktemp -d)
IO=$(mktemp -d)
trap 'rm -rf "$tmp" "$IO"' EXIT
cd "$tmp" || exit 1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
plot() { "$PY" "$src/tools/plot_infonce.py" "$@"; }

# 2 x 3 cells, 1 trial, 50 Adam steps: about a second.
printf '%s\n' '[model]' 'd = 4' 'k = 2' 'n = 200' 'infonce_batch = 64' 'infonce_max_steps = 50' \
  '[axes]' 'kappa = 1, 2' 'nu = 0, 0.5, 0.9' '[run]' 'trials = 1' 'seed = 3' \
  'methods = ca, cp, infonce' >c.ini
"$exe" run --config c.ini --output kn.h5 2>/dev/null || { echo "FAIL: phasecube run (kappa, nu)"; exit 1; }
"$exe" run --config c.ini --output tau.h5 --model.kappa=2 \
  --axes.infonce_tau="0.1, 0.5" 2>/dev/null || { echo "FAIL: phasecube run (tau, nu)"; exit 1; }
"$exe" run --config c.ini --output kt.h5 --model.nu=0.5 \
  --axes.infonce_tau="0.1, 0.5" 2>/dev/null || { echo "FAIL: phasecube run (kappa, tau)"; exit 1; }
"$exe" run --config c.ini --output noinf.h5 --run.methods="ca, cp" 2>/dev/null ||
  { echo "FAIL: phasecube run without infonce"; exit 1; }

# A PNG that is not blank.
check_png() {
  cases=$((cases + 1))
  [[ -f $1 ]] || { fail "$1 not written"; return; }
  local magic
  magic=$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')
  [[ $magic == 89504e470d0a1a0a ]] || { fail "$1 is not a PNG (magic $magic)"; return; }
  "$PY" -c 'import sys, matplotlib.image as im
img = im.imread(sys.argv[1])
sys.exit(0 if img.ndim == 3 and img[..., :3].var() > 1e-3 else 1)' "$1" || fail "$1 is blank"
}
plot kn.h5 --output kn.png >/dev/null || fail "plot_infonce.py refused the (kappa, nu) cube"
check_png kn.png
plot tau.h5 --output sub/tau.png >/dev/null || fail "plot_infonce.py refused the (tau, nu) cube"
check_png sub/tau.png

# refused NEEDLE ARGS...: exit 2, one line "plot_infonce: error: ..." naming NEEDLE, no file
# created or changed.
refused() {
  local needle=$1 rc=0 before line
  shift
  cases=$((cases + 1))
  before=$(snapshot .)
  plot "$@" >"$IO/out" 2>"$IO/err" || rc=$?
  [[ $rc -eq 2 ]] || fail "plot_infonce.py $*: exit $rc, expected 2"
  [[ $(wc -l <"$IO/err") -eq 1 ]] || fail "plot_infonce.py $*: stderr is not one line"
  line=$(cat "$IO/err")
  [[ $line == "plot_infonce: error: "*"$needle"* ]] ||
    fail "plot_infonce.py $*: stderr is not 'plot_infonce: error: ...$needle...': $line"
  [[ $(snapshot .) == "$before" ]] || fail "plot_infonce.py $*: wrote a file"
}
refused infonce_projector_distance_mean noinf.h5 --output bad.png
refused "no such file" missing.h5 --output bad.png
refused "expected a" kn.h5 --output bad.txt
refused "expected (kappa, nu)" kt.h5 --output bad.png
refused "unrecognized arguments" kn.h5 --output bad.png --bogus

((failures == 0)) || { echo "FAIL: $failures of $cases cases"; exit 1; }
echo "PASS: plot_infonce.py, $cases cases"
