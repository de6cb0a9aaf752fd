#!/usr/bin/python3
"""Tables of an InfoNCE-vs-CA cube: axes (H, nu), H one InfoNCE hyper-parameter (issue 13).

    tools/infonce_table.py CUBE.h5 [--boundaries]

For sweeps/infonce_vs_ca.ini (H = infonce_tau), infonce_phase_tau_nu.ini and
infonce_phase_batch_nu.ini (H = infonce_batch). Needs methods ca, cp, infonce.

1. (unless --boundaries) Rows nu; the mean [std] over trials of the projector distance
   ||P_Uhat - P_U||_F / sqrt(2k) of CA and CP, pooled over the H values (each H row is an
   independent replicate of them: H moves InfoNCE only), and of InfoNCE per H value.
2. Per H value: the first nu where the mean projector distance of CA, CP (that row's cells)
   and InfoNCE exceeds 0.5, the closed-form boundaries (first nu with Delta_CA, Delta_CP < 1),
   InfoNCE's mean Adam steps and its mean final loss at the first nu.

Also a module: tools/plot_infonce.py imports first_index and pooled.
"""
import sys

import h5py
import numpy as np


def first_index(values, threshold, above=True):
    """Index of the first value above (above=False: below) threshold; None if there is none."""
    hit = values > threshold if above else values < threshold
    return int(np.argmax(hit)) if hit.any() else None


def first_nu(nu, values, threshold, above=True):
    i = first_index(values, threshold, above)
    return "never" if i is None else f"{nu[i]:.3g}"


def pooled(mean, std, trials, done):
    """Mean and std over all trials of a column from its done rows' means and stds."""
    rows = done.sum(axis=0)
    m = np.where(done, mean, 0).sum(axis=0) / rows
    ss = np.where(done, (trials - 1) * np.nan_to_num(std) ** 2 + trials * (mean - m) ** 2, 0)
    return m, np.sqrt(ss.sum(axis=0) / (trials * rows - 1))


def projector(f, method):
    return (f[f"{method}_projector_distance_mean"][()], f[f"{method}_projector_distance_std"][()])


def value_table(f, axis, values, nu, trials):
    done = f["done"][()] == 1
    ca, cp = (pooled(*projector(f, m), trials, done) for m in ("ca", "cp"))
    inf, inf_std = projector(f, "infonce")
    name = axis.removeprefix("infonce_")
    print("| nu | CA | CP | " + " | ".join(f"InfoNCE {name} {h:g}" for h in values) + " |")
    print("|" + "---|" * (3 + len(values)))
    for j, v in enumerate(nu):
        cells = [f"{ca[0][j]:.3f} [{ca[1][j]:.3f}]", f"{cp[0][j]:.3f} [{cp[1][j]:.3f}]"]
        cells += [f"{inf[i, j]:.3f} [{inf_std[i, j]:.3f}]" for i in range(len(values))]
        print(f"| {v:.3f} | " + " | ".join(cells) + " |")
    print()


def boundary_table(f, axis, values, nu):
    ca, cp, inf = (f[f"{m}_projector_distance_mean"][()] for m in ("ca", "cp", "infonce"))
    dca, dcp = f["theory_delta_ca"][()], f["theory_delta_cp"][()]
    steps, loss = f["infonce_steps_mean"][()], f["infonce_final_loss_mean"][()]
    print(f"| {axis} | CA fails at | closed form | CP fails at | closed form | InfoNCE fails at "
          f"| InfoNCE Adam steps (mean) | InfoNCE final loss at nu = {nu[0]:g} |")
    print("|---|---|---|---|---|---|---|---|")
    done = f["done"][()] == 1
    for i, h in enumerate(values):
        if not done[i].all():
            print(f"| {h:g} | (row incomplete: {done[i].sum()} of {len(nu)} cells done) |")
            continue
        print(f"| {h:g} | {first_nu(nu, ca[i], 0.5)} | {first_nu(nu, dca[i], 1, False)} "
              f"| {first_nu(nu, cp[i], 0.5)} | {first_nu(nu, dcp[i], 1, False)} "
              f"| {first_nu(nu, inf[i], 0.5)} | {steps[i].mean():.0f} | {loss[i, 0]:.3f} |")


def main(argv):
    args = [a for a in argv if a != "--boundaries"]
    if len(args) != 1:
        sys.exit(__doc__)
    f = h5py.File(args[0], "r")
    dims = [d[0].name.lstrip("/") for d in f["infonce_projector_distance_mean"].dims]
    if len(dims) != 2 or dims[1] != "nu":
        sys.exit(f"infonce_table: expected axes (H, nu), the cube has ({', '.join(dims)})")
    axis = dims[0]
    values, nu = f[axis][()], f["nu"][()]
    trials = int(f.attrs["trials"])
    if "--boundaries" not in argv:
        value_table(f, axis, values, nu, trials)
    boundary_table(f, axis, values, nu)
    steps = f["infonce_steps_mean"][()]
    print(f"\n{trials} trials per cell; Adam steps per training (cell means): "
          f"{np.nanmin(steps):.0f} .. {np.nanmax(steps):.0f}; status {f.attrs['status'].decode()}, "
          f"wall {f.attrs['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
