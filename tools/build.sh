#!/usr/bin/env bash
# Configures and builds phasecube.
#   tools/build.sh [BUILD_DIR] [extra cmake args...]
# BUILD_DIR defaults to build/ (relative to the repo root). Release unless the extra
# args set CMAKE_BUILD_TYPE (a later -D wins in cmake). Prints the executable path last.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${1:-build}
[[ $# -gt 0 ]] && shift
# A relative BUILD_DIR is taken from the repo root so the script works from anywhere.
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"

cmake -S "$ROOT" -B "$BUILD_DIR" --log-level=WARNING -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$BUILD_DIR" --parallel "$(nproc)"
echo "$BUILD_DIR/phasecube"
