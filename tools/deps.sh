#!/usr/bin/env bash
# Installs the Debian packages phasecube needs to build, test and plot.
# Idempotent and quiet: checks each package with dpkg-query and only touches apt
# (update + install) when something is missing, so repeated CI runs cost nothing.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang-format
  clang libclang-rt-14-dev libomp-dev llvm  # the fuzz build: clang, libFuzzer, symbolizer
  libeigen3-dev libhdf5-dev libopenmpi-dev openmpi-bin
  libboost-program-options-dev librandom123-dev libgtest-dev libbenchmark-dev liblapack-dev
  nlohmann-json3-dev
  python3 python3-h5py python3-numpy python3-matplotlib python3-pil python3-xarray python3-h5netcdf
  pybind11-dev python3-dev  # the Python module (python/)
  python3-sklearn
  netcdf-bin
  slurm-wlm munge
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

# apt needs root: run it directly as root, through sudo otherwise.
if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "deps.sh: missing packages: ${missing[*]}" >&2
  echo "deps.sh: not root and sudo is not available; install them as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
