"""phasecube from Python: the engine's closed forms, the diagnose procedure and the cubes.

    import phasecube
    phasecube.theory(kappa=[0.5, 1, 2], nu=0.3)    # closed forms and regime, broadcast
    phasecube.diagnose(x, y, labels, pca=20)        # `phasecube diagnose --json` as a dict
    phasecube.open_cube("results/run.h5")           # an xarray Dataset

Nothing is computed here: theory() runs the config layer and the closed forms of
`phasecube theory`, diagnose() the CLI's own procedure and JSON writer (python/, _core).
Bad parameters or data raise ValueError with the message the CLI prints.
"""
import json
import numbers

import numpy as np

from . import _core

__all__ = ["theory", "diagnose", "open_cube", "MODEL_PARAMETERS"]
# The engine's version, commit and numerics version, as `phasecube --version` and cubes say.
__version__ = _core.version
git_commit = _core.git_commit
numerics_version = _core.numerics_version

# [model] of the two-modality model: name -> (default or None when optional, doc).
MODEL_PARAMETERS = {name: (default, doc) for name, default, doc in _core.model_parameters()}
# The procedure options of `phasecube diagnose` as keywords (fold-seed -> fold_seed).
_DIAGNOSE_OPTIONS = {name.replace("-", "_"): name for name in _core.diagnose_option_names()}


def theory(methods=None, **params):
    """Closed forms and regime of two-modality cells, as `phasecube theory` writes them.

    Every keyword is a [model] parameter (kappa, nu, d, k, n, gamma_x, ...; `lambda_` for
    lambda; "kappa[1]"-style indexed names through **{...}), a number or an array: the
    arrays broadcast (numpy rules) and each element is one cell; absent parameters take
    the config defaults. `methods` is [run] methods ("ca,cp" or a list; default: every
    default method). Returns {variable: numpy array of the broadcast shape} with every
    theory_* variable of the cube, in the cube's dtype. A bad value raises ValueError
    with the CLI's message.
    """
    names, arrays = [], []
    for key, value in params.items():
        name = "lambda" if key == "lambda_" else key
        if name.split("[", 1)[0] not in MODEL_PARAMETERS:
            raise TypeError(f"theory() got an unexpected keyword argument {key!r} "
                            f"(the [model] parameters are {', '.join(MODEL_PARAMETERS)})")
        names.append(name)
        arrays.append(_real_array(value, name).astype(np.float64, copy=False))
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.ascontiguousarray(np.broadcast_to(a, shape).ravel()) for a in arrays]
    run = []
    if methods is not None:
        run.append("run.methods=" + (methods if isinstance(methods, str) else ",".join(methods)))
    cells = int(np.prod(shape, dtype=np.int64))
    out = _core.theory_cells(names, flat, cells, run)
    return {name: values.astype(dtype).reshape(shape) for name, (dtype, values) in out.items()}


def diagnose(x, y, labels, **options):
    """`phasecube diagnose --json` of arrays in memory, as a dict.

    x (n x d_x), y (n x d_y): real arrays of any memory order and dtype (float32, float64,
    integers); labels: n x L numeric (a NaN makes a row unlabelled) or a 1-D integer class
    vector (-1 unlabelled), as the CLI reads them. options are the CLI's, underscores for
    dashes: pca, folds, ridge, fold_seed, whiten_reg, classifier ("elbow" or
    "permutation"), permutations, null_permutations, components, parity ("phasecube" or
    "reference"), drop_constant (bool), replicates, resample ("subsample:500"), epsilon_grid
    and n_grid (lists). The result has the keys and values
    of the CLI's JSON; the non-finite values it spells "inf", "-inf", "nan" are floats here.
    A bad value raises ValueError with the CLI's message.
    """
    args = []
    for key, value in options.items():
        if key not in _DIAGNOSE_OPTIONS:
            raise TypeError(f"diagnose() got an unexpected keyword argument {key!r} "
                            f"(options: {', '.join(_DIAGNOSE_OPTIONS)})")
        flag = "--" + _DIAGNOSE_OPTIONS[key]
        if key == "drop_constant":
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"diagnose(): drop_constant must be True or False, not {value!r}")
            args += [flag] if value else []
        else:
            args += [flag, _option_text(value)]
    text = diagnose_json(x, y, labels, args)
    return json.loads(text, object_hook=_non_finite)


def diagnose_json(x, y, labels, args=()):
    """The JSON text itself, byte for byte the CLI's; `args` as on its command line."""
    arrays = [_real_array(a, what) for a, what in ((x, "--x"), (y, "--y"), (labels, "--labels"))]
    return _core.diagnose_json(*arrays, list(args))


def open_cube(path, **kwargs):
    """A cube (any kind: sweep, theory, binding) as an xarray Dataset: dimensions named by
    the file's dimension scales, coordinates the grid values, every attribute kept, every
    value and dtype as stored (the int8 codes keep their -1 "not computed"; pass
    mask_and_scale=True for xarray's CF masking). Opened lazily through xarray's h5netcdf
    engine (keywords go to xarray.open_dataset); close it, or use a `with` block."""
    import xarray as xr

    kwargs.setdefault("mask_and_scale", False)
    return xr.open_dataset(path, engine="h5netcdf", **kwargs)


def _real_array(value, what):
    """`value` as an array of real numbers, not converted (the engine copies it once)."""
    a = np.asarray(value)
    if a.dtype.kind not in "fiu":
        raise ValueError(f"{what}: {a.dtype} values, expected real numbers "
                         "(float32, float64 or integers)")
    return a


def _option_text(value):
    """An option's value as the command line would spell it (the shortest round-trip text
    of a float, so the CLI's number grammar reads back the same double)."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value)).lower()
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (list, tuple, np.ndarray)):  # epsilon_grid=[1e-6, 1e-2]: "1e-06,0.01"
        return ",".join(_option_text(v) for v in np.asarray(value).ravel().tolist())
    return str(value)


_NON_FINITE = {"inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}


def _non_finite(obj):
    for key, value in obj.items():
        if isinstance(value, str) and value in _NON_FINITE:
            obj[key] = _NON_FINITE[value]
        elif isinstance(value, list):
            obj[key] = [_NON_FINITE.get(v, v) if isinstance(v, str) else v for v in value]
    return obj
