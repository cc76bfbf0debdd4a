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
from ssa.data.negatives import negative_parts
from ssa.data.prepare import RealCases, prepare_real_cases, subset
from ssa.data.samples import Sample

SYNTHETIC_VAL_CAP = 128  # synthetic validation cases beside a real val split


def _shares(mode: str, referring_share: float, synthetic_share: float, negative_share: float = 0.0,
            ct_share: float = 0.0) -> dict[str, float]:
    """Share of an epoch for "report", "referring", "synthetic", "negative" and "ct" cases."""
    extra = {"--synthetic-share": synthetic_share, "--negative-share": negative_share, "--ct-share": ct_share}
    for name, v in (("--referring-share", referring_share), *extra.items()):
        if not 0.0 <= v < 1.0:
            raise SystemExit(f"{name} must be in [0, 1), got {v}")
    if sum(extra.values()) >= 1.0:
        raise SystemExit(f"{' + '.join(extra)} must stay below 1, got {sum(extra.values())}")
    real = 1.0 - sum(extra.values())
    referring = {"report": 0.0, "referring": 1.0, "mixed": referring_share}[mode]
    return {"report": real * (1 - referring), "referring": real * referring, "synthetic": synthetic_share,
            "negative": negative_share, "ct": ct_share}


def _mix(cases: RealCases, shares: dict[str, float], synthetic, negatives=None, ct=None) -> tuple[object, dict[str, int]]:
    """A MixedSource over the parts with a positive share; one epoch = one pass over the
    largest-share real part. Returns the source and each part's case count.

    ``negatives``: ``[(source, weight)]`` (weights sum to 1), each its own part with
    ``weight * shares["negative"]`` of the epoch. Not one nested MixedSource: a part serves its
    first ``share * length`` indices, so a nested mix whose first kind is larger than that
    would serve that kind alone (it did: healthy X-rays were never drawn)."""
    parts = {"report": SampleSource(cases.report), "referring": SampleSource(cases.referring)}
    if synthetic is not None:
        parts["synthetic"] = synthetic
    if ct is not None:
        parts["ct"] = ct
    for name in ("report", "referring"):
        if shares[name] > 0 and len(parts[name]) == 0:
            raise SystemExit(f"no {name} cases in the {cases.split} split (the texts name both sides nowhere?)")
    anchor = "report" if shares["report"] > 0 else "referring"
    length = round(len(parts[anchor]) / shares[anchor])
    used = [(parts[k], shares[k]) for k in ("report", "referring", "synthetic", "ct") if shares.get(k, 0) > 0]
    counts = {k: len(v) for k, v in parts.items()}
    if negatives and shares.get("negative", 0) > 0:
        used += [(source, weight * shares["negative"]) for source, weight in negatives]
        counts["negative"] = sum(len(source) for source, _ in negatives)
    return MixedSource(used, length), counts


# Shares of the negative part of an epoch: healthy lungs are the commonest "no" a user meets.
# Empty zones get a small share: real captions name zones unreliably (a fifth of the lesion mass
# lies off them), so "nothing in this zone" partly contradicts the positive cases.
NEGATIVE_MIX = {"wrong_side": 0.5, "empty_zone": 0.1, "healthy": 0.4}


def negative_sources(cases: RealCases, normals_root: str | None, split: str, convention: str,
                     lung_band: tuple[float, float], seed: int = 0, vary_text: bool = True,
                     progress: bool = False) -> tuple[list[tuple[SampleSource, float]], dict[str, int]]:
    """The negative kinds of a training epoch as ``[(source, weight)]``, weighted by
    :data:`NEGATIVE_MIX` over the kinds present (the weights sum to 1), and their counts."""
    parts = negative_parts(cases.report, normals_root, split, convention, lung_band, seed, vary_text, progress)
    present = [k for k in NEGATIVE_MIX if parts[k]]
    if not present:
        raise SystemExit(f"--negative-share: no negative cases in the {split} split")
    total = sum(NEGATIVE_MIX[k] for k in present)
    return [(SampleSource(parts[k]), NEGATIVE_MIX[k] / total) for k in present], {k: len(v) for k, v in parts.items()}


def ct_sources(specs: list[str], mode: str, convention: str, seed: int = 0, verbose: bool = False
               ) -> tuple[SampleSource, dict[str, dict[str, int]], list[Sample]]:
    """Real CT beside the main dataset (``--ct-data NAME=ROOT``, :data:`ssa.data.ct_sets.CT_SETS`):
    each set's train split as report cases, derived referring cases (``--mode``) and wrong-side
    negatives, all in one source; and the sets' val splits (report cases) for validation.
    The sets' texts are derived from their masks in the patient's sides on radiological images,
    so they are taken as radiological, not measured."""
    from ssa.data.negatives import derive_wrong_side
    from ssa.data.readers import DatasetError

    cases: list[Sample] = []
    val: list[Sample] = []
    counts: dict[str, dict[str, int]] = {}
    for spec in specs:
        name, sep, root = spec.partition("=")
        if not sep:
            raise SystemExit(f"--ct-data expects NAME=ROOT, got {spec!r}")
        train = prepare_real_cases(name, root, "train", mode, "radiological", convention, seed=seed,
                                   vary_text=True, progress=verbose)
        negatives = derive_wrong_side(train.report, convention, vary_text=True, seed=seed)
        cases += train.report + train.referring + negatives
        try:
            held = prepare_real_cases(name, root, "val", "report", "radiological", convention).report
        except DatasetError:
            held = []
        val += held
        counts[name] = {"report": len(train.report), "referring": len(train.referring),
                        "wrong_side": len(negatives), "val": len(held)}
    if not cases:
        raise SystemExit(f"--ct-data: no training cases in {specs}")
    return SampleSource(cases), counts, val


def build_data(
    args: argparse.Namespace, size: int, convention: str, verbose: bool = True,
    lung_band: tuple[float, float] = (0.1, 0.9),
) -> tuple[SegmentationDataset, SegmentationDataset, dict]:
    """(train set, val set, a JSON-ready description of both: convention decision, counts, shares)."""
    aug = AugmentConfig() if args.augment else None
    if args.dataset == "synthetic":
        train = SyntheticSource(args.train_size, args.seed, args.modality, args.mode, size, convention)
        # Validation cases come from another seed: never seen in training.
        val = SyntheticSource(args.val_size or 64, args.seed + 10_000, args.modality, args.mode, size, convention)
        info = {"dataset": "synthetic", "train": len(train), "val": len(val)}
        return SegmentationDataset(train, size, aug), SegmentationDataset(val, size), info

    from ssa.data.prepare import read_split
    from ssa.data.readers import DatasetError

    if not args.data_root:
        raise SystemExit(f"--data-root is required for --dataset {args.dataset}")
    train = prepare_real_cases(args.dataset, args.data_root, "train", args.mode, args.text_convention, convention,
                               seed=args.seed, vary_text=True, progress=verbose)
    if verbose:
        print(train.decision.describe())
    try:
        read_split(args.dataset, args.data_root, "val")
        val = prepare_real_cases(args.dataset, args.data_root, "val", args.mode, args.text_convention, convention,
                                 decision=train.decision, n=args.val_size, seed=args.seed)
    except DatasetError:  # a layout without a val split: hold out a seeded tenth of train by image
        val = _hold_out(train, args.val_size, args.seed)
    negative_share = getattr(args, "negative_share", 0.0)
    ct_share = getattr(args, "ct_share", 0.0) if getattr(args, "ct_data", None) else 0.0
    shares = _shares(args.mode, args.referring_share, args.synthetic_share, negative_share, ct_share)
    syn_train = syn_val = None
    if shares["synthetic"] > 0:
        real_len = len(train.report) + len(train.referring)
        syn_train = SyntheticSource(max(args.train_size, real_len), args.seed, args.modality, args.mode, size, convention)
        n_val = min(SYNTHETIC_VAL_CAP, round(len(val.report) * shares["synthetic"] / (1 - shares["synthetic"])))
        syn_val = SyntheticSource(max(1, n_val), args.seed + 10_000, args.modality, args.mode, size, convention)
    neg_train = None
    neg_counts: dict[str, int] = {}
    if shares["negative"] > 0:
        neg_train, neg_counts = negative_sources(train, getattr(args, "normals_root", None), "train", convention,
                                                lung_band, seed=args.seed, vary_text=True, progress=verbose)
    ct_train = None
    ct_counts: dict[str, dict[str, int]] = {}
    ct_val: list[Sample] = []
    if shares["ct"] > 0:
        ct_train, ct_counts, ct_val = ct_sources(args.ct_data, args.mode, convention, args.seed, verbose)
    train_source, train_counts = _mix(train, shares, syn_train, neg_train, ct_train)
    val_cases = val.for_mode(args.mode)
    val_counts = {"report": len(val.report) if args.mode != "referring" else 0,
                  "referring": len(val.referring)}
    if shares["negative"] > 0:
        # Validation asks negatives too, so that `best` is chosen for saying no as well as for
        # outlining: a negative scores Dice 1 when nothing is painted, else 0.
        n_neg = max(1, round(len(val_cases) * shares["negative"] / (1 - shares["negative"])))
        neg_cases = [case for part in negative_parts(val.report, getattr(args, "normals_root", None), "val",
                                                     convention, lung_band, seed=args.seed).values() for case in part]
        val_cases = val_cases + subset(neg_cases, n_neg, args.seed)
        val_counts["negative"] = len(val_cases) - sum(val_counts.values())
    if ct_val:
        val_cases = val_cases + ct_val
        val_counts["ct"] = len(ct_val)
    val_source = SampleSource(val_cases)
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
        "negative_cases": neg_counts,
        "ct_cases": ct_counts,
        "normals_root": str(getattr(args, "normals_root", None)),
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
