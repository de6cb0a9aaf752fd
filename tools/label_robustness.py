#!/usr/bin/env python3
"""Label robustness of `phasecube diagnose`: the authors' label-quality study
(label_robustness.py of mm_align_vs_pred) on one dataset.

Runs `phasecube diagnose --json` on the clean labels and on every variant of the grid:
  label noise   --label-noise r, r in 0.75, 0.5, 0.25 (r = 1 is the clean run)
  coarsened     --coarsen q for q in --bins (numeric labels; class labels only when --bins
                is given), --coarsen map:FILE for every --map FILE (class labels)
  proxy labels  --proxy-labels kmeans:K:V for K in --kmeans (8, 20, 44), V in x, y
and writes OUT.md (markdown table), OUT.csv and OUT.png (the three Deltas per variant on a
log axis, coloured by regime, and the line Delta = 1).

  tools/label_robustness.py --x digits.h5:x --y digits.h5:y --labels digits.h5:labels \\
      --out digits_labels -- --drop-constant --components ...

Arguments after "--" go to every phasecube run. Exit 2 with one line for bad arguments or
when the clean run fails; a variant that phasecube refuses is a row with its message.
"""
import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLUMNS = ["variant", "option", "regime", "delta_ca", "delta_cp", "delta_cp_rev",
           "signal_cca", "signal_cp", "signal_cp_rev", "label_columns", "same_regime",
           "seconds", "detail"]


def die(message, code=2):
    print(f"label_robustness.py: error: {message}", file=sys.stderr)
    sys.exit(code)


def parse_list(text, kind, what):
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError:
        die(f"{what} '{text}': expected a comma-separated list")
    return values


def default_phasecube():
    built = os.path.join(ROOT, "build", "phasecube")
    if "PHASECUBE" in os.environ:
        return os.environ["PHASECUBE"]
    return built if os.access(built, os.X_OK) else (shutil.which("phasecube") or built)


def arguments():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--x", required=True)
    p.add_argument("--y", required=True)
    p.add_argument("--labels", required=True)
    p.add_argument("--out", required=True, help="prefix of OUT.md, OUT.csv, OUT.png")
    p.add_argument("--phasecube", default=default_phasecube(),
                   help="the executable (default: $PHASECUBE, build/phasecube, or on PATH)")
    p.add_argument("--noise", default="0.75,0.5,0.25")
    p.add_argument("--bins", default=None, help="quantile bins (default 8,4 for numeric labels)")
    p.add_argument("--map", action="append", default=[], help="a class map FILE (repeatable)")
    p.add_argument("--kmeans", default="8,20,44")
    p.add_argument("--no-plot", action="store_true")
    args, rest = p.parse_known_args()
    if rest and rest[0] == "--":
        rest = rest[1:]
    elif rest:
        die(f"unknown argument '{rest[0]}' (phasecube options go after --)")
    args.extra = rest
    args.noise = parse_list(args.noise, float, "--noise")
    args.kmeans = parse_list(args.kmeans, int, "--kmeans")
    if args.bins is not None:
        args.bins = parse_list(args.bins, int, "--bins")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        die(f"--out {args.out}: directory {out_dir} does not exist or is not writable")
    if not os.access(args.phasecube, os.X_OK):
        die(f"--phasecube {args.phasecube}: not an executable (build with tools/build.sh)")
    return args


def diagnose(args, option):
    cmd = [args.phasecube, "diagnose", "--x", args.x, "--y", args.y, "--labels", args.labels,
           "--json", *option, *args.extra]
    start = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        lines = run.stderr.strip().splitlines()
        return None, (lines[-1] if lines else f"exit {run.returncode}"), seconds
    return json.loads(run.stdout), "", seconds


def detail(doc):
    t = doc.get("label_transform")
    if not t:
        return ""
    if t["kind"] == "label noise" and t["labels"] == "numeric":
        return "R^2 " + "/".join(f"{a:.3f}->{b:.3f}" for a, b in zip(t["r2_clean"], t["r2_noisy"]))
    if t["kind"] == "label noise":
        return (f"{t['reassigned']} rows reassigned (f = {t['fraction']:.3f}); "
                f"R^2 {t['r2_clean']:.3f}->{t['r2_noisy']:.3f}")
    if t["kind"] == "proxy labels":
        return f"{t['iterations']} Lloyd iterations"
    if "map" in t:
        return f"{t['classes_before']} -> {t['classes_after']} classes"
    return f"{t['bins']} bins"


def row(name, option, doc, error, seconds, clean_regime):
    r = {c: "" for c in COLUMNS}
    r.update(variant=name, option=" ".join(option), seconds=f"{seconds:.2f}")
    if doc is None:
        r.update(regime="refused", detail=error)
        return r
    steps = doc["steps"]
    r.update(regime=doc["regime"], delta_ca=doc["delta_ca"], delta_cp=doc["delta_cp"],
             delta_cp_rev=doc["delta_cp_rev"], signal_cca=steps["cca"]["n_signal"],
             signal_cp=steps["cp"]["n_signal"], signal_cp_rev=steps["cp_rev"]["n_signal"],
             label_columns=doc["label_columns"], detail=detail(doc),
             same_regime="yes" if doc["regime"] == clean_regime else "no")
    return r


def variants(args, classes):
    out = [(f"label noise r = {r:g}", ["--label-noise", f"{r:g}"]) for r in args.noise]
    bins = args.bins if args.bins is not None else ([] if classes else [8, 4])
    out += [(f"coarsen {q} bins", ["--coarsen", str(q)]) for q in bins]
    out += [(f"merge {os.path.basename(m)}", ["--coarsen", f"map:{m}"]) for m in args.map]
    out += [(f"k-means K = {k} ({v})", ["--proxy-labels", f"kmeans:{k}:{v}"])
            for k in args.kmeans for v in ("x", "y")]
    return out


def number(v):
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def write_tables(rows, out):
    with open(out + ".csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    head = ["variant", "regime", "Delta_CA", "Delta_CP x->y", "Delta_CP y->x",
            "signal CCA/CP/CP rev", "labels", "same regime", "s", "detail"]
    with open(out + ".md", "w") as f:
        f.write("| " + " | ".join(head) + " |\n|" + "---|" * len(head) + "\n")
        for r in rows:
            sig = "/".join(str(r[k]) for k in ("signal_cca", "signal_cp", "signal_cp_rev"))
            cells = [r["variant"], r["regime"], number(r["delta_ca"]), number(r["delta_cp"]),
                     number(r["delta_cp_rev"]), sig if r["signal_cca"] != "" else "",
                     str(r["label_columns"]), r["same_regime"], r["seconds"], r["detail"]]
            f.write("| " + " | ".join(cells) + " |\n")


def plot(rows, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    colours = {"CA only": "tab:blue", "CP only": "tab:orange", "Both": "tab:green",
               "Neither": "tab:red", "no signal": "tab:gray", "refused": "black"}
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(rows)), 4.2))
    markers = (("delta_ca", "o", "Delta_CA"), ("delta_cp", "^", "Delta_CP x->y"),
               ("delta_cp_rev", "v", "Delta_CP y->x"))
    for i, r in enumerate(rows):
        for key, marker, label in markers:
            v = r[key]
            if isinstance(v, float) and v > 0 and v != float("inf"):
                ax.scatter(i, v, marker=marker, color=colours.get(r["regime"], "black"),
                           edgecolors="black", linewidths=0.4)
    ax.axhline(1.0, color="black", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([f"{r['variant']}\n{r['regime']}" for r in rows], rotation=60,
                       ha="right", fontsize=7)
    ax.set_ylabel("separation ratio Delta")
    from matplotlib.lines import Line2D
    seen = [g for g in colours if any(r["regime"] == g for r in rows)]
    handles = [Line2D([], [], ls="", marker=m, color="white", markeredgecolor="black", label=t)
               for _, m, t in markers]
    handles += [Line2D([], [], ls="", marker="s", color=colours[g], label=g) for g in seen]
    ax.legend(handles=handles, fontsize=7, loc="best")
    ax.set_title("diagnose under label variants (colour: regime)", fontsize=9)
    fig.tight_layout()
    fig.savefig(out + ".png", dpi=130)


def main():
    args = arguments()
    doc, error, seconds = diagnose(args, [])
    if doc is None:
        die(f"the clean run failed: {error}")
    # Which label kind: the r = 1 noise run says "numeric" or "classes" (and equals the clean).
    probe, error, _ = diagnose(args, ["--label-noise", "1"])
    if probe is None:
        die(f"the probe run failed: {error}")
    classes = probe["label_transform"]["labels"] == "classes"
    rows = [row("clean (r = 1)", [], doc, "", seconds, doc["regime"])]
    for name, option in variants(args, classes):
        d, e, s = diagnose(args, option)
        rows.append(row(name, option, d, e, s, doc["regime"]))
        print(f"{name}: {rows[-1]['regime']} ({s:.1f} s)", file=sys.stderr)
    write_tables(rows, args.out)
    if not args.no_plot:
        plot(rows, args.out)
    print(f"wrote {args.out}.md, {args.out}.csv" + ("" if args.no_plot else f", {args.out}.png"))


if __name__ == "__main__":
    main()
