#!/usr/bin/env bash
# One config grammar for every run (issue 12): two-modality and binding configs accept the
# same comments and numbers, refuse the same grid size with the same message, and the kind of
# run follows from a `modalities` key, never from a substring of a value.
#   bash tests/check_config_grammar.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/cwd" "$TMP/io"
cd "$TMP/cwd" || exit 1
IO=$TMP/io

PLAIN=$'[model]\nd = 6\nk = 2\nn = 50\n'
BIND=$'[model]\nmodalities = 3\nd = 4\nk = 1\nn = 50\n'

# accepts NAME TEXT: `theory` on the config TEXT writes a cube (outside the checked directory).
accepts() {
  cases=$((cases + 1))
  printf '%s\n' "$2" >"$IO/$1.ini"
  "$EXE" theory --config "$IO/$1.ini" --output "$IO/$1.h5" --overwrite >/dev/null 2>"$IO/err" ||
    fail "$1: refused: $(cat "$IO/err")"
}
# refuses NAME TEXT NEEDLE...: exit 2, one line naming every NEEDLE, nothing written.
refuses() {
  local name=$1 text=$2
  shift 2
  printf '%s\n' "$text" >"$IO/$name.ini"
  expect_error "$@" -- theory --config "$IO/$name.ini" --output out.h5
}
# kind CUBE: "binding" or "two-modality", from `inspect`.
kind() {
  if "$EXE" inspect "$1" | grep -q '^modality:'; then echo binding; else echo two-modality; fi
}

for run in PLAIN BIND; do
  base=${!run}
  # Comments: '#' or ';' starting a line, '#' after a value.
  accepts "$run-comments" $'; a comment\n# another\n'"$base"$'  ; indented\n[run]\ntrials = 2 # two'
  # One number syntax for every integer setting.
  accepts "$run-digits" "$base"$'[run]\ntrials = 100\nseed = 7\nchunk_cells = 3'
  accepts "$run-exponent" "$base"$'[run]\ntrials = 1e2\nseed = 1e2\nchunk_cells = 1e3'
  accepts "$run-seed-max" "$base"$'[run]\nseed = 18446744073709551615\nchunk_cells = +2.0'
  refuses "$run-trials-frac" "$base"$'[run]\ntrials = 1.5' "run.trials = 1.5: must be an integer"
  refuses "$run-seed-frac" "$base"$'[run]\nseed = 1.5' "run.seed = 1.5: must be an integer"
  refuses "$run-seed-neg" "$base"$'[run]\nseed = -1' "run.seed = -1: must be >= 0"
  refuses "$run-seed-big" "$base"$'[run]\nseed = 18446744073709551616' \
    "run.seed = 18446744073709551616: must be <= 18446744073709551615"
  refuses "$run-chunk-hex" "$base"$'[run]\nchunk_cells = 0x10' "run.chunk_cells = '0x10'" \
    "is not a number"
  refuses "$run-trials-big" "$base"$'[run]\ntrials = 1e13' \
    "run.trials = 1e13: must be <= 2147483647"
  # The same duplicate-key rule, naming both lines.
  refuses "$run-twice" $'[run]\ntrials = 2\ntrials = 3\n'"$base" \
    "$IO/$run-twice.ini:3: key 'run.trials' is given more than once (first at $IO/$run-twice.ini:2)"
  # Section names as written: "[ run ]" is no section.
  refuses "$run-padded" "$base"$'[ run ]\ntrials = 2' "unknown section ' run '"
done

# One cell limit, checked on the axis lengths before any grid is built: 1001^3 > 1e9 cells,
# refused within seconds under a 1 GB address-space limit.
ASAN=$(grep -qa __asan_init "$EXE" && echo 1)  # its shadow memory ignores ulimit -v
limit() {
  local name=$1 text=$2 before=$failures
  printf '%s\n' "$text" >"$IO/$name.ini"
  (
    [[ -n $ASAN ]] || ulimit -v 1000000
    expect_error "[axes]: the grid $3 has more than 1000000000 cells" -- \
      theory --config "$IO/$name.ini" --output out.h5
    ((failures == before))
  ) || failures=$((failures + 1))
  cases=$((cases + 1))
}
limit plain-grid "$PLAIN"$'[axes]\nkappa = logspace(0, 1, 1001)\nnu = linspace(0, 1, 1001)\ngamma_x = logspace(0, 1, 1001)' \
  "kappa 1001 x nu 1001 x gamma_x 1001"
limit bind-grid "$BIND"$'[axes]\nkappa = logspace(0, 1, 1001)\ngamma = logspace(0, 1, 1001)\ngamma_tilde = logspace(0, 1, 1001)' \
  "kappa 1001 x gamma 1001 x gamma_tilde 1001"

# Dispatch on keys: a value that contains "model.modalities" keeps a two-modality run ...
printf '%s\n' "$PLAIN"$'[axes]\nnu = 0.2, 0.8\n[run]\ntrials = 2' >"$IO/plain.ini"
"$EXE" theory --config "$IO/plain.ini" --run.output="$IO/x/model.modalities.h5" \
  --output "$IO/value.h5" >/dev/null 2>"$IO/err" || fail "value override refused: $(cat "$IO/err")"
[[ $(kind "$IO/value.h5") == two-modality ]] || fail "a value naming model.modalities made a binding cube"
# ... and the key, from the command line, makes a binding cube of M = 3.
"$EXE" theory --config "$IO/plain.ini" --model.modalities=3 --model.d=4 --model.k=1 \
  --output "$IO/key.h5" >/dev/null 2>"$IO/err" || fail "--model.modalities=3 refused: $(cat "$IO/err")"
[[ $(kind "$IO/key.h5") == binding ]] || fail "--model.modalities=3 made no binding cube"
"$EXE" inspect "$IO/key.h5" | grep -q '^modality:  3 ' || fail "--model.modalities=3 is not M = 3"
cases=$((cases + 3))

# One coordinate of a per-coordinate parameter swept alone (issue 12, the paper's kappa_3 =
# kappa[2]): the same indexed names in both kinds of run, the axis a readable dimension scale.
/usr/bin/python3 -c 'import h5py' 2>/dev/null || skip "h5py (/usr/bin/python3) is missing"
for run in PLAIN BIND; do
  base=${!run}
  base=${base/k = [12]/k = 3}
  base=${base/d = 4/d = 6}
  accepts "$run-kappa2" "$base"$'kappa = 2\nnu = 0.5\n[axes]\nkappa[2] = 0.5, 4\n[run]\ntrials = 2'
  refuses "$run-kappa3" "$base"$'[axes]\nkappa[3] = 1, 2' \
    "axes.kappa[3] value 1: addresses signal coordinate 3 but k = 3" \
    "in the cell with kappa[3] = 1"
  refuses "$run-nu0" "$base"$'nu[0] = 0.5' \
    "key 'model.nu[0]': nu takes one value, not one per coordinate or modality, so it has no index"
  refuses "$run-twice-index" "$base"$'kappa[1] = 2\nkappa[1] = 3' \
    "key 'model.kappa[1]' is given more than once"
done
# The two-modality cube: theory_r_ca goes from 2 to 3 as kappa_3 crosses 1 (rho_3 > nu = 0.5).
/usr/bin/python3 - "$IO/PLAIN-kappa2.h5" "$IO/BIND-kappa2.h5" <<'PY' || fail "kappa[2] axis unreadable"
import sys, h5py
for path in sys.argv[1:]:
    with h5py.File(path, "r") as f:
        a = f["kappa[2]"]
        assert list(a[:]) == [0.5, 4.0], list(a[:])
        assert a.attrs["CLASS"] == b"DIMENSION_SCALE"
        ln = a.attrs["long_name"]
        ln = ln.decode() if isinstance(ln, bytes) else ln
        assert ln.endswith("(signal coordinate 2 only)"), ln
        assert f[f["done"].dims[0][0].name.lstrip("/")].name == "/kappa[2]"
        if "theory_r_ca" in f:
            assert list(f["theory_r_ca"][:]) == [2.0, 3.0], list(f["theory_r_ca"][:])
PY
cases=$((cases + 1))

echo "$cases cases, $failures failures"
((failures == 0))
