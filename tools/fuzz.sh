#!/usr/bin/env bash
# The short fuzz run of tools/test.sh (step "fuzz"): builds the libFuzzer targets of
# tests/fuzz in build-fuzz/ (clang, ASan + UBSan) and runs each for a fixed number of
# executions with a fixed seed, two targets at a time. Exit 1 on any finding (crash,
# sanitizer report, timeout, out-of-memory, broken property); its input and log are kept in
# build-fuzz/fuzz-findings/TARGET/. See tests/fuzz/README.md.
#   tools/fuzz.sh [TARGET...]   (default: every target)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Executions per target, fixed (with -seed=1) so a run is reproducible; about 30 s each on
# the CI machine. The time cap only guards a much slower machine. New inputs go to a
# temporary directory: the committed corpus is read, never written.
RUNS=(config:30000 axis:200000 npy:500000 csv:400000 cube:3000)
MAX_SECONDS=120

run_fuzzer() {  # run_fuzzer TARGET RUNS: 0 when the run ends without a finding
  local target=$1 runs=$2 dir=build-fuzz/fuzz-findings/$1 new
  local seeds=(tests/fuzz/corpus/"$target")
  [[ -d tests/fuzz/regressions/$target ]] && seeds+=(tests/fuzz/regressions/"$target")
  rm -rf "$dir" && mkdir -p "$dir"
  new=$(mktemp -d)
  local start=$SECONDS
  if build-fuzz/tests/fuzz/fuzz_"$target" -seed=1 -runs="$runs" -max_total_time=$MAX_SECONDS \
    -timeout=25 -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 \
    -artifact_prefix="$dir/" "$new" "${seeds[@]}" >"$dir/log" 2>&1; then
    echo "fuzz $target: $(grep -o 'number_of_executed_units: *[0-9]*' "$dir/log" | grep -o '[0-9]*$')" \
      "runs in $((SECONDS - start)) s, no finding ($(ls "$new" | wc -l) new inputs)"
    rm -rf "$new" "$dir"
    return 0
  fi
  tail -n 60 "$dir/log"
  echo "fuzz $target: FINDING; input and log in $dir/ (replay: build-fuzz/tests/fuzz/fuzz_$target FILE)" >&2
  rm -rf "$new"
  return 1
}

CC=clang CXX=clang++ cmake -S . -B build-fuzz --log-level=WARNING -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPHASECUBE_FUZZ=ON -DPHASECUBE_TESTS=OFF -DPHASECUBE_BENCH=OFF
cmake --build build-fuzz --target fuzzers --parallel "$(nproc)"

export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
selected=()
for spec in "${RUNS[@]}"; do
  [[ $# -eq 0 || " $* " == *" ${spec%%:*} "* ]] && selected+=("$spec")
done
rc=0
for ((i = 0; i < ${#selected[@]}; i += 2)); do
  pids=()
  for spec in "${selected[@]:i:2}"; do
    run_fuzzer "${spec%%:*}" "${spec##*:}" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
done
exit $rc
