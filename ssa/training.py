"""The training loop, readable top to bottom: seed -> data -> model -> optimiser -> loop.

``python train.py --preset demo --dataset synthetic --out runs/demo [--steps N | --epochs E]
[--resume] [--data-root DIR] [--init CKPT]``; multi-process with ``torchrun --nproc_per_node K
train.py ...`` (gloo on CPU, nccl on GPU). Which cases a run sees (real texts in the model's side
convention, derived referring cases, synthetic shares) is :mod:`ssa.training_data`'s job.

Layout of ``--out``::

    train_args.json        the arguments of the first start (a resume that changes one says so)
    resumes.jsonl          one line per resume: its step and the arguments it changed
    data.json              the cases: text-convention decision and agreement, counts, shares
    log.csv                one row per logged step; validation columns on evaluation steps
    checkpoints/step-N/    config.json + model.safetensors + training_state.pt (ssa.training_state)
    last -> checkpoints/step-N      best -> checkpoints/step-M   (atomic symlink swaps)
    curves.png             loss and validation curves, drawn at the end
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from ssa.checkpoint import (
    CheckpointError,
    create_model,
    load_state,
    save_pretrained,
)
from ssa.data.dataset import StepSampler, collate
from ssa.data.readers import DatasetError
from ssa.evaluate import evaluate_model
from ssa.files import atomic_write_json, atomic_write_text
from ssa.losses import ssa_loss
from ssa.training_data import build_data
from ssa.training_log import VAL_KEYS, TrainingLog, plot_curves
from ssa.training_state import TrainingState

# Arguments a resume may change without changing what the run computes.
OPERATIONAL_ARGS = frozenset({"resume", "stop_after", "time_budget", "progress", "workers", "threads",
                              "tensorboard", "device"})


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="train.py", description="Train an SSA model.")
    p.add_argument("--preset", default="tiny", help="model preset: tiny | demo | paper")
    p.add_argument("--dataset", default="synthetic", choices=["synthetic", "qata", "mosmed", "csv"])
    p.add_argument("--data-root", help="dataset folder (for csv: the CSV file)")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--steps", type=int, help="optimiser steps (default: from --epochs, else 1000)")
    p.add_argument("--epochs", type=float, help="passes over the training set")
    p.add_argument("--batch-size", type=int, default=8, help="images per process per micro-step")
    p.add_argument("--grad-accum", type=int, default=1, help="micro-steps per optimiser step")
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=int, default=100, help="linear warm-up steps")
    p.add_argument("--min-lr-ratio", type=float, default=0.05, help="cosine floor, fraction of --lr")
    p.add_argument("--clip", type=float, default=1.0, help="gradient-norm clip (0: off)")
    p.add_argument("--eval-every", type=int, default=200, help="validate and checkpoint every N steps")
    p.add_argument("--log-every", type=int, default=10)
    p.add_argument("--patience", type=int, default=0, help="early stop after N evaluations without a better val Dice (0: off)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--workers", type=int, default=0, help="data-loader worker processes")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=True, help="bfloat16 autocast on CUDA")
    p.add_argument("--threads", type=int, help="torch CPU threads per process")
    p.add_argument("--resume", action="store_true", help="continue from OUT/last")
    p.add_argument("--stop-after", type=int, help="checkpoint and stop at this step (resume later)")
    p.add_argument("--time-budget", type=float, help="checkpoint and stop after this many seconds of training")
    p.add_argument("--tensorboard", action="store_true", help="also log to OUT/tensorboard")
    p.add_argument("--no-augment", dest="augment", action="store_false")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--init", help="start from this checkpoint's weights (a directory or hub id; same model config)")
    p.add_argument("--mode", default="mixed", choices=["report", "referring", "mixed"],
                   help="report texts, referring (one-side) cases, or both; real data derives its referring cases")
    real = p.add_argument_group("real data")
    real.add_argument("--text-convention", default="auto", choices=["auto", "radiological", "viewer"],
                      help="sides in the dataset's texts; auto measures the train masks and converts to the model's")
    real.add_argument("--referring-share", type=float, default=0.3,
                      help="share of the real cases that are derived referring cases in --mode mixed")
    real.add_argument("--synthetic-share", type=float, default=0.0,
                      help="share of each epoch made of synthetic cases (--modality, --mode) mixed with real data")
    real.add_argument("--negative-share", type=float, default=0.0,
                      help="share of each epoch made of negative cases (empty targets): wrong-side and empty-zone "
                           "texts on the real images, and healthy X-rays from --normals-root (ssa.data.negatives)")
    real.add_argument("--normals-root", help="a set of normal chest X-rays (ssa.data.normals) for healthy negatives")
    real.add_argument("--ct-data", nargs="*", action="extend", default=[], metavar="NAME=ROOT",
                      help="real CT sets trained beside --dataset (ssa.data.ct_sets.CT_SETS), e.g. covid_semiseg=DIR")
    real.add_argument("--ct-share", type=float, default=0.1,
                      help="share of each epoch made of --ct-data cases (report, referring, wrong-side)")
    syn = p.add_argument_group("synthetic data")
    syn.add_argument("--modality", default="mixed", choices=["xray", "ct", "mixed"])
    syn.add_argument("--train-size", type=int, default=100_000, help="synthetic training cases (generated on the fly)")
    syn.add_argument("--val-size", type=int, default=64, help="validation cases (synthetic, or a seeded subset of the real val split; 0: all)")
    p.add_argument("--set", nargs="*", action="extend", default=[], metavar="FIELD=VALUE", help="model config overrides, e.g. use_ot=false dim=64")
    return p.parse_args(argv)


def config_overrides(pairs: Sequence[str]) -> dict:
    """``["use_ot=false", "dim=64"]`` -> ``{"use_ot": False, "dim": 64}`` (values read as JSON)."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--set expects FIELD=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(value.lower() if value.lower() in ("true", "false") else value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def lr_factor(step: int, warmup: int, total: int, min_ratio: float) -> float:
    """Linear warm-up to 1, then cosine decay to ``min_ratio`` at ``total``."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def changed_arguments(saved: dict, new: dict) -> list[str]:
    """``"--lr 0.0005 -> 0.001"`` for each argument whose value differs (operational ones left out)."""
    changed = []
    for key in sorted((set(saved) | set(new)) - OPERATIONAL_ARGS):
        before, after = saved.get(key, "(unset)"), new.get(key, "(unset)")
        if before != after:
            changed.append(f"--{key.replace('_', '-')} {before!r} -> {after!r}")
    return changed


def record_resume(out: Path, args: argparse.Namespace, step: int) -> list[str]:
    """Compare ``args`` with ``out/train_args.json`` (kept as it is), append the comparison to
    ``out/resumes.jsonl`` and return the differences."""
    saved_file = out / "train_args.json"
    try:
        saved = json.loads(saved_file.read_text())
    except (OSError, json.JSONDecodeError):
        saved = None
    changed = changed_arguments(saved, vars(args)) if isinstance(saved, dict) else [f"{saved_file} unreadable"]
    if not isinstance(saved, dict):
        atomic_write_json(saved_file, vars(args))  # the best record left of how the run is going on
    history = out / "resumes.jsonl"
    before = history.read_text() if history.exists() else ""
    atomic_write_text(history, before + json.dumps({"step": step, "changed": changed}) + "\n")
    return changed


def save_checkpoint(out: Path, model, state: TrainingState, best: bool) -> Path:
    """Write checkpoints/step-N atomically (temp folder + rename), then swap ``last``
    (and ``best``) symlinks; remove checkpoints nothing points to any more."""
    ckpts = out / "checkpoints"
    ckpts.mkdir(parents=True, exist_ok=True)
    step = state.step
    final = ckpts / f"step-{step:07d}"
    tmp = ckpts / f".tmp-step-{step:07d}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    save_pretrained(model, tmp, metadata={"step": str(step)})
    state.save(tmp)
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    for name in ["last"] + (["best"] if best else []):
        link_tmp = out / f".{name}.tmp"
        link_tmp.unlink(missing_ok=True)
        link_tmp.symlink_to(Path("checkpoints") / final.name)
        os.replace(link_tmp, out / name)
    keep = {(out / n).resolve().name for n in ("last", "best") if (out / n).exists()}
    for old in ckpts.glob("step-*"):
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)
    return final


def init_from(model, path_or_repo: str) -> None:
    """Load another checkpoint's weights into ``model`` (``--init``); the configs must agree
    on every field that shapes the weights, or the error names the keys that differ."""
    from ssa.checkpoint import WEIGHTS_NAME, read_config, resolve_checkpoint

    directory = resolve_checkpoint(path_or_repo)
    theirs = read_config(directory)
    if theirs.convention != model.config.convention:
        raise CheckpointError(f"--init {directory}: its convention is {theirs.convention!r}, "
                              f"the model's is {model.config.convention!r}")
    fresh = load_state(model, directory / WEIGHTS_NAME, new_modules=("presence.",))
    if fresh:
        print(f"--init {directory}: it has no presence head; {len(fresh)} presence weights start fresh",
              file=sys.stderr)


def setup_distributed(device_arg: str) -> tuple[int, int, int, torch.device]:
    """(rank, local_rank, world, device); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if device_arg == "auto":
        device_arg = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device_arg)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    if world > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
    return rank, local_rank, world, device


def main(argv: Sequence[str] | None = None) -> dict:
    args = parse_args(argv)
    out = Path(args.out)
    rank, _, world, device = setup_distributed(args.device)
    master = rank == 0
    if args.threads:
        torch.set_num_threads(args.threads)
    import cv2

    # Data is made in this process between steps; OpenCV's own threads only fight torch's.
    cv2.setNumThreads(1)

    # -- seed, model ---------------------------------------------------------------------------
    torch.manual_seed(args.seed)
    # channels_last: oneDNN's (and cuDNN's) fast convolution layout; a demo step on 2 CPU cores
    # takes about 15% less time than with NCHW tensors.
    model = create_model(args.preset, **config_overrides(args.set))
    config = model.config
    if args.init and not (args.resume and (out / "last").exists()):
        init_from(model, args.init)
    model = model.to(device, memory_format=torch.channels_last)

    # -- data -----------------------------------------------------------------------------------
    train_set, val_set, data_info = build_data(args, config.image_size, config.convention, verbose=master,
                                               lung_band=config.lung_band)
    per_step = args.batch_size * args.grad_accum * world
    total = args.steps or (math.ceil(args.epochs * len(train_set) / per_step) if args.epochs else 1000)

    # -- optimiser, schedule ----------------------------------------------------------------------
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: lr_factor(s, args.warmup, total, args.min_lr_ratio)
    )

    # -- resume ---------------------------------------------------------------------------------
    step, best_dice, stale = 0, -1.0, 0
    resumed = args.resume and (out / "last").exists()
    if resumed:
        last = (out / "last").resolve()
        load_state(model, last / "model.safetensors")
        state = TrainingState.load(last)
        state.restore(optimizer, scheduler)
        step, best_dice, stale = state.step, state.best_dice, state.stale
    if master:
        out.mkdir(parents=True, exist_ok=True)
        # A run killed while writing a checkpoint leaves its temporary folder: never used, removed.
        for leftover in (out / "checkpoints").glob(".tmp-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if resumed:
            changed = record_resume(out, args, step)
            print(f"resuming {out} at step {step}" + (
                "; these arguments differ from its train_args.json (kept as it was): " + "; ".join(changed)
                if changed else ""), file=sys.stderr)
        else:
            atomic_write_json(out / "train_args.json", vars(args))
        atomic_write_json(out / "data.json", data_info)
    log = TrainingLog(out, resume_step=step, tensorboard=args.tensorboard and master) if master else None

    ddp = DistributedDataParallel(model) if world > 1 else model
    sampler = StepSampler(len(train_set), args.batch_size, args.seed, start_step=step * args.grad_accum,
                          total_steps=total * args.grad_accum, rank=rank, world=world)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler, collate_fn=collate,
                        num_workers=args.workers, persistent_workers=args.workers > 0)
    autocast = (torch.autocast("cuda", dtype=torch.bfloat16) if args.amp and device.type == "cuda"
                else contextlib.nullcontext())

    # -- loop -----------------------------------------------------------------------------------
    from tqdm import tqdm

    batches = iter(loader)
    start_step = step
    bar = tqdm(total=total, initial=step, desc="train", unit="step", disable=not (master and args.progress))
    model.train()
    started, seen = time.time(), 0
    while step < total:
        terms_sum: dict[str, float] = {}
        for micro in range(args.grad_accum):
            batch = next(batches)
            # Gradients are all-reduced only on the last micro-step of an accumulation.
            sync = contextlib.nullcontext() if world == 1 or micro == args.grad_accum - 1 else ddp.no_sync()
            with sync, autocast:
                image = batch["image"].to(device, memory_format=torch.channels_last)
                output = ddp(image, batch["text"], batch["modality"])
                terms = ssa_loss(output, batch["mask"].to(device), config)
                (terms["loss"] / args.grad_accum).backward()
            for k, v in terms.items():
                terms_sum[k] = terms_sum.get(k, 0.0) + float(v.detach()) / args.grad_accum
            seen += batch["image"].shape[0] * world
        if args.clip:
            torch.nn.utils.clip_grad_norm_(params, args.clip)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        scheduler.step()
        step += 1
        bar.update(1)
        bar.set_postfix(loss=f"{terms_sum['loss']:.4f}")

        row = None
        if log is not None and (step % args.log_every == 0 or step == total):
            row = {"step": step, "lr": scheduler.get_last_lr()[0], "images_per_s": seen / (time.time() - started),
                   **terms_sum}
        pause = args.stop_after is not None and step >= args.stop_after
        if args.time_budget is not None:
            # Every rank must agree, or DDP would wait forever on the one that stopped.
            flag = torch.tensor([float(time.time() - started >= args.time_budget)], device=device)
            if world > 1:
                dist.broadcast(flag, 0)
            pause = pause or bool(flag.item())
        if step % args.eval_every == 0 or step == total or pause:
            stop = False
            if master:
                metrics, _ = evaluate_model(model, val_set, batch_size=args.batch_size, progress=False)
                better = metrics["dice"] > best_dice
                best_dice, stale = (metrics["dice"], 0) if better else (best_dice, stale + 1)
                save_checkpoint(out, model, TrainingState.capture(step, best_dice, stale, optimizer, scheduler),
                                best=better)
                row = {**(row or {"step": step}), **{f"val_{k}": metrics[k] for k in VAL_KEYS if k in metrics}}
                stop = bool(args.patience) and stale >= args.patience
                if stop:
                    print(f"early stop at step {step}: no better val Dice in {args.patience} evaluations")
            if world > 1:
                flag = torch.tensor([float(stop)], device=device)
                dist.broadcast(flag, 0)
                stop = bool(flag.item())
            if stop or pause:
                if log is not None and row is not None:
                    log.write(row)
                break
        if log is not None and row is not None:
            log.write(row)
    bar.close()
    summary = {"step": step, "best_val_dice": best_dice, "seconds": time.time() - started,
               "resumed_from": start_step if resumed else None}
    if log is not None:
        log.close()
        plot_curves(out / "log.csv", out / "curves.png")
        print(json.dumps(summary))
    if world > 1:
        dist.barrier()
        dist.destroy_process_group()
    return summary


def cli(argv: Sequence[str] | None = None) -> int:
    """``train.py`` / ``ssa-train``: a bad file or folder is one line naming it, exit status 2."""
    try:
        main(argv)
    except (CheckpointError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
