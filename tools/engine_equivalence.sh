#!/usr/bin/env bash
# Bitwise equivalence of two phasecube executables on every sweep in sweeps/ (the proof a
# refactor owes): for each sweeps/*.ini, `run` and `theory` with REF and with NEW (NEW also
# under mpirun -np 3 with one thread each), every cube compared with tools/compare_cubes.py
# --allow-new (new variables and attributes allowed, nothing changed or dropped).
#
#   tools/engine_equivalence.sh REF_EXE NEW_EXE [--trials T] [--only NAME] [--keep DIR]
#                               [--set --section.key=value ...]
#
# --trials T caps the trials of every run (the grid stays the sweep's own); default: the
# sweep's own trials. --set passes one config override to every run and theory of both
# executables (e.g. --set --model.infonce_max_steps=40 to make the InfoNCE sweeps affordable). Prints one table row per sweep and exits 1 if any cube differs.
# Build the reference from any commit with e.g.
#   git worktree add /tmp/ref 01b3590 && tools/build.sh /tmp/ref/build -DPHASECUBE_BENCH=OFF
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ref=$(realpath "$1") new=$(realpath "$2")
shift 2
trials="" only="" keep="" sets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --trials) trials=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    *) echo "engine_equivalence: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
tmp=${keep:-$(mktemp -d)}
mkdir -p "$tmp"
[[ -n $keep ]] || trap 'rm -rf "$tmp"' EXIT
cmp() { /usr/bin/python3 "$ROOT/tools/compare_cubes.py" --allow-new --quiet "$@"; }

bad=0
printf '| sweep | cells | run: serial | run: mpirun -np 3 | theory |\n|---|---|---|---|---|\n'
for ini in "$ROOT"/sweeps/*.ini; do
  name=$(basename "$ini" .ini)
  [[ -z $only || $name == "$only" ]] || continue
  extra=("${sets[@]}")
  [[ -n $trials ]] && extra+=("--run.trials=$trials")
  row=()
  # A sweep REF refuses as input (exit 2: e.g. a key added after it) has nothing to compare;
  # NEW must still run it.
  "$ref" theory --config "$ini" --output "$tmp/$name.probe.h5" --overwrite "${sets[@]}" 2>/dev/null
  if [[ $? -eq 2 ]]; then
    if "$new" theory --config "$ini" --output "$tmp/$name.tnew.h5" --overwrite "${sets[@]}" 2>/dev/null; then
      echo "| $name | - | new: REF refuses the config | | |"
    else
      echo "| $name | - | a run failed | | |"
      bad=1
    fi
    continue
  fi
  "$ref" run --config "$ini" --output "$tmp/$name.ref.h5" --overwrite "${extra[@]}" 2>/dev/null &&
    "$new" run --config "$ini" --output "$tmp/$name.new.h5" --overwrite "${extra[@]}" 2>/dev/null &&
    OMP_NUM_THREADS=1 mpirun -np 3 "$new" run --config "$ini" --output "$tmp/$name.mpi.h5" \
      --overwrite "${extra[@]}" 2>/dev/null &&
    "$ref" theory --config "$ini" --output "$tmp/$name.tref.h5" --overwrite "${sets[@]}" 2>/dev/null &&
    "$new" theory --config "$ini" --output "$tmp/$name.tnew.h5" --overwrite "${sets[@]}" 2>/dev/null
  if [[ $? -ne 0 ]]; then
    echo "| $name | - | a run failed | | |"
    bad=1
    continue
  fi
  cells=$(/usr/bin/python3 -c 'import sys,h5py; print(h5py.File(sys.argv[1])["done"].size)' \
    "$tmp/$name.ref.h5")
  for pair in "ref new" "ref mpi" "tref tnew"; do
    set -- $pair
    if out=$(cmp "$tmp/$name.$1.h5" "$tmp/$name.$2.h5"); then
      row+=("identical")
    else
      row+=("DIFFERS: $(echo "$out" | head -3 | tr '\n' ' ')")
      bad=1
    fi
  done
  echo "| $name | $cells | ${row[0]} | ${row[1]} | ${row[2]} |"
done
exit $bad
