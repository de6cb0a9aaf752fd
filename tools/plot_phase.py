#!/usr/bin/python3
"""Plot a phasecube cube (DESIGN section 3) as a phase diagram.

    tools/plot_phase.py CUBE.h5 [--x AXIS --y AXIS] [--at AXIS=VALUE ...] [--output OUT.png]

Three panels over two swept axes (the others fixed at the nearest grid value):
  1. the empirical regime map (Neither / CA only / CP only / Both) with the theoretical
     boundaries Delta_CA = 1 and Delta_CP = 1 drawn over it,
  2. the CA recovery rate with the CA boundary,
  3. the CP (x->y) recovery rate with the CP boundary.
A theory-only cube (no Monte Carlo results) shows theory_regime and log10 Delta instead.
A 1-axis cube gives recovery rates vs that axis, with vertical lines where Delta crosses 1.

Only variable names of DESIGN section 3 and the root attribute `axes` are assumed; labels
come from the file's long_name attributes. Exit code 2 on bad input (missing file, not a
phasecube cube, unknown axis).

Also a module: tools/gallery.py and tools/plot_cube.py import it (open_cube, Slice,
draw_regime_map, draw_boundary, crossings, fixed_params, ...) so that every figure draws
regimes and closed-form curves the same way.
"""
import argparse
import os
import re
import sys
import textwrap

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")  # headless: CI and clusters have no display
import matplotlib.artist  # noqa: E402
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Regime codes (DESIGN 1.1) with an Okabe-Ito (colour-blind-safe) palette.
REGIMES = [(0, "Neither", "#8c8c8c"), (1, "CA only", "#0072B2"),
           (2, "CP only", "#E69F00"), (3, "Both", "#009E73")]
NOT_COMPUTED = "#ffffff"
# Theoretical boundaries: (variable, label, line style).
CA_CURVE = ("theory_delta_ca", r"$\Delta_{CA}=1$ (CA boundary)", "-")
CP_CURVE = ("theory_delta_cp", r"$\Delta_{CP}=1$ (CP boundary)", "--")
# Model parameters (DESIGN 1) shown in the title when they are fixed, then run settings.
TITLE_PARAMS = ["d", "k", "n", "kappa", "kappa_decay", "gamma_x", "gamma_y",
                "gamma_tilde_x", "gamma_tilde_y", "nu", "lambda"]
LOG_CLIP = 6.0  # log10 Delta is clipped to +-LOG_CLIP: Delta = +inf and 0 become finite
HALO = [pe.withStroke(linewidth=4, foreground="white")]  # curves readable on any colour


class InputError(Exception):
    """Bad input: reported as one line, exit code 2."""


def as_str(value):
    """An HDF5 string attribute (str, bytes, numpy scalar or 1-element array) as str."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
        if isinstance(value, list):
            return ",".join(as_str(v) for v in value)
    return value.decode() if isinstance(value, bytes) else str(value)


def fmt(value):
    """A numeric attribute (scalar or array) for the title: 1, 0.05, [1, 0.5]."""
    arr = np.atleast_1d(np.asarray(value)).ravel()
    if arr.dtype.kind in "SUO":
        return as_str(value)
    # Integers (seed, counts) in full: %g would round a 64-bit seed.
    items = [str(int(v)) if arr.dtype.kind in "iu" else f"{v:g}" for v in arr]
    return items[0] if len(items) == 1 else "[" + ", ".join(items) + "]"


def long_name(f, name, default=None):
    if name in f and "long_name" in f[name].attrs:
        return as_str(f[name].attrs["long_name"])
    return default if default is not None else name


def read_axes(f, path):
    """Axis names (dimension order) and values; InputError if this is not a phasecube cube."""
    if "theory_delta_ca" not in f or not isinstance(f["theory_delta_ca"], h5py.Dataset):
        raise InputError(f"{path} is not a phasecube cube (no theory_delta_ca variable)")
    ref = f["theory_delta_ca"]
    if "axes" in f.attrs:
        names = [n.strip() for n in as_str(f.attrs["axes"]).split(",") if n.strip()]
    else:  # older writers: fall back to the attached dimension scales
        try:
            names = [ref.dims[i][0].name.lstrip("/") for i in range(ref.ndim)]
        except Exception:
            raise InputError(f"{path} is not a phasecube cube (no root attribute 'axes')")
    if not names:
        raise InputError(f"{path} has no grid axes")
    values = []
    for name in names:
        if name not in f or f[name].ndim != 1:
            raise InputError(f"{path} is not a phasecube cube (axis '{name}' has no 1-D dataset)")
        values.append(np.asarray(f[name][()], dtype=float))
    if ref.shape != tuple(len(v) for v in values):
        raise InputError(f"{path} is not a phasecube cube (variable shape {ref.shape} does not "
                         f"match axes {','.join(names)})")
    return names, values


def is_logspaced(v):
    """All positive with a constant ratio != 1 (a logspace axis)."""
    if len(v) < 3 or np.any(v <= 0):
        return False
    r = v[1:] / v[:-1]
    return bool(np.allclose(r, r[0], rtol=1e-6) and abs(r[0] - 1) > 1e-6)


def edges(v, log):
    """Cell edges from sorted centres (midpoints, geometric on a log axis)."""
    if len(v) == 1:
        return np.array([v[0] / 2, v[0] * 2]) if log else np.array([v[0] - 0.5, v[0] + 0.5])
    w = np.log(v) if log else v
    e = np.concatenate([[w[0] - (w[1] - w[0]) / 2], (w[1:] + w[:-1]) / 2,
                        [w[-1] + (w[-1] - w[-2]) / 2]])
    return np.exp(e) if log else e


def log_delta(delta):
    """log10 Delta with +inf -> +LOG_CLIP and 0 -> -LOG_CLIP; NaN (not computed) masked."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.clip(np.log10(delta), -LOG_CLIP, LOG_CLIP)
    return np.ma.masked_invalid(out)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cube", help="phasecube HDF5 cube")
    p.add_argument("--x", help="axis on the horizontal (default: first axis)")
    p.add_argument("--y", help="axis on the vertical (default: second axis)")
    p.add_argument("--at", action="append", default=[], metavar="AXIS=VALUE",
                   help="fix another axis at the grid value nearest VALUE (default: its first)")
    p.add_argument("--output", help="PNG to write (default: the cube path with .png)")
    return p.parse_args(argv)


class Slice:
    """The plotted 1-D or 2-D slice of a cube: chosen axes, fixed indices, data access."""

    def __init__(self, f, path, x=None, y=None, at=(), fixed=None, one_d=False):
        """x, y: plotted axes (None: the first free ones; y=None on a 1-axis cube);
        at: "AXIS=VALUE" strings (nearest grid value); fixed: {axis: grid index};
        one_d: a 1-D slice along x of a cube with more axes. Axes neither plotted nor
        given sit at their first grid value."""
        self.f = f
        self.names, self.values = read_axes(f, path)
        fixed = dict(fixed or {})
        for a in (x, y, *fixed):
            if a is not None and a not in self.names:
                raise InputError(f"unknown axis '{a}' (cube axes: {','.join(self.names)})")
        if len(self.names) == 1 or one_d:
            if y is not None:
                raise InputError(f"--y {y}: the cube has only one axis")
            self.plot_axes = [x or next(n for n in self.names if n not in fixed)]
        else:
            x = x or next(n for n in self.names if n != y)
            y = y or next(n for n in self.names if n != x)
            if x == y:
                raise InputError(f"--x and --y are both '{x}'")
            self.plot_axes = [x, y]
        # Other axes: a fixed index, an --at value (nearest grid point) or the first grid value.
        self.index = {n: 0 for n in self.names if n not in self.plot_axes}
        self.fixed_note = {}
        for name, i in fixed.items():
            if name in self.plot_axes:
                raise InputError(f"'{name}' is a plotted axis and cannot be fixed")
            self.index[name] = int(i)
            self.fixed_note[name] = f"grid index {int(i)}"
        for item in at:
            name, sep, text = item.partition("=")
            if not sep:
                raise InputError(f"--at {item}: expected AXIS=VALUE")
            if name not in self.names:
                raise InputError(f"unknown axis '{name}' in --at (cube axes: {','.join(self.names)})")
            if name in self.plot_axes:
                raise InputError(f"--at {name}: '{name}' is a plotted axis")
            try:
                target = float(text)
            except ValueError:
                raise InputError(f"--at {item}: '{text}' is not a number")
            vals = self.values[self.names.index(name)]
            self.index[name] = int(np.argmin(np.abs(vals - target)))
            self.fixed_note[name] = f"nearest to {target:g}"
        for name, i in self.index.items():
            self.fixed_note.setdefault(name, "first grid value")
        # Sorted coordinates of the plotted axes (explicit-list axes may be unsorted).
        self.order, self.coords, self.log = [], [], []
        for n in self.plot_axes:
            v = self.values[self.names.index(n)]
            o = np.argsort(v, kind="stable")
            self.order.append(o)
            self.coords.append(v[o])
            self.log.append(is_logspaced(v[o]))

    def read(self, var):
        """The slice of `var` as float, shape (ny, nx) (or (nx,)), fill values as NaN."""
        if var not in self.f:
            shape = tuple(len(c) for c in self.coords)[::-1]
            return np.full(shape, np.nan)
        ds = self.f[var]
        sel = tuple(self.index.get(n, slice(None)) for n in self.names)
        data = np.asarray(ds[sel], dtype=float)
        if ds.dtype.kind in "iu":
            data[data < 0] = np.nan  # int8 codes use fill -1
        # Remaining dimensions are in cube order; put them in plot order (x, y).
        kept = [n for n in self.names if n in self.plot_axes]
        if kept != self.plot_axes:
            data = data.T
        data = data[self.order[0]]
        if data.ndim == 2:
            data = data[:, self.order[1]].T  # rows = y, columns = x (pcolormesh layout)
        return data

    def fixed_text(self):
        parts = []
        for name, i in self.index.items():
            v = self.values[self.names.index(name)][i]
            parts.append(f"{name} = {v:g} ({self.fixed_note[name]})")
        return ", ".join(parts)


def axis_label(f, name, width=None):
    # The axis' long_name up to its first ';' (the rest is usage detail, too long for a label).
    ln = long_name(f, name, "").split(";")[0].strip()
    label = f"{name} ({ln})" if ln and ln != name else name
    return "\n".join(textwrap.wrap(label, width)) if width else label


def wrap_lines(text, width):
    """textwrap.wrap applied to each line of text (keeps explicit line breaks)."""
    return "\n".join(w for line in text.split("\n") for w in (textwrap.wrap(line, width) or [""]))


def fixed_params(f, exclude=(), run=True):
    """The cube's fixed model parameters (root attributes, not axes) as ["d=10", ...], then,
    with run=True, the run settings (trials, sampler, seed)."""
    attrs = f.attrs
    names = []
    for p in TITLE_PARAMS:  # each parameter, then its indexed coordinates kappa[0], kappa[1], ...
        indexed = [a for a in attrs if re.fullmatch(re.escape(p) + r"\[(0|[1-9][0-9]*)\]", a)]
        names += [p] + sorted(indexed, key=lambda a: int(a[len(p) + 1:-1]))
    params = [f"{p}={fmt(attrs[p])}" for p in names if p in attrs and p not in exclude]
    if run:
        params += [f"{a}={fmt(attrs[a])}" for a in ("trials", "sampler", "seed") if a in attrs]
    return params


def title_text(f, s, kind, width=140):
    """Suptitle: what is plotted, fixed model parameters and run settings from attributes."""
    attrs = f.attrs
    params = fixed_params(f, exclude=s.names, run=False)
    run_keys = ("seed",) if kind.startswith("theory") else ("trials", "sampler", "seed")
    run = [f"{a}={fmt(attrs[a])}" for a in run_keys if a in attrs]
    lines = [f"phasecube: {kind}", "   ".join(params)]
    if run:
        lines.append("   ".join(run))
    if s.index:
        lines.append("fixed: " + s.fixed_text())
    wrapped = [textwrap.wrap(line, width, break_on_hyphens=False) for line in lines]
    return "\n".join(w for lines_of in wrapped for w in lines_of)


def regime_legend(has_missing):
    handles = [Patch(facecolor=c, edgecolor="black", label=l) for _, l, c in REGIMES]
    if has_missing:
        handles.append(Patch(facecolor=NOT_COMPUTED, edgecolor="black", label="not computed"))
    for _, label, ls in (CA_CURVE, CP_CURVE):
        handles.append(Line2D([], [], color="black", ls=ls, lw=2, label=label,
                              path_effects=HALO))
    return handles


def boundary_field(delta):
    """1/Delta, whose level 1 is the closed-form boundary Delta = 1, for contouring.

    Delta = min signal value / max nuisance value, so 1/Delta is linear in the nuisance
    correlation nu: linear interpolation between grid points puts the contour exactly on
    the closed-form curve along a nu axis, and Delta = +inf (nu = 0) is simply 0. Delta = 0
    (no signal, e.g. kappa = 0) is masked like NaN (not computed): 1/Delta grows without
    bound as the signal vanishes, and interpolating towards a clipped value would bend the
    curve onto the neighbouring grid line."""
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / np.asarray(delta, dtype=float)
    return np.ma.masked_invalid(inv)


def draw_boundary(ax, s, curve, color="black", lw=2.0):
    """Contour Delta = 1 of the cube's closed-form variable curve[0] (theory_delta_*) on a
    2-D slice; nothing when the boundary is not on the grid."""
    var, _, ls = curve
    z = boundary_field(s.read(var))
    # contour needs a 2x2 grid and a crossing of the level; otherwise the boundary is off-grid.
    if min(z.shape) < 2 or not z.count() or not z.min() < 1 < z.max():
        return None
    (xc, yc) = s.coords
    cs = ax.contour(xc, yc, z, levels=[1.0], colors=color, linestyles=ls, linewidths=lw)
    set_halo(cs)
    return cs


def set_halo(cs, effects=HALO):
    """Halo around contour lines (readable on any colour), matplotlib 3.6 to 3.8+."""
    if isinstance(cs, matplotlib.artist.Artist):  # 3.8+: a ContourSet is a Collection
        cs.set_path_effects(effects)
    else:  # 3.6/3.7: a ContourSet has no .set(); style its collections
        for c in cs.collections:
            c.set_path_effects(effects)


def style_axes(ax, f, s, title=None, width=48, fontsize=10, label_width=None):
    """Axis labels from the cube's long_name attributes, log scales for logspace axes."""
    (xn, yn), (xlog, ylog) = s.plot_axes, s.log
    ax.set_xlabel(axis_label(f, xn, label_width))
    ax.set_ylabel(axis_label(f, yn, label_width))
    ax.set_xscale("log" if xlog else "linear")
    ax.set_yscale("log" if ylog else "linear")
    if title:
        ax.set_title(wrap_lines(title, width), fontsize=fontsize)


def regime_data(s):
    """(masked regime codes, theory_only): the simulated regimes, or the closed-form ones
    for a theory-only cube (no Monte Carlo results)."""
    emp = s.read("empirical_regime")
    theory_only = bool(np.all(np.isnan(emp)))
    regime = s.read("theory_regime") if theory_only else emp
    return np.ma.masked_invalid(regime), theory_only


def draw_regime_map(ax, f, s, title=None, curves=(CA_CURVE, CP_CURVE), width=48, fontsize=10,
                    label_width=None):
    """Regime map of a 2-D slice (simulated, or closed-form for a theory-only cube) with the
    closed-form Delta = 1 curves over it. Returns (regime, theory_only)."""
    xe, ye = (edges(c, lg) for c, lg in zip(s.coords, s.log))
    regime, theory_only = regime_data(s)
    cmap = ListedColormap([c for _, _, c in REGIMES])
    cmap.set_bad(NOT_COMPUTED)
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5, 3.5], cmap.N)
    ax.pcolormesh(xe, ye, regime, cmap=cmap, norm=norm)
    for curve in curves:
        draw_boundary(ax, s, curve)
    if title is None:
        var = "theory_regime" if theory_only else "empirical_regime"
        title = long_name(f, var).split(":")[0]
        title += " (no Monte Carlo results)" if theory_only else ""
    style_axes(ax, f, s, title, width=width, fontsize=fontsize, label_width=label_width)
    return regime, theory_only


def plot_2d(f, s, out):
    (xc, yc), (xlog, ylog) = s.coords, s.log
    xe, ye = edges(xc, xlog), edges(yc, ylog)

    fig, axs = plt.subplots(1, 3, figsize=(18, 6.2), constrained_layout=True)

    # Panel 1: regime map with both boundaries.
    regime, theory_only = draw_regime_map(axs[0], f, s)

    # Panels 2 and 3: recovery rates (or log10 Delta for a theory-only cube).
    for ax, curve, rate_var in ((axs[1], CA_CURVE, "ca_recovery_rate"),
                                (axs[2], CP_CURVE, "cp_recovery_rate")):
        rate = np.ma.masked_invalid(s.read(rate_var))
        if rate.count():
            m = ax.pcolormesh(xe, ye, rate, cmap="viridis", vmin=0, vmax=1)
            label, title = rate_var, long_name(f, rate_var)
        else:
            z = log_delta(s.read(curve[0]))
            lim = max(0.5, min(2.0, float(np.abs(z).max()) if z.count() else 1.0))
            m = ax.pcolormesh(xe, ye, z, cmap="PuOr", vmin=-lim, vmax=lim)
            label = f"log10 {curve[0]} (clipped)"
            title = long_name(f, curve[0]) + " (no Monte Carlo results)"
        m.cmap.set_bad(NOT_COMPUTED)
        fig.colorbar(m, ax=ax, label=label, shrink=0.9)
        draw_boundary(ax, s, curve)
        style_axes(ax, f, s, title)

    # Leave a strip at the bottom of the constrained layout for the shared legend.
    fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))
    fig.legend(handles=regime_legend(bool(np.ma.count_masked(regime))), loc="lower center",
               ncol=7, frameon=False)
    kind = "theory-only cube: closed-form regimes" if theory_only else "simulated phase diagram"
    fig.suptitle(title_text(f, s, kind), fontsize=11)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def crossings(x, z, log):
    """x positions where z (log10 Delta) changes sign between consecutive grid points."""
    w = np.log(x) if log else x
    out = []
    for i in range(len(x) - 1):
        a, b = z[i], z[i + 1]
        if np.isfinite(a) and np.isfinite(b) and (a < 0) != (b < 0) and a != b:
            t = w[i] + (w[i + 1] - w[i]) * (0 - a) / (b - a)
            out.append(np.exp(t) if log else t)
    return out


def delta_crossings(x, delta, log):
    """x positions (x sorted) where the closed-form ratio delta crosses 1 between grid points.

    On a log axis log Delta is interpolated against log x (exact for a power law, e.g.
    Delta against a variance); otherwise 1/Delta against x (exact along nu, where 1/Delta
    is linear, and Delta = +inf at nu = 0 is just 1/Delta = 0)."""
    delta = np.asarray(delta, dtype=float)
    if log:
        return crossings(x, np.ma.filled(log_delta(delta), np.nan), True)
    return crossings(x, np.ma.filled(boundary_field(delta), np.nan) - 1.0, False)


def plot_1d(f, s, out):
    (xn,), (xc,), (xlog,) = s.plot_axes, s.coords, s.log
    fig, ax = plt.subplots(figsize=(9, 5.5), constrained_layout=True)
    have_mc = False
    for var, color, ls in (("ca_recovery_rate", REGIMES[1][2], "-"),
                           ("cp_recovery_rate", REGIMES[2][2], "--")):
        r = s.read(var)
        if np.any(np.isfinite(r)):
            have_mc = True
            ax.plot(xc, r, color=color, ls=ls, marker="o", ms=3, label=long_name(f, var))
    for (var, label, ls), color in ((CA_CURVE, REGIMES[1][2]), (CP_CURVE, REGIMES[2][2])):
        delta = s.read(var)
        if not have_mc:  # theory-only cube: show whether Delta > 1 as a step
            ax.step(xc, (delta > 1).astype(float), where="mid", color=color, ls=ls,
                    label=f"{var} > 1")
        for i, xv in enumerate(delta_crossings(xc, delta, xlog)):
            ax.axvline(xv, color=color, ls=ls, lw=1.5, alpha=0.8, label=label if i == 0 else None)
    ax.set_xscale("log" if xlog else "linear")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(axis_label(f, xn))
    ax.set_ylabel("recovery rate" if have_mc else "theory recovers (1 = yes)")
    ax.legend(fontsize=8, loc="best")
    kind = "recovery vs " + xn if have_mc else f"theory-only cube: Delta > 1 vs {xn}"
    fig.suptitle(title_text(f, s, kind, width=90), fontsize=10)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def open_cube(path):
    """The cube as an open h5py.File; InputError for a missing or non-HDF5 file."""
    if not os.path.isfile(path):
        raise InputError(f"no such file: {path}")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path} is not an HDF5 file ({e})")


def main(argv):
    args = parse_args(argv)
    f = open_cube(args.cube)
    out = args.output or os.path.splitext(args.cube)[0] + ".png"
    with f:
        s = Slice(f, args.cube, args.x, args.y, args.at)
        if os.path.dirname(out):
            os.makedirs(os.path.dirname(out), exist_ok=True)
        (plot_1d if len(s.plot_axes) == 1 else plot_2d)(f, s, out)
    print(f"plot_phase.py: wrote {out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except InputError as e:
        print(f"plot_phase.py: error: {e}", file=sys.stderr)
        sys.exit(2)
