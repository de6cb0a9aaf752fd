#!/usr/bin/python3
"""Figure of a `phasecube diagnose --json` result.
Usage: tools/plot_diagnose.py RESULT.json OUT.png
Panels: for each step (per-view SVD, PLS, CCA, CP both ways) the spectrum with signal
components shaded and the nuisance floor, and the per-component cross-validated R^2 with the
classifier's threshold; last, the closed-form phase diagram in the (kappa, nu) plane drawn with
the estimated gammas (DESIGN 1.1 boundaries) and the dataset as a marker. With --replicates
the marker carries the replicates' 2.5-97.5% intervals of kappa and nu, and is labelled with
those of Delta_CA and of the verdict's Delta_CP, which the panel below draws against 1."""
import json
import math
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

REGIME_COLOURS = ["#d9d9d9", "#9ecae1", "#fdae6b", "#a1d99b"]  # Neither, CA only, CP only, Both
REGIME_NAMES = ["Neither", "CA only", "CP only", "Both"]
TITLES = {"svd_x": "SVD x (variances)", "svd_y": "SVD y (variances)", "pls": "PLS",
          "cca": "CCA (canonical correlations)", "cp": "CP x->y", "cp_rev": "CP y->x"}


def num(v):
    # phasecube writes non-finite numbers as the strings "inf", "-inf", "nan": float() reads them.
    return float(v)


def finite_or(v, default):
    # Estimates without signal (kappa^2, gammas) are "nan": the diagram falls back to default.
    v = num(v)
    return v if math.isfinite(v) else default


def verdict_cp(r):
    """The verdict's CP direction: its key and name (x->y without a verdict)."""
    return ("delta_cp_rev", "Delta_CP(y->x)") if r["direction"] == "y->x" else \
        ("delta_cp", "Delta_CP(x->y)")


def interval_text(q):
    return f"{num(q['median']):.3g} [{num(q['p2.5']):.3g}, {num(q['p97.5']):.3g}]"


def support_lines(r):
    """The verdict's support over the replicates (none without them)."""
    if "uncertainty" not in r:
        return []
    u = r["uncertainty"]
    return [f"support: {u['support']['verdict']} in {u['support']['count']} of "
            f"{u['replicates']} replicates",
            f"majority: {u['majority']['verdict']} ({u['majority']['count']})"]


def marker_intervals(ax, r, kappa_hat):
    """The replicates' 2.5-97.5% of kappa and nu as error bars on the marker, and the Delta
    intervals written next to it."""
    u = r["uncertainty"]
    q = u["quantities"]
    nu = num(r["nu"])
    k_lo, k_hi = (math.sqrt(max(finite_or(q["kappa2"][p], kappa_hat**2), 0.0))
                  for p in ("p2.5", "p97.5"))
    n_lo, n_hi = finite_or(q["nu"]["p2.5"], nu), finite_or(q["nu"]["p97.5"], nu)
    ax.errorbar([kappa_hat], [nu], xerr=[[max(kappa_hat - k_lo, 0)], [max(k_hi - kappa_hat, 0)]],
                yerr=[[max(nu - n_lo, 0)], [max(n_hi - nu, 0)]], fmt="none", ecolor="k",
                capsize=4, lw=1.2, label="2.5-97.5% over replicates")
    key, name = verdict_cp(r)
    s = u["support"]
    ax.annotate(f"Delta_CA {interval_text(q['delta_ca'])}\n{name} {interval_text(q[key])}\n"
                f"{s['verdict']} in {s['count']} of {u['replicates']}",
                (kappa_hat, nu), xytext=(12, -12), textcoords="offset points", fontsize=8,
                va="top", bbox={"facecolor": "white", "alpha": 0.8})


def delta_intervals(ax, r):
    """Delta_CA and the verdict's Delta_CP over the replicates: 2.5-97.5% (thin), 25-75%
    (thick), median (dot), full-data estimate (star), against the recovery line Delta = 1."""
    u = r["uncertainty"]
    key, name = verdict_cp(r)
    rows = [("Delta_CA", u["quantities"]["delta_ca"], num(r["delta_ca"])),
            (name, u["quantities"][key], num(r[key]))]
    finite = [v for _, q, e in rows for v in (num(q["p2.5"]), num(q["p97.5"]), e)
              if math.isfinite(v)]
    top = max(finite + [1.0]) * 1.25  # an infinite end is drawn at the right edge
    ax.axis("on")
    for i, (label, q, est) in enumerate(rows):
        ends = [min(num(q[p]), top) if not math.isnan(num(q[p])) else math.nan
                for p in ("p2.5", "p25", "median", "p75", "p97.5")]
        ax.plot([ends[0], ends[4]], [i, i], color="k", lw=1)
        ax.plot([ends[1], ends[3]], [i, i], color="k", lw=5, alpha=0.6)
        ax.plot([ends[2]], [i], "wo", mec="k")
        if math.isfinite(est):
            ax.plot([min(est, top)], [i], "k*", ms=10)
    ax.axvline(1.0, color="r", ls="--", lw=1)
    ax.set_yticks(range(len(rows)), [label for label, _, _ in rows])
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlim(0, top)
    fr = ", ".join(f"{k} {v['fraction']:.2f}" for k, v in u["regimes"].items() if v["count"])
    ax.set_title(f"Delta over {u['replicates']} replicates (star: full data)\n{fr}", fontsize=9)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        r = json.load(f)
    steps = r["steps"]
    fig, axes = plt.subplots(3, 5, figsize=(20, 11),
                             gridspec_kw={"width_ratios": [1, 1, 1, 1, 1.4]})
    names = list(steps)
    for i, name in enumerate(names):
        s = steps[name]
        vals = np.array([num(v) for v in s["values"]])
        r2 = np.array([num(v) for v in s["r2"]])
        sig = np.array(s["signal"], dtype=bool)
        row, col = divmod(i, 2)
        ax = axes[row, 2 * col] if col < 2 else None
        ax_v, ax_r = axes[row, 2 * col], axes[row, 2 * col + 1]
        idx = np.arange(1, len(vals) + 1)
        ax_v.bar(idx, vals, color=np.where(sig, "#31a354", "#bdbdbd"))
        ax_v.axhline(num(s["floor"]), color="k", ls="--", lw=1, label="nuisance floor")
        ax_v.set_title(f"{TITLES.get(name, name)}: Delta {num(s['delta']):.3g}", fontsize=10)
        ax_v.set_xlabel("component")
        ax_v.legend(fontsize=7)
        ax_r.bar(idx, r2, color=np.where(sig, "#31a354", "#bdbdbd"))
        ax_r.axhline(num(s["threshold"]), color="r", ls=":", lw=1, label="classifier cut")
        if "null_level" in s:
            ax_r.axhline(num(s["null_level"]), color="b", ls="--", lw=1, label="null level")
        if s.get("no_signal"):
            ax_v.set_title(f"{TITLES.get(name, name)}: no label signal", fontsize=10)
        ax_r.set_title(f"{TITLES.get(name, name)}: CV ridge R^2 (sum over labels)", fontsize=9)
        ax_r.set_xlabel("component")
        ax_r.legend(fontsize=7)
        del ax
    # Phase diagram with the estimated gammas.
    ax = axes[0, 4]
    for a in axes[1:, 4]:
        a.axis("off")
    no_signal = r["regime"] == "no signal"
    k2 = max(finite_or(r["kappa2"], 0.0), 0.0)
    kappa_hat = math.sqrt(k2)
    g = [max(finite_or(r[key], 1.0), 1e-9)
         for key in ("gamma_x", "gamma_y", "gamma_tilde_x", "gamma_tilde_y")]
    gx, gy, gtx, gty = g
    kmax = max(3.0 * kappa_hat, 1.0)
    kap = np.linspace(1e-3, kmax, 300)
    nu = np.linspace(0, 1, 200)
    K, N = np.meshgrid(kap, nu)
    rho = K**2 / np.sqrt((K**2 + gx) * (K**2 + gy))
    tau = K**2 / np.sqrt(K**2 + gx)
    tau_rev = K**2 / np.sqrt(K**2 + gy)
    with np.errstate(divide="ignore"):
        ca = rho > N
        cp = (tau > N * math.sqrt(gty)) | (tau_rev > N * math.sqrt(gtx))
    code = ca.astype(int) + 2 * cp.astype(int)
    from matplotlib.colors import ListedColormap
    ax.pcolormesh(K, N, code, cmap=ListedColormap(REGIME_COLOURS), vmin=-0.5, vmax=3.5,
                  shading="auto")
    if no_signal:  # no regime: no marker, a note instead
        ax.text(0.5, 0.5, "no label signal:\nthe dataset has no place here", ha="center",
                va="center", transform=ax.transAxes, fontsize=11,
                bbox={"facecolor": "white", "alpha": 0.8})
    else:
        ax.plot(kappa_hat, num(r["nu"]), "k*", ms=16, label=f"dataset: {r['regime']}")
        if "uncertainty" in r:
            marker_intervals(ax, r, kappa_hat)
    ax.set_xlabel("kappa")
    ax.set_ylabel("nu")
    ax.set_title("closed-form phase diagram at the estimated gammas\n"
                 f"gamma_x {gx:.3g}, gamma_y {gy:.3g}, gt_x {gtx:.3g}, gt_y {gty:.3g}", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in REGIME_COLOURS]
    ax.legend(handles + ax.get_legend_handles_labels()[0],
              REGIME_NAMES + ([] if no_signal else [f"dataset: {r['regime']}"]), fontsize=7,
              loc="upper left")
    axes[1, 4].text(0, 0.9, "\n".join([
        f"verdict: {r['regime']}",
        f"objective: {r['objective'] or 'none'}"
        + (f" ({r['direction']})" if r["objective"] == "CP" else ""),
        f"margin: {num(r['margin']):.3g}",
        f"Delta_CA {num(r['delta_ca']):.3g}, Delta_CP {num(r['delta_cp']):.3g}, "
        f"Delta_CPrev {num(r['delta_cp_rev']):.3g}",
        f"kappa^2 {k2:.3g}, nu {num(r['nu']):.3g}",
        f"n {r['n']}, labelled {r['n_labelled']}",
    ] + support_lines(r)), va="top", fontsize=10, family="monospace", transform=axes[1, 4].transAxes)
    if "uncertainty" in r:
        delta_intervals(axes[2, 4], r)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=80)
    return 0


if __name__ == "__main__":
    sys.exit(main())
