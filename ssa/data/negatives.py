"""Negative cases: a text about a place that holds no lesion, target an empty mask.

Every QaTa-COV19 image has a lesion and every caption names one, so a model trained on them
alone never learns to answer "nothing there". Three kinds of negatives, all from real images:

* **wrong side** (:func:`derive_wrong_side`): a case whose text names one side only and whose
  mask has no lesion on the other side of the patient's midline, asked about that other side
  ("... lower right lung." for a left-only lesion). *Decided from the mask, not the text*:
  the midline is the mask's lesion valley (:func:`ssa.data.referring.find_midline`) and the
  other half must hold at most :data:`EMPTY_SHARE` of the image (25 pixels at 224 px), so a
  caption whose side is wrong (its lesion lies on the side it does not name) gives no case.
* **empty zone** (:func:`derive_empty_zones`): on a side that has a lesion, a zone the text does
  not name and the mask leaves empty, widened by :data:`ZONE_SAFETY` of a zone's height above
  and below (a lesion at a zone's edge keeps that zone out). The zones are the thirds of the
  model's lung band, the same rows the guidance masks use; captions' own zones are not trusted
  (a fifth to a quarter of QaTa's lesion mass lies outside the zones its captions name), the
  mask is. At most one such case per image.
* **healthy lungs** (:func:`healthy_cases`): real normal chest X-rays (:mod:`ssa.data.normals`)
  with report-style and referring texts naming any sides and zones.

A negative :class:`Sample` has ``mask=None``: an empty target of the image's size.
Texts must be in the model's convention (:mod:`ssa.data.text_convention`) before deriving.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ssa.data.masks import load_mask
from ssa.data.referring import TEMPLATES, find_midline, referring_text
from ssa.data.samples import Sample
from ssa.laterality import image_half, other_side
from ssa.spatial import SIDES, ZONES, Region, parse_locations

EMPTY_SHARE = 0.0005  # a half or zone with at most this share of the image in lesion is empty
ZONE_SAFETY = 1 / 3  # widen a zone by this share of its height on each side before calling it empty
KINDS = ("wrong_side", "empty_zone", "healthy")

_COUNT = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}

# Texts asked of healthy images besides located captions (training picks among them).
GENERIC_TEXTS = (
    "Is there any infection?",
    "Pulmonary infection.",
    "Bilateral pulmonary infection.",
    "Lung opacity.",
    "Bilateral pulmonary infection, upper middle lower left lung and upper middle lower right lung.",
)

# What evaluation asks of every held-out healthy image (fixed, so runs compare).
HEALTHY_EVAL_TEXTS = (
    "Bilateral pulmonary infection, upper middle lower left lung and upper middle lower right lung.",
    "Is there any infection?",
    "Unilateral pulmonary infection, one infected area, lower left lung.",
)


def qata_caption(regions: Sequence[Region]) -> str:
    """A caption in QaTa-COV19's style for ``regions`` (patient sides), left side first:
    "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung."."""
    by_side = sorted(regions, key=lambda r: SIDES.index(r.side))
    n = sum(len(r.zones) for r in by_side)
    extent = "Bilateral" if len(by_side) > 1 else "Unilateral"
    places = " and ".join(f"{' '.join(z for z in ZONES if z in r.zones)} {r.side} lung" for r in by_side)
    return f"{extent} pulmonary infection, {_COUNT[n]} infected area{'' if n == 1 else 's'}, {places}."


def negative(sample: Sample, text: str, kind: str) -> Sample:
    """``sample``'s image with ``text`` and an empty target, keyed ``<key>#<kind>``."""
    return dataclasses.replace(sample, text=text, mask=None, key=f"{sample.key}#{kind}",
                               keep_half=None, midline=None)


def _halves(mask: np.ndarray) -> tuple[int, dict[str, np.ndarray]]:
    mid = find_midline(mask)
    return mid, {"left": mask[:, :mid], "right": mask[:, mid:]}


def derive_wrong_side(
    samples: Sequence[Sample], convention: str, vary_text: bool = False, seed: int = 0, progress: bool = False
) -> list[Sample]:
    """Wrong-side negatives from the ``samples`` whose text names one side (see the module doc).

    The new text names the other side with the same zones, in :data:`ssa.data.referring.TEMPLATES`
    (QaTa's template, or one picked per case when ``vary_text``).
    """
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    out: list[Sample] = []
    for s in tqdm(samples, desc="wrong-side cases", unit="mask", disable=not progress):
        if s.mask is None:
            continue
        regions = parse_locations(s.text)
        if len({r.side for r in regions}) != 1:
            continue
        mask = load_mask(s.mask)
        _, halves = _halves(mask)
        asked = other_side(regions[0].side)
        if halves[image_half(asked, convention)].sum() > EMPTY_SHARE * mask.size or not mask.any():
            continue
        zones = frozenset().union(*(r.zones for r in regions))
        choice = int(rng.integers(len(TEMPLATES))) if vary_text else 0
        out.append(negative(s, referring_text(Region(asked, zones), choice), "wrong_side"))
    return out


def zone_rows(zone: str, height: int, lung_band: tuple[float, float], safety: float = ZONE_SAFETY) -> slice:
    """Rows of ``zone`` (a third of ``lung_band``), widened by ``safety`` of its height each way."""
    top, bottom = lung_band[0] * height, lung_band[1] * height
    third = (bottom - top) / 3.0
    k = ZONES.index(zone)
    lo, hi = top + (k - safety) * third, top + (k + 1 + safety) * third
    return slice(max(0, int(np.floor(lo))), min(height, int(np.ceil(hi))))


def derive_empty_zones(
    samples: Sequence[Sample], convention: str, lung_band: tuple[float, float], vary_text: bool = False,
    seed: int = 0, progress: bool = False,
) -> list[Sample]:
    """Empty-zone negatives (see the module doc): at most one per sample, a zone picked by ``seed``."""
    from tqdm import tqdm

    rng = np.random.default_rng(seed)
    out: list[Sample] = []
    for s in tqdm(samples, desc="empty-zone cases", unit="mask", disable=not progress):
        if s.mask is None:
            continue
        named = {r.side: r.zones for r in parse_locations(s.text)}
        if not named:
            continue
        mask = load_mask(s.mask)
        _, halves = _halves(mask)
        candidates = []
        for side, zones in named.items():
            half = halves[image_half(side, convention)]
            if half.sum() <= EMPTY_SHARE * mask.size:
                continue  # that side is a wrong-side question, not a zone one
            for zone in ZONES:
                if zone not in zones and half[zone_rows(zone, mask.shape[0], lung_band)].sum() <= EMPTY_SHARE * mask.size:
                    candidates.append(Region(side, frozenset({zone})))
        if not candidates:
            continue
        region = candidates[int(rng.integers(len(candidates)))]
        choice = int(rng.integers(len(TEMPLATES))) if vary_text else 0
        out.append(negative(s, referring_text(region, choice), "empty_zone"))
    return out


def random_text(rng: np.random.Generator) -> str:
    """A text for a healthy image: a QaTa-style caption, a referring phrasing, or a generic
    question, naming random sides and zones."""
    kind = rng.integers(3)
    if kind == 2:
        return GENERIC_TEXTS[int(rng.integers(len(GENERIC_TEXTS)))]
    sides = [side for side in SIDES if rng.random() < 0.6] or [SIDES[int(rng.integers(2))]]
    regions = []
    for side in sides:
        zones = frozenset(z for z in ZONES if rng.random() < 0.5) or frozenset({ZONES[int(rng.integers(3))]})
        regions.append(Region(side, zones))
    if kind == 0 or len(regions) > 1:
        return qata_caption(regions)
    return referring_text(regions[0], int(rng.integers(len(TEMPLATES))))


CAPTION_SHARE = 0.6  # share of a healthy image's training texts drawn from the real captions


def healthy_cases(images: Sequence[Path], texts_per_image: int = 1, seed: int = 0,
                  texts: Sequence[str] | None = None, captions: Sequence[str] = ()) -> list[Sample]:
    """Negatives from normal chest X-rays: each image with ``texts`` (all of them, as
    evaluation asks), or with ``texts_per_image`` training texts: :data:`CAPTION_SHARE` of them
    drawn from ``captions`` (the positive cases' own texts), the rest :func:`random_text`.

    Why the captions: a third of QaTa's captions are the same six-zone bilateral sentence, so a
    model whose negatives use other words learns "this sentence means a lesion" (measured: it
    called that sentence present on healthy X-rays, score 0.9-1.0, while its other texts were
    absent). With the positives' texts the words carry no answer; only the image can.
    """
    rng = np.random.default_rng(seed)
    out: list[Sample] = []

    def training_text() -> str:
        if captions and rng.random() < CAPTION_SHARE:
            return captions[int(rng.integers(len(captions)))]
        return random_text(rng)

    for path in images:
        path = Path(path)
        chosen = list(texts) if texts is not None else [training_text() for _ in range(texts_per_image)]
        for j, text in enumerate(chosen):
            out.append(Sample(image=path, mask=None, text=text, modality="xray",
                              key=f"normal/{path.stem}#healthy{j}"))
    return out


def negative_parts(report: Sequence[Sample], normals_root: str | Path | None, split: str, convention: str,
                   lung_band: tuple[float, float], seed: int = 0, vary_text: bool = False,
                   progress: bool = False) -> dict[str, list[Sample]]:
    """A split's negatives by kind (:data:`KINDS`): wrong-side and empty-zone cases from its
    ``report`` cases (texts in the model's convention), and its normal X-rays under
    ``normals_root`` (none without one) asked :data:`HEALTHY_EVAL_TEXTS`, or, with
    ``vary_text`` (training), three random texts each."""
    from ssa.data.normals import read_normal_xrays

    parts = {
        "wrong_side": derive_wrong_side(report, convention, vary_text, seed, progress),
        "empty_zone": derive_empty_zones(report, convention, lung_band, vary_text, seed, progress),
        "healthy": [],
    }
    if normals_root:
        images = read_normal_xrays(normals_root, split, seed=0)
        parts["healthy"] = (healthy_cases(images, texts_per_image=3, seed=seed, captions=[s.text for s in report])
                            if vary_text else healthy_cases(images, texts=HEALTHY_EVAL_TEXTS))
    return parts
