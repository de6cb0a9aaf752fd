#!/usr/bin/python3
"""InfoNCE with linear encoders in PyTorch: the paper authors' algorithm
(src/linear/infonce_vs_ca.py of mm_align_vs_pred, train_infonce), the reference the C++
trainer (include/phasecube/infonce.hpp) is checked against and timed next to.

Optional tool: needs Debian's python3-torch (apt-get install -y python3-torch); nothing in the
build or the tests depends on it (tests/check_infonce_torch.sh skips without it).

    tools/infonce_torch.py time [--batch 256 1024] [--steps 200] [--dtype float64|float32]
                                [--cpp build/tests/bench/bench_infonce]
        one Adam step at d = 20, k = 3 on one thread (torch.set_num_threads(1)), CPU ms/step;
        with --cpp, the C++ step benchmark of the same batches in the same run, side by side
    tools/infonce_torch.py make DIR [--n 500] [--d 20] [--k 3] [--batch 256] [--steps 20]
        writes replay inputs: x.npy, y.npy (n x d), w0.npy, v0.npy (k x d), rows.npy (steps x B)
    tools/infonce_torch.py replay DIR --tau 0.1 --lr 1e-2
        the per-step losses (before each update) of Adam from w0, v0 on the batches of
        rows.npy, float64, one a line; build/tests/bench/infonce_replay DIR TAU LR is the C++ side
    tools/infonce_torch.py train X.npy Y.npy [--k 3] [--tau 0.1] [--seed 0] ...
        the authors' whole training (their seeding, batches and stop rule): steps, final loss
    tools/infonce_torch.py seeds --cpp build/tests/bench/infonce_replay [--nu 0 0.9]
                                 [--seeds 16] [--d 6] [--k 2] [--n 1000] ...
        in distribution over seeds: per nu and seed, draws the noise-correlation model's data
        (signal x_i = kappa_i s_i + noise, y likewise; nuisance coordinates of x and y
        correlated nu; independent Haar rotations of x and y), trains torch (float64, the
        authors' seeding) and the engine's trainer (its Philox streams) on it and scores the
        row space of W by the projector distance ||P_W - P_U||_F / sqrt(2k); the mean of the
        two must agree within 4 combined standard errors at every nu (exit 1 otherwise)
"""
import argparse
import json
import subprocess
import sys
import time

import numpy as np


def torch_module():
    try:
        import torch
    except ImportError:
        sys.exit("infonce_torch.py: error: PyTorch is missing (apt-get install -y python3-torch)")
    torch.set_num_threads(1)
    return torch


def nt_xent(torch, xb, yb, w, v, tau, labels):
    """Symmetric NT-Xent of one batch, as the authors' script writes it."""
    fn = torch.nn.functional
    zx = xb @ w.t()
    zy = yb @ v.t()
    zx = zx / zx.norm(dim=1, keepdim=True).clamp_min(1e-8)
    zy = zy / zy.norm(dim=1, keepdim=True).clamp_min(1e-8)
    logits = zx @ zy.t() / tau
    return 0.5 * (fn.cross_entropy(logits, labels) + fn.cross_entropy(logits.t(), labels))


def adam_step(torch, opt, xb, yb, w, v, tau, labels):
    loss = nt_xent(torch, xb, yb, w, v, tau, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def train(torch, x, y, k, tau, seed, batch=1024, lr=1e-2, max_steps=5000, patience=300,
          tol=1e-4, dtype=None):
    """The authors' train_infonce (their float32 unless dtype says otherwise)."""
    dtype = dtype or torch.float32
    g = torch.Generator(device="cpu").manual_seed(seed)
    xt = torch.tensor(np.asarray(x), dtype=dtype)
    yt = torch.tensor(np.asarray(y), dtype=dtype)
    n, d = xt.shape
    w = (torch.randn(k, d, generator=g, dtype=dtype) / np.sqrt(d)).requires_grad_()
    v = (torch.randn(k, d, generator=g, dtype=dtype) / np.sqrt(d)).requires_grad_()
    opt = torch.optim.Adam([w, v], lr=lr)
    b = min(batch, n)
    labels = torch.arange(b)
    losses = []
    for step in range(max_steps):
        idx = torch.randint(0, n, (b,), generator=g)
        losses.append(adam_step(torch, opt, xt[idx], yt[idx], w, v, tau, labels))
        if step > 2 * patience:
            recent = np.mean(losses[-patience:])
            prev = np.mean(losses[-2 * patience:-patience])
            if abs(prev - recent) < tol:
                break
    return w.detach().numpy(), v.detach().numpy(), step + 1, losses[-1]


def cpp_step_ms(exe, batches):
    """Per-step milliseconds (CPU time, median of 3) of bench_infonce's step/B."""
    out = subprocess.run([exe, "--benchmark_filter=^step/(" + "|".join(map(str, batches)) + ")$",
                          "--benchmark_repetitions=3", "--benchmark_format=json"],
                         check=True, capture_output=True, text=True).stdout
    return {int(b["name"].split("/")[1].split("_")[0]): b["cpu_time"]
            for b in json.loads(out)["benchmarks"] if b.get("aggregate_name") == "median"}


def cmd_time(args):
    torch = torch_module()
    cpp = cpp_step_ms(args.cpp, args.batch) if args.cpp else {}
    dtype = getattr(torch, args.dtype)
    rng = np.random.default_rng(0)
    n, d, k = 5000, 20, 3
    x = torch.tensor(rng.standard_normal((n, d)), dtype=dtype)
    y = torch.tensor(rng.standard_normal((n, d)), dtype=dtype)
    print(f"# torch {torch.__version__}, {args.dtype}, threads {torch.get_num_threads()}, "
          f"d {d}, k {k}, n {n}")
    for b in args.batch:
        w = (torch.randn(k, d, dtype=dtype) / np.sqrt(d)).requires_grad_()
        v = (torch.randn(k, d, dtype=dtype) / np.sqrt(d)).requires_grad_()
        opt = torch.optim.Adam([w, v], lr=1e-2)
        labels = torch.arange(b)
        steps = max(args.steps, 10)
        for i in range(steps // 10 + 1):  # warm-up
            adam_step(torch, opt, x[torch.randint(0, n, (b,))], y[torch.randint(0, n, (b,))],
                      w, v, 0.1, labels)
        start = time.process_time()  # CPU time, as the C++ benchmark's: a busy machine
        for i in range(steps):
            idx = torch.randint(0, n, (b,))
            adam_step(torch, opt, x[idx], y[idx], w, v, 0.1, labels)
        ms = (time.process_time() - start) / steps * 1e3
        line = f"torch step B={b}: {ms:.3f} ms/step"
        if b in cpp:
            line += f"   C++ (float64): {cpp[b]:.3f} ms/step   ratio {ms / cpp[b]:.1f}x"
        print(line)


def cmd_make(args):
    rng = np.random.default_rng(args.seed)
    n, d, k = args.n, args.d, args.k
    shared = rng.standard_normal((n, k)) * 2
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, d)) * 3
    x[:, :k] += shared
    y[:, :k] += shared
    np.save(f"{args.dir}/x.npy", x)
    np.save(f"{args.dir}/y.npy", y)
    np.save(f"{args.dir}/w0.npy", rng.standard_normal((k, d)) / np.sqrt(d))
    np.save(f"{args.dir}/v0.npy", rng.standard_normal((k, d)) / np.sqrt(d))
    np.save(f"{args.dir}/rows.npy", rng.integers(0, n, (args.steps, args.batch), dtype=np.int64))


def cmd_replay(args):
    torch = torch_module()
    load = lambda name: torch.tensor(np.load(f"{args.dir}/{name}"), dtype=torch.float64)
    x, y = load("x.npy"), load("y.npy")
    w = load("w0.npy").requires_grad_()
    v = load("v0.npy").requires_grad_()
    rows = torch.tensor(np.load(f"{args.dir}/rows.npy"), dtype=torch.int64)
    opt = torch.optim.Adam([w, v], lr=args.lr)
    labels = torch.arange(rows.shape[1])
    for idx in rows:
        print(f"{adam_step(torch, opt, x[idx], y[idx], w, v, args.tau, labels):.17g}")


def cmd_train(args):
    torch = torch_module()
    x, y = np.load(args.x), np.load(args.y)
    start = time.perf_counter()
    _, _, steps, loss = train(torch, x, y, args.k, args.tau, args.seed, args.batch, args.lr,
                              args.max_steps, args.patience, args.tol, getattr(torch, args.dtype))
    print(f"steps {steps} final_loss {loss:.17g} seconds {time.perf_counter() - start:.2f}")


def haar(rng, d):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    return q * np.sign(np.diag(r))


def noise_correlation_data(rng, a, nu):
    """x, y (n x d, rotated) and the signal directions of x in the rotated frame (k x d)."""
    n, d, k = a.n, a.d, a.k
    kappa = np.asarray(a.kappa[:k] + a.kappa[-1:] * (k - len(a.kappa)), dtype=float)
    s = rng.standard_normal((n, k))
    x, y = np.empty((n, d)), np.empty((n, d))
    x[:, :k] = s * kappa + np.sqrt(a.gamma_x) * rng.standard_normal((n, k))
    y[:, :k] = s * kappa + np.sqrt(a.gamma_y) * rng.standard_normal((n, k))
    e, f = rng.standard_normal((n, d - k)), rng.standard_normal((n, d - k))
    x[:, k:] = np.sqrt(a.gamma_tilde_x) * e
    y[:, k:] = np.sqrt(a.gamma_tilde_y) * (nu * e + np.sqrt(1 - nu * nu) * f)
    qx, qy = haar(rng, d), haar(rng, d)
    return x @ qx, y @ qy, qx[:k]


def projector_distance(w, u):
    pw = w.T @ np.linalg.solve(w @ w.T, w)
    pu = u.T @ np.linalg.solve(u @ u.T, u)
    return np.linalg.norm(pw - pu) / np.sqrt(2 * w.shape[0])


def cpp_train(exe, tmp, a, seed):
    out = subprocess.run([exe, "train", tmp, str(a.k), str(a.tau), str(a.lr), str(a.batch),
                          str(a.max_steps), str(a.patience), str(a.tol), str(seed)],
                         check=True, capture_output=True, text=True).stdout.split("\n")
    steps = int(out[0].split()[0])
    return np.loadtxt(out[1:1 + a.k], ndmin=2), steps


def cmd_seeds(args):
    import tempfile
    torch = torch_module()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for nu in args.nu:
            dist = {"torch": [], "phasecube": []}
            steps = {"torch": [], "phasecube": []}
            for seed in range(args.seeds):
                rng = np.random.default_rng([seed, int(round(nu * 1e6))])
                x, y, truth = noise_correlation_data(rng, args, nu)
                np.save(f"{tmp}/x.npy", x)
                np.save(f"{tmp}/y.npy", y)
                w, _, n_steps, _ = train(torch, x, y, args.k, args.tau, seed, args.batch, args.lr,
                                         args.max_steps, args.patience, args.tol, torch.float64)
                dist["torch"].append(projector_distance(w, truth))
                steps["torch"].append(n_steps)
                w, n_steps = cpp_train(args.cpp, tmp, args, seed)
                dist["phasecube"].append(projector_distance(w, truth))
                steps["phasecube"].append(n_steps)
            m = {s: np.mean(v) for s, v in dist.items()}
            se = {s: np.std(v, ddof=1) / np.sqrt(len(v)) for s, v in dist.items()}
            z = (m["torch"] - m["phasecube"]) / np.hypot(se["torch"], se["phasecube"])
            ok = ok and abs(z) < 4
            print(f"nu {nu:g}: projector distance torch {m['torch']:.4f} +- {se['torch']:.4f}, "
                  f"phasecube {m['phasecube']:.4f} +- {se['phasecube']:.4f} (z = {z:+.2f}, "
                  f"{args.seeds} seeds); Adam steps {np.mean(steps['torch']):.0f} vs "
                  f"{np.mean(steps['phasecube']):.0f}")
    sys.exit(0 if ok else "infonce_torch.py: the means differ by 4 or more standard errors")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("time", help="time one Adam step on one thread")
    t.add_argument("--batch", type=int, nargs="+", default=[256, 1024])
    t.add_argument("--steps", type=int, default=200)
    t.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    t.add_argument("--cpp", help="bench_infonce executable to time alongside")
    m = sub.add_parser("make", help="write replay inputs")
    m.add_argument("dir")
    for name, default in [("n", 500), ("d", 20), ("k", 3), ("batch", 256), ("steps", 20),
                          ("seed", 0)]:
        m.add_argument(f"--{name}", type=int, default=default)
    r = sub.add_parser("replay", help="per-step losses on given batches")
    r.add_argument("dir")
    r.add_argument("--tau", type=float, default=0.1)
    r.add_argument("--lr", type=float, default=1e-2)
    tr = sub.add_parser("train", help="the authors' whole training")
    tr.add_argument("x")
    tr.add_argument("y")
    for name, kind, default in [("k", int, 3), ("tau", float, 0.1), ("seed", int, 0),
                                ("batch", int, 1024), ("lr", float, 1e-2),
                                ("max_steps", int, 5000), ("patience", int, 300),
                                ("tol", float, 1e-4)]:
        tr.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=default)
    tr.add_argument("--dtype", choices=["float64", "float32"], default="float32")
    sd = sub.add_parser("seeds", help="torch and the engine in distribution over seeds")
    sd.add_argument("--cpp", required=True, help="the infonce_replay executable")
    sd.add_argument("--nu", type=float, nargs="+", default=[0.0, 0.9])
    sd.add_argument("--kappa", type=float, nargs="+", default=[3.0, 2.0])
    for name, kind, default in [("seeds", int, 16), ("n", int, 1000), ("d", int, 6),
                                ("k", int, 2), ("gamma_x", float, 0.5),
                                ("gamma_y", float, 0.05), ("gamma_tilde_x", float, 1.0),
                                ("gamma_tilde_y", float, 1.0), ("tau", float, 0.5),
                                ("batch", int, 128), ("lr", float, 0.05),
                                ("max_steps", int, 600), ("patience", int, 50),
                                ("tol", float, 1e-4)]:
        sd.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, default=default)
    args = p.parse_args()
    {"time": cmd_time, "make": cmd_make, "replay": cmd_replay, "train": cmd_train,
     "seeds": cmd_seeds}[args.command](args)


if __name__ == "__main__":
    main()
