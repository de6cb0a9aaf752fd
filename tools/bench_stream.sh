#!/usr/bin/env bash
# Issue 15's acceptance figures on this machine (README "Cube writing"):
#   1. rank 0's peak RSS and start-up against the number of cells, 10^5 .. 10^8: `theory`
#      (complete) and `run` (d = 4, k = 1, n = 100, 1 trial; stopped by SIGTERM after 20 s,
#      except the smallest, which completes);
#   2. a 2 x 10^7-cell run (the same cells) under mpirun -np 2, peak RSS of every rank;
#   3. kill -9 of a serial run of it 60 s in, then --resume: the cube equals the mpirun one,
#      dataset by dataset (tools/cube_hashes.py).
# Start-up = seconds from the launch until the cube (or theory's temporary) exists, i.e. the
# first cells are being computed. Needs ~10 GB free in WORK_DIR (the working cube of 2 x 10^7
# cells is 6.6 GB before the final, compressed one replaces it).
# Usage: tools/bench_stream.sh [BUILD_DIR] [WORK_DIR]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
exe=$(realpath "${1:-$ROOT/build}")/phasecube
work=$(mktemp -d "${2:-${TMPDIR:-/tmp}}/bench_stream.XXXXXX")
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
cd "$work"
printf '[model]\nd = 4\nk = 1\nn = 100\n[run]\ntrials = 1\nseed = 3\n' >cells.ini
now() { date +%s.%N; }
# measure LABEL OUT STOP_AFTER CMD...: prints label, start-up, wall, peak RSS (MB) and exit.
measure() {
  local label=$1 out=$2 stop=$3 t0 pid start=- rc=0
  shift 3
  t0=$(now)
  /usr/bin/time -v -o time.txt "$@" 2>log.txt &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [[ $start == - ]] && compgen -G "$out" >/dev/null; then
      start=$(echo "$(now) - $t0" | bc)
    fi
    if [[ $stop != - ]] && (($(echo "$(now) - $t0 > $stop" | bc))); then
      # phasecube itself, not /usr/bin/time (whose command line holds the same words)
      pkill -TERM -f -- "^$exe .*--output $(basename "${out%%\**}")" || true
      stop=-
    fi
    sleep 0.05
  done
  wait "$pid" || rc=$?
  printf '%-28s start %6.2f s  wall %8s  peak RSS %6.0f MB  exit %d\n' "$label" "$start" \
    "$(awk -F': ' '/Elapsed/ {print $2}' time.txt)" \
    "$(awk -F': ' '/Maximum resident/ {print $2 / 1024}' time.txt)" "$rc"
}
grid() {  # grid CELLS: kappa x nu axes with that many cells
  case $1 in
    1e5) echo '--axes.kappa=linspace(0.2,2,100) --axes.nu=linspace(0,0.9,1000)' ;;
    1e6) echo '--axes.kappa=linspace(0.2,2,1000) --axes.nu=linspace(0,0.9,1000)' ;;
    1e7) echo '--axes.kappa=linspace(0.2,2,2500) --axes.nu=linspace(0,0.9,4000)' ;;
    1e8) echo '--axes.kappa=linspace(0.2,2,10000) --axes.nu=linspace(0,0.9,10000)' ;;
    2e7) echo '--axes.kappa=linspace(0.2,2,5000) --axes.nu=linspace(0,0.9,4000)' ;;
  esac
}
echo "1. rank 0 against the number of cells (OMP_NUM_THREADS=2)"
for cells in 1e5 1e6 1e7 1e8; do
  # shellcheck disable=SC2046  # the axes are two words
  OMP_NUM_THREADS=2 measure "theory $cells cells" ".t$cells.h5.*.writing" - \
    "$exe" theory --config cells.ini --output "t$cells.h5" $(grid $cells)
  ls -s --block-size=M "t$cells.h5" | awk '{print "    file " $1}'
  rm -f "t$cells.h5"
  stop=20
  [[ $cells == 1e5 ]] && stop=-
  # shellcheck disable=SC2046
  OMP_NUM_THREADS=2 measure "run $cells cells" "r$cells.h5" $stop \
    "$exe" run --config cells.ini --output "r$cells.h5" $(grid $cells)
  tail -n 1 log.txt | sed 's/^/    /'
  rm -f "r$cells.h5"
done

echo "2. run of 2 x 10^7 cells, mpirun -np 2, 1 thread per rank: peak RSS of each rank"
t0=$(now)
OMP_NUM_THREADS=1 mpirun -np 2 --bind-to none -x OMP_NUM_THREADS /usr/bin/time -v \
  "$exe" run --config cells.ini --output ref.h5 $(grid 2e7) 2>mpi.txt
echo "  wall $(echo "$(now) - $t0" | bc) s; $(grep -c 'Maximum resident' mpi.txt) ranks:" \
  "$(awk -F': ' '/Maximum resident/ {printf "%.0f MB ", $2 / 1024}' mpi.txt)"
grep -E "wrote" mpi.txt | sed 's/^/  /'
ls -s --block-size=M ref.h5 | awk '{print "  file " $1}'

echo "3. kill -9 of a serial run (2 threads) 60 s in, then --resume"
# shellcheck disable=SC2046
OMP_NUM_THREADS=2 "$exe" run --config cells.ini --output kill.h5 $(grid 2e7) 2>kill.txt &
pid=$!
sleep 60
kill -9 $pid
wait $pid 2>/dev/null || true
ls -s --block-size=M kill.h5 | awk '{print "  working cube after the kill: " $1 " allocated"}'
# shellcheck disable=SC2046
OMP_NUM_THREADS=2 measure "--resume" "kill.h5" - \
  "$exe" run --config cells.ini --output kill.h5 --resume $(grid 2e7)
grep -E "resuming|wrote" log.txt | sed 's/^/  /'
/usr/bin/python3 "$ROOT/tools/cube_hashes.py" ref.h5 >ref.sha
if /usr/bin/python3 "$ROOT/tools/cube_hashes.py" kill.h5 --check ref.sha; then
  echo "  every dataset of the resumed cube equals the uninterrupted mpirun cube"
else
  echo "  the resumed cube DIFFERS"
  exit 1
fi
