"""The training and validation sets of a run, from ``train.py``'s arguments.

* ``--dataset synthetic``: generated cases (``--modality``, ``--mode``); validation from another seed.
* a real dataset: the train split with its texts in the model's convention
  (``--text-convention``), its derived referring cases (``--mode referring|mixed``,
  ``--referring-share``) and optionally synthetic cases (``--synthetic-share``); validation on
  the val split prepared the same way (a seeded share of train where the layout has none).

One "epoch" of a mixed real run is one pass over the real report cases; the other parts fill
their shares around it.
"""

from __future__ import annotations

import argparse

from ssa.data.augment import AugmentConfig
from ssa.data.dataset import MixedSource, SampleSource, SegmentationDataset, SyntheticSource
from ssa.data.prepare import RealCases, prepare_real_cases

SYNTHETIC_VAL_CAP = 128  # synthetic validation cases beside a real val split


def _shares(mode: str, referring_share: float, synthetic_share: float) -> dict[str, float]:
    """Share of an epoch for "report", "referring" and "synthetic" cases."""
    for name, v in (("--referring-share", referring_share), ("--synthetic-share", synthetic_share)):
        if not 0.0 <= v < 1.0:
            raise SystemExit(f"{name} must be in [0, 1), got {v}")
    real = 1.0 - synthetic_share
    referring = {"report": 0.0, "referring": 1.0, "mixed": referring_share}[mode]
    return {"report": real * (1 - referring), "referring": real * referring, "synthetic": synthetic_share}


def _mix(cases: RealCases, shares: dict[str, float], synthetic) -> tuple[object, dict[str, int]]:
    """A MixedSource over the parts with a positive share; one epoch = one pass over the
    largest-share real part. Returns the source and each part's case count."""
    parts = {"report": SampleSource(cases.report), "referring": SampleSource(cases.referring)}
    if synthetic is not None:
        parts["synthetic"] = synthetic
    for name in ("report", "referring"):
        if shares[name] > 0 and len(parts[name]) == 0:
            raise SystemExit(f"no {name} cases in the {cases.split} split (the texts name both sides nowhere?)")
    anchor = "report" if shares["report"] > 0 else "referring"
    length = round(len(parts[anchor]) / shares[anchor])
    used = [(parts[k], shares[k]) for k in ("report", "referring", "synthetic") if shares[k] > 0]
    return MixedSource(used, length), {k: len(v) for k, v in parts.items()}


def build_data(
    args: argparse.Namespace, size: int, convention: str, verbose: bool = True
) -> tuple[SegmentationDataset, SegmentationDataset, dict]:
    """(train set, val set, a JSON-ready description of both: convention decision, counts, shares)."""
    aug = AugmentConfig() if args.augment else None
    if args.dataset == "synthetic":
        train = SyntheticSource(args.train_size, args.seed, args.modality, args.mode, size, convention)
        # Validation cases come from another seed: never seen in training.
        val = SyntheticSource(args.val_size or 64, args.seed + 10_000, args.modality, args.mode, size, convention)
        info = {"dataset": "synthetic", "train": len(train), "val": len(val)}
        return SegmentationDataset(train, size, aug), SegmentationDataset(val, size), info

    from ssa.data.readers import DatasetError, read_dataset

    if not args.data_root:
        raise SystemExit(f"--data-root is required for --dataset {args.dataset}")
    train = prepare_real_cases(args.dataset, args.data_root, "train", args.mode, args.text_convention, convention,
                               seed=args.seed, vary_text=True, progress=verbose)
    if verbose:
        print(train.decision.describe())
    try:
        read_dataset(args.dataset, args.data_root, "val")
        val = prepare_real_cases(args.dataset, args.data_root, "val", args.mode, args.text_convention, convention,
                                 decision=train.decision, n=args.val_size, seed=args.seed)
    except DatasetError:  # a layout without a val split: hold out a seeded tenth of train by image
        val = _hold_out(train, args.val_size, args.seed)
    shares = _shares(args.mode, args.referring_share, args.synthetic_share)
    syn_train = syn_val = None
    if shares["synthetic"] > 0:
        real_len = len(train.report) + len(train.referring)
        syn_train = SyntheticSource(max(args.train_size, real_len), args.seed, args.modality, args.mode, size, convention)
        n_val = min(SYNTHETIC_VAL_CAP, round(len(val.report) * shares["synthetic"] / (1 - shares["synthetic"])))
        syn_val = SyntheticSource(max(1, n_val), args.seed + 10_000, args.modality, args.mode, size, convention)
    train_source, train_counts = _mix(train, shares, syn_train)
    val_cases = val.for_mode(args.mode)
    val_source = SampleSource(val_cases)
    val_counts = {"report": len(val.report) if args.mode != "referring" else 0,
                  "referring": len(val.referring)}
    if syn_val is not None:
        val_source = MixedSource([(val_source, len(val_cases)), (syn_val, len(syn_val))], len(val_cases) + len(syn_val))
        val_counts["synthetic"] = len(syn_val)
    info = {
        "dataset": args.dataset,
        "data_root": str(args.data_root),
        "mode": args.mode,
        "text_convention": train.decision.to_dict(),
        "text_convention_line": train.decision.describe(),
        "shares": shares,
        "train_cases": train_counts,
        "epoch_length": len(train_source),
        "val_split": val.split,
        "val_cases": val_counts,
    }
    if verbose:
        print(f"training cases {train_counts}, shares {shares}; validation cases {val_counts}")
    return SegmentationDataset(train_source, size, aug), SegmentationDataset(val_source, size), info


def _hold_out(train: RealCases, n: int | None, seed: int) -> RealCases:
    """Move a seeded tenth of ``train``'s images (their report and referring cases) to val."""
    import numpy as np

    images = sorted({s.image for s in train.report})
    rng = np.random.default_rng(seed)
    held = set(rng.permutation(len(images))[: max(1, len(images) // 10)].tolist())
    held_images = {images[i] for i in held}
    if n:
        held_images = set(sorted(held_images)[:n])
    val = RealCases([s for s in train.report if s.image in held_images],
                    [s for s in train.referring if s.image in held_images], train.decision, "train (held out)")
    train.report = [s for s in train.report if s.image not in held_images]
    train.referring = [s for s in train.referring if s.image not in held_images]
    return val
