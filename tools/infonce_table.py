#!/usr/bin/python3
"""The InfoNCE-vs-CA table of a cube of sweeps/infonce_vs_ca.ini (issue 13).

    tools/infonce_table.py CUBE.h5

Rows: nu. Columns: mean projector distance ||P_Uhat - P_U||_F / sqrt(2k) of CA and CP (the
same for every tau: the temperature is InfoNCE's only) and of InfoNCE per tau, with the mean
[std] over trials of the subspace distance in brackets for InfoNCE. Then, per method, the
first nu where the mean projector distance exceeds 0.5, next to the closed-form boundaries
(the first nu where Delta_CA, Delta_CP < 1). Needs axes (infonce_tau, nu) and methods ca, cp,
infonce.
"""
import sys

import h5py
import numpy as np


def first_nu(nu, values, threshold, above=True):
    hit = values > threshold if above else values < threshold
    return f"{nu[np.argmax(hit)]:.3g}" if hit.any() else "never"


def main(argv):
    if len(argv) != 1:
        sys.exit(__doc__)
    f = h5py.File(argv[0], "r")
    taus, nu = f["infonce_tau"][()], f["nu"][()]
    dims = [d[0].name for d in f["ca_projector_distance_mean"].dims]  # the attached scales
    if dims != ["/infonce_tau", "/nu"]:
        sys.exit("infonce_table: expected axes (infonce_tau, nu)")
    ca, cp = f["ca_projector_distance_mean"][()], f["cp_projector_distance_mean"][()]
    inf = f["infonce_projector_distance_mean"][()]
    dist, std = f["infonce_distance_mean"][()], f["infonce_distance_std"][()]
    head = "| nu | CA | CP | " + " | ".join(f"InfoNCE tau {t:g}" for t in taus) + " |"
    print(head)
    print("|" + "---|" * (3 + len(taus)))
    for j, v in enumerate(nu):
        cells = [f"{ca[0, j]:.3f}", f"{cp[0, j]:.3f}"]
        cells += [f"{inf[i, j]:.3f} ({dist[i, j]:.3f} [{std[i, j]:.3f}])" for i in range(len(taus))]
        print(f"| {v:.3f} | " + " | ".join(cells) + " |")
    print()
    print("| method | first nu with projector distance > 0.5 | closed form (first nu with Delta < 1) |")
    print("|---|---|---|")
    print(f"| CA | {first_nu(nu, ca[0], 0.5)} | {first_nu(nu, f['theory_delta_ca'][0], 1, False)} |")
    print(f"| CP | {first_nu(nu, cp[0], 0.5)} | {first_nu(nu, f['theory_delta_cp'][0], 1, False)} |")
    for i, t in enumerate(taus):
        print(f"| InfoNCE tau {t:g} | {first_nu(nu, inf[i], 0.5)} | none |")
    steps = f["infonce_steps_mean"][()]
    print(f"\nAdam steps per training: {steps.min():.0f} .. {steps.max():.0f} "
          f"(mean {steps.mean():.0f}); wall {f.attrs['wall_seconds']:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
