"""Render the demo's example cases: ``examples/*.png`` + ``examples/examples.json``.

    python examples/make_examples.py [--out examples] [--seed 424242]

Six synthetic cases (never seen in training: their own seed), chosen by rule from the
generator's stream so that the set always shows what matters:

* X-ray, report mode: one bilateral, one unilateral case;
* X-ray, referring mode: lesions in BOTH lower zones, the text names one side; its Compare
  prompts are "lower left lung" vs "lower right lung", so the words alone move the mask;
* X-ray, referring mode: both lungs involved, the text names one upper/middle zone set;
* CT, report mode; CT, referring mode with lesions on both sides, the text names one.

Each entry of ``examples.json``: image, text, modality, title, compare (prompts for the
Compare tab, may be empty) and mask (the ground truth of ``text``, for tests). Images are
256 px grayscale PNGs (a few tens of KB each).
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


def _sides(case: SyntheticCase, named: bool | None = None) -> set[str]:
    """Sides with lesions (named ones only, unnamed only, or all)."""
    return {side for side, _zones, _kind, is_named in case.info["lesions"]
            if named is None or is_named == named}


def _zones(case: SyntheticCase, side: str) -> set[str]:
    return {z for s, zones, _kind, _named in case.info["lesions"] if s == side for z in zones}


def _one_side_text(case: SyntheticCase) -> bool:
    return len({side for side, _zones, _n in case.info["locs"]}) == 1


def _referring_lower(case: SyntheticCase) -> bool:
    half = case.all_lesions.shape[1] // 2
    # Clearly visible lesions in both halves, so that either prompt has something to find.
    visible = min(case.all_lesions[:, :half].sum(), case.all_lesions[:, half:].sum()) >= 400
    return (_one_side_text(case) and _sides(case) == {"left", "right"} and bool(visible)
            and all("lower" in _zones(case, s) for s in ("left", "right")))


def _referring_upper(case: SyntheticCase) -> bool:
    named = [zones for _side, zones, _n in case.info["locs"]]
    return (_one_side_text(case) and _sides(case) == {"left", "right"}
            and all("lower" not in z for z in named))


def _bilateral_report(case: SyntheticCase) -> bool:
    return case.text.startswith("Bilateral")


def _unilateral_report(case: SyntheticCase) -> bool:
    return case.text.startswith("Unilateral") and 1 <= case.mask.mean() * 100 <= 12


def _ct_referring(case: SyntheticCase) -> bool:
    return _one_side_text(case) and _sides(case) == {"left", "right"}


def _compare_lower(_case: SyntheticCase) -> list[str]:
    return [f"Unilateral pulmonary infection, one infected area, lower {side} lung."
            for side in ("left", "right")]


def _compare_sides(case: SyntheticCase) -> list[str]:
    named = next(iter(_sides(case, named=True)))
    other = "right" if named == "left" else "left"
    return [case.text, f"Unilateral pulmonary infection, {other} lung."]


def _no_compare(_case: SyntheticCase) -> list[str]:
    return []


# (file stem, title, modality, mode, rule, compare prompts)
RECIPES: list[tuple[str, str, str, str, Callable, Callable]] = [
    ("xray_referring_lower", "X-ray · both lower zones hit, text names one side", "xray",
     "referring", _referring_lower, _compare_lower),
    ("xray_bilateral_report", "X-ray · bilateral report", "xray", "report", _bilateral_report,
     _no_compare),
    ("xray_unilateral_report", "X-ray · unilateral report", "xray", "report", _unilateral_report,
     _no_compare),
    ("xray_referring_upper", "X-ray · both lungs hit, text names upper zones",
     "xray", "referring", _referring_upper, _compare_sides),
    ("ct_report", "CT slice · report", "ct", "report", lambda c: True, _no_compare),
    ("ct_referring", "CT slice · both lungs hit, text names one side", "ct", "referring",
     _ct_referring, _compare_sides),
]


def find_case(modality: str, mode: str, rule: Callable, seed: int, shapes, start: int = 0) -> tuple[int, SyntheticCase]:
    """First case of the stream (from ``start``) that satisfies ``rule``."""
    for index in range(start, start + MAX_TRIES):
        case = make_case(index, seed, modality, mode, SIZE, "radiological", shapes if modality == "xray" else None)
        if rule(case):
            return index, case
    raise RuntimeError(f"no {modality}/{mode} case satisfies {rule.__name__} in {MAX_TRIES} tries")


def write_png(path: Path, image: np.ndarray) -> None:
    if not cv2.imwrite(str(path), image, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
        raise OSError(f"{path}: could not write")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render the demo's example cases.")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args(argv)
    from ssa.data.lung_shapes import load_lung_shapes

    shapes = load_lung_shapes()
    if shapes is None:
        print("note: real lung shapes not cached (python -m ssa.data.lung_shapes); procedural lungs used")
    (args.out / "masks").mkdir(parents=True, exist_ok=True)
    entries = []
    for stem, title, modality, mode, rule, compare in RECIPES:
        index, case = find_case(modality, mode, rule, args.seed, shapes)
        write_png(args.out / f"{stem}.png", case.image)
        write_png(args.out / "masks" / f"{stem}.png", np.where(case.mask, 255, 0).astype(np.uint8))
        entries.append({"image": f"{stem}.png", "text": case.text, "modality": modality, "title": title,
                        "compare": compare(case), "mask": f"masks/{stem}.png", "case": [args.seed, index, mode]})
        size_kb = (args.out / f"{stem}.png").stat().st_size / 1024
        print(f"{stem}.png  ({size_kb:.0f} KB, case {index})  {case.text}")
    (args.out / "examples.json").write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(entries)} examples to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
