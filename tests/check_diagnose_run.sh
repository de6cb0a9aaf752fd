#!/usr/bin/env bash
# `[diagnose]` in `phasecube run`: the diag_* variables appear only with the section, are
# bitwise identical for 1 and 2 threads, leave every other variable bitwise unchanged (their
# own stream purposes), get the closed-form regime in clearly separated cells, survive
# xarray, and bad [diagnose] values exit 2 with one line. Issue 14: labels without signal
# (label_noise 1e6) give the no-signal code 4 in every trial, scored wrong, with no estimates;
# the verdict is scored against the regime of its own question (CP in either direction).
#   bash tests/check_diagnose_run.sh <phasecube-exe> <source-dir>
set -uo pipefail

EXE=$(realpath "$1")
PY=/usr/bin/python3
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

cat > plain.ini <<'INI'
[model]
d = 8
k = 2
n = 1500
gamma_x = 1
gamma_y = 1
gamma_tilde_x = 4
gamma_tilde_y = 4
[axes]
kappa = 0.4, 2.5
nu = 0.1, 0.9
[run]
trials = 8
seed = 3
INI
cp plain.ini diag.ini
printf '[diagnose]\nlabels = 4\nlabelled = 300\n' >> diag.ini

"$EXE" run --config plain.ini --output plain.h5 2> /dev/null || fail "plain run"
OMP_NUM_THREADS=1 "$EXE" run --config diag.ini --output diag1.h5 2> /dev/null || fail "diag run, 1 thread"
OMP_NUM_THREADS=2 "$EXE" run --config diag.ini --output diag2.h5 2> /dev/null || fail "diag run, 2 threads"

$PY - <<'PYEOF' || fail "cube checks"
import sys
import h5py
import numpy as np
import xarray as xr
bad = []
DIAG = ["diag_regime_mode", "diag_accuracy_theory", "diag_accuracy_empirical",
        "diag_delta_ca_mean", "diag_delta_cp_mean", "diag_kappa_mean", "diag_nu_mean",
        "diag_support_mean", "diag_majority_accuracy_theory", "diag_majority_accuracy_empirical"]
with h5py.File("plain.h5") as p, h5py.File("diag1.h5") as a, h5py.File("diag2.h5") as b:
    for v in DIAG:
        if v in p:
            bad.append(f"{v} written without [diagnose]")
        if v not in a:
            bad.append(f"{v} missing with [diagnose]")
            continue
        x, y = a[v][()], b[v][()]
        if x.tobytes() != y.tobytes():
            bad.append(f"{v} differs between 1 and 2 threads")
        # The replicate variables are NaN without replicates (checked below).
        if v != "diag_regime_mode" and "support" not in v and "majority" not in v and \
                not np.all(np.isfinite(x)):
            bad.append(f"{v} has non-finite values {x.tolist()}")
    # Every other variable: bitwise the same with and without [diagnose].
    for v in p:
        if v in ("kappa", "nu") or not isinstance(p[v], h5py.Dataset):
            continue
        if p[v][()].tobytes() != a[v][()].tobytes():
            bad.append(f"{v} changed by [diagnose]")
    theory = a["theory_regime"][()]
    mode = a["diag_regime_mode"][()]
    acc = a["diag_accuracy_theory"][()]
    # Clear cells: (kappa 2.5, nu 0.1) Both (Delta_CA 8.6, Delta_CP 5.8) and (kappa 0.4,
    # nu 0.9) Neither (Delta_CA 0.15, Delta_CP 0.08): every trial must get them right.
    for (i, j) in ((1, 0), (0, 1)):
        if mode[i, j] != theory[i, j] or acc[i, j] < 1.0:
            bad.append(f"cell ({i},{j}): diag mode {mode[i, j]}, theory {theory[i, j]}, accuracy {acc[i, j]}")
    km = a["diag_kappa_mean"][()]
    if abs(km[1, 0] - 2.5) > 0.25:
        bad.append(f"diag_kappa_mean at kappa 2.5: {km[1, 0]}")
    cfg = a.attrs["config"]
    cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
    if "[diagnose]" not in cfg:
        bad.append("stored config lacks [diagnose]")
ds = xr.open_dataset("diag1.h5", engine="h5netcdf")
if ds["diag_accuracy_empirical"].dims != ("kappa", "nu"):
    bad.append(f"xarray dims {ds['diag_accuracy_empirical'].dims}")
for m in bad:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# Labels that are pure noise: every trial's verdict is "no label signal" (code 4), which is
# wrong (the cube's labels are meant to read the signal), and no Delta is averaged.
OMP_NUM_THREADS=2 "$EXE" run --config diag.ini --output noise.h5 --diagnose.label_noise=1e6 \
  2> /dev/null || fail "diag run with noise labels"
$PY - <<'PYEOF' || fail "no-signal cube checks"
import sys
import h5py
import numpy as np
with h5py.File("noise.h5") as f:
    mode = f["diag_regime_mode"]
    bad = []
    if not np.all(mode[()] == 4):
        bad.append(f"diag_regime_mode {mode[()].tolist()}, expected 4 everywhere")
    name = mode.attrs["long_name"]
    name = name.decode() if isinstance(name, bytes) else name
    if "4 no label signal" not in name:
        bad.append(f"long_name {name!r} lacks the no-signal code")
    for v in ("diag_accuracy_theory", "diag_accuracy_empirical"):
        if not np.all(f[v][()] == 0):
            bad.append(f"{v} {f[v][()].tolist()}, expected 0 (no signal is wrong here)")
    for v in ("diag_delta_ca_mean", "diag_delta_cp_mean", "diag_kappa_mean", "diag_nu_mean"):
        if not np.all(np.isnan(f[v][()])):
            bad.append(f"{v} {f[v][()].tolist()}, expected NaN (no trial has signal)")
for m in bad:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# Under MPI (master + 2 workers): the diag variables are bitwise those of the serial run.
if command -v mpirun > /dev/null; then
  (
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
    export TMPDIR=$TMP OMPI_MCA_btl_vader_backing_directory=$TMP
    OMP_NUM_THREADS=1 timeout 120 mpirun -np 3 "$EXE" run --config diag.ini --output diagmpi.h5 \
      --run.chunk_cells=1 > /dev/null 2>&1
  ) || fail "mpirun -np 3 run"
  $PY -c "
import sys, h5py
a, b = h5py.File('diag1.h5'), h5py.File('diagmpi.h5')
bad = [v for v in a if v not in ('kappa', 'nu') and a[v][()].tobytes() != b[v][()].tobytes()]
sys.exit('differs under MPI: ' + ', '.join(bad) if bad else 0)
" || fail "MPI cube differs from the serial one"
fi

# Issue 14 item 5: the verdict takes CP's better direction, so it is scored against the
# regime of the same question. In this cell CP fails x->y (closed-form Delta_CP 0.5) and
# recovers y->x (2.28): theory_regime is CA only, theory_regime_rev Both, and the right
# verdict Both scores 1 (before: 0). Without cp_rev the simulated truth is x->y only, so the
# verdict's x->y answer (CA only) is what is scored.
cat > asym.ini <<'INI'
[model]
d = 6
k = 2
n = 400
gamma_y = 0.05
gamma_tilde_y = 5
[axes]
kappa = 0.5
nu = 0.2
[run]
trials = 3
seed = 29
[diagnose]
labelled = 100
INI
OMP_NUM_THREADS=2 "$EXE" run --config asym.ini --output asym.h5 2> /dev/null || fail "asym run"
OMP_NUM_THREADS=2 "$EXE" run --config asym.ini --output asym_xy.h5 --run.methods=ca,cp \
  2> /dev/null || fail "asym run without cp_rev"
$PY - <<'PYEOF' || fail "asymmetric cell checks"
import sys
import h5py
bad = []
with h5py.File("asym.h5") as a, h5py.File("asym_xy.h5") as b:
    got = {v: a[v][()].ravel()[0] for v in ("theory_regime", "theory_regime_rev",
           "empirical_regime", "empirical_regime_rev", "diag_regime_mode",
           "diag_accuracy_theory", "diag_accuracy_empirical")}
    want = {"theory_regime": 1, "theory_regime_rev": 3, "empirical_regime": 1,
            "empirical_regime_rev": 3, "diag_regime_mode": 3, "diag_accuracy_theory": 1.0,
            "diag_accuracy_empirical": 1.0}
    bad += [f"{v} = {got[v]}, expected {w}" for v, w in want.items() if got[v] != w]
    if "theory_regime_rev" in b or "empirical_regime_rev" in b:
        bad.append("regime_rev variables without cp_rev")
    for v, w in (("diag_accuracy_theory", 1.0), ("diag_accuracy_empirical", 1.0),
                 ("empirical_regime", 1)):
        if b[v][()].ravel()[0] != w:
            bad.append(f"without cp_rev: {v} = {b[v][()].ravel()[0]}, expected {w}")
for m in bad:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF

# Replicates per trial (issue 14 item 5): the verdict's support and the majority verdict.
# Without the key they are NaN; with it, the clear cells (kappa 2.5, nu 0.1: Both; kappa 0.4,
# nu 0.9: Neither) have support 1 and a right majority in every trial, 1 and 2 threads give
# the same bits, every other variable is unchanged, and validate prints the calibration.
OMP_NUM_THREADS=1 "$EXE" run --config diag.ini --output rep1.h5 --diagnose.replicates=4 \
  2> /dev/null || fail "diag run with replicates, 1 thread"
OMP_NUM_THREADS=2 "$EXE" run --config diag.ini --output rep2.h5 --diagnose.replicates=4 \
  2> /dev/null || fail "diag run with replicates, 2 threads"
$PY - <<'PYEOF' || fail "replicate checks"
import sys
import h5py
import numpy as np
bad = []
REP = ["diag_support_mean", "diag_majority_accuracy_theory", "diag_majority_accuracy_empirical"]
with h5py.File("diag1.h5") as a, h5py.File("rep1.h5") as b, h5py.File("rep2.h5") as c:
    for v in REP:
        if not np.all(np.isnan(a[v][()])):
            bad.append(f"{v} without replicates: {a[v][()].tolist()}, expected NaN")
        if b[v][()].tobytes() != c[v][()].tobytes():
            bad.append(f"{v} differs between 1 and 2 threads")
    for v in a:
        if v not in REP and v not in ("kappa", "nu") and a[v][()].tobytes() != b[v][()].tobytes():
            bad.append(f"{v} changed by replicates")
    s = b["diag_support_mean"][()]
    if not np.all((s >= 0) & (s <= 1)):
        bad.append(f"support outside [0, 1]: {s.tolist()}")
    for (i, j) in ((1, 0), (0, 1)):
        got = [b[v][i, j] for v in REP]
        if got != [1.0, 1.0, 1.0]:
            bad.append(f"clear cell ({i},{j}): support, majority accuracies {got}, expected 1")
    cfg = b.attrs["config"]
    cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
    if "replicates = 4" not in cfg:
        bad.append("stored config lacks replicates = 4")
    cfg = a.attrs["config"]
    cfg = cfg.decode() if isinstance(cfg, bytes) else cfg
    if "replicates" in cfg:
        bad.append("stored config of a run without replicates names them")
for m in bad:
    print("FAIL:", m, file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
"$EXE" validate rep1.h5 > rep1.txt 2> /dev/null || fail "validate of the replicate cube"
grep -q "^majority verdict over each trial's replicates:" rep1.txt || fail "validate: no majority lines"
grep -q "^  support \[0.9, 1\]: " rep1.txt || fail "validate: no calibration bin [0.9, 1]"
"$EXE" validate rep1.h5 --json > rep1.json 2> /dev/null || fail "validate --json"
$PY -c "
import json, sys
d = json.load(open('rep1.json'))['diagnose']
bins = d['calibration']
if sum(b['cells'] for b in bins) != 4 or len(d['majority_accuracy_theory']) != 3:
    sys.exit('calibration JSON: ' + json.dumps(d))
" || fail "validate --json calibration"
"$EXE" validate diag1.h5 > plain_v.txt 2> /dev/null
grep -q "calibration" plain_v.txt && fail "validate prints a calibration without replicates"

# Bad values: exit 2, one line naming the key.
for bad in "--diagnose.labels=0" "--diagnose.classifier=magic" "--diagnose.label_noise=-1" \
  "--diagnose.null_permutations=-1" "--diagnose.bogus=1" "--diagnose.replicates=-1" \
  "--diagnose.replicates=10001"; do
  "$EXE" run --config diag.ini --output bad.h5 "$bad" > /dev/null 2> err.txt
  rc=$?
  [[ $rc -eq 2 ]] || fail "$bad: exit $rc"
  [[ $(wc -l < err.txt) -eq 1 ]] || fail "$bad: stderr not one line"
  grep -qF "diagnose." err.txt || fail "$bad: message does not name the key ($(cat err.txt))"
  [[ ! -e bad.h5 ]] || fail "$bad: created bad.h5"
done

[[ $failures -eq 0 ]] && echo "check_diagnose_run: all passed"
exit $((failures > 0))
