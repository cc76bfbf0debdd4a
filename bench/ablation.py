"""Ablation on synthetic data: does each part of SSA earn its place?

    python bench/ablation.py                # about an hour on 2 CPU cores
    python bench/ablation.py --quick        # a few minutes: 1 seed, few steps, few cases

On 2 cores, two one-thread workers finish sooner than one two-thread process:

    python bench/ablation.py --threads 1 --shard 0/2 & python bench/ablation.py --threads 1 --shard 1/2; wait
    python bench/ablation.py --threads 1     # gathers the cached runs into the table

Five variants train under one budget (same steps, batch, learning-rate schedule and the
same seeded batches, since batches are a function of (seed, step)) on synthetic X-ray + CT
data in report and referring modes, then each is evaluated on the same held-out synthetic
cases (seed 777) in four settings: {xray, ct} x {report, referring}.

    (a) image_only   no text at all: a U-Net on the image (use_text=false)
    (b) cross_attn   text through plain cross-attention, no OT, no guidance (GuideDecoder-like)
    (c) ot           (b) with cross-attention replaced by symmetric OT alignment
    (d) guidance     (b) + the region-level guidance masks from the text's spatial words
    (e) ssa          full SSA: OT alignment + guidance

Reported: Dice, IoU and wrong_side_rate, mean ± std over ``--seeds``. Each finished run is
cached in ``--work`` (runs/ablation/<variant>-s<seed>/eval.json), so an interrupted ablation
continues where it stopped. Results go to ``bench/results/results.json`` (section "ablation")
and a plot to ``bench/results/ablation.png``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import machine, update_results  # noqa: E402
from ssa.files import atomic_write_bytes  # noqa: E402

VARIANTS: dict[str, tuple[str, list[str]]] = {
    "image_only": ("(a) image only, no text", ["use_text=false"]),
    "cross_attn": ("(b) text, cross-attention", ["use_ot=false", "use_guidance=false"]),
    "ot": ("(c) + OT alignment", ["use_ot=true", "use_guidance=false"]),
    "guidance": ("(d) + guidance masks", ["use_ot=false", "use_guidance=true"]),
    "ssa": ("(e) full SSA (OT + guidance)", ["use_ot=true", "use_guidance=true"]),
}
SETTINGS = [("xray", "report"), ("xray", "referring"), ("ct", "report"), ("ct", "referring")]
METRICS = ("dice", "iou", "wrong_side_rate")
EVAL_SEED = 777


def train_args(variant: str, seed: int, args: argparse.Namespace, out: Path) -> list[str]:
    """The train.py command line of one run (printed, stored, and run in-process)."""
    return [
        "--preset", "demo", "--dataset", "synthetic", "--modality", "mixed", "--mode", "mixed",
        "--steps", str(args.steps), "--batch-size", str(args.batch_size), "--lr", str(args.lr),
        "--warmup", str(max(1, args.steps // 15)), "--eval-every", str(args.steps),
        "--val-size", "16", "--seed", str(seed), "--threads", str(args.threads), "--no-progress",
        "--out", str(out), "--set", f"image_size={args.image_size}", *VARIANTS[variant][1],
    ]


def run_one(variant: str, seed: int, args: argparse.Namespace) -> dict:
    """Train one variant with one seed and evaluate it in the four settings (cached)."""
    from ssa.checkpoint import load_model
    from ssa.data.dataset import SegmentationDataset, SyntheticSource
    from ssa.evaluate import evaluate_model
    from ssa.training import main as train_main

    out = Path(args.work) / f"{variant}-s{seed}"
    cached = out / "eval.json"
    argv = train_args(variant, seed, args, out)
    if cached.exists():
        result = json.loads(cached.read_text())
        if result.get("train_args") == argv and result.get("n") == args.n:
            return result
    t0 = time.perf_counter()
    train_main(argv)
    train_s = time.perf_counter() - t0
    model = load_model(out / "last")
    size = model.config.image_size
    result: dict = {"variant": variant, "seed": seed, "train_args": argv, "n": args.n, "train_s": train_s}
    for modality, mode in SETTINGS:
        source = SyntheticSource(args.n, EVAL_SEED, modality, mode, size, model.config.convention)
        metrics, _ = evaluate_model(model, SegmentationDataset(source, size), progress=False)
        result[f"{modality}_{mode}"] = {m: metrics[m] for m in (*METRICS, "n", "n_one_side")}
    atomic_write_bytes(cached, (json.dumps(result, indent=2) + "\n").encode())
    return result


def summarise(runs: list[dict]) -> dict:
    """{variant: {setting: {metric: {"mean", "std", "values"}}}} over the seeds."""
    table: dict = {}
    for variant in VARIANTS:
        mine = [r for r in runs if r["variant"] == variant]
        if not mine:
            continue
        table[variant] = {"label": VARIANTS[variant][0], "train_s_mean": statistics.mean(r["train_s"] for r in mine)}
        for modality, mode in SETTINGS:
            key = f"{modality}_{mode}"
            cell = {}
            for metric in METRICS:
                values = [r[key][metric] for r in mine if r[key][metric] is not None]
                cell[metric] = {
                    "mean": statistics.mean(values) if values else None,
                    "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                    "values": values,
                }
            table[variant][key] = cell
    return table


def targets(table: dict) -> dict:
    """The issue's targets: full SSA beats (b) on referring Dice by >= 5 points and has
    <= 1/3 of its wrong_side_rate (both averaged over X-ray and CT)."""
    if "ssa" not in table or "cross_attn" not in table:
        return {}

    def referring(variant: str, metric: str) -> float:
        return statistics.mean(table[variant][f"{m}_referring"][metric]["mean"] or 0.0 for m in ("xray", "ct"))

    gain = referring("ssa", "dice") - referring("cross_attn", "dice")
    wsr_ssa, wsr_b = referring("ssa", "wrong_side_rate"), referring("cross_attn", "wrong_side_rate")
    return {
        "referring_dice_gain_points": 100 * gain,
        "referring_dice_gain_met": gain >= 0.05,
        "wrong_side_rate_ssa": wsr_ssa,
        "wrong_side_rate_cross_attn": wsr_b,
        "wrong_side_rate_met": wsr_ssa <= wsr_b / 3 if wsr_b > 0 else wsr_ssa == 0,
    }


def print_table(table: dict) -> None:
    head = f"{'variant':34s}" + "".join(f"{k.replace('_', ' '):>22s}" for k in (f"{a}_{b}" for a, b in SETTINGS))
    for metric in METRICS:
        print(f"\n{metric} (mean ± std over seeds)")
        print(head)
        for row in table.values():
            cells = []
            for modality, mode in SETTINGS:
                c = row[f"{modality}_{mode}"][metric]
                cells.append("n/a" if c["mean"] is None else f"{c['mean']:.3f} ± {c['std']:.3f}")
            print(f"{row['label']:34s}" + "".join(f"{c:>22s}" for c in cells))


def plot(table: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    variants = list(table)
    x = np.arange(len(variants))
    for ax, metric, title in ((axes[0], "dice", "Dice"), (axes[1], "wrong_side_rate", "wrong-side rate")):
        for j, (modality, mode) in enumerate(SETTINGS):
            cells = [table[v][f"{modality}_{mode}"][metric] for v in variants]
            means = [c["mean"] or 0.0 for c in cells]
            ax.bar(x + (j - 1.5) * 0.2, means, 0.2, yerr=[c["std"] for c in cells], capsize=2,
                   label=f"{modality} {mode}")
        ax.set_xticks(x, [table[v]["label"].split(" ", 1)[0] + " " + v for v in variants], rotation=15, fontsize=8)
        ax.set_title(title)
        ax.grid(axis="y", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.suptitle("Ablation on synthetic data (mean ± std over seeds)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    tmp.replace(path)
    plt.close(fig)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=200, help="optimiser steps per run (the shared budget)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--image-size", type=int, default=160)
    p.add_argument("--n", type=int, default=48, help="evaluation cases per setting")
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--work", default="runs/ablation", help="run folders and per-run caches")
    p.add_argument("--out", default=None, help="results JSON (default bench/results/results.json)")
    p.add_argument("--plot", default="bench/results/ablation.png")
    p.add_argument("--shard", default="0/1", metavar="I/N",
                   help="run only jobs I, I+N, ... (N processes share the cores; a final run without "
                        "--shard then only gathers the cached results)")
    p.add_argument("--quick", action="store_true", help="1 seed, 20 steps, 128 px, 12 cases: a smoke run")
    args = p.parse_args(argv)
    if args.quick:
        args.seeds, args.steps, args.image_size, args.n = args.seeds[:1], 20, 128, 12
        args.work = str(Path(args.work) / "quick")
    return args


def main(argv: list[str] | None = None) -> int:
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    args = parse_args(argv)
    from tqdm import tqdm

    jobs = [(v, s) for s in args.seeds for v in args.variants]
    shard, shards = (int(x) for x in args.shard.split("/"))
    if shards > 1:  # a worker: train and cache its share, then stop
        for variant, seed in tqdm(jobs[shard::shards], desc=f"ablation shard {shard}/{shards}", unit="run"):
            run_one(variant, seed, args)
        return 0
    runs = []
    start = time.perf_counter()
    for variant, seed in tqdm(jobs, desc="ablation", unit="run"):
        runs.append(run_one(variant, seed, args))
    table = summarise(runs)
    print_table(table)
    goal = targets(table)
    if goal:
        print(f"\nfull SSA vs (b) on referring Dice: {goal['referring_dice_gain_points']:+.1f} points "
              f"(target >= +5: {'met' if goal['referring_dice_gain_met'] else 'MISSED'}); wrong-side rate "
              f"{goal['wrong_side_rate_ssa']:.3f} vs {goal['wrong_side_rate_cross_attn']:.3f} "
              f"(target <= 1/3: {'met' if goal['wrong_side_rate_met'] else 'MISSED'})")
    command = "python bench/ablation.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    data = {
        "command": command.strip(),
        "machine": machine(),
        "quick": args.quick,
        "seeds": args.seeds,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "image_size": args.image_size,
        "eval": {"n": args.n, "seed": EVAL_SEED, "settings": [f"{a}_{b}" for a, b in SETTINGS]},
        # Training time of every run, summed (two workers on 2 cores halve the wall time).
        "train_s_total": sum(r["train_s"] for r in runs),
        "this_invocation_s": time.perf_counter() - start,
        "variants": table,
        "targets": goal,
    }
    out = update_results("ablation", data, **({"path": Path(args.out)} if args.out else {}))
    plot(table, Path(args.plot))
    print(f"wrote {out} and {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
