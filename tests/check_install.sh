#!/usr/bin/env bash
# `cmake --install` of the build under test gives a usable package: the executable, the
# library, the public headers (and no internal ones) and a CMake package config; a downstream
# project (tests/downstream) finds it with find_package(phasecube), links phasecube::phasecube,
# builds and computes the right closed form.
# Usage: check_install.sh <phasecube-exe> <source-dir>
set -euo pipefail
exe=$1
src=$2
# shellcheck source=tests/lib.sh
source "$(dirname "$(realpath "${BASH_SOURCE[0]}")")/lib.sh"
build=$(dirname "$(realpath "$exe")")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 || {
  cat "$tmp/install.log" >&2
  fail "cmake --install failed"
  exit 1
}
[[ -x $prefix/bin/phasecube ]] || fail "bin/phasecube not installed"
"$prefix/bin/phasecube" --version | grep -q '^phasecube ' || fail "installed phasecube --version"
[[ -f $prefix/lib/cmake/phasecube/phasecubeConfig.cmake ]] || fail "package config not installed"
[[ -f $prefix/lib/cmake/phasecube/phasecubeConfigVersion.cmake ]] || fail "package version file"
for h in model theory rng sampler estimators diagnose error version; do
  [[ -f $prefix/include/phasecube/$h.hpp ]] || fail "public header $h.hpp not installed"
done
for h in cube sweep cell hdf5 mpi config; do
  [[ ! -e $prefix/include/phasecube/$h.hpp ]] || fail "internal header $h.hpp was installed"
done
[[ ! -d $prefix/include/sweep && ! -d $prefix/include/io ]] || fail "internal header folders installed"

# The downstream project, with the compiler (and so the sanitizer runtime) of this build.
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
if ! cmake -S "$src/tests/downstream" -B "$tmp/down" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_CXX_COMPILER="$cxx" >"$tmp/down.log" 2>&1 ||
  ! cmake --build "$tmp/down" >>"$tmp/down.log" 2>&1; then
  cat "$tmp/down.log" >&2
  fail "the downstream project did not configure and build"
  exit 1
fi
out=$("$tmp/down/downstream")
grep -qx 'delta_ca 2 regime Both' <<<"$out" || fail "downstream closed form: $out"
grep -qx 'sample 8 x 8' <<<"$out" || fail "downstream sample covariance: $out"
grep -q "^version $("$exe" --version | awk '{print $2}') " <<<"$out" || fail "downstream version: $out"

[[ $failures -eq 0 ]] || exit 1
echo "check_install: installed package builds a downstream program: $(head -1 <<<"$out")"
