#!/usr/bin/env bash
# The layering (docs/DESIGN.md, "Layers") holds in the tree and in the build:
#  - tools/include_graph.py finds no arrow from a lower module to a higher one, no forbidden
#    library include, no internal header in a public one; and it does catch each of those
#    when one is planted in a copy of the tree;
#  - the built libraries: core and diagnose reference no HDF5, MPI, Boost or OpenMP symbol,
#    io no MPI symbol; every phasecube_layer_check_<module> was linked.
# Usage: check_layers.sh <phasecube-exe> <source-dir>
set -euo pipefail
exe=$1
src=$2
py=/usr/bin/python3
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
build=$(dirname "$(realpath "$exe")")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$py" "$src/tools/include_graph.py" --root "$src" >"$tmp/graph" 2>"$tmp/err" ||
  fail "include graph of the tree: $(cat "$tmp/err")"
grep -q '^sweep -> io ' "$tmp/graph" || fail "include graph lacks the arrow sweep -> io"

# planted MUTATION FILE EXPECTED: a copy of the tree with one line added is refused.
planted() {
  rm -rf "$tmp/tree" && mkdir "$tmp/tree" && cp -r "$src/src" "$src/include" "$tmp/tree/"
  printf '%s\n' "$1" >>"$tmp/tree/$2"
  cases=$((cases + 1))
  if "$py" "$src/tools/include_graph.py" --root "$tmp/tree" >/dev/null 2>"$tmp/err"; then
    fail "planted '$1' in $2: not found"
  elif ! grep -q "$3" "$tmp/err"; then
    fail "planted '$1' in $2: message lacks '$3': $(cat "$tmp/err")"
  fi
}
planted '#include "sweep/cell.hpp"' src/core/model.cpp 'core may not include sweep'
planted '#include "io/cube.hpp"' src/diagnose/diagnose.cpp 'diagnose may not include io'
planted '#include "sweep/mpi.hpp"' src/io/cube.cpp 'io may not include sweep'
planted '#include <hdf5.h>' src/core/theory.cpp 'core may not include <hdf5.h>'
planted '#include <mpi.h>' src/io/output.cpp 'io may not include <mpi.h>'
planted '#include <boost/program_options.hpp>' src/core/rng.cpp 'core may not include <boost'
planted '#include "support/text.hpp"' include/phasecube/model.hpp 'public header includes the internal'

# No symbol of a library a module may not know, in the module's archive.
forbidden() {  # forbidden ARCHIVE REGEX
  local lib=$build/src/$1/libphasecube_$1.a
  [[ -f $lib ]] || { fail "$lib not built"; return; }
  if nm -u -C "$lib" | grep -E "$2" >"$tmp/syms"; then
    fail "$1 references $(head -3 "$tmp/syms" | tr -s ' ' | tr '\n' ';')"
  fi
  cases=$((cases + 1))
}
forbidden core 'H5[A-Z]|MPI_|ompi_|boost::|omp_|GOMP_'
forbidden diagnose 'H5[A-Z]|MPI_|ompi_|boost::|omp_|GOMP_'
forbidden support 'H5[A-Z]|MPI_|ompi_|boost::|Eigen'
forbidden io 'MPI_|ompi_|boost::|GOMP_'
for m in support core diagnose io sweep app; do
  [[ -x $build/src/$m/phasecube_layer_check_$m ]] || fail "phasecube_layer_check_$m was not linked"
done

[[ $failures -eq 0 ]] || { echo "check_layers: $failures of $cases checks failed" >&2; exit 1; }
echo "check_layers: include graph and $cases planted/symbol checks OK"
