#!/usr/bin/env bash
# Lines of every function defined at column 0 (free functions and out-of-class members) in
# the clang-formatted sources, longest first: tools/function_lengths.sh [MIN_LINES] [FILES...]
# (default: every .cpp/.hpp under src/, functions of 40 lines or more). In-class member bodies
# are not listed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
min=${1:-40}
[[ $# -gt 0 ]] && shift
[[ $# -gt 0 ]] || set -- $(find src -name '*.cpp' -o -name '*.hpp' | sort)
awk -v min="$min" '
FNR == 1 { start = 0; inside = 0 }
!inside && /^[A-Za-z_~]/ && !/^(namespace|using|struct|class|enum|union|typedef|template|static_assert|extern|#)/ && !/;$/ { start = FNR; sig = $0 }
!inside && start && /\{$/ && sig ~ /\(/ { inside = 1 }
inside && /^}$/ {
  n = FNR - start + 1; s = sig; sub(/\(.*/, "", s); m = split(s, w, /[ *&]+/)
  if (n >= min) printf "%4d %s:%d %s\n", n, FILENAME, start, w[m]
  inside = 0; start = 0
}' "$@" | sort -rn
