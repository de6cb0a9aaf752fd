"""Cube checks shared by the MPI test scripts (not a test itself).

cubes.py state OUT                       reads every dataset and attribute; prints "status done total"
cubes.py same REF OUT[:RANKS:THREADS]... every data variable of each OUT bitwise equal to REF's,
                                         status complete, no .OUT.* (temporary, lock) left behind;
                                         RANKS/THREADS, when given, must match the mpi_ranks/threads
                                         attributes
"""
import glob
import os
import sys

import h5py


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    with h5py.File(path, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        axes = set(filter(None, text(attrs["axes"]).split(",")))
        data = {k: f[k][()] for k in f if k not in axes}
        for k in axes:
            f[k][()]
    return attrs, data


if sys.argv[1] == "state":
    attrs, data = load(sys.argv[2])
    print(text(attrs["status"]), int((data["done"] == 1).sum()), data["done"].size)
    sys.exit(0)

ref_attrs, ref = load(sys.argv[2])
assert {"done", "trials_done", "ca_distance_mean", "theory_regime"} <= set(ref), sorted(ref)
assert text(ref_attrs["status"]) == "complete" and (ref["done"] == 1).all()
for spec in sys.argv[3:]:
    path, ranks, threads = (spec.split(":") + ["", ""])[:3]
    attrs, data = load(path)
    name = os.path.basename(path)
    assert sorted(data) == sorted(ref), f"{name}: variables {sorted(data)}"
    for k in ref:
        assert data[k].dtype == ref[k].dtype and data[k].shape == ref[k].shape, f"{name}: {k}"
        assert data[k].tobytes() == ref[k].tobytes(), f"{name}: {k} differs from {sys.argv[2]}"
    assert text(attrs["status"]) == "complete", f"{name}: status {text(attrs['status'])}"
    if ranks:
        assert int(attrs["mpi_ranks"]) == int(ranks), f"{name}: mpi_ranks {attrs['mpi_ranks']}"
    if threads:
        assert int(attrs["threads"]) == int(threads), f"{name}: threads {attrs['threads']}"
    left = glob.glob(os.path.join(glob.escape(os.path.dirname(path) or "."), f".{glob.escape(name)}.*"))
    assert not left, f"{name}: left behind: {left}"
print(f"  {len(sys.argv) - 3} cube(s) bitwise identical to {os.path.basename(sys.argv[2])} "
      f"({len(ref)} variables)")
