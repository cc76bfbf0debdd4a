"""Evaluate a checkpoint: per-image Dice / IoU, aggregates and wrong_side_rate.

``python -m ssa.evaluate --checkpoint DIR --dataset synthetic|qata|mosmed|csv [--data-root DIR]
[--split test] [--n 200 --seed S --mode report|referring|mixed --modality xray|ct]
[--text-convention auto|radiological|viewer] --out results.json [--plots DIR]``

On a real dataset ``--mode report`` scores the texts as published (sides converted to the
model's convention, see :mod:`ssa.data.text_convention`) and ``--mode referring`` the one-side
cases derived from its two-sided cases (:mod:`ssa.data.referring`); ``--n 0`` takes the whole
split.

Metrics are computed at the model's input resolution (as LViT and GuideDecoder report
theirs). ``results.json`` holds ``dice``, ``iou``, ``wrong_side_rate``, ``n`` and the run's
settings, and ``truth_wrong_side_rate``: the wrong-side rule applied to the ground-truth masks,
the rate a perfect prediction would have. Derived referring cases also get
``wrong_side_rate_at_midline``: the rule applied at the column their mask was cut (the
patient's midline) instead of the image's centre, where the ground truth scores 0 by
construction. A per-case CSV is written beside it.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from ssa.data.dataset import SampleSource, SegmentationDataset, SyntheticSource, collate
from ssa.files import atomic_write_json, atomic_write_text
from ssa.metrics import aggregate, case_metrics, wrong_side


@torch.inference_mode()
def evaluate_model(
    model, dataset: SegmentationDataset, batch_size: int = 16, threshold: float = 0.5, num_workers: int = 0,
    progress: bool = True, keep_predictions: bool = False,
) -> tuple[dict, list[dict]]:
    """Run ``model`` over ``dataset``; returns (aggregate metrics, per-case rows)."""
    from tqdm import tqdm

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers, collate_fn=collate)
    rows: list[dict] = []
    convention = model.config.convention
    for batch in tqdm(loader, desc="evaluate", unit="batch", disable=not progress, leave=False):
        out = model(batch["image"].to(device), batch["text"], batch["modality"])
        probs = torch.sigmoid(out.logits.float())[:, 0].cpu().numpy()
        masks = batch["mask"][:, 0].numpy() > 0.5
        for i in range(len(batch["text"])):
            pred = probs[i] >= threshold
            row = {"key": batch["key"][i], "text": batch["text"][i], "modality": batch["modality"][i]}
            row.update(case_metrics(pred, masks[i], batch["text"][i], convention, batch["midline"][i]))
            # The same side rule applied to the ground truth: what a perfect prediction scores
            # (a derived referring mask is cut at the patient's midline, not the image centre).
            row["truth_wrong_side"] = wrong_side(masks[i], batch["text"][i], convention)
            if keep_predictions:
                row["_image"] = batch["image"][i, 0].numpy()
                row["_mask"], row["_pred"] = masks[i], pred
            rows.append(row)
    model.train(was_training)
    return aggregate(rows), rows


def build_eval_dataset(args: argparse.Namespace, size: int, convention: str) -> tuple[SegmentationDataset, dict]:
    """The evaluation cases and what was decided about them (JSON-ready; {} for synthetic).

    Real data: ``--split``'s texts in the model's convention (``--text-convention``), then
    ``--mode`` report (the texts as published), referring (one-side cases derived from the
    two-sided ones, :mod:`ssa.data.referring`) or mixed (both); ``--n`` a seeded subset.
    """
    if args.dataset == "synthetic":
        return SegmentationDataset(SyntheticSource(args.n, args.seed, args.modality, args.mode, size, convention), size), {}
    from ssa.data.prepare import prepare_real_cases

    if not args.data_root:
        raise SystemExit(f"--data-root is required for --dataset {args.dataset}")
    cases = prepare_real_cases(args.dataset, args.data_root, args.split, args.mode, args.text_convention,
                               convention, n=args.n, seed=args.seed)
    print(cases.decision.describe())
    info = {"text_convention": cases.decision.to_dict(), "n_report_cases": len(cases.report),
            "n_referring_cases": len(cases.referring)}
    return SegmentationDataset(SampleSource(cases.for_mode(args.mode)), size), info


def write_results(path: Path, results: dict, rows: list[dict]) -> Path:
    """Atomically write ``results.json`` and the per-case CSV beside it; returns the CSV path."""
    atomic_write_json(path, results)
    buf = io.StringIO()
    flags = ["wrong_side"] + (["wrong_side_at_midline"] if any("wrong_side_at_midline" in r for r in rows) else [])
    fields = ["key", "modality", "dice", "iou", *flags, "text"]
    writer = csv.DictWriter(buf, fieldnames=fields, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({**row, **{f: "" if row.get(f) is None else int(row[f]) for f in flags}})
    csv_path = path.with_name(path.stem + "_cases.csv")
    atomic_write_text(csv_path, buf.getvalue())
    return csv_path


def save_worst_cases(rows: list[dict], directory: Path, k: int = 8) -> list[Path]:
    """PNG per worst case (lowest Dice): image, ground truth, prediction side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for rank, row in enumerate(sorted(rows, key=lambda r: r["dice"])[:k]):
        fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
        for ax, (title, img) in zip(axes, [("image", row["_image"]), ("ground truth", row["_mask"]), ("prediction", row["_pred"])]):
            ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            ax.set_title(title)
            ax.axis("off")
        fig.suptitle(f"Dice {row['dice']:.3f} — {row['text'][:90]}", fontsize=8)
        fig.tight_layout()
        path = directory / f"worst_{rank:02d}_{row['key']}.png".replace(os.sep, "_")
        fig.savefig(path, dpi=80)
        plt.close(fig)
        paths.append(path)
    return paths


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ssa.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint directory or hub repo id")
    p.add_argument("--dataset", required=True, choices=["synthetic", "qata", "mosmed", "csv"])
    p.add_argument("--data-root", help="dataset folder (for csv: the CSV file)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--n", type=int, default=200, help="cases (synthetic), or a seeded subset of a real split (0: all)")
    p.add_argument("--seed", type=int, default=777)
    p.add_argument("--mode", default="report", choices=["report", "referring", "mixed"])
    p.add_argument("--modality", default="xray", choices=["xray", "ct", "mixed"], help="synthetic data only")
    p.add_argument("--text-convention", default="auto", choices=["auto", "radiological", "viewer"],
                   help="sides in a real dataset's texts; auto measures the split's masks and converts to the model's")
    p.add_argument("--threshold", type=float, default=0.5)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", required=True, help="results JSON path")
    p.add_argument("--plots", help="folder for PNGs of the worst cases")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from ssa.checkpoint import CheckpointError, load_model
    from ssa.data.readers import DatasetError

    try:
        model = load_model(args.checkpoint, device=args.device)
        dataset, data_info = build_eval_dataset(args, model.config.image_size, model.config.convention)
    except (CheckpointError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    metrics, rows = evaluate_model(model, dataset, args.batch_size, args.threshold, keep_predictions=bool(args.plots))
    results = {
        **metrics,
        "checkpoint": str(args.checkpoint),
        "dataset": args.dataset,
        "split": args.split if args.dataset != "synthetic" else None,
        "mode": args.mode,
        "modality": args.modality if args.dataset == "synthetic" else None,
        "seed": args.seed,
        "threshold": args.threshold,
        "image_size": model.config.image_size,
        "convention": model.config.convention,
        **data_info,
    }
    results = {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in results.items()}
    if args.dataset != "synthetic":
        results["n_limit"] = args.n or None
    csv_path = write_results(Path(args.out), results, rows)
    if args.plots:
        save_worst_cases(rows, Path(args.plots))
    wsr = results["wrong_side_rate"]
    print(
        f"n={results['n']}  dice={results['dice']:.4f}  iou={results['iou']:.4f}  "
        f"wrong_side_rate={'n/a' if wsr is None else f'{wsr:.4f}'} ({results['n_one_side']} one-side texts)"
    )
    if "wrong_side_rate_at_midline" in results:
        print(f"wrong_side_rate_at_midline={results['wrong_side_rate_at_midline']:.4f} "
              f"({results['n_at_midline']} derived referring cases)")
    print(f"wrote {args.out} and {csv_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
