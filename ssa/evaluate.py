"""Evaluate a checkpoint: per-image Dice / IoU, aggregates and wrong_side_rate.

``python -m ssa.evaluate --checkpoint DIR --dataset synthetic|qata|mosmed|csv|<CT set> [--data-root DIR]
[--split test] [--n 200 --seed S --mode report|referring|mixed|negatives --modality xray|ct]
[--phrasing qata|training|unseen] [--normals-root DIR] [--no-gate]
[--text-convention auto|radiological|viewer] --out results.json [--plots DIR]``

On a real dataset ``--mode report`` scores the texts as published (sides converted to the
model's convention, see :mod:`ssa.data.text_convention`) and ``--mode referring`` the one-side
cases derived from its two-sided cases (:mod:`ssa.data.referring`); ``--n 0`` takes the whole
split.

Metrics are computed at the model's input resolution (as LViT and GuideDecoder report
theirs). Dice both ways: ``dice`` is the per-image mean (LViT's metric), ``pooled_dice`` the Dice
over all pixels of the split at once (torchmetrics' micro Dice, what GuideDecoder, MMI-UNet,
SGSeg and DD-CMD report), and ``dice_swept`` Inf-Net's (per image, averaged over 256 thresholds
of the min-max-normalised map; :func:`ssa.metrics.threshold_swept_dice`). With a presence head
the gate applies (``--no-gate`` measures without it); ``presence_auc`` and ``rule_auc`` score the
head and the weight-free rule as detectors when the cases hold positives and negatives.
``--mode negatives`` gives ``clean_rate`` and ``painted_median``, overall and ``by_kind``.
``results.json`` holds those, ``iou``, ``wrong_side_rate``, ``n`` and the run's
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

import numpy as np
import torch
from torch.utils.data import DataLoader

from ssa.data.dataset import SampleSource, SegmentationDataset, SyntheticSource, collate
from ssa.files import atomic_write_json, atomic_write_text
from ssa.metrics import aggregate, case_metrics, threshold_swept_dice, wrong_side
from ssa.presence import rule_score


@torch.inference_mode()
def evaluate_model(
    model, dataset: SegmentationDataset, batch_size: int = 16, threshold: float = 0.5, num_workers: int = 0,
    progress: bool = True, keep_predictions: bool = False, gate: bool = True,
) -> tuple[dict, list[dict]]:
    """Run ``model`` over ``dataset``; returns (aggregate metrics, per-case rows).

    With a presence head and ``gate``, a case whose presence probability is below the model's
    ``presence_threshold`` is predicted empty, as the predictor does."""
    from tqdm import tqdm

    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    loader = DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=num_workers, collate_fn=collate)
    rows: list[dict] = []
    convention = model.config.convention
    for batch in tqdm(loader, desc="evaluate", unit="batch", disable=not progress, leave=False):
        out = model(batch["image"].to(device), batch["text"], batch["modality"])
        prob_maps = torch.sigmoid(out.logits.float())
        rule = rule_score(prob_maps, out.guidance.float()).cpu().numpy()
        presence = torch.sigmoid(out.presence.float()).cpu().numpy() if out.presence is not None else None
        probs = prob_maps[:, 0].cpu().numpy()
        masks = batch["mask"][:, 0].numpy() > 0.5
        for i in range(len(batch["text"])):
            pred = probs[i] >= threshold
            gated = bool(gate and presence is not None and presence[i] < model.config.presence_threshold)
            if gated:
                pred = np.zeros_like(pred)
            row = {"key": batch["key"][i], "text": batch["text"][i], "modality": batch["modality"][i],
                   "presence": None if presence is None else float(presence[i]), "rule_score": float(rule[i]),
                   "gated": gated}
            row.update(case_metrics(pred, masks[i], batch["text"][i], convention, batch["midline"][i]))
            if masks[i].any():  # Inf-Net's threshold-swept Dice, on the map the gate leaves
                row["dice_swept"] = threshold_swept_dice(probs[i] * (not gated), masks[i])
            # The same side rule applied to the ground truth: what a perfect prediction scores
            # (a derived referring mask is cut at the patient's midline, not the image centre).
            row["truth_wrong_side"] = wrong_side(masks[i], batch["text"][i], convention)
            if keep_predictions:
                row["_image"] = batch["image"][i, 0].numpy()
                row["_mask"], row["_pred"] = masks[i], pred
            rows.append(row)
    model.train(was_training)
    return aggregate(rows), rows


def build_eval_dataset(args: argparse.Namespace, size: int, convention: str,
                       lung_band: tuple[float, float] = (0.1, 0.9)) -> tuple[SegmentationDataset, dict]:
    """The evaluation cases and what was decided about them (JSON-ready; {} for synthetic).

    Real data: ``--split``'s texts in the model's convention (``--text-convention``), then
    ``--mode`` report (the texts as published), referring (one-side cases derived from the
    two-sided ones, :mod:`ssa.data.referring`), mixed (both) or negatives (empty targets:
    wrong-side and empty-zone texts on the split's images, healthy X-rays from
    ``--normals-root``; :mod:`ssa.data.negatives`); ``--n`` a seeded subset.
    """
    if args.dataset == "synthetic":
        if args.mode == "negatives":
            raise SystemExit("--mode negatives needs a real dataset (its images and masks decide the negatives)")
        return SegmentationDataset(SyntheticSource(args.n, args.seed, args.modality, args.mode, size, convention), size), {}
    from ssa.data.prepare import prepare_real_cases

    if not args.data_root:
        raise SystemExit(f"--data-root is required for --dataset {args.dataset}")
    negatives = args.mode == "negatives"
    cases = prepare_real_cases(args.dataset, args.data_root, args.split, "report" if negatives else args.mode,
                               args.text_convention, convention, n=args.n, seed=args.seed,
                               phrasing=getattr(args, "phrasing", None))
    print(cases.decision.describe())
    info = {"text_convention": cases.decision.to_dict(), "phrasing": getattr(args, "phrasing", None) or "qata",
            "n_report_cases": len(cases.report),
            "n_referring_cases": len(cases.referring)}
    if not negatives:
        return SegmentationDataset(SampleSource(cases.for_mode(args.mode)), size), info
    from ssa.data.negatives import negative_parts

    parts = negative_parts(cases.report, args.normals_root, args.split, convention, lung_band, seed=args.seed)
    info["n_negative_cases"] = {k: len(v) for k, v in parts.items()}
    info["normals_root"] = args.normals_root
    chosen = [case for kind, part in parts.items() if kind in args.kinds for case in part]
    if not chosen:
        raise SystemExit(f"--mode negatives: no cases of kinds {args.kinds} (healthy needs --normals-root)")
    return SegmentationDataset(SampleSource(chosen), size), info


def negative_kind(key: str) -> str | None:
    """The kind of negative a case key names (``<key>#wrong_side``, ``normal/x#healthy0``), else None."""
    from ssa.data.negatives import KINDS

    tail = key.rpartition("#")[2]
    return next((kind for kind in KINDS if tail.startswith(kind)), None)


def by_kind(rows: list[dict]) -> dict[str, dict]:
    """Aggregate figures per kind of negative case (cases that are not negatives left out)."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        kind = negative_kind(row["key"])
        if kind is not None:
            groups.setdefault(kind, []).append(row)
    return {kind: aggregate(group) for kind, group in groups.items()}


def write_results(path: Path, results: dict, rows: list[dict]) -> Path:
    """Atomically write ``results.json`` and the per-case CSV beside it; returns the CSV path."""
    atomic_write_json(path, results)
    buf = io.StringIO()
    flags = ["wrong_side"] + (["wrong_side_at_midline"] if any("wrong_side_at_midline" in r for r in rows) else [])
    fields = ["key", "modality", "dice", "iou", *flags, "target_pixels", "pred_pixels", "intersection",
              "painted", "presence", "rule_score", "gated", "text"]
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


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def summary_line(results: dict) -> str:
    """The one-line summary the CLI prints: both Dice metrics, side and negatives figures."""
    line = (f"n={results['n']}  dice={_fmt(results['dice'])} (per image)  "
            f"pooled_dice={_fmt(results.get('pooled_dice'))}  iou={_fmt(results['iou'])}  "
            f"wrong_side_rate={_fmt(results['wrong_side_rate'])} ({results['n_one_side']} one-side texts)")
    if results.get("dice_swept") is not None:
        line += f"  dice_swept={results['dice_swept']:.4f} (Inf-Net's)"
    if results.get("n_negative"):
        line += f"  clean_rate={_fmt(results.get('clean_rate'))} ({results['n_negative']} negative cases)"
    for name in ("presence_auc", "rule_auc"):
        if results.get(name) is not None:
            line += f"  {name}={results[name]:.4f}"
    return line


def _no_nan(value):
    """NaN -> None, recursively (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ssa.evaluate", description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", required=True, help="checkpoint directory or hub repo id")
    p.add_argument("--dataset", required=True,
                   choices=["synthetic", "qata", "mosmed", "csv", "covid_semiseg", "pyradiomics_lung", "ibsi_ct_phantom"],
                   help="a 2-D dataset layout, synthetic cases, or a real CT set (ssa.data.ct_sets)")
    p.add_argument("--data-root", help="dataset folder (for csv: the CSV file)")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--n", type=int, default=200, help="cases (synthetic), or a seeded subset of a real split (0: all)")
    p.add_argument("--seed", type=int, default=777)
    p.add_argument("--mode", default="report", choices=["report", "referring", "mixed", "negatives"])
    p.add_argument("--phrasing", choices=["qata", "training", "unseen"],
                   help="referring texts' phrasings: QaTa's template (default), the training ones, or ones "
                        "no run trains on (ssa.data.referring.UNSEEN_TEMPLATES)")
    p.add_argument("--normals-root", help="normal chest X-rays (ssa.data.normals): healthy cases in --mode negatives")
    p.add_argument("--kinds", type=lambda v: v.split(","), default=["wrong_side", "empty_zone", "healthy"],
                   help="--mode negatives: comma-separated kinds to ask (wrong_side, empty_zone, healthy)")
    p.add_argument("--no-gate", dest="gate", action="store_false",
                   help="keep masks the presence head would empty (to measure the head itself)")
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
        dataset, data_info = build_eval_dataset(args, model.config.image_size, model.config.convention,
                                                model.config.lung_band)
    except (CheckpointError, DatasetError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    metrics, rows = evaluate_model(model, dataset, args.batch_size, args.threshold, keep_predictions=bool(args.plots),
                                   gate=args.gate)
    kinds = by_kind(rows)
    results = {
        **metrics,
        "checkpoint": str(args.checkpoint),
        "dataset": args.dataset,
        "split": args.split if args.dataset != "synthetic" else None,
        "mode": args.mode,
        "modality": args.modality if args.dataset == "synthetic" else None,
        "seed": args.seed,
        "threshold": args.threshold,
        "presence_head": model.config.presence_head,
        "presence_threshold": model.config.presence_threshold if model.config.presence_head and args.gate else None,
        "image_size": model.config.image_size,
        "convention": model.config.convention,
        **data_info,
    }
    if kinds:
        results["by_kind"] = kinds
    results = _no_nan(results)
    if args.dataset != "synthetic":
        results["n_limit"] = args.n or None
    csv_path = write_results(Path(args.out), results, rows)
    if args.plots:
        save_worst_cases(rows, Path(args.plots))
    print(summary_line(results))
    for kind, figures in kinds.items():
        print(f"  {kind}: n={figures['n']}  clean_rate={figures['clean_rate']:.4f}  "
              f"painted_median={figures['painted_median']:.4f}")
    if "wrong_side_rate_at_midline" in results:
        print(f"wrong_side_rate_at_midline={results['wrong_side_rate_at_midline']:.4f} "
              f"({results['n_at_midline']} derived referring cases)")
    print(f"wrote {args.out} and {csv_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
