#!/usr/bin/python3
"""Plot a 3-D phasecube cube as regime maps, one per value of a slicing axis.

    tools/plot_cube.py CUBE.h5 [--slice AXIS] [--x AXIS --y AXIS] [--strip OUT.png] [--gif OUT.gif]

For every grid value of the slicing axis, the regime map of the (x, y) plane (simulated
regimes, or closed-form ones for a theory-only cube) with the closed-form Delta_CA = 1 and
Delta_CP = 1 curves over it, drawn exactly as tools/plot_phase.py draws them (this script
imports it). Output:
  --strip OUT.png   a grid of panels, one per slice value (default: CUBE_strip.png when
                    neither --strip nor --gif is given),
  --gif OUT.gif     an animated GIF stepping through the slicing axis (needs python3-pil).
Both may be given. Axes: the roles slice, x, y not given on the command line take the
remaining axes in cube order (slice first), so for a cube gamma_x,kappa,nu the default is
slices of gamma_x in the (kappa, nu) plane.

Exit code 2 on bad input: missing file, not a phasecube cube, a cube that is not 3-D, an
unknown or repeated axis.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_phase as pp  # noqa: E402  (also selects the headless Agg backend)

import numpy as np  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

DPI = 110  # strip PNG
DPI_GIF = 90  # GIF frames: 6.4 x 5.6 in -> 576 x 504 px


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cube", help="phasecube HDF5 cube with three axes")
    p.add_argument("--slice", dest="slice_axis", metavar="AXIS",
                   help="axis stepped through (default: the first axis that is not x or y)")
    p.add_argument("--x", help="horizontal axis of every panel")
    p.add_argument("--y", help="vertical axis of every panel")
    p.add_argument("--strip", metavar="OUT.png", help="write a PNG grid of all slices")
    p.add_argument("--gif", metavar="OUT.gif", help="write an animated GIF through the slices")
    return p.parse_args(argv)


def resolve_axes(names, path, slice_axis=None, x=None, y=None):
    """(slice, x, y) for a 3-D cube; unset roles take the free axes in cube order."""
    if len(names) != 3:
        raise pp.InputError(f"{path} has {len(names)} axes ({','.join(names)}); plot_cube.py "
                            "needs a 3-D cube (use plot_phase.py for 1-D and 2-D cubes)")
    given = [a for a in (slice_axis, x, y) if a is not None]
    for a in given:
        if a not in names:
            raise pp.InputError(f"unknown axis '{a}' (cube axes: {','.join(names)})")
    if len(set(given)) != len(given):
        raise pp.InputError("--slice, --x and --y must name different axes")
    free = [n for n in names if n not in given]
    slice_axis = slice_axis or free.pop(0)
    x = x or free.pop(0)
    y = y or free.pop(0)
    return slice_axis, x, y


def slice_label(axis, value):
    return f"{axis} = {value:.4g}"


def agreement(s):
    """Share of simulated cells whose empirical regime equals the closed-form one (None for
    a theory-only slice). Plain counting of two cube variables, no theory recomputed."""
    emp, th = s.read("empirical_regime"), s.read("theory_regime")
    ok = np.isfinite(emp) & np.isfinite(th)
    return float(np.mean(emp[ok] == th[ok])) if ok.any() else None


def panel_title(s, axis, value):
    title = slice_label(axis, value)
    a = agreement(s)
    return title + (f"\nsimulated = closed-form regime in {100 * a:.0f}% of cells"
                    if a is not None else "")


class CubeSlices:
    """The 2-D slices of a 3-D cube along one axis, as plot_phase.Slice objects."""

    def __init__(self, f, path, slice_axis=None, x=None, y=None):
        self.f = f
        names, values = pp.read_axes(f, path)
        self.axis, self.x, self.y = resolve_axes(names, path, slice_axis, x, y)
        self.values = values[names.index(self.axis)]  # cube order (a list axis keeps its order)
        self.slices = [pp.Slice(f, path, self.x, self.y, fixed={self.axis: i})
                       for i in range(len(self.values))]
        self.names = names

    def suptitle(self, what, width=150):
        params = pp.fixed_params(self.f, exclude=self.names)
        lines = [f"phasecube: {what} in the ({self.x}, {self.y}) plane, one panel per "
                 f"{self.axis}", "   ".join(params)]
        return pp.wrap_lines("\n".join(lines), width)

    def kind(self):
        theory_only = all(pp.regime_data(s)[1] for s in self.slices)
        return "closed-form regime map (theory-only cube)" if theory_only else \
            "simulated regime map"


def add_legend(fig, regimes, ncol=6):
    missing = any(bool(np.ma.count_masked(r)) for r in regimes)
    fig.legend(handles=pp.regime_legend(missing), loc="lower center", ncol=ncol,
               frameon=False, fontsize=9)


def write_strip(cs, out, panel_size=(4.3, 3.6)):
    n = len(cs.slices)
    rows = math.ceil(n / 4)
    cols = math.ceil(n / rows)
    legend_h = 0.45  # inches kept free at the bottom for the shared legend
    height = panel_size[1] * rows + 1.0 + legend_h
    fig, axs = plt.subplots(rows, cols, figsize=(panel_size[0] * cols, height),
                            squeeze=False, sharex=True, sharey=True, constrained_layout=True)
    regimes = []
    for i, (s, v) in enumerate(zip(cs.slices, cs.values)):
        ax = axs.flat[i]
        r, _ = pp.draw_regime_map(ax, cs.f, s, title=panel_title(s, cs.axis, v),
                                  width=60, fontsize=9.5, label_width=40)
        regimes.append(r)
        if i % cols:  # labels on the outer panels only (axes are shared)
            ax.set_ylabel("")
        if i + cols < n:
            ax.set_xlabel("")
        else:  # lowest panel of its column: show its x tick labels
            ax.xaxis.set_tick_params(labelbottom=True)
    for ax in list(axs.flat)[n:]:
        ax.set_visible(False)
    fig.get_layout_engine().set(rect=(0, legend_h / height, 1, 1 - legend_h / height))
    add_legend(fig, regimes)
    fig.suptitle(cs.suptitle(cs.kind()), fontsize=10.5)
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def write_gif(cs, out, fps=1.0):
    import importlib.util
    if importlib.util.find_spec("PIL") is None:  # PillowWriter needs Pillow
        raise RuntimeError("--gif needs Pillow (Debian: apt-get install python3-pil)")
    from matplotlib.animation import FuncAnimation, PillowWriter

    fig, ax = plt.subplots(figsize=(6.4, 5.6), constrained_layout=True)
    fig.get_layout_engine().set(rect=(0, 0.1, 1, 0.9))  # bottom strip for the legend
    regimes = [pp.regime_data(s)[0] for s in cs.slices]
    add_legend(fig, regimes, ncol=3)
    fig.suptitle(cs.suptitle(cs.kind(), width=80), fontsize=8.5)

    def frame(i):
        ax.clear()
        s = cs.slices[i]
        title = f"[{i + 1}/{len(cs.slices)}]  " + panel_title(s, cs.axis, cs.values[i])
        pp.draw_regime_map(ax, cs.f, s, title=title, width=60, fontsize=10, label_width=45)
        return []

    anim = FuncAnimation(fig, frame, frames=len(cs.slices), blit=False, repeat=True)
    anim.save(out, writer=PillowWriter(fps=fps), dpi=DPI_GIF)
    plt.close(fig)


def main(argv):
    args = parse_args(argv)
    f = pp.open_cube(args.cube)
    strip = args.strip
    if not strip and not args.gif:
        strip = os.path.splitext(args.cube)[0] + "_strip.png"
    written = []
    with f:
        cs = CubeSlices(f, args.cube, args.slice_axis, args.x, args.y)
        for out, write in ((strip, write_strip), (args.gif, write_gif)):
            if out:
                if os.path.dirname(out):
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                write(cs, out)
                written.append(out)
    for out in written:
        print(f"plot_cube.py: wrote {out}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except pp.InputError as e:
        print(f"plot_cube.py: error: {e}", file=sys.stderr)
        sys.exit(2)
    except RuntimeError as e:
        print(f"plot_cube.py: error: {e}", file=sys.stderr)
        sys.exit(1)
