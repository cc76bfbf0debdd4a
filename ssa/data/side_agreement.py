"""Does the side a text names agree with the image half its mask lies on? (no torch)

For every row whose text names exactly one side ("... lower left lung."), the mask's mass in
the image's left and right halves is compared with the side named, under both conventions:

* ``radiological``: the patient's left is the image's right (SSAConfig's default);
* ``viewer``: the patient's left is the image's left (as LViT's template figures draw it).

A convention the annotations follow agrees on nearly every row; the other on nearly none.
:func:`laterality_report` measures a split, :func:`format_report` prints it. Used by
:mod:`ssa.data.text_convention` (``--text-convention auto``) and by the command line check
``python -m ssa.data.check_laterality``, both above this module.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ssa.data.readers import Sample, load_mask
from ssa.laterality import CONVENTIONS, SIDES, mirror_safe_columns
from ssa.metrics import named_side

MAX_EXAMPLES = 20  # disagreeing keys kept in the report, for a look at the worst cases


def half_masses(mask: np.ndarray) -> tuple[int, int]:
    """Foreground pixels in the image's left and right halves of a bool HxW mask.

    With an odd width the centre column belongs to neither half, so the comparison is not
    biased towards one side (``ssa.laterality.mirror_safe_columns``).
    """
    left, right = (int(mask[:, mirror_safe_columns(h, mask.shape[1])].sum()) for h in SIDES)
    return left, right


def laterality_report(samples: Sequence[Sample], progress: bool = True) -> dict:
    """Agreement of the named side with the mask's heavier half, per convention.

    Returns a JSON-ready dict: ``n_samples``, ``n_unilateral`` (rows naming one side),
    ``n_compared`` (unilateral rows whose halves differ in mass), ``n_ties`` (equal halves,
    e.g. an empty mask), ``unreadable`` (mask paths that failed to load), ``agreement``
    (convention -> fraction of compared rows, None when none were compared), ``by_side``,
    ``recommended`` (the better convention, None on a tie or no data) and ``disagreements``
    (convention -> first keys that disagree).
    """
    from tqdm import tqdm

    agree = dict.fromkeys(CONVENTIONS, 0)
    by_side = {s: {"n": 0, **dict.fromkeys(CONVENTIONS, 0)} for s in ("left", "right")}
    disagree: dict[str, list[str]] = {c: [] for c in CONVENTIONS}
    n_unilateral = n_ties = 0
    unreadable: list[str] = []
    for sample in tqdm(samples, desc="laterality", unit="mask", disable=not progress):
        side = named_side(sample.text)
        if side is None:
            continue
        n_unilateral += 1
        try:
            left, right = half_masses(load_mask(sample.mask))
        except (OSError, ValueError):  # one bad file should not hide the answer for the rest
            unreadable.append(str(sample.mask))
            continue
        if left == right:
            n_ties += 1
            continue
        heavier = "left" if left > right else "right"
        # radiological: the patient's left lung is drawn on the image's right half.
        expected = {"radiological": "right" if side == "left" else "left", "viewer": side}
        by_side[side]["n"] += 1
        for conv in CONVENTIONS:
            if expected[conv] == heavier:
                agree[conv] += 1
                by_side[side][conv] += 1
            elif len(disagree[conv]) < MAX_EXAMPLES:
                disagree[conv].append(sample.key)

    n = sum(v["n"] for v in by_side.values())
    agreement = {c: (agree[c] / n if n else None) for c in CONVENTIONS}
    recommended = None
    if n and agree["radiological"] != agree["viewer"]:
        recommended = max(CONVENTIONS, key=lambda c: agree[c])
    return {
        "n_samples": len(samples),
        "n_unilateral": n_unilateral,
        "n_compared": n,
        "n_ties": n_ties,
        "unreadable": unreadable,
        "agreement": agreement,
        "by_side": {
            s: {c: (v[c] / v["n"] if v["n"] else None) for c in CONVENTIONS} | {"n": v["n"]}
            for s, v in by_side.items()
        },
        "recommended": recommended,
        "disagreements": disagree,
    }


def format_report(report: dict) -> str:
    """The report as a small plain-text table."""

    def pct(x: float | None) -> str:
        return "   n/a" if x is None else f"{100 * x:5.1f}%"

    lines = [
        f"rows              {report['n_samples']}",
        f"unilateral rows   {report['n_unilateral']} (compared {report['n_compared']}, "
        f"equal halves {report['n_ties']}, unreadable masks {len(report['unreadable'])})",
        "",
        "convention     agreement   left-named  right-named",
    ]
    for conv in CONVENTIONS:
        left, right = report["by_side"]["left"][conv], report["by_side"]["right"][conv]
        lines.append(
            f"{conv:<14} {pct(report['agreement'][conv]):>9}   {pct(left):>10}  {pct(right):>11}"
        )
    lines.append("")
    lines.append(
        f"recommended convention: {report['recommended'] or 'undetermined (no evidence either way)'}"
    )
    return "\n".join(lines)
