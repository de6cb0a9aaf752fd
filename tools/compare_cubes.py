#!/usr/bin/python3
"""Bitwise comparison of two phasecube cubes (the safety net of engine refactors).

    tools/compare_cubes.py A.h5 B.h5 [--allow-new] [--ignore-attr NAME ...] [--quiet]

Compares every dataset (data variables, axes, the modality scale) by dtype, shape and raw bytes
(so NaN payloads and -0.0 count), every dataset attribute except the HDF5 dimension-scale
bookkeeping, and every root attribute except the run-time ones (wall_seconds, command_line,
git_commit, software_version, mpi_ranks, threads, and any --ignore-attr; the stored config is
compared without its `output = ` line). With --allow-new,
datasets and attributes that exist only in B are reported as "new" and allowed (a refactor may
add variables and attributes, never change or drop one).

Exit status: 0 identical (up to the allowed differences), 1 different, 2 bad input.
"""
import argparse
import sys

RUN_TIME_ATTRS = {"wall_seconds", "command_line", "git_commit", "software_version",
                  "mpi_ranks", "threads"}
# Attributes HDF5's dimension-scale API maintains (object references, not data).
SCALE_ATTRS = {"DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"}


def attr_bytes(value):
    """A comparable form of an attribute value: dtype and raw bytes, or the text."""
    import numpy as np

    if isinstance(value, (bytes, str)):
        return ("text", value if isinstance(value, bytes) else value.encode())
    a = np.asarray(value)
    if a.dtype.kind == "O":
        return ("object", repr(a.tolist()))
    return (a.dtype.str, a.shape, a.tobytes())


def without_output(config):
    """The resolved config text less its [run] output line: where a cube went is not a result."""
    text = config.decode() if isinstance(config, bytes) else str(config)
    return "\n".join(l for l in text.split("\n") if not l.startswith("output = "))


def compare_attrs(where, a, b, ignore, allow_new, out, new):
    if where == "/" and "config" in a and "config" in b:
        a, b = dict(a), dict(b)
        a["config"], b["config"] = without_output(a["config"]), without_output(b["config"])
    for name in sorted(set(a) | set(b)):
        if name in ignore:
            continue
        if name not in b:
            out.append(f"{where}: attribute {name} missing in B")
        elif name not in a:
            (new if allow_new else out).append(f"{where}: attribute {name} only in B")
        elif attr_bytes(a[name]) != attr_bytes(b[name]):
            out.append(f"{where}: attribute {name} differs: {a[name]!r} vs {b[name]!r}")


def compare(path_a, path_b, ignore, allow_new):
    import h5py

    diffs, new = [], []
    with h5py.File(path_a, "r") as fa, h5py.File(path_b, "r") as fb:
        compare_attrs("/", dict(fa.attrs), dict(fb.attrs), RUN_TIME_ATTRS | ignore, allow_new,
                      diffs, new)
        for name in sorted(set(fa) | set(fb)):
            if name not in fb:
                diffs.append(f"{name}: missing in B")
                continue
            if name not in fa:
                (new if allow_new else diffs).append(f"{name}: only in B")
                continue
            da, db = fa[name], fb[name]
            if not isinstance(da, h5py.Dataset) or not isinstance(db, h5py.Dataset):
                diffs.append(f"{name}: not a dataset in both")
                continue
            if da.dtype != db.dtype or da.shape != db.shape:
                diffs.append(f"{name}: {da.dtype}{da.shape} vs {db.dtype}{db.shape}")
                continue
            va, vb = da[()], db[()]
            if getattr(va, "tobytes", lambda: va)() != getattr(vb, "tobytes", lambda: vb)():
                diffs.append(f"{name}: data differs")
            compare_attrs(name, dict(da.attrs), dict(db.attrs), SCALE_ATTRS | ignore, allow_new,
                          diffs, new)
    return diffs, new


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--allow-new", action="store_true",
                   help="datasets/attributes only in B are allowed")
    p.add_argument("--ignore-attr", action="append", default=[], metavar="NAME",
                   help="another attribute to ignore (repeatable)")
    p.add_argument("--quiet", action="store_true", help="print only differences")
    args = p.parse_args(argv)
    try:
        diffs, new = compare(args.a, args.b, set(args.ignore_attr), args.allow_new)
    except (OSError, KeyError, ImportError) as e:
        print(f"compare_cubes: error: {e}", file=sys.stderr)
        return 2
    for line in diffs:
        print(f"DIFF {line}")
    if not args.quiet:
        for line in new:
            print(f"new  {line}")
    if diffs:
        print(f"compare_cubes: {args.a} and {args.b} differ ({len(diffs)} difference(s))")
        return 1
    if not args.quiet:
        print(f"compare_cubes: identical ({args.a} vs {args.b}"
              f"{', ' + str(len(new)) + ' new in B' if new else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
