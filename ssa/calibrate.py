"""Calibrate the presence threshold on a validation split and write it into the checkpoint.

    python -m ssa.calibrate --checkpoint DIR --dataset qata --data-root DATA [--normals-root N]
        [--split val] [--n 400] [--write]

One ungated pass over the split's positive cases (report captions and derived referring cases)
and its negative cases (:mod:`ssa.data.negatives`), then, for every candidate threshold ``t``:

* a positive case keeps its Dice when its presence score is ``>= t``, else scores 0 (emptied);
* a negative case is clean when its score is ``< t`` (emptied), else when its mask is;

and the threshold that maximises ``(mean positive Dice + clean rate) / 2`` is chosen: outlining
and saying no weigh the same. The report also gives each score's ROC AUC (the presence head
against the weight-free rule on mask probabilities, :func:`ssa.presence.rule_score`): the
measurement behind using the head. ``--write`` stores the threshold in ``config.json``
(atomically) and a ``calibration.json`` beside it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

CANDIDATES = np.round(np.arange(0.05, 0.96, 0.025), 3)


def objective(rows: Sequence[dict], threshold: float, score: str = "presence") -> dict:
    """Figures at ``threshold`` from ungated per-case rows (``ssa.evaluate.evaluate_model``)."""
    pos = [r for r in rows if r["target_pixels"] > 0]
    neg = [r for r in rows if r["target_pixels"] == 0]
    dice = float(np.mean([r["dice"] if r[score] >= threshold else 0.0 for r in pos])) if pos else float("nan")
    clean = float(np.mean([r["clean"] if r[score] >= threshold else True for r in neg])) if neg else float("nan")
    kept = float(np.mean([r[score] >= threshold for r in pos])) if pos else float("nan")
    return {"threshold": float(threshold), "dice_positive": dice, "clean_rate": clean,
            "positives_kept": kept, "objective": (dice + clean) / 2}


def choose(rows: Sequence[dict], score: str = "presence") -> tuple[dict, list[dict]]:
    """(the best threshold's figures, the whole curve) over :data:`CANDIDATES`."""
    curve = [objective(rows, t, score) for t in CANDIDATES]
    return max(curve, key=lambda c: c["objective"]), curve


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ssa.calibrate", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True)
    p.add_argument("--dataset", default="qata", choices=["qata", "mosmed", "csv"])
    p.add_argument("--data-root", required=True)
    p.add_argument("--normals-root", help="normal chest X-rays (ssa.data.normals): healthy negatives")
    p.add_argument("--split", default="val", choices=["train", "val", "test"])
    p.add_argument("--n", type=int, default=400, help="a seeded subset of the split's report cases (0: all)")
    p.add_argument("--seed", type=int, default=777)
    p.add_argument("--text-convention", default="auto", choices=["auto", "radiological", "viewer"])
    p.add_argument("--write", action="store_true", help="store the threshold in the checkpoint's config.json")
    p.add_argument("--out", help="also write the report here (JSON)")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from torch.utils.data import ConcatDataset, Subset

    from ssa.checkpoint import CONFIG_NAME, CheckpointError, load_model, resolve_checkpoint
    from ssa.data.dataset import SegmentationDataset
    from ssa.data.readers import DatasetError
    from ssa.evaluate import build_eval_dataset, evaluate_model
    from ssa.files import atomic_write_json
    from ssa.metrics import roc_auc

    try:
        model = load_model(args.checkpoint)
        cfg = model.config
        common = dict(dataset=args.dataset, data_root=args.data_root, split=args.split, n=args.n, seed=args.seed,
                      text_convention=args.text_convention, normals_root=args.normals_root,
                      kinds=["wrong_side", "empty_zone", "healthy"], modality="xray")
        positives, _ = build_eval_dataset(argparse.Namespace(mode="mixed", **common), cfg.image_size, cfg.convention,
                                          cfg.lung_band)
        negatives, _ = build_eval_dataset(argparse.Namespace(mode="negatives", **common), cfg.image_size,
                                          cfg.convention, cfg.lung_band)
    except (CheckpointError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if not cfg.presence_head:
        print(f"error: {args.checkpoint} has no presence head (config presence_head=false)", file=sys.stderr)
        return 2
    # As many negatives as positives (a seeded subset): the objective weighs both halves the
    # same anyway, and the val split's 901 healthy X-rays x 3 texts would dominate the time.
    negatives_source = negatives.source
    if len(negatives_source) > len(positives.source):
        pick = np.random.default_rng(args.seed).choice(len(negatives_source), len(positives.source), replace=False)
        negatives_source = Subset(negatives_source, sorted(pick.tolist()))
    both = SegmentationDataset(ConcatDataset([positives.source, negatives_source]), cfg.image_size)
    _, rows = evaluate_model(model, both, gate=False)
    labels = [r["target_pixels"] > 0 for r in rows]
    best, curve = choose(rows)
    report = {
        "checkpoint": str(args.checkpoint), "split": args.split, "n_positive": int(sum(labels)),
        "n_negative": int(len(labels) - sum(labels)),
        "presence_auc": roc_auc([r["presence"] for r in rows], labels),
        "rule_auc": roc_auc([r["rule_score"] for r in rows], labels),
        "chosen": best, "rule_best": choose(rows, "rule_score")[0], "curve": curve,
    }
    print(f"presence head AUC {report['presence_auc']:.4f}, rule (mask probabilities) AUC {report['rule_auc']:.4f}")
    print(f"threshold {best['threshold']:.3f}: positive Dice {best['dice_positive']:.4f}, clean rate "
          f"{best['clean_rate']:.4f}, positives kept {best['positives_kept']:.4f}")
    if args.out:
        atomic_write_json(Path(args.out), report)
    if args.write:
        directory = resolve_checkpoint(args.checkpoint)
        config = json.loads((directory / CONFIG_NAME).read_text())
        config["presence_threshold"] = best["threshold"]
        atomic_write_json(directory / CONFIG_NAME, config)
        atomic_write_json(directory / "calibration.json", report)
        print(f"wrote presence_threshold={best['threshold']} into {directory / CONFIG_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
