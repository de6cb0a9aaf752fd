#!/usr/bin/python3
"""Figures of `[diagnose]` sweeps (cubes from `phasecube run` with a [diagnose] section).
Usage: tools/plot_diagnose_sweep.py OUT_PREFIX CUBE.h5 [CUBE.h5 ...]
Writes OUT_PREFIX_map.png: for the first cube, the per-cell accuracy of the diagnose verdict
against the simulated regime over the two swept axes, with the closed-form boundaries
(Delta = 1) and the validate band (|Delta - 1| <= 0.1) marked, next to the simulated regime
and the modal diagnosed regime; and, with several cubes (different diagnose.labelled = m),
OUT_PREFIX_vs_m.png: mean accuracy against m over all cells and outside the band.
Prints the table of accuracy against m."""
import re
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

BAND = 0.1  # the band of `phasecube validate` (ValidateOptions::band)
REGIME_COLOURS = ["#d9d9d9", "#9ecae1", "#fdae6b", "#a1d99b"]
REGIME_NAMES = ["Neither", "CA only", "CP only", "Both"]


def text_attr(f, name):
    v = f.attrs[name]
    return v.decode() if isinstance(v, bytes) else str(v)


def load(path):
    with h5py.File(path, "r") as f:
        axes = text_attr(f, "axes").split(",")
        if len(axes) != 2:
            sys.exit(f"{path}: needs exactly two axes, has {axes}")
        diag = [v for v in f if v.startswith("diag_")]
        if "diag_accuracy_empirical" not in diag:
            sys.exit(f"{path}: no diag_* variables (run with a [diagnose] section)")
        cube = {v: f[v][()] for v in f if isinstance(f[v], h5py.Dataset)}
        cube["_axes"] = axes
        cube["_long"] = {v: text_attr(f[v], "long_name") for v in diag}
        m = re.search(r"^labelled\s*=\s*(\d+)", text_attr(f, "config"), re.M)
        cube["_m"] = int(m.group(1)) if m else None
        cube["_n"] = float(f.attrs["n"]) if "n" in f.attrs else None
    return cube


def outside_band(c):
    return (np.abs(c["theory_delta_ca"] - 1) > BAND) & (np.abs(c["theory_delta_cp"] - 1) > BAND)


def done(c):
    return c["done"] == 1


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    prefix, paths = sys.argv[1], sys.argv[2:]
    cubes = [load(p) for p in paths]
    c = cubes[0]
    ax0, ax1 = c["_axes"]
    X, Y = np.meshgrid(c[ax0], c[ax1], indexing="ij")
    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    acc = c["diag_accuracy_empirical"]
    im = axes[0].pcolormesh(X, Y, acc, vmin=0, vmax=1, cmap="viridis", shading="nearest")
    fig.colorbar(im, ax=axes[0], label="share of trials with the simulated regime")
    near = ~outside_band(c)
    axes[0].scatter(X[near], Y[near], marker="x", color="w", s=18, label=f"|Delta - 1| <= {BAND}")
    for a in axes:
        a.contour(X, Y, c["theory_delta_ca"], levels=[1], colors="k", linewidths=1.2)
        a.contour(X, Y, c["theory_delta_cp"], levels=[1], colors="k", linestyles="--",
                  linewidths=1.2)
        a.set_xlabel(ax0)
        a.set_ylabel(ax1)
    axes[0].legend(loc="upper left", fontsize=8)
    title_m = f"m = {c['_m']}" if c["_m"] else ""
    axes[0].set_title(f"diagnose accuracy vs simulated regime ({title_m})\n"
                      "solid: Delta_CA = 1, dashed: Delta_CP = 1", fontsize=10)
    cmap = ListedColormap(REGIME_COLOURS)
    axes[1].pcolormesh(X, Y, c["empirical_regime"], cmap=cmap, vmin=-0.5, vmax=3.5,
                       shading="nearest")
    axes[1].set_title("simulated regime (recovery rate >= 0.5)", fontsize=10)
    # The diagnosis has a fifth code, 4 = no label signal (issue 14), drawn black.
    diag_colours = REGIME_COLOURS + ["#000000"]
    axes[2].pcolormesh(X, Y, c["diag_regime_mode"], cmap=ListedColormap(diag_colours),
                       vmin=-0.5, vmax=4.5, shading="nearest")
    axes[2].set_title("diagnosed regime (mode over trials)", fontsize=10)
    handles = [plt.Rectangle((0, 0), 1, 1, color=col) for col in diag_colours]
    axes[2].legend(handles, REGIME_NAMES + ["no label signal"], fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(f"{prefix}_map.png", dpi=90)
    print(f"wrote {prefix}_map.png")

    rows = []
    for cube in cubes:
        ok = done(cube)
        if not ok.all():
            print(f"note: m = {cube['_m']}: only {ok.sum()} of {ok.size} cells done", file=sys.stderr)
        ob = outside_band(cube) & ok
        rows.append((cube["_m"], float(np.nanmean(cube["diag_accuracy_empirical"][ok])),
                     float(np.nanmean(cube["diag_accuracy_empirical"][ob])),
                     float(np.nanmean(cube["diag_accuracy_theory"][ok])),
                     float(np.nanmean(cube["diag_accuracy_theory"][ob])), int(ob.sum()),
                     int(ok.sum())))
    rows.sort(key=lambda r: (r[0] is None, r[0]))
    print("m\tvs simulated: all\toutside band\tvs closed form: all\toutside band\tcells (outside/all)")
    for r in rows:
        print(f"{r[0]}\t{100 * r[1]:.1f}%\t{100 * r[2]:.1f}%\t{100 * r[3]:.1f}%\t{100 * r[4]:.1f}%\t{r[5]}/{r[6]}")
    if len(cubes) > 1 and all(r[0] for r in rows):
        fig, ax = plt.subplots(figsize=(6, 4.2))
        ms = [r[0] for r in rows]
        ax.plot(ms, [r[1] for r in rows], "o-", label="vs simulated, all cells")
        ax.plot(ms, [r[2] for r in rows], "s-", label=f"vs simulated, outside the band")
        ax.plot(ms, [r[4] for r in rows], "^--", label="vs closed form, outside the band")
        ax.axhline(0.9, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlabel("labelled rows m")
        ax.set_ylabel("mean accuracy of the diagnosed regime")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8)
        ax.set_title("diagnose accuracy against the labelled-sample size", fontsize=10)
        fig.tight_layout()
        fig.savefig(f"{prefix}_vs_m.png", dpi=90)
        print(f"wrote {prefix}_vs_m.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
