"""Render the demo's synthetic CT examples: ``examples/ct_*.png`` + their ``examples.json`` entries.

    python examples/make_examples.py [--out examples] [--seed 424242]

Two synthetic CT cases (never seen in training: their own seed), chosen by rule from the
generator's stream: one report-mode case, and one referring case with lesions on both sides
whose text names one (its Compare prompts: that text vs the other side). The chest X-ray
examples are real ones (``examples/add_qata_examples.py``); the synthetic X-ray recipes that
used to live here are in the git history.

Each entry of ``examples.json``: image, text, modality, title, compare (prompts for the
Compare tab, may be empty), mask (the ground truth of ``text``), source and credit. Entries
this script does not own (the real X-rays) are kept, before its own. Images are 256 px
grayscale PNGs (a few tens of KB each).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ssa.data.synthetic import SyntheticCase, make_case  # noqa: E402

SIZE = 256
SEED = 424242  # a stream no training or evaluation run uses
MAX_TRIES = 400
CREDIT = "Synthetic: rendered by this repository's generator (examples/make_examples.py); no patient data."


def _sides(case: SyntheticCase, named: bool | None = None) -> set[str]:
    """Sides with lesions (named ones only, unnamed only, or all)."""
    return {side for side, _zones, _kind, is_named in case.info["lesions"]
            if named is None or is_named == named}


def _one_side_text(case: SyntheticCase) -> bool:
    return len({side for side, _zones, _n in case.info["locs"]}) == 1


def _ct_referring(case: SyntheticCase) -> bool:
    return _one_side_text(case) and _sides(case) == {"left", "right"}


def _compare_sides(case: SyntheticCase) -> list[str]:
    named = next(iter(_sides(case, named=True)))
    other = "right" if named == "left" else "left"
    return [case.text, f"Unilateral pulmonary infection, {other} lung."]


def _no_compare(_case: SyntheticCase) -> list[str]:
    return []


# (file stem, title, modality, mode, rule, compare prompts)
RECIPES: list[tuple[str, str, str, str, Callable, Callable]] = [
    ("ct_report", "Synthetic CT slice · report", "ct", "report", lambda c: True, _no_compare),
    ("ct_referring", "Synthetic CT slice · referring, one side named", "ct", "referring",
     _ct_referring, _compare_sides),
]


def find_case(modality: str, mode: str, rule: Callable, seed: int, start: int = 0) -> tuple[int, SyntheticCase]:
    """First case of the stream (from ``start``) that satisfies ``rule``."""
    for index in range(start, start + MAX_TRIES):
        case = make_case(index, seed, modality, mode, SIZE, "radiological", None)
        if rule(case):
            return index, case
    raise RuntimeError(f"no {modality}/{mode} case satisfies {rule.__name__} in {MAX_TRIES} tries")


def write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"{path}: could not write")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render the demo's synthetic CT examples.")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args(argv)
    (args.out / "masks").mkdir(parents=True, exist_ok=True)
    entries = []
    for stem, title, modality, mode, rule, compare in RECIPES:
        index, case = find_case(modality, mode, rule, args.seed)
        write_png(args.out / f"{stem}.png", case.image)
        write_png(args.out / "masks" / f"{stem}.png", np.where(case.mask, 255, 0).astype(np.uint8))
        entries.append({"image": f"{stem}.png", "text": case.text, "modality": modality, "title": title,
                        "compare": compare(case), "mask": f"masks/{stem}.png", "case": [args.seed, index, mode],
                        "source": f"synthetic CT, seed {args.seed}, case {index} ({mode} mode)",
                        "credit": CREDIT})
        size_kb = (args.out / f"{stem}.png").stat().st_size / 1024
        print(f"{stem}.png  ({size_kb:.0f} KB, case {index})  {case.text}")
    index_file = args.out / "examples.json"
    old = json.loads(index_file.read_text()) if index_file.is_file() else []
    ours = {e["image"] for e in entries}
    kept = [e for e in old if e.get("image") not in ours and not str(e.get("image", "")).startswith("xray_")]
    index_file.write_text(json.dumps(kept + entries, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(entries)} synthetic examples to {args.out} (kept {len(kept)} others)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
