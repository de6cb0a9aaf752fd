#!/usr/bin/python3
"""CA against PLS along nu in a cube of sweeps/pls_vs_ca*.ini (issue 13).

    tools/pls_vs_ca.py CUBE.h5 ROW_AXIS [ROW,NU ...]

One table row per value of ROW_AXIS (the cube's other axis besides nu): the closed-form
boundaries nu_CA and nu_PLS (where Delta = 1; Delta is proportional to 1/nu, so the boundary
is Delta at nu = 1) next to the measured ones (the first nu of the grid where the recovery
rate drops below 0.5); then how often each method's measured recovery (rate >= 0.5) agrees
with Delta > 1, and the recovery rates at the cells nearest each ROW,NU given.
Needs a cube with axes (ROW_AXIS, nu), nu ending at 1, and methods ca and pls.
"""
import sys

import h5py
import numpy as np


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    f = h5py.File(argv[0], "r")
    row = argv[1]
    nu, rows = f["nu"][()], f[row][()]
    if nu[-1] != 1.0:
        sys.exit("pls_vs_ca: the nu axis must end at 1")

    def grid(name):
        a = f[name][()]
        return a if f[name].dims[0][0].name == "/" + row else a.T

    ca, pls = grid("ca_recovery_rate"), grid("pls_recovery_rate")
    dca, dpls = grid("theory_delta_ca"), grid("theory_delta_pls")

    def first_fail(rate):
        bad = rate < 0.5
        return f"{nu[np.argmax(bad)]:.3g}" if bad.any() else "never"

    def boundary(delta_at_1):
        return f"{delta_at_1:.3g}" if delta_at_1 <= 1 else "none (Delta > 1 at nu = 1)"

    print(f"| {row} | nu_CA closed form | CA measured | nu_PLS closed form | PLS measured |")
    print("|---|---|---|---|---|")
    for i, r in enumerate(rows):
        print(f"| {r:.3g} | {boundary(dca[i, -1])} | {first_fail(ca[i])} | "
              f"{boundary(dpls[i, -1])} | {first_fail(pls[i])} |")
    for name, rate, delta in (("CA", ca, dca), ("PLS", pls, dpls)):
        agree = np.mean((rate >= 0.5) == (delta > 1))
        print(f"{name}: recovers (rate >= 0.5) in {np.mean(rate >= 0.5):.0%} of cells; "
              f"agrees with Delta > 1 in {agree:.0%}")
    print(f"cells where PLS recovers and CA fails: {((pls >= 0.5) & (ca < 0.5)).sum()}, "
          f"CA recovers and PLS fails: {((ca >= 0.5) & (pls < 0.5)).sum()}, of {ca.size}")
    for cell in argv[2:]:
        r, n = map(float, cell.split(","))
        i, j = np.argmin(abs(rows - r)), np.argmin(abs(nu - n))
        print(f"{row} = {rows[i]:.3g}, nu = {nu[j]:.3g}: recovery rate CA {ca[i, j]:.2f} "
              f"(Delta_CA {dca[i, j]:.2f}), PLS {pls[i, j]:.2f} (Delta_PLS {dpls[i, j]:.2f})")


if __name__ == "__main__":
    main(sys.argv[1:])
