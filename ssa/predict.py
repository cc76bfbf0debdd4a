"""Segment images from the command line: the demo's twin for people who script.

    python -m ssa.predict IMAGE... --text "..." [--modality ct] [--checkpoint DIR]
                          [--threshold 0.5] [--window lung] --out DIR

Per image, in ``--out``: ``<stem>_mask.png`` (0/255, the image's original size),
``<stem>_overlay.png`` (at most 1024 px on a side, R/L markers) and ``<stem>_findings.json``
(lesion area per lung side and zone, where the mask lies, notices). A file that cannot be
read is reported and skipped; the exit status is 1 when any image failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ssa.analysis import Analysis, Analyzer, PreparedImage, prepare_image
from ssa.files import atomic_write_json, write_png
from ssa.overlay import mask_overlay, mask_png
from ssa.record import analysis_record

DEFAULT_CHECKPOINT = "checkpoints/ssa-demo"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m ssa.predict", description=__doc__.split("\n\n")[0])
    p.add_argument("images", nargs="+", type=Path, help="PNG, JPEG, BMP, TIFF or DICOM files")
    p.add_argument("--text", required=True, help="the prompt, e.g. 'lower left lung opacity'")
    p.add_argument("--modality", choices=["auto", "xray", "ct"], default="auto",
                   help="auto: from the DICOM Modality tag, else xray (default)")
    p.add_argument("--window", choices=["lung", "mediastinum"], default="lung", help="CT DICOM window")
    p.add_argument("--checkpoint", default=os.environ.get("SSA_CHECKPOINT", DEFAULT_CHECKPOINT),
                   help="checkpoint directory or hub repo id (env SSA_CHECKPOINT; default %(default)s)")
    p.add_argument("--threshold", type=float, default=0.5, help="mask threshold in [0, 1]")
    p.add_argument("--out", type=Path, required=True, help="output folder (created)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    args = p.parse_args(argv)
    if not 0.0 <= args.threshold <= 1.0:
        p.error(f"--threshold must be in [0, 1], got {args.threshold}")
    return args


def unique_stems(paths: Sequence[Path]) -> list[str]:
    """Output stems, one per input: the file stem, with -2, -3, ... on repeats."""
    seen: dict[str, int] = {}
    stems = []
    for path in paths:
        stem = path.stem or "image"
        seen[stem] = seen.get(stem, 0) + 1
        stems.append(stem if seen[stem] == 1 else f"{stem}-{seen[stem]}")
    return stems


def write_outputs(out: Path, stem: str, source: Path, image: PreparedImage, result: Analysis,
                  window: str, threshold: float, convention: str, lung_band: tuple[float, float],
                  checkpoint: str) -> list[Path]:
    """The three files of one image; returns their paths."""
    pred = result.prediction
    mask_path = write_png(out / f"{stem}_mask.png", mask_png(result.mask))
    overlay = mask_overlay(image.image(window), pred.mask, pred.guidance, convention)
    overlay_path = write_png(out / f"{stem}_overlay.png", overlay)
    record = {"image": str(source), "checkpoint": checkpoint,
              **analysis_record(result, threshold, convention, lung_band)}
    json_path = atomic_write_json(out / f"{stem}_findings.json", record)
    return [mask_path, overlay_path, json_path]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from tqdm import tqdm

    import ssa

    try:
        model = ssa.load_model(args.checkpoint)
    except (ssa.CheckpointError, OSError) as err:
        print(f"error: cannot load checkpoint: {err}", file=sys.stderr)
        return 2
    analyzer = Analyzer(ssa.SSAPredictor(model))
    cfg = model.config
    args.out.mkdir(parents=True, exist_ok=True)
    modality = None if args.modality == "auto" else args.modality
    failed: list[str] = []
    bar = tqdm(list(zip(args.images, unique_stems(args.images))), unit="image", disable=args.quiet,
               desc="segmenting")
    for path, stem in bar:
        try:
            image = prepare_image(path, name=str(path))
            (result,) = analyzer.run(image, [args.text], modality, args.window, args.threshold)
            write_outputs(args.out, stem, path, image, result, args.window, args.threshold,
                          cfg.convention, cfg.lung_band, str(args.checkpoint))
            if not args.quiet:
                verdict = " ".join(result.verdict.sentences()) if result.verdict is not None else ""
                tqdm.write(f"{path}: presence {result.prediction.score:.2f} "
                           f"({result.prediction.score_source}). {verdict}", file=sys.stderr)
        except (ValueError, OSError) as err:
            failed.append(str(path))
            message = str(err) if str(path) in str(err) else f"{path}: {err}"
            tqdm.write(f"skipped {message}", file=sys.stderr)
    done = len(args.images) - len(failed)
    print(f"{done} of {len(args.images)} images written to {args.out}", file=sys.stderr)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
