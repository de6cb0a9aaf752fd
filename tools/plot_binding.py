#!/usr/bin/python3
"""Plot a binding cube (phasecube, issue 6: M >= 2 modalities) as regime maps.

    tools/plot_binding.py CUBE.h5 [--output OUT.png] [--x AXIS --y AXIS]

Five panels over two swept axes (default: x = the last axis, y = the first; any other axis
is held at its first value):
  1-4. for each method in the cube's `methods` attribute (fixed anchor, centroid, best pair,
       all pairs),
       the worst recovery rate over the modalities it binds, with its closed-form boundary
       (the worst theory_delta_<method> over modalities = 1) drawn over it;
  5.   who wins where: the simulated winner (empirical_winner, codes from the `winner_codes`
       attribute) with all three closed-form boundaries, and the cells where the closed-form
       winner (theory_winner) differs marked with a dot.
Every variable name comes from the cube (methods, winner codes, long names); an axis swept
with logspace is drawn on a log scale. Exit code 2 on bad input. Default output:
tools/figures/binding_<cube name>.png.
"""
import argparse
import os
import sys
import warnings

import h5py
import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

# Okabe-Ito colours by method name; "none" grey. Winner codes come from the cube.
COLOURS = {"anchor": "#E69F00", "centroid": "#0072B2", "best_pair": "#009E73",
           "all_pairs": "#CC79A7", "none": "#bdbdbd"}
CURVE_STYLES = ["--", "-", ":", "-."]
HALO = [pe.withStroke(linewidth=4, foreground="white")]


class InputError(Exception):
    pass


def text(v):
    if isinstance(v, np.ndarray):
        v = v.tolist()
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise InputError(f"{path}: not an HDF5 file ({e})")
    with f:
        if text(f.attrs.get("schema", "")) != "binding":
            raise InputError(f"{path}: not a binding cube (no schema = binding attribute)")
        axes = [a for a in text(f.attrs["axes"]).split(",") if a]
        cube = {
            "axes": axes,
            "values": {a: f[a][()] for a in axes},
            "specs": {a: text(f[a].attrs.get("spec", "")) for a in axes},
            "methods": text(f.attrs["methods"]).split(","),
            "winner_codes": text(f.attrs["winner_codes"]),
            "theory_only": int(np.ravel(f.attrs.get("theory_only", 0))[0]) == 1,
            "attrs": {k: f.attrs[k] for k in f.attrs},
            "vars": {},
            "long_names": {},
        }
        for name in f:
            if name in axes or name == "modality":
                continue
            cube["vars"][name] = f[name][()]
            cube["long_names"][name] = text(f[name].attrs.get("long_name", name))
    return cube


def winner_names(codes):
    """'0 anchor, 1 centroid, ...' -> ['anchor', 'centroid', ...] in code order."""
    names = {}
    for item in codes.split(","):
        code, name = item.strip().split(" ", 1)
        names[int(code)] = name
    return [names[i] for i in sorted(names)]


def edges(values, log):
    v = np.log10(values) if log else np.asarray(values, float)
    if len(v) == 1:
        e = np.array([v[0] - 0.5, v[0] + 0.5])
    else:
        mid = (v[1:] + v[:-1]) / 2
        e = np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    return 10 ** e if log else e


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cube")
    ap.add_argument("--output")
    ap.add_argument("--x")
    ap.add_argument("--y")
    args = ap.parse_args(argv)
    c = load(args.cube)
    axes = c["axes"]
    if len(axes) < 2:
        raise InputError(f"{args.cube}: needs 2 swept axes, has {len(axes)}")
    xa, ya = args.x or axes[-1], args.y or axes[0]
    for a in (xa, ya):
        if a not in axes:
            raise InputError(f"unknown axis '{a}' (the cube has {', '.join(axes)})")
    if xa == ya:
        raise InputError("--x and --y must differ")

    def plane(var):
        """var over (y, x): other axes at index 0, a trailing modality dim kept."""
        a = c["vars"][var]
        index = [slice(None) if ax in (xa, ya) else 0 for ax in axes]
        a = a[tuple(index)]
        kept = [ax for ax in axes if ax in (xa, ya)]
        if kept != [ya, xa]:
            a = np.swapaxes(a, 0, 1)
        return a

    def worst(var, reduce):
        """Per-modality variables reduced over the modalities a method binds (NaN elsewhere)."""
        a = plane(var).astype(float)
        if a.ndim == 3:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: cell not computed
                a = reduce(a, axis=-1)
        return a

    logx = c["specs"][xa].startswith("logspace")
    logy = c["specs"][ya].startswith("logspace")
    X, Y = c["values"][xa], c["values"][ya]
    XE, YE = edges(X, logx), edges(Y, logy)
    methods = c["methods"]
    wnames = winner_names(c["winner_codes"])
    theory = {m: worst(f"theory_delta_{m}", np.nanmin) for m in methods}

    fig, axs = plt.subplots(1, len(methods) + 1, figsize=(4.4 * (len(methods) + 1), 4.3),
                            constrained_layout=True)

    def setup(ax, title):
        ax.set_xlabel(xa)
        ax.set_ylabel(ya)
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_title(title, fontsize=10)

    def boundary(ax, m, style, colour="black"):
        d = theory[m]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.log(np.clip(d, 1e-9, 1e9))
        if np.nanmin(z) < 0 < np.nanmax(z):
            cs = ax.contour(X, Y, z, levels=[0.0], colors=colour, linestyles=style,
                            linewidths=2)
            if colour == "black":
                plt.setp(cs.collections, path_effects=HALO)

    for i, m in enumerate(methods):
        ax = axs[i]
        if c["theory_only"]:
            z = np.log10(np.clip(theory[m], 1e-3, 1e3))
            pm = ax.pcolormesh(XE, YE, z, cmap="RdBu", vmin=-1, vmax=1, shading="flat")
            fig.colorbar(pm, ax=ax, label=f"log10 worst Delta ({m})")
        else:
            z = worst(f"{m}_recovery_rate", np.nanmin)
            pm = ax.pcolormesh(XE, YE, z, cmap="viridis", vmin=0, vmax=1, shading="flat")
            fig.colorbar(pm, ax=ax, label="worst recovery rate over modalities")
        boundary(ax, m, "-", "white" if not c["theory_only"] else "black")
        setup(ax, f"{m.replace('_', ' ')}: simulation, closed-form boundary "
                  r"$\Delta=1$")

    ax = axs[-1]
    key = "theory_winner" if c["theory_only"] else "empirical_winner"
    w = plane(key).astype(float)
    w[(w < 0) | (w >= len(wnames))] = np.nan
    colours = [COLOURS.get(n, "#000000") for n in wnames]
    cmap = ListedColormap(colours)
    ax.pcolormesh(XE, YE, w, cmap=cmap, norm=BoundaryNorm(np.arange(-0.5, len(wnames)), cmap.N),
                  shading="flat")
    for m, style in zip(methods, CURVE_STYLES):
        boundary(ax, m, style)
    if not c["theory_only"]:
        tw = plane("theory_winner").astype(float)
        yy, xx = np.nonzero(tw != w)
        ax.plot(X[xx], Y[yy], "k.", ms=3)
    setup(ax, "who wins where (simulation)" if not c["theory_only"] else "who wins where (theory)")
    handles = [Patch(color=colours[i], label=n.replace("_", " ")) for i, n in enumerate(wnames)]
    handles += [Line2D([], [], color="black", ls=s, label=fr"$\Delta$ {m.replace('_', ' ')} = 1")
                for m, s in zip(methods, CURVE_STYLES)]
    if not c["theory_only"]:
        handles.append(Line2D([], [], color="black", marker=".", ls="", label="theory differs"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))

    fixed = []
    for k in ("modalities", "d", "k", "n", "kappa", "gamma", "gamma_tilde", "nu", "anchor"):
        if k in c["attrs"] and k not in axes:
            v = np.ravel(c["attrs"][k])
            fixed.append(f"{k}=" + ",".join(f"{x:g}" for x in v[:8]))
    trials = np.ravel(c["attrs"].get("trials", [0]))[0]
    fig.suptitle(f"{os.path.basename(args.cube)}: " + " ".join(fixed) + f"  (trials {trials})",
                 fontsize=10)
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(__file__)), "figures",
                                      "binding_" + os.path.splitext(os.path.basename(args.cube))[0]
                                      .removeprefix("binding_") + ".png")
    fig.savefig(out, dpi=110)
    print(out)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except InputError as e:
        print(f"plot_binding.py: error: {e}", file=sys.stderr)
        sys.exit(2)
