# shellcheck shell=bash
# Shared by the script tests (sourced, not a test itself): skipping, failure counting, file
# snapshots and the bad-input check (exit 2, one line, nothing touched).
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# skip MESSAGE: ctest's SKIP (exit 77) for a missing dependency; under CI (CI=true) a missing
# dependency is a failure, so a broken CI image cannot pass by skipping.
skip() {
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: $* (CI=true: a missing dependency fails instead of skipping)" >&2
    exit 1
  fi
  echo "SKIP: $*"
  exit 77
}

failures=0
cases=0
run_as=()  # a command prefix for expect_error, e.g. to run as another user
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# snapshot [DIR...]: every path under each DIR (default .) with its type, size, mtime and, for
# readable regular files, checksum; compare two snapshots to see whether anything changed.
snapshot() {
  local d
  for d in "${@:-.}"; do
    (cd "$d" && find . -printf '%p %y %s %T@\n' | sort && find . -type f -readable -exec md5sum {} + | sort)
  done
}

# good_config FILE: the small valid config the bad-input scripts vary (2 cells, instant).
good_config() {
  printf '%s\n' '[model]' 'd = 6' 'k = 2' 'n = 50' '[axes]' 'nu = 0.2, 0.8' '[run]' 'trials = 2' >"$1"
}

# The stderr file $1 holds a sanitizer report (ASan/UBSan build).
sanitizer_report() { grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$1"; }

# expect_error NEEDLE... -- ARGS...
# Runs "$EXE" ARGS in the current directory and checks: exit 2, one line on stderr starting
# "phasecube: error: " and containing every NEEDLE (fixed strings), no sanitizer report, and
# no file under the current directory created or changed. $IO is a directory outside it.
expect_error() {
  local needles=()
  while [[ $1 != -- ]]; do needles+=("$1"); shift; done
  shift
  cases=$((cases + 1))
  local before after rc line
  before=$(snapshot .)
  "${run_as[@]}" "$EXE" "$@" >"$IO/out" 2>"$IO/err"
  rc=$?
  after=$(snapshot .)
  line=$(cat "$IO/err")
  local what="phasecube $*"
  [[ $rc -eq 2 ]] || fail "$what: exit $rc, expected 2 (stderr: $line)"
  [[ $(wc -l <"$IO/err") -eq 1 ]] || fail "$what: stderr is not exactly one line: $line"
  [[ $line == "phasecube: error: "* ]] || fail "$what: stderr does not start 'phasecube: error:': $line"
  ! sanitizer_report "$IO/err" || fail "$what: sanitizer report: $line"
  for needle in "${needles[@]}"; do
    grep -qF -- "$needle" "$IO/err" || fail "$what: stderr lacks '$needle': $line"
  done
  [[ $before == "$after" ]] || fail "$what: files changed: $(diff <(echo "$before") <(echo "$after") | tr '\n' ' ')"
}
