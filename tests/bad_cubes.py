"""Malformed cubes for check_bad_cubes.sh (not a test itself).

bad_cubes.py GOOD.h5 BINDING.h5 DIR   writes DIR/<case>.h5 for every case below, each a copy of
                                      a good cube (two-modality or binding) with one thing
                                      broken, and prints one line per case: NAME KIND WORD,
                                      WORD a word the error line must contain.
"""
import shutil
import sys

import h5py
import numpy as np

good, binding, out = sys.argv[1:4]
CASES = []


def case(kind, word):
    def register(f):
        CASES.append((f.__name__, kind, word, f))
        return f
    return register


def replace(f, name, data=None, **kw):
    attrs = dict(f[name].attrs) if isinstance(f[name], h5py.Dataset) else {}
    del f[name]
    if data is None:
        f.create_dataset(name, **kw)
    else:
        f.create_dataset(name, data=data, **kw)
    for k, v in attrs.items():
        if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME"):
            f[name].attrs[k] = v


def shrink_axis(f, axis, keep):
    """A consistent smaller cube: axis `axis` (dimension 0) and every variable cut to `keep`."""
    for name in list(f):
        if name == axis:
            replace(f, name, f[name][:keep])
        elif name not in f.attrs["axes"].decode().split(",") and name != "modality":
            replace(f, name, f[name][:keep])


# --- two-modality cube: codes, flags and counters out of range -------------------------------
# One value written into a good cube: (case, kind, variable, index, value); the error names
# the variable.
VALUES = [
    ("code_too_big", "cube", "empirical_regime", (0, 0), 7),
    ("code_negative", "cube", "empirical_regime", (1, 1), -5),
    ("theory_code_4", "cube", "theory_regime", (2, 0), 4),
    ("done_without_code", "cube", "empirical_regime", (0, 1), -1),
    ("done_is_2", "cube", "done", (0, 0), 2),
    ("trials_done_above_trials", "cube", "trials_done", (1, 0), 5),
    ("trials_done_negative", "cube", "trials_done", (1, 0), -1),
    ("axis_nan", "cube", "kappa", (1,), np.nan),
    ("axis_values_differ", "cube-grid", "kappa", (1,), 1.5),
    ("winner_code_9", "binding", "theory_winner", (0, 0), 9),
    ("empirical_winner_negative", "binding", "empirical_winner", (1, 1), -3),
    ("binding_done_without_winner", "binding", "empirical_winner", (1, 0), -1),
    ("best_pair_beyond_m", "binding", "best_pair_first", (0, 1), 3),
    ("binding_done_is_3", "binding", "done", (1, 1), 3),
    ("binding_trials_done_above", "binding", "trials_done", (0, 0), 100),
    ("modality_values", "binding", "modality", (2,), 7),
    ("binding_axis_values_differ", "binding-grid", "nu", (0,), 0.3),
]
for name, kind, var, index, value in VALUES:
    def set_value(f, var=var, index=index, value=value):
        f[var][index] = value
    set_value.__name__ = name
    case(kind, var)(set_value)


@case("cube", "diag_regime_mode")
def diag_code_9(f): f.create_dataset("diag_regime_mode", data=np.full((3, 2), 9, dtype="i1"))


# --- root attributes -------------------------------------------------------------------------
# One root attribute replaced (None: deleted): (case, kind, attribute, value); the error
# names the attribute.
ATTRIBUTES = [
    ("axes_numeric", "cube", "axes", np.int64(3)),
    ("axes_missing", "cube", "axes", None),
    ("status_numeric", "cube", "status", np.float64(1)),
    ("status_missing", "cube", "status", None),
    ("status_unknown", "cube", "status", np.bytes_(b"bogus")),
    ("config_missing", "cube", "config", None),
    ("config_numeric", "cube", "config", np.int32(1)),
    ("trials_string", "cube", "trials", np.bytes_(b"4")),
    ("trials_negative", "cube", "trials", np.int64(-4)),
    ("trials_two_values", "cube", "trials", np.array([4, 4], dtype="i8")),
    ("trials_missing", "cube", "trials", None),
    ("theory_only_5", "cube", "theory_only", np.uint8(5)),
    ("seed_string", "cube", "seed", np.bytes_(b"9")),
    ("wall_seconds_string", "cube", "wall_seconds", np.bytes_(b"soon")),
    ("binding_axes_numeric", "binding", "axes", np.float64(2)),
    ("binding_axes_missing", "binding", "axes", None),
    ("binding_trials_string", "binding", "trials", np.bytes_(b"6")),
    ("binding_schema_numeric", "binding", "schema", np.int64(1)),
    ("binding_schema_other", "binding", "schema", np.bytes_(b"binding2")),
]
for name, kind, attr, value in ATTRIBUTES:
    def set_attribute(f, attr=attr, value=value):
        if value is None:
            del f.attrs[attr]
        else:
            f.attrs[attr] = value
    set_attribute.__name__ = name
    case(kind, attr)(set_attribute)


@case("cube", "foo")
def axes_unknown_dataset(f): f.attrs["axes"] = np.bytes_(b"kappa,foo")
@case("cube", "twice")
def axes_duplicate(f): f.attrs["axes"] = np.bytes_(b"kappa,kappa")
@case("cube", "/")
def axes_path(f): f.attrs["axes"] = np.bytes_(b"kappa,/")
@case("cube", "done")
def axes_names_a_variable(f): f.attrs["axes"] = np.bytes_(b"kappa,done")


# --- variables and axes: presence, datatypes, shapes ------------------------------------------
# One dataset replaced: (case, kind, dataset, make), make(f) the create_dataset arguments of
# the replacement; the error names the dataset.
DATASETS = [
    ("trials_done_int64_huge", "cube", "trials_done",
     lambda f: dict(data=np.full((3, 2), 2**40, dtype="i8"))),
    ("regime_string_dataset", "cube", "empirical_regime",
     lambda f: dict(data=np.array([[b"a", b"b"]] * 3))),
    ("done_float", "cube", "done", lambda f: dict(data=np.ones((3, 2)))),
    ("delta_integer", "cube", "theory_delta_ca", lambda f: dict(data=np.ones((3, 2), dtype="i4"))),
    ("done_truncated", "cube", "done", lambda f: dict(data=f["done"][:2])),
    ("rate_transposed", "cube", "ca_recovery_rate",
     lambda f: dict(data=f["ca_recovery_rate"][()].T)),
    ("trials_done_larger", "cube", "trials_done",
     lambda f: dict(data=np.zeros((4, 2), dtype="i4"))),
    ("delta_null_dataspace", "cube", "theory_delta_cp", lambda f: dict(data=h5py.Empty("f8"))),
    ("axis_2d", "cube", "kappa", lambda f: dict(data=np.ones((3, 1)))),
    ("axis_zero_size", "cube", "kappa", lambda f: dict(data=np.zeros(0))),
    ("axis_string", "cube", "kappa", lambda f: dict(data=np.array([b"x", b"y", b"z"]))),
    ("axis_huge_declared", "cube", "kappa",
     lambda f: dict(shape=(10**13,), dtype="f8", chunks=(4096,))),
    ("modality_huge", "binding", "modality",
     lambda f: dict(shape=(10**10,), dtype="i4", chunks=(4096,))),
    ("per_modality_shape", "binding", "anchor_recovery_rate",
     lambda f: dict(data=f["anchor_recovery_rate"][:, :, :2])),
    ("binding_string_variable", "binding", "theory_delta_centroid",
     lambda f: dict(data=np.array([[b"s", b"t"]] * 2))),
    ("binding_done_truncated", "binding", "done", lambda f: dict(data=f["done"][:1])),
    ("binding_axis_zero_size", "binding", "nu", lambda f: dict(data=np.zeros(0))),
    ("binding_axis_huge_declared", "binding", "modalities",
     lambda f: dict(shape=(10**13,), dtype="f8", chunks=(4096,))),
]
for name, kind, ds, make in DATASETS:
    def replace_dataset(f, ds=ds, make=make):
        replace(f, ds, **make(f))
    replace_dataset.__name__ = name
    case(kind, ds)(replace_dataset)


@case("cube", "done")
def done_missing(f): del f["done"]
@case("cube", "done")
def done_is_group(f):
    del f["done"]
    f.create_group("done")
@case("cube", "empirical_regime")
def regime_compound(f):
    replace(f, "empirical_regime", np.zeros((3, 2), dtype=[("a", "i1"), ("b", "f8")]))


# --- compressed storage ----------------------------------------------------------------------
@case("cube", "empirical_regime")
def chunk_corrupt(f):
    # Bytes that are not deflate's in a compressed chunk (a bit-rotted file): the read fails
    # on zlib's checksum, one line naming the variable.
    f["empirical_regime"].id.write_direct_chunk((0, 0), b"\x78\x9c" + b"\xa5" * 30)
@case("cube", "filter 32000")
def filter_unavailable(f):
    # LZF, which h5py registers in its own process only (the executable's HDF5 lacks it),
    # mandatory, on values it compresses: the reader cannot skip it.
    shape = f["theory_delta_ca"].shape
    del f["theory_delta_ca"]
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_chunk(shape)
    dcpl.set_filter(32000, h5py.h5z.FLAG_MANDATORY)
    ds = h5py.h5d.create(f.id, b"theory_delta_ca", h5py.h5t.IEEE_F64LE,
                         h5py.h5s.create_simple(shape), dcpl=dcpl)
    ds.write(h5py.h5s.ALL, h5py.h5s.ALL, np.zeros(shape))


# --- axes ------------------------------------------------------------------------------------
@case("cube", "1000000")
def cells_huge_declared(f):
    # Two axes of a million values each (readable): 10^12 cells. validate refuses a full read
    # bigger than memory, run --resume the axes against the config's, inspect (which reads
    # block by block, any size) a grid over the 10^9 cells a config may make.
    for axis in ("kappa", "nu"):
        replace(f, axis, shape=(10**6,), dtype="f8", chunks=(4096,))
# Consistent on their own (inspect shows them) but not the stored config's grid:
@case("cube-grid", "kappa")
def cube_smaller_than_grid(f): shrink_axis(f, "kappa", 2)
@case("cube-resume", "trials")
def trials_not_the_configs(f):
    f.attrs["trials"] = np.int64(3)
    f["trials_done"][...] = 3


# --- binding cube ----------------------------------------------------------------------------
@case("binding", "modality")
def modality_missing(f): del f["modality"]
@case("binding-grid", "nu")
def binding_cube_smaller_than_grid(f):
    # nu is the last axis: cut it (dimension 1) everywhere.
    for name in list(f):
        if name == "nu":
            replace(f, name, f[name][:1])
        elif name not in ("modalities", "modality"):
            replace(f, name, f[name][:, :1])


for name, kind, word, mutate in CASES:
    path = f"{out}/{name}.h5"
    shutil.copyfile(binding if kind.startswith("binding") else good, path)
    with h5py.File(path, "r+") as f:
        mutate(f)
    print(name, kind, word)
