"""Sinkhorn side by side, in one run: ours vs POT's batched solver vs a loop of ot.sinkhorn.

    python bench/sinkhorn.py [--iters 50] [--eps 0.05] [--repeats 7] [--device cpu]
                             [--out bench/results/results.json]

For B in {1, 16, 64} problems of N in {49, 196, 784} image tokens x 8 expressions, every
solver runs the same number of iterations (POT: ``tol=0`` / ``stopThr=0``), forward alone
and forward + backward (POT batched: ``grad="autodiff"``; the loop: POT's torch backend).
Times are medians over ``--repeats`` after one warm-up; ratios are POT / ours (> 1: ours is
faster). Agreement: the largest absolute difference between our plan and each POT plan.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import RESULTS, update_results  # noqa: E402
from ssa.ot import sinkhorn  # noqa: E402


def _time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def solvers(eps: float, iters: int) -> dict:
    import ot
    from ot.batch import solve_batch

    def ours(cost):
        return sinkhorn(cost, eps=eps, iters=iters)

    def pot_batch(cost):
        return solve_batch(cost, reg=eps, max_iter=iters, tol=0.0, method="log_sinkhorn", grad="autodiff").plan

    def pot_loop(cost):
        b, n, m = cost.shape
        a = torch.full((n,), 1.0 / n, dtype=cost.dtype)
        bb = torch.full((m,), 1.0 / m, dtype=cost.dtype)
        return torch.stack([ot.sinkhorn(a, bb, cost[i], reg=eps, method="sinkhorn_log",
                                        numItermax=iters, stopThr=0.0) for i in range(b)])

    return {"ours": ours, "pot_batch": pot_batch, "pot_loop": pot_loop}


def run(args: argparse.Namespace) -> dict:
    torch.manual_seed(0)
    fns = solvers(args.eps, args.iters)
    rows = []
    for b in (1, 16, 64):
        for n in (49, 196, 784):
            cost = torch.rand(b, n, 8, device=args.device)
            row: dict = {"B": b, "N": n, "M": 8}
            plans = {name: fn(cost).detach() for name, fn in fns.items()}
            row["max_abs_diff_vs_pot_batch"] = float((plans["ours"] - plans["pot_batch"]).abs().max())
            row["max_abs_diff_vs_pot_loop"] = float((plans["ours"] - plans["pot_loop"]).abs().max())
            for name, fn in fns.items():
                def forward(fn=fn, cost=cost):
                    with torch.no_grad():
                        fn(cost)

                def forward_backward(fn=fn, cost=cost):
                    c = cost.clone().requires_grad_(True)
                    (fn(c) * c).sum().backward()

                row[f"{name}_fwd_ms"] = 1000 * _time(forward, args.repeats)
                row[f"{name}_fwdbwd_ms"] = 1000 * _time(forward_backward, args.repeats)
            for other in ("pot_batch", "pot_loop"):
                row[f"{other}_over_ours_fwd"] = row[f"{other}_fwd_ms"] / row["ours_fwd_ms"]
                row[f"{other}_over_ours_fwdbwd"] = row[f"{other}_fwdbwd_ms"] / row["ours_fwdbwd_ms"]
            rows.append(row)
            print(f"B={b:3d} N={n:4d} | fwd ms ours {row['ours_fwd_ms']:8.2f}  pot_batch {row['pot_batch_fwd_ms']:8.2f}"
                  f" ({row['pot_batch_over_ours_fwd']:.2f}x)  pot_loop {row['pot_loop_fwd_ms']:8.2f}"
                  f" ({row['pot_loop_over_ours_fwd']:.2f}x) | fwd+bwd ms ours {row['ours_fwdbwd_ms']:8.2f}"
                  f"  pot_batch {row['pot_batch_fwdbwd_ms']:8.2f} ({row['pot_batch_over_ours_fwdbwd']:.2f}x)"
                  f"  pot_loop {row['pot_loop_fwdbwd_ms']:8.2f} ({row['pot_loop_over_ours_fwdbwd']:.2f}x)"
                  f" | max|diff| {row['max_abs_diff_vs_pot_batch']:.1e} / {row['max_abs_diff_vs_pot_loop']:.1e}",
                  flush=True)
    import ot

    return {
        "benchmark": "sinkhorn",
        "command": "python bench/sinkhorn.py " + " ".join(sys.argv[1:]),
        "iters": args.iters, "eps": args.eps, "repeats": args.repeats, "device": args.device,
        "torch": torch.__version__, "pot": ot.__version__, "threads": torch.get_num_threads(),
        "machine": platform.processor() or platform.machine(),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> None:
    import warnings

    # Equal iterations on purpose: POT warns that it stopped before its tolerance.
    warnings.filterwarnings("ignore", message="Sinkhorn did not converge")
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--eps", type=float, default=0.05)
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", default=str(RESULTS), help="results JSON; this script owns its 'sinkhorn' section")
    args = p.parse_args(argv)
    result = run(args)
    # Per device, beside the CPU figures when it is run with --device cuda.
    update_results("sinkhorn", result, Path(args.out), key="cuda" if args.device.startswith("cuda") else "cpu")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
