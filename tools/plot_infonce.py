#!/usr/bin/python3
"""Figures of InfoNCE's phase diagrams from a cube with methods ca, cp, infonce (issue 13).

    tools/plot_infonce.py CUBE.h5 --output OUT.png   (or .pdf, .svg)

The kind of figure follows from the cube's two axes:
  (kappa, nu), e.g. sweeps/infonce_phase_kappa_nu.ini: three heatmaps (InfoNCE, CA, CP) of
     the mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) over (nu, kappa) on one colour
     scale, the closed-form boundaries Delta_CA = 1 and Delta_CP = 1 contoured from the cube's
     theory_delta_ca / theory_delta_cp, and per kappa row the first grid nu where each
     method's mean projector distance exceeds 0.5;
  (H, nu), H = infonce_tau or infonce_batch (sweeps/infonce_phase_tau_nu.ini,
     infonce_phase_batch_nu.ini): InfoNCE's mean projector distance against nu, one line per
     H value (log colour scale), CA and CP pooled over the H rows (H moves InfoNCE only), the
     0.5 level and the closed-form boundaries (where Delta crosses 1 along nu) as vertical lines.
Bad input (missing file, no infonce/ca/cp variables, other axes) exits 2 with one line on
stderr and writes nothing. Reads the cube with tools/plot_phase.py's helpers and pools CA/CP
with tools/infonce_table.py's.
"""
import argparse
import os
import sys

import numpy as np

import plot_phase as pp  # also sets the Agg backend
from infonce_table import first_index, pooled
from matplotlib import transforms
from matplotlib.colors import LogNorm
from matplotlib.lines import Line2D

plt = pp.plt
METHODS = ("infonce", "ca", "cp")
NAMES = {"infonce": "InfoNCE", "ca": "CA", "cp": "CP"}
# Per method: marker, colour (CA and CP as in plot_phase's regime map), vertical shift (points).
MARKERS = {"infonce": ("o", "white", 6), "ca": ("s", pp.REGIMES[1][2], 0),
           "cp": ("D", pp.REGIMES[2][2], -6)}
SYMBOLS = {"kappa": r"$\kappa$", "nu": r"$\nu$", "infonce_tau": r"temperature $\tau$",
           "infonce_batch": "batch size $B$"}
H_AXES = ("infonce_tau", "infonce_batch")
FAIL = 0.5  # a method fails where its mean projector distance exceeds this
FORMATS = (".png", ".pdf", ".svg")


def var(method):
    return f"{method}_projector_distance_mean"


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cube", help="phasecube HDF5 cube with methods ca, cp, infonce")
    p.add_argument("--output", required=True, help="figure to write (.png, .pdf or .svg)")

    def error(message):  # one line and exit 2, like every other bad input
        raise pp.InputError(message)
    p.error = error
    return p.parse_args(argv)


def open_slice(f, path):
    """The (x = nu, y = kappa or H) slice of the cube; InputError for any other cube."""
    names, _ = pp.read_axes(f, path)
    missing = [var(m) for m in METHODS if var(m) not in f]
    if missing:
        raise pp.InputError(f"{path} has no {', '.join(missing)} (run with methods = ca, cp, "
                            "infonce)")
    other = [n for n in names if n != "nu"]
    if len(names) != 2 or len(other) != 1 or other[0] not in ("kappa",) + H_AXES:
        raise pp.InputError(f"{path} has axes ({', '.join(names)}); expected (kappa, nu), "
                            "(infonce_tau, nu) or (infonce_batch, nu)")
    return pp.Slice(f, path, x="nu", y=other[0])


def mean_distance(s, method):
    """The method's mean projector distance, (rows = y, columns = nu), NaN where not done."""
    d = s.read(var(method))
    d[s.read("done") != 1] = np.nan
    return d


def title(f, s, what):
    params = "   ".join(pp.fixed_params(f, exclude=s.names))
    return pp.wrap_lines(f"phasecube: {what}\n{params}", 120)


def fail_markers(ax, s, method, label):
    """Per row of the slice, a marker on the first grid nu where the method's mean projector
    distance exceeds FAIL (a triangle at the last nu when it never does), shifted up (InfoNCE)
    or down (CP) by a few points so that the three methods' markers do not hide each other."""
    nu, rows = s.coords
    marker, colour, shift = MARKERS[method]
    first = [first_index(np.nan_to_num(row), FAIL) for row in mean_distance(s, method)]
    where = transforms.offset_copy(ax.transData, fig=ax.figure, y=shift, units="points")
    style = dict(s=60, color=colour, edgecolors="black", zorder=5, transform=where)
    hit = [(nu[i], y) for i, y in zip(first, rows) if i is not None]
    never = [y for i, y in zip(first, rows) if i is None]
    if hit:
        ax.scatter(*zip(*hit), marker=marker, label=label, **style)
    if never:
        ax.scatter([nu[-1]] * len(never), never, marker=">", **style)


def plot_kappa_nu(f, s, out):
    fig, axs = plt.subplots(1, 3, figsize=(14, 4.9), sharey=True, constrained_layout=True)
    xe, ye = (pp.edges(c, lg) for c, lg in zip(s.coords, s.log))
    for ax, method in zip(axs, METHODS):
        mesh = ax.pcolormesh(xe, ye, np.ma.masked_invalid(mean_distance(s, method)),
                             cmap="viridis", vmin=0, vmax=1)
        for curve in (pp.CA_CURVE, pp.CP_CURVE):
            pp.draw_boundary(ax, s, curve)
        for m in METHODS:
            fail_markers(ax, s, m, f"{NAMES[m]}: first {SYMBOLS['nu']} with distance > {FAIL}")
        ax.set_title(f"{NAMES[method]}: mean projector distance", fontsize=11)
        ax.set_xlabel(SYMBOLS["nu"] + " (nuisance correlation)")
    axs[0].set_ylabel(SYMBOLS["kappa"] + " (signal strength)")
    fig.colorbar(mesh, ax=axs, label=r"$\|P_{\hat U} - P_U\|_F / \sqrt{2k}$ (mean over trials)",
                 shrink=0.9, pad=0.01)
    handles, _ = axs[0].get_legend_handles_labels()
    handles += [Line2D([], [], color="black", ls=ls, lw=2, label=label, path_effects=pp.HALO)
                for _, label, ls in (pp.CA_CURVE, pp.CP_CURVE)]
    handles.append(Line2D([], [], marker=">", ls="none", color="gray", markeredgecolor="black",
                          label=f"(method's colour) never > {FAIL} up to the last {SYMBOLS['nu']}"))
    fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=9)
    fig.suptitle(title(f, s, "InfoNCE vs CA and CP over (kappa, nu); closed-form curves "
                       "contoured from the cube's theory_delta_* (exact on the kappa rows, "
                       "linear in between)"), fontsize=10)
    fig.savefig(out, dpi=80)
    plt.close(fig)


def plot_h_nu(f, s, out):
    nu, hs = s.coords
    h = s.plot_axes[1]
    done = s.read("done") == 1
    trials = int(f.attrs["trials"])
    fig, ax = plt.subplots(figsize=(8.5, 5.2), constrained_layout=True)
    norm = LogNorm(vmin=hs.min(), vmax=hs.max())
    cmap = plt.get_cmap("plasma_r" if h == "infonce_batch" else "plasma")
    for value, row in zip(hs, mean_distance(s, "infonce")):
        ax.plot(nu, row, color=cmap(norm(value)), marker="o", ms=3, lw=1.5)
    for method, ls, marker in (("ca", "--", "s"), ("cp", ":", "D")):
        # H moves InfoNCE only: every H row is a replicate of CA and CP.
        mean, _ = pooled(s.read(var(method)), s.read(f"{method}_projector_distance_std"),
                         trials, done)
        ax.plot(nu, mean, color="black", ls=ls, lw=2, marker=marker, ms=4,
                label=f"{NAMES[method]} (pooled over the {len(hs)} values of {SYMBOLS[h]})")
    ax.axhline(FAIL, color="gray", lw=1, label=f"distance {FAIL}")
    for curve, method in ((pp.CA_CURVE, "ca"), (pp.CP_CURVE, "cp")):
        # The closed form does not depend on H: the first row's crossings along nu.
        for i, x in enumerate(pp.delta_crossings(nu, s.read(curve[0])[0], False)):
            ax.axvline(x, color=MARKERS[method][1], ls=curve[2], lw=2,
                       label=curve[1].replace("boundary", "closed form") if i == 0 else None)
    sm = plt.cm.ScalarMappable(norm=norm, cmap=cmap)
    bar = fig.colorbar(sm, ax=ax, label=f"InfoNCE, {SYMBOLS[h]}", pad=0.01)
    bar.set_ticks(hs)
    bar.set_ticklabels([f"{v:g}" for v in hs])
    bar.minorticks_off()
    ax.set_xlabel(SYMBOLS["nu"] + " (nuisance correlation)")
    ax.set_ylabel(r"mean projector distance $\|P_{\hat U} - P_U\|_F / \sqrt{2k}$")
    ax.set_ylim(0, 1.03)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3,
              frameon=False)
    fig.suptitle(title(f, s, f"InfoNCE's projector distance vs nu, one line per {SYMBOLS[h]}"),
                 fontsize=9)
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    if os.path.splitext(args.output)[1].lower() not in FORMATS:
        raise pp.InputError(f"--output {args.output}: expected a {', '.join(FORMATS)} file")
    with pp.open_cube(args.cube) as f:
        s = open_slice(f, args.cube)
        if os.path.dirname(args.output):
            os.makedirs(os.path.dirname(args.output), exist_ok=True)
        (plot_kappa_nu if s.plot_axes[1] == "kappa" else plot_h_nu)(f, s, args.output)
    print(f"plot_infonce: wrote {args.output}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except pp.InputError as e:
        print(f"plot_infonce: error: {e}", file=sys.stderr)
        sys.exit(2)
