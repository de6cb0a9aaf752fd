#!/usr/bin/python3
"""Run the paper's sweeps (sweeps/*.ini) and draw one figure per experiment.

    tools/gallery.py [--exe PATH] [--outdir DIR] [--quick] [--cubes DIR]

Runs phase_diagram, default_cube, noise_correlation_probe, separation_vs_target_nuisance,
joint_objective, partial_recovery, soft_bottleneck and convergence with `phasecube run`
(convergence also with `phasecube validate --json`), then writes into DIR (default
results/gallery):

  phase_diagram.png           both panels of the paper's (kappa, nu) phase diagram
  default_cube.png / .gif     the 3-D default cube, one regime map per gamma_x (strip, GIF)
  recovery_vs_nu.png          CA / CP / CP-reverse recovery rates against nu
  risk_probe_vs_cp.png        prediction risk of CA + probe and of CP against nu
  separation_vs_gamma_tilde_y.png  closed-form Delta and recovery against gamma_tilde_y
  joint_objective.png         the joint CP + lambda (CA - I) solution against lambda
  partial_recovery.png        recovered directions with decaying kappa_i, one panel per decay
  soft_bottleneck.png         CA encoder norm against kappa, with 2 / rho
  convergence.png             the simulated boundary approaching the closed form as n grows

Sizes: the sweeps as in sweeps/*.ini, with finer (kappa, nu) grids for the two map
experiments (about half a minute on 2 cores). --quick shrinks every sweep to a few cells and
trials (tests; well under 30 s). The cubes go to a temporary directory unless --cubes DIR.

One source of truth: every closed-form curve is read from the cube's theory_* variables
(the boundary Delta = 1 is a contour or crossing of theory_delta_*), never recomputed here;
labels come from the cube's long_name attributes. Drawing helpers come from plot_phase.py
and plot_cube.py.

Executable: --exe, else $PHASECUBE, else <repo>/build/phasecube. Exit 2 with one line when
it is missing; 1 when a run fails.
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plot_phase as pp  # noqa: E402  (selects the headless Agg backend)
import plot_cube as pc  # noqa: E402

import numpy as np  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.patheffects as pe  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DPI = 110

# Okabe-Ito colour-blind-safe palette; methods also differ by line style and marker.
BLUE, ORANGE, GREEN, PURPLE, VERMILLION, SKY, YELLOW = (
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
DARK_HALO = [pe.withStroke(linewidth=2.2, foreground="black")]  # white lines on light colours
METHODS = {  # prefix: (display name, colour, line style, marker, closed-form ratio)
    "ca": ("CA", BLUE, "-", "o", "theory_delta_ca"),
    "cp": ("CP (x->y)", ORANGE, "--", "s", "theory_delta_cp"),
    "cp_rev": ("CP (y->x)", PURPLE, "-.", "^", "theory_delta_cp_rev"),
}

# name: (overrides for the gallery, overrides for --quick). Everything else comes from
# sweeps/<name>.ini, whose header says what the sweep shows.
MAP_GRID = ["--axes.kappa=linspace(0, 3, 61)", "--axes.nu=linspace(0, 1, 41)"]
QUICK_MAP = ["--run.trials=6", "--axes.kappa=linspace(0, 3, 7)", "--axes.nu=linspace(0, 1, 6)"]
SWEEPS = {
    "phase_diagram": (MAP_GRID, QUICK_MAP),
    "default_cube": ([], QUICK_MAP + ["--axes.gamma_x=logspace(-1, 1, 3)"]),
    "noise_correlation_probe": ([], ["--run.trials=10", "--axes.nu=linspace(0, 0.95, 9)"]),
    "separation_vs_target_nuisance": (
        [], ["--run.trials=10", "--axes.gamma_tilde_y=logspace(-1, 2, 7)"]),
    "joint_objective": ([], ["--run.trials=10", "--axes.lambda=0, 0.1, 1, 10, 100"]),
    "partial_recovery": (MAP_GRID, QUICK_MAP + ["--axes.kappa_decay=1, 0.6"]),
    "soft_bottleneck": ([], ["--run.trials=10", "--axes.kappa=logspace(-1.30103, 0.69897, 9)"]),
    "convergence": ([], ["--run.trials=10", "--axes.n=100, 1000, 10000",
                         "--axes.nu=linspace(0, 1, 11)"]),
}


class GalleryError(Exception):
    """A failure reported as one line; .code is the exit status."""

    def __init__(self, msg, code=1):
        super().__init__(msg)
        self.code = code


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--exe", help="phasecube executable (default: $PHASECUBE, else "
                                 "<repo>/build/phasecube)")
    p.add_argument("--outdir", default=os.path.join("results", "gallery"),
                   help="where the figures go (default: results/gallery)")
    p.add_argument("--quick", action="store_true",
                   help="tiny sweeps (a few cells and trials): for tests, not for reading")
    p.add_argument("--cubes", metavar="DIR",
                   help="keep the cubes (and validate JSON) in DIR (default: a temporary "
                        "directory, removed at the end)")
    return p.parse_args(argv)


def find_exe(arg):
    exe = arg or os.environ.get("PHASECUBE") or os.path.join(REPO, "build", "phasecube")
    if not (os.path.isfile(exe) and os.access(exe, os.X_OK)):
        how = "--exe" if arg else ("$PHASECUBE" if os.environ.get("PHASECUBE") else
                                   "default; build it with tools/build.sh, or pass --exe")
        raise GalleryError(f"phasecube executable not found: {exe} ({how})", code=2)
    return exe


def run_sweeps(exe, cubedir, quick):
    """Run every sweep; returns {name: cube path} and prints one line per sweep."""
    cubes, total = {}, 0.0
    for name, (full, small) in SWEEPS.items():
        ini = os.path.join(REPO, "sweeps", name + ".ini")
        out = os.path.join(cubedir, name + ".h5")
        cmd = [exe, "run", "--config", ini, "--output", out, "--overwrite"]
        cmd += small if quick else full
        t0 = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        dt = time.monotonic() - t0
        total += dt
        if r.returncode != 0:
            last = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
            raise GalleryError(f"{name}: phasecube run failed (exit {r.returncode}): {last}")
        print(f"gallery.py: ran {name:32s} {dt:6.1f} s", flush=True)
        cubes[name] = out
    print(f"gallery.py: all sweeps {total:.1f} s", flush=True)
    return cubes


def validate_json(exe, cube):
    r = subprocess.run([exe, "validate", cube, "--json"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        last = (r.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise GalleryError(f"phasecube validate {cube} failed (exit {r.returncode}): {last}")
    return json.loads(r.stdout)


def finite(v):
    """A finite number of the JSON: phasecube writes non-finite ones as "inf", "-inf", "nan"."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


# ---------------------------------------------------------------- shared drawing helpers

def suptitle(fig, f, what, exclude=(), width=120, fontsize=10.5):
    """Figure title: the experiment, then the cube's fixed parameters and run settings."""
    params = "   ".join(pp.fixed_params(f, exclude=exclude))
    fig.suptitle(pp.wrap_lines(f"{what}\n{params}", width), fontsize=fontsize)


def ylabel(f, var, width=45):
    return pp.wrap_lines(pp.long_name(f, var), width)


def line1d(ax, s, var, method, label=None, **kw):
    """A Monte Carlo variable of a 1-D slice against its axis, in the method's style."""
    name, color, ls, marker, _ = METHODS[method]
    style = dict(color=color, ls=ls, marker=marker, ms=4, lw=1.6)
    style.update(kw)
    return ax.plot(s.coords[0], s.read(var), label=label or pp.long_name(s.f, var), **style)


def theory_vlines(ax, s, methods, label=True):
    """Vertical lines where the cube's closed-form Delta of each method crosses 1; a legend
    entry saying so when it stays on one side of 1 over the whole axis."""
    (x,), (log,) = s.coords, s.log
    for m in methods:
        name, color, _, _, var = METHODS[m]
        delta = s.read(var)
        xs = pp.delta_crossings(x, delta, log)
        for i, xv in enumerate(xs):
            ax.axvline(xv, color=color, ls=":", lw=1.8,
                       label=(f"closed form: {var} = 1" if label and i == 0 else None))
        finite = delta[~np.isnan(delta)]
        if label and not xs and finite.size:
            side = "> 1" if np.all(finite > 1) else "< 1" if np.all(finite < 1) else "= 1"
            ax.plot([], [], color=color, ls=":", lw=1.8,
                    label=f"closed form: {var} {side} on the whole axis")


def finish1d(ax, s, log_y=False):
    ax.set_xlabel(pp.axis_label(s.f, s.plot_axes[0]))
    ax.set_xscale("log" if s.log[0] else "linear")
    if log_y:
        ax.set_yscale("log")
    ax.grid(True, alpha=0.3)


def save(fig, outdir, name, written):
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    written.append(path)


def panel_letter(i):
    return f"({'abcdefgh'[i]})"


# ---------------------------------------------------------------- one function per figure

def fig_phase_diagram(cube, outdir, written):
    with pp.open_cube(cube) as f:
        names, values = pp.read_axes(f, cube)
        sl = next(n for n in names if n not in ("kappa", "nu"))
        vals = values[names.index(sl)]
        fig, axs = plt.subplots(1, len(vals), figsize=(6.3 * len(vals), 6.1),
                                squeeze=False, constrained_layout=True)
        regimes = []
        for i, v in enumerate(vals):
            s = pp.Slice(f, cube, "kappa", "nu", fixed={sl: i})
            title = f"{panel_letter(i)} " + pc.panel_title(s, sl, v)
            r, _ = pp.draw_regime_map(axs[0, i], f, s, title=title, width=70)
            regimes.append(r)
        fig.get_layout_engine().set(rect=(0, 0.07, 1, 0.93))
        pc.add_legend(fig, regimes)
        suptitle(fig, f, "Phase diagram: simulated regimes (colours) and closed-form "
                 "boundaries Delta = 1 (curves)", exclude=names, width=160)
        save(fig, outdir, "phase_diagram.png", written)


def fig_default_cube(cube, outdir, written):
    with pp.open_cube(cube) as f:
        cs = pc.CubeSlices(f, cube, x="kappa", y="nu")
        for name, write in (("default_cube.png", pc.write_strip),
                            ("default_cube.gif", pc.write_gif)):
            path = os.path.join(outdir, name)
            write(cs, path)
            written.append(path)


def fig_recovery_vs_nu(cube, outdir, written):
    with pp.open_cube(cube) as f:
        s = pp.Slice(f, cube)
        fig, ax = plt.subplots(figsize=(9, 5.6), constrained_layout=True)
        for m in ("ca", "cp", "cp_rev"):
            line1d(ax, s, f"{m}_recovery_rate", m)
        theory_vlines(ax, s, ("ca", "cp", "cp_rev"))
        finish1d(ax, s)
        ax.set_ylim(-0.04, 1.04)
        ax.set_ylabel("share of trials recovering all k signal directions")
        ax.legend(fontsize=8.5, loc="center right")
        suptitle(fig, f, "Recovery against the nuisance correlation nu (dotted: closed-form "
                 "boundary of the same colour)", exclude=s.names, width=95)
        save(fig, outdir, "recovery_vs_nu.png", written)


def fig_risk(cube, outdir, written):
    with pp.open_cube(cube) as f:
        s = pp.Slice(f, cube)
        fig, axs = plt.subplots(1, 2, figsize=(13, 5.4), constrained_layout=True)
        for ax, (probe, cp), logy, what in (
                (axs[0], ("ca_probe_risk_mean", "cp_risk_mean"), False, "risk against y"),
                (axs[1], ("ca_probe_signal_risk_mean", "cp_signal_risk_mean"), True,
                 "risk against the signal y_signal = (s, 0)")):
            line1d(ax, s, probe, "ca", ms=3.5)
            line1d(ax, s, cp, "cp", ms=3.5)
            theory_vlines(ax, s, ("ca", "cp"))
            finish1d(ax, s, log_y=logy)
            ax.set_ylabel(f"mean population {what}" + (" (log)" if logy else ""))
            ax.set_title(what, fontsize=10)
            ax.legend(fontsize=8.5, loc="upper left" if logy else "lower left")
        suptitle(fig, f, "Prediction risk: CA + least-squares probe vs CP's own predictor, "
                 "against nu (dotted: closed-form boundaries)", exclude=s.names)
        save(fig, outdir, "risk_probe_vs_cp.png", written)


def fig_separation(cube, outdir, written):
    with pp.open_cube(cube) as f:
        s = pp.Slice(f, cube)
        fig, axs = plt.subplots(1, 2, figsize=(13, 5.4), constrained_layout=True)
        ax = axs[0]
        for m in ("ca", "cp", "cp_rev"):
            name, color, ls, marker, var = METHODS[m]
            ax.plot(s.coords[0], s.read(var), color=color, ls=ls, lw=2,
                    label=f"{var}: {pp.long_name(f, var)}")
        ax.axhline(1.0, color="black", lw=1, ls=":", label="Delta = 1 (recovery threshold)")
        finish1d(ax, s, log_y=True)
        ax.set_ylabel("closed-form separation ratio Delta (log)")
        ax.set_title("closed-form separation ratios (from the cube)", fontsize=10)
        ax.legend(fontsize=7.5, loc="upper left")
        ax = axs[1]
        for m in ("ca", "cp", "cp_rev"):
            line1d(ax, s, f"{m}_recovery_rate", m, ms=3.5)
        theory_vlines(ax, s, ("ca", "cp", "cp_rev"))
        finish1d(ax, s)
        ax.set_ylim(-0.04, 1.04)
        ax.set_ylabel("share of trials recovering all k signal directions")
        ax.set_title("simulated recovery (dotted: where Delta crosses 1)", fontsize=10)
        ax.legend(fontsize=7.5, loc="center right")
        eta = f" (eta = {pp.fmt(f.attrs['eta'])} held fixed)" if "eta" in f.attrs else ""
        suptitle(fig, f, f"Separation against the target's nuisance variance gamma_tilde_y{eta}",
                 exclude=s.names)
        save(fig, outdir, "separation_vs_gamma_tilde_y.png", written)


def fig_joint(cube, outdir, written):
    with pp.open_cube(cube) as f:
        s = pp.Slice(f, cube)
        lam = s.coords[0]
        pos = lam[lam > 0]
        # lambda = 0 (pure CP) sits at the left edge of a symlog axis: linear below the
        # smallest positive lambda, logarithmic above.
        linthresh = float(pos.min()) if pos.size else 1.0
        fig, axs = plt.subplots(1, 2, figsize=(13, 5.4), constrained_layout=True,
                                gridspec_kw={"width_ratios": [1.5, 1]})
        ax = axs[0]
        for var, color, ls, marker in (("joint_distance_mean", "black", "-", "o"),
                                       ("joint_ca_distance_mean", BLUE, "--", "s"),
                                       ("joint_cp_distance_mean", ORANGE, "-.", "^")):
            ax.plot(lam, s.read(var), color=color, ls=ls, marker=marker, ms=5, lw=1.8,
                    label=pp.long_name(f, var))
        for var, color, who in (("ca_distance_mean", BLUE, "CA"),
                                ("cp_distance_mean", ORANGE, "CP")):
            v = float(np.nanmean(s.read(var)))
            ax.axhline(v, color=color, lw=1, ls=":",
                       label=f"{who} alone: {var} (mean over lambda) = {v:.3f}")
        ax.set_ylabel("mean subspace distance (0 = same subspace, 1 = orthogonal)")
        ax.set_title("distance of the joint(lambda) subspace to the truth, to CA and to CP",
                     fontsize=10)
        ax = axs[1]
        ax.plot(lam, s.read("joint_recovery_rate"), color=GREEN, marker="o", ms=5, lw=1.8,
                label=pp.long_name(f, "joint_recovery_rate"))
        for m in ("ca", "cp"):
            line1d(ax, s, f"{m}_recovery_rate", m, ms=3, lw=1, alpha=0.7)
        ax.set_ylim(-0.04, 1.04)
        ax.set_ylabel("share of trials recovering all k signal directions")
        ax.set_title("recovery rate", fontsize=10)
        decades = np.arange(np.floor(np.log10(linthresh)), np.ceil(np.log10(lam.max())) + 1)
        ticks = [0.0] + [10.0 ** e for e in decades]
        labels = ["0\n(pure CP)"] + [f"$10^{{{int(e)}}}$" for e in decades]
        for ax in axs:
            ax.set_xscale("symlog", linthresh=linthresh, linscale=0.4)
            ax.set_xlim(-0.2 * linthresh, lam.max() * 1.5)
            ax.set_xticks(ticks)
            ax.set_xticklabels(labels)
            ax.set_xlabel(pp.axis_label(f, "lambda") + "\n(symlog axis: linear below "
                          f"{linthresh:g}, so lambda = 0 sits at the left edge)", fontsize=9)
            ax.grid(True, alpha=0.3)
            ax.axvline(0, color="dimgray", lw=0.8)
        axs[0].legend(fontsize=7.5, loc="center left", bbox_to_anchor=(0.0, 0.6))
        axs[1].legend(fontsize=7.5, loc="center left")
        dca, dcp = (float(np.nanmean(s.read(v))) for v in ("theory_delta_ca", "theory_delta_cp"))
        suptitle(fig, f, "Joint objective CP + lambda (CA - I), from pure CP (lambda = 0) towards "
                 f"CA; closed form: theory_delta_ca = {dca:.3g}, theory_delta_cp = {dcp:.3g}",
                 exclude=s.names, width=170)
        save(fig, outdir, "joint_objective.png", written)


def fig_partial(cube, outdir, written):
    with pp.open_cube(cube) as f:
        names, values = pp.read_axes(f, cube)
        sl = next(n for n in names if n not in ("kappa", "nu"))
        vals = values[names.index(sl)]
        k = int(f.attrs["k"]) if "k" in f.attrs else None
        n = len(vals)
        fig, axs = plt.subplots(1, n, figsize=(4.3 * n + 1.2, 5.2), squeeze=False,
                                sharey=True, constrained_layout=True)
        vmax = k if k else None
        for i, v in enumerate(vals):
            ax = axs[0, i]
            s = pp.Slice(f, cube, "kappa", "nu", fixed={sl: i})
            xe, ye = (pp.edges(c, lg) for c, lg in zip(s.coords, s.log))
            m = ax.pcolormesh(xe, ye, np.ma.masked_invalid(s.read("ca_recovered_dims_mean")),
                              cmap="viridis", vmin=0, vmax=vmax)
            # Closed-form steps: contours of the cube's integer theory_r_ca midway between the
            # counts that occur (a jump 0 -> k, e.g. kappa_decay = 1, is one line, not k).
            r = np.ma.masked_invalid(s.read("theory_r_ca"))
            counts = np.unique(r.compressed())
            levels = list((counts[1:] + counts[:-1]) / 2)
            if levels and min(r.shape) >= 2:
                cs = ax.contour(*s.coords, r, levels=levels, colors="white", linewidths=1.0)
                pp.set_halo(cs, DARK_HALO)
                upper = {lv: f"{int(c)}" for lv, c in zip(levels, counts[1:])}
                ax.clabel(cs, fmt=upper, fontsize=8, inline_spacing=2)
            pp.style_axes(ax, f, s, title=f"{panel_letter(i)} {pc.slice_label(sl, v)}",
                          label_width=40)
            if i:
                ax.set_ylabel("")
        cb = fig.colorbar(m, ax=list(axs[0]), shrink=0.9, pad=0.01)
        cb.set_label(ylabel(f, "ca_recovered_dims_mean", 40))
        handle = Line2D([], [], color="white", lw=1.0, path_effects=DARK_HALO,
                        label="closed form (contours of theory_r_ca): CA recovers at least j "
                              "directions below the line labelled j")
        fig.get_layout_engine().set(rect=(0, 0.06, 1, 0.94))
        fig.legend(handles=[handle], loc="lower center", frameon=False, fontsize=9)
        suptitle(fig, f, f"Partial recovery with kappa_i = kappa * {sl}^(i-1): CA's mean number "
                 "of recovered directions (colour) and the closed-form count (contours)",
                 exclude=names, width=150)
        save(fig, outdir, "partial_recovery.png", written)


def fig_soft_bottleneck(cube, outdir, written):
    with pp.open_cube(cube) as f:
        s = pp.Slice(f, cube)
        x = s.coords[0]
        fig, (ax, ax2) = plt.subplots(2, 1, figsize=(9, 6.6), sharex=True,
                                      constrained_layout=True,
                                      gridspec_kw={"height_ratios": [3, 1.2]})
        line1d(ax, s, "ca_encoder_norm_mean", "ca", ls="none", ms=5)
        # The population phi_1 comes from the cube, not from a re-implemented formula: with
        # k = 1, theory_delta_ca = rho_1 / max_j nu_j and every nuisance coordinate has the
        # same normalised correlation nu (a root attribute, or the axis when nu is swept), so
        # rho_1 = theory_delta_ca * nu.
        nu = s.read("nu") if "nu" in s.names else None
        if nu is None and "nu" in f.attrs:
            nu = np.full_like(x, float(np.atleast_1d(f.attrs["nu"])[0]))
        k = int(f.attrs["k"]) if "k" in f.attrs else None
        if k == 1 and nu is not None and np.all(nu > 0):
            rho = s.read("theory_delta_ca") * nu
            with np.errstate(divide="ignore"):
                ax.plot(x, 2.0 / rho, color="black", lw=1.8,
                        label="2 / rho: population encoder norm (rho = theory_delta_ca * nu)")
            nu0 = float(nu[0])
            if np.allclose(nu, nu0):
                ax.axhline(2.0 / nu0, color=VERMILLION, ls="--", lw=1.2,
                           label=f"2 / nu = {2 / nu0:g}: norm if CA picked a nuisance direction "
                                 "(population)")
        else:
            print("gallery.py: warning: soft_bottleneck: 2/rho needs k = 1 and nu > 0; "
                  "curve left out", file=sys.stderr)
        theory_vlines(ax, s, ("ca",))
        finish1d(ax, s, log_y=True)
        ax.set_xlabel("")
        ax.set_ylabel(ylabel(f, "ca_encoder_norm_mean", 40) + " (log)")
        ymin = np.nanmin(s.read("ca_encoder_norm_mean"))
        ax.set_ylim(0.8 * ymin, None)
        ax.legend(fontsize=8, loc="upper right")
        line1d(ax2, s, "ca_recovery_rate", "ca", ms=3.5)
        theory_vlines(ax2, s, ("ca",), label=False)
        finish1d(ax2, s)
        ax2.set_ylim(-0.05, 1.05)
        ax2.set_ylabel("CA recovery rate")
        suptitle(fig, f, "Soft bottleneck: the CA encoder norm 2 sum 1/phi_i grows as the "
                 "signal weakens\n(dotted: closed-form boundary Delta_CA = 1)", exclude=s.names,
                 width=100)
        save(fig, outdir, "soft_bottleneck.png", written)


def fig_convergence(cube, report, outdir, written):
    with pp.open_cube(cube) as f:
        names, values = pp.read_axes(f, cube)
        x_axis = next(n for n in names if n != "n")
        ns = values[names.index("n")]
        fig, axs = plt.subplots(1, 3, figsize=(17, 5.4), constrained_layout=True,
                                gridspec_kw={"width_ratios": [1, 1, 1.1]})
        cmap = plt.get_cmap("viridis")
        lognorm = np.log10(ns)
        shade = (lognorm - lognorm.min()) / max(np.ptp(lognorm), 1e-12)
        for ax, m in ((axs[0], "ca"), (axs[1], "cp")):
            name, color, _, _, var = METHODS[m]
            for i in np.argsort(ns):
                s = pp.Slice(f, cube, x=x_axis, fixed={"n": i}, one_d=True)
                ax.plot(s.coords[0], s.read(f"{m}_recovery_rate"), color=cmap(0.9 * shade[i]),
                        lw=1.5, marker=".", ms=4, label=f"n = {ns[i]:g}")
            s0 = pp.Slice(f, cube, x=x_axis, fixed={"n": 0}, one_d=True)
            for j, xv in enumerate(pp.delta_crossings(s0.coords[0], s0.read(var), s0.log[0])):
                ax.axvline(xv, color="black", ls=":", lw=2,
                           label=f"closed form {var} = 1" if j == 0 else None)
            ax.axhline(0.5, color="gray", lw=0.8)
            finish1d(ax, s0)
            ax.set_ylim(-0.04, 1.04)
            ax.set_ylabel(f"{name} recovery rate")
            ax.set_title(f"{name}: recovery rate against {x_axis}, one curve per n",
                         fontsize=10)
        handles, labels = axs[0].get_legend_handles_labels()
        labels = [("closed form: Delta = 1 (theory_delta_ca left, theory_delta_cp middle)"
                   if "theory_delta" in lb else lb) for lb in labels]
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8.5,
                   frameon=False)
        ax = axs[2]
        missing = {}
        for c in report.get("crossings", []):
            if not finite(c.get("empirical")) and "n" in c.get("at", {}):
                missing.setdefault(c["method"], []).append(float(c["at"]["n"]))
        for m in ("ca", "cp", "cp_rev"):
            rows = sorted((float(r["n"]), r["mean_abs_distance"]) for r in report.get("by_n", [])
                          if r["method"] == m and r.get("found") and
                          finite(r.get("mean_abs_distance")))
            if not rows:
                continue
            name, color, ls, marker, _ = METHODS[m]
            nn, dd = np.array(rows).T
            label = f"{name}"
            if missing.get(m):
                label += " (no 0.5 crossing at n = " + ", ".join(
                    f"{v:g}" for v in sorted(missing[m])) + ")"
            ax.plot(nn, dd, color=color, ls=ls, marker=marker, ms=6, lw=1.8, label=label)
        # A guide for the eye, not a fit: slope -1/2 through the first CA point.
        ca_rows = sorted((float(r["n"]), r["mean_abs_distance"]) for r in report.get("by_n", [])
                         if r["method"] == "ca" and r.get("found") and
                         finite(r.get("mean_abs_distance")) and r["mean_abs_distance"])
        if ca_rows:
            n0, d0 = ca_rows[0]
            g = np.array([min(ns), max(ns)], dtype=float)
            ax.plot(g, d0 * np.sqrt(n0 / g), color="gray", ls=":", lw=1.2,
                    label="slope -1/2 (guide for the eye)")
        # Resolution: with a step from 1 to 0 between two grid points the interpolated
        # crossing sits mid-interval, so distances below about half a grid step mean little.
        step = np.diff(np.sort(values[names.index(x_axis)]))
        if step.size:
            half = float(step.min()) / 2
            ax.axhline(half, color="black", ls="--", lw=1,
                       label=f"half the {x_axis} grid step ({half:g}): resolution limit")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3)
        ax.set_xlabel(pp.axis_label(f, "n"))
        ax.set_ylabel(f"mean |simulated - closed-form boundary| in {x_axis}")
        ax.set_title("distance of the simulated boundary (rate 0.5) from Delta = 1\n"
                     "(phasecube validate --json, by_n)", fontsize=10)
        ax.legend(fontsize=8, loc="upper right")
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
        suptitle(fig, f, "Finite-sample convergence: the simulated boundary approaches the "
                 "closed form as n grows", exclude=names, width=160)
        save(fig, outdir, "convergence.png", written)


def main(argv):
    args = parse_args(argv)
    exe = find_exe(args.exe)
    os.makedirs(args.outdir, exist_ok=True)
    tmp = None
    if args.cubes:
        cubedir = args.cubes
        os.makedirs(cubedir, exist_ok=True)
    else:
        cubedir = tmp = tempfile.mkdtemp(prefix="phasecube-gallery-")
    t0 = time.monotonic()
    written = []
    try:
        cubes = run_sweeps(exe, cubedir, args.quick)
        report = validate_json(exe, cubes["convergence"])
        with open(os.path.join(cubedir, "convergence_validate.json"), "w") as fh:
            json.dump(report, fh, indent=1)
        t_plot = time.monotonic()
        o = args.outdir
        fig_phase_diagram(cubes["phase_diagram"], o, written)
        fig_default_cube(cubes["default_cube"], o, written)
        fig_recovery_vs_nu(cubes["noise_correlation_probe"], o, written)
        fig_risk(cubes["noise_correlation_probe"], o, written)
        fig_separation(cubes["separation_vs_target_nuisance"], o, written)
        fig_joint(cubes["joint_objective"], o, written)
        fig_partial(cubes["partial_recovery"], o, written)
        fig_soft_bottleneck(cubes["soft_bottleneck"], o, written)
        fig_convergence(cubes["convergence"], report, o, written)
        print(f"gallery.py: figures {time.monotonic() - t_plot:.1f} s; "
              f"total {time.monotonic() - t0:.1f} s", flush=True)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    print("gallery.py: wrote")
    for path in written:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (GalleryError, pp.InputError) as e:
        print(f"gallery.py: error: {e}", file=sys.stderr)
        sys.exit(getattr(e, "code", 2))
