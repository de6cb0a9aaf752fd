"""Bad inputs for tests/check_hostile.sh (not a test itself).

hostile_inputs.py DIR   DIR holds good cubes run.h5 (2 cells, simulated), bind.h5 (binding,
                        simulated); writes next to them mutated cubes cube_<name>.h5, diagnose
                        inputs dg_<name>.{npy,csv,h5} and a binary-garbage config garbage.ini.
Every file is derived deterministically (fixed seeds), so a failing case is reproducible.
"""
import os
import random
import shutil
import struct
import sys

import h5py
import numpy as np

D = sys.argv[1]


def path(name):
    return os.path.join(D, name)


def mutate(src, name, change):
    out = path(f"cube_{name}.h5")
    shutil.copyfile(path(src), out)
    with h5py.File(out, "r+") as f:
        change(f)


def replace(f, name, data, **kw):
    del f[name]
    f.create_dataset(name, data=data, **kw)


def setitem(name, index, value):
    def change(f):
        a = f[name][()]
        a.flat[index] = value
        f[name][...] = a
    return change


def other_version(f):
    # A cube from another binary: every version attribute a phasecube may write differs.
    for k in list(f.attrs):
        if "version" in k or k == "git_commit":
            v = f.attrs[k]
            f.attrs[k] = ("0.0.0-foreign" if isinstance(v, (str, bytes)) else np.asarray(v) + 999)


# --- cubes: out-of-range codes, shapes that disagree with the stored config, bad attributes
mutate("run.h5", "regime_code", setitem("empirical_regime", 0, 7))
mutate("run.h5", "regime_neg", setitem("theory_regime", 1, -5))
mutate("run.h5", "done_code", setitem("done", 0, 9))
mutate("run.h5", "short_var", lambda f: replace(f, "ca_distance_mean", np.zeros(1)))
mutate("run.h5", "short_done", lambda f: replace(f, "done", np.ones(1, np.uint8)))
mutate("run.h5", "short_regime", lambda f: replace(f, "empirical_regime", np.zeros(1, np.int8)))
mutate("run.h5", "rank2_done", lambda f: replace(f, "done", np.ones((2, 1), np.uint8)))
mutate("run.h5", "huge_done", lambda f: replace(f, "done", shape=(2**40,), dtype=np.uint8,
                                                data=None, chunks=(1024,)))
mutate("run.h5", "string_var", lambda f: replace(f, "theory_delta_ca", np.array([b"a", b"b"])))
mutate("run.h5", "float_done", lambda f: replace(f, "done", np.array([0.5, 1e300])))
mutate("run.h5", "axis_2d", lambda f: replace(f, "nu", np.zeros((2, 2))))
mutate("run.h5", "axis_short", lambda f: replace(f, "nu", np.zeros(1)))
mutate("run.h5", "axis_missing", lambda f: f.attrs.__setitem__("axes", "nu,bogus"))
mutate("run.h5", "axes_int", lambda f: f.attrs.__setitem__("axes", 42))
mutate("run.h5", "axes_absent", lambda f: f.attrs.__delitem__("axes"))
mutate("run.h5", "config_absent", lambda f: f.attrs.__delitem__("config"))
mutate("run.h5", "config_garbage", lambda f: f.attrs.__setitem__("config", "[[[\x01 = ]]"))
mutate("run.h5", "config_number", lambda f: f.attrs.__setitem__("config", 3.5))
mutate("run.h5", "trials_text", lambda f: f.attrs.__setitem__("trials", "many"))
mutate("run.h5", "foreign_version", other_version)
mutate("run.h5", "no_vars", lambda f: [f.__delitem__(k) for k in list(f) if k != "nu"])


def partial(f):
    # A run stopped after its first cell: what --resume finishes.
    for name in ("done", "trials_done"):
        setitem(name, 1, 0)(f)
    f.attrs["status"] = "partial"


mutate("run.h5", "partial", partial)
mutate("run.h5", "grid_grown", lambda f: f.attrs.__setitem__(
    "config", f.attrs["config"].decode().replace("nu = 0.2, 0.8", "nu = 0.2, 0.5, 0.8")))
mutate("bind.h5", "winner_code", setitem("empirical_winner", 0, 9))
mutate("bind.h5", "pair_index", setitem("best_pair_first", 0, 99))
mutate("bind.h5", "short_bind", lambda f: replace(f, "centroid_worst_distance", np.zeros(1)))

with open(path("run.h5"), "rb") as f:
    raw = f.read()
for name, data in {"half": raw[: len(raw) // 2], "head": raw[:512], "empty": b"",
                   "text": b"not an HDF5 file\n"}.items():
    with open(path(f"cube_{name}.h5"), "wb") as f:
        f.write(data)
with h5py.File(path("cube_bare.h5"), "w"):
    pass  # valid HDF5, no phasecube content

# --- diagnose inputs: n = 60 rows, x and y 4 columns with a shared signal, 3 classes
rng = np.random.default_rng(5)
n = 60
labels = np.arange(n) % 3
s = labels[:, None] + rng.normal(0, 0.3, (n, 1))
x = np.hstack([s, rng.normal(size=(n, 3))])
y = np.hstack([s, rng.normal(size=(n, 3))])
np.save(path("dg_x.npy"), x)
np.save(path("dg_y.npy"), y)
np.save(path("dg_labels.npy"), labels.astype(np.int64))
np.save(path("dg_one_class.npy"), np.ones(n, np.int64))
np.save(path("dg_unlabelled.npy"), -np.ones(n, np.int64))
np.save(path("dg_flat_labels.npy"), np.full((n, 2), 0.25))
np.save(path("dg_cols0.npy"), np.zeros((n, 0)))
np.save(path("dg_rows0.npy"), np.zeros((0, 4)))
np.save(path("dg_fortran.npy"), np.asfortranarray(x))
np.save(path("dg_3d.npy"), np.zeros((n, 2, 2)))
np.save(path("dg_scalar.npy"), np.float64(1))
np.save(path("dg_bool.npy"), x > 0)
np.save(path("dg_complex.npy"), x.astype(np.complex128))
np.save(path("dg_text.npy"), np.array([["a"] * 4] * n))
np.save(path("dg_bigendian.npy"), x.astype(">f8"))
np.save(path("dg_inf.npy"), np.where(np.arange(n * 4).reshape(n, 4) == 5, np.inf, x))


def npy(name, header, payload=b""):
    # A .npy whose header says what it likes (version 1.0).
    h = header.encode()
    h += b" " * ((64 - (10 + len(h) + 1) % 64) % 64) + b"\n"
    with open(path(f"dg_{name}.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + payload)


body = x.astype("<f8").tobytes()
npy("huge_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904, 4), }",
    body)
npy("overflow_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
    body)
npy("short_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (10, 4), }", body)
npy("float_shape", "{'descr': '<f8', 'fortran_order': False, 'shape': (60.5, 4), }", body)
npy("no_descr", "{'fortran_order': False, 'shape': (60, 4), }", body)
npy("not_dict", "[1, 2, 3]", body)
npy("header_only", "{'descr': '<f8', 'fortran_order': False, 'shape': (60, 4), }")
with open(path("dg_magic_only.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00\xff\xff")

rows = [",".join(f"{v:.6g}" for v in r) for r in x]
csv = {
    "bom": "\ufeff" + "\n".join(rows) + "\n",  # no header: every row is data
    "bom_header": "\ufeffa,b,c,d\n" + "\n".join(rows) + "\n",
    "crlf": "\r\n".join(rows) + "\r\n",
    "ragged": "\n".join(rows[:10] + ["1,2"] + rows[11:]) + "\n",
    "nan": "\n".join(rows[:3] + ["nan,1,2,3"] + rows[4:]) + "\n",
    "words": "\n".join(rows[:5] + ["one,two,three,four"] + rows[6:]) + "\n",
    "empty": "",
    "header_only": "a,b,c,d\n",
    "blank_lines": "\n\n\n",
    "semicolons": "\n".join(r.replace(",", ";") for r in rows) + "\n",
    "trailing_comma": "\n".join(r + "," for r in rows) + "\n",
    "nul": "\n".join(rows[:2] + ["1,2\x003,4"] + rows[3:]) + "\n",
}
for name, text in csv.items():
    with open(path(f"dg_{name}.csv"), "w", encoding="utf-8", newline="") as f:
        f.write(text)
with open(path("dg_y.csv"), "w") as f:
    f.write("\n".join(",".join(f"{v:.6g}" for v in r) for r in y) + "\n")

with h5py.File(path("dg.h5"), "w") as f:
    f["x"] = x
    f["y"] = y
    f["labels"] = labels
    f.create_dataset("huge", shape=(2**40, 4), dtype="f8", chunks=(1024, 4))
    f.create_dataset("huge_cols", shape=(n, 2**40), dtype="f8", chunks=(n, 1024))
    f["cube3"] = np.zeros((n, 2, 2))
    f["strings"] = np.array([b"a"] * n)
    f["compound"] = np.zeros(n, dtype=[("a", "f8"), ("b", "i4")])
    f["cols0"] = np.zeros((n, 0))
    f["scalar"] = 1.0
    f.create_group("group")

# --- a config of binary garbage (fixed seed)
r = random.Random(11)
with open(path("garbage.ini"), "wb") as f:
    f.write(bytes(r.randrange(256) for _ in range(4096)))
