#!/usr/bin/python3
"""Per-dataset SHA-256 of a cube: the known answers every build must reproduce.

    tools/cube_hashes.py CUBE.h5              print one line per dataset
    tools/cube_hashes.py CUBE.h5 --check REF  compare with a stored list (exit 1 if different)

A line is `name dtype shape sha256` of the dataset's raw bytes (axes, data variables and the
modality scale; attributes are provenance, not results). The stored lists live in
tests/reference/ and are checked by tests/check_reference_cubes.sh. When a change is meant
to alter results (random streams, samplers, estimators, closed forms, reductions), bump
kNumericsVersion in src/version.hpp.in and regenerate the lists:
    build/phasecube run --config tests/reference/NAME.ini --output /tmp/NAME.h5 &&
        tools/cube_hashes.py /tmp/NAME.h5 > tests/reference/NAME.sha256
"""
import hashlib
import sys


def hashes(path):
    import h5py
    import numpy as np

    lines = []
    with h5py.File(path, "r") as f:
        for name in sorted(f):
            if not isinstance(f[name], h5py.Dataset):
                continue
            v = np.ascontiguousarray(f[name][()])
            shape = "x".join(map(str, v.shape)) or "scalar"
            lines.append(f"{name} {v.dtype.str} {shape} {hashlib.sha256(v.tobytes()).hexdigest()}")
    return lines


def main(argv):
    if len(argv) not in (1, 3) or (len(argv) == 3 and argv[1] != "--check"):
        print("usage: cube_hashes.py CUBE.h5 [--check REF]", file=sys.stderr)
        return 2
    try:
        got = hashes(argv[0])
        if len(argv) == 1:
            print("\n".join(got))
            return 0
        with open(argv[2]) as f:
            want = [l.strip() for l in f if l.strip()]
    except (OSError, ImportError) as e:
        print(f"cube_hashes: error: {e}", file=sys.stderr)
        return 2
    differ = sorted(set(got) ^ set(want))
    for name in sorted({l.split()[0] for l in differ}):
        print(f"DIFF {name}: " + " vs ".join(
            next((l.split(" ", 1)[1] for l in side if l.split()[0] == name), "absent")
            for side in (want, got)))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
