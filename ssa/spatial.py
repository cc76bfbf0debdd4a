"""Location words in clinical text -> lung regions -> soft guidance masks.

:func:`parse_locations` reads a text as a report (:func:`ssa.report.read_report`: sections,
sentences, negation, devices, surgical history, anatomy landmarks, hedges) and gives the
regions of the sentences it uses; the report reader binds the location words that count to
sides and zones with the lexicon and the binding rules of :mod:`ssa.location_words` (the
phrase level, below the reader; its names -- ``Region``, ``ZONES``, ``LEXICON``,
``segment_span``, ... -- are re-exported here). This module is the layer above both: regions,
their masks (:func:`region_mask`, :func:`guidance_mask`) and the side swap of a flipped
image's text (:func:`swap_sides`). Every step is linear in the text length and nothing in it
can raise on a ``str``.

Masks: zones are thirds of the lung band on a frontal X-ray (image rows, soft edges); on an
axial CT slice only the side constrains the plane. ``convention`` maps the patient's side to
image columns ("radiological": patient left = image right).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

import ssa.report  # called as ssa.report.read_report: one reader to patch or count
from ssa.laterality import SIDES, check_convention, check_modality, side_columns
from ssa.location_words import (
    FIXED_WORDS,
    LEXICON,
    LOCATION_WORDS,
    WORD_RE,
    ZONES,
    LocationWord,
    Region,
    Segment,
    merge_regions,
    resolve_segments,
    segment_span,
)

__all__ = [
    "FIXED_WORDS",
    "LEXICON",
    "LOCATION_WORDS",
    "SIDES",
    "WORD_RE",
    "ZONES",
    "ZONE_MARGIN",
    "LocationWord",
    "Region",
    "Segment",
    "check_convention",
    "check_modality",
    "guidance_mask",
    "merge_regions",
    "parse_locations",
    "region_mask",
    "resolve_segments",
    "segment_span",
    "side_columns",
    "swap_sides",
]

ZONE_MARGIN = 0.04  # soft-edge ramp, fraction of H: lesions cross zone borders a little

_merge = merge_regions  # the name the masks below use


def parse_locations(text: str) -> list[Region]:
    """The regions ``text`` locates a finding in, merged per side, left then right.

    ``text`` is read as a report (:func:`ssa.report.read_report`): only sentences that state a
    finding (or are bare location phrases such as "upper left lung") give regions, and words
    that are negated, belong to a device, a line, surgical history or an anatomy landmark do
    not count. "Bilateral pulmonary infection, two infected areas, all left lung and upper
    middle right lung." -> [Region("left", {upper, middle, lower}), Region("right", {upper,
    middle})]. Text without a location gives ``[]``; never raises on a ``str``.
    """
    return list(ssa.report.read_report(text).regions)


# ---------------------------------------------------------------------------- masks


def _check(convention: str, modality: str | None = None) -> None:
    check_convention(convention)
    if modality is not None:
        check_modality(modality)


def _zone_rows(zones: frozenset[str], height: int, lung_band: tuple[float, float]) -> np.ndarray:
    """Row profile [H] of the named thirds of the lung band: 1 inside, linear ramp outside."""
    top, bottom = lung_band[0] * height, lung_band[1] * height
    third = (bottom - top) / 3.0
    margin = max(ZONE_MARGIN * height, 1e-6)
    y = np.arange(height, dtype=np.float64) + 0.5  # pixel centres
    profile = np.zeros(height, dtype=np.float64)
    for k, zone in enumerate(ZONES):
        if zone in zones:
            lo, hi = top + k * third, top + (k + 1) * third
            dist = np.maximum(np.maximum(lo - y, y - hi), 0.0)
            profile = np.maximum(profile, np.clip(1.0 - dist / margin, 0.0, 1.0))
    return profile


def region_mask(
    regions: Sequence[Region],
    size: tuple[int, int],
    convention: str = "radiological",
    modality: str = "xray",
    lung_band: tuple[float, float] = (0.1, 0.9),
) -> np.ndarray:
    """Soft mask (float32 [H, W] in [0, 1]) of the union of ``regions``; all ones if empty.

    X-ray: zone rows (thirds of ``lung_band``, soft edges) x the side's half of the columns.
    The midline edge is sharp, so a one-side mask has all its mass in the named half.
    CT: an axial slice has no upper/lower in-plane, so only the side's half is marked.
    """
    _check(convention, modality)
    height, width = (int(v) for v in size)
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be two positive ints (H, W), got {size!r}")
    band = (float(lung_band[0]), float(lung_band[1]))
    if not 0.0 <= band[0] < band[1] <= 1.0:
        raise ValueError(f"lung_band must satisfy 0 <= top < bottom <= 1, got {lung_band!r}")
    if not regions:
        return np.ones((height, width), dtype=np.float32)
    mask = np.zeros((height, width), dtype=np.float32)
    for region in _merge(regions):
        cols = side_columns(region.side, width, convention)
        if modality == "ct":
            mask[:, cols] = 1.0
        else:
            rows = _zone_rows(region.zones, height, band).astype(np.float32)
            mask[:, cols] = np.maximum(mask[:, cols], rows[:, None])
    return mask


def guidance_mask(
    text: str,
    size: tuple[int, int],
    convention: str = "radiological",
    modality: str = "xray",
    lung_band: tuple[float, float] = (0.1, 0.9),
) -> np.ndarray:
    """``region_mask(parse_locations(text), ...)``: all ones when the text names no location."""
    _check(convention, modality)  # fail on a bad option before spending time on the text
    return region_mask(parse_locations(text), size, convention, modality, lung_band)


# ------------------------------------------------------------------------- side swap

# A horizontal flip mirrors the patient: every word with a side is written with the other
# side. Words with a twin swap with it; the others are written as a self-contained word of
# the mirrored side and zone, so they keep binding nothing (rule 3 of ssa.location_words)
# after the swap.
_MIRROR_WORDS = {
    "left": "right", "right": "left",
    "rul": "lul", "lul": "rul", "rll": "lll", "lll": "rll",
    "rml": "lingula",  # (right, middle) -> (left, middle)
    "lingula": "rml", "lingular": "rml",  # (left, middle) -> (right, middle)
    "retrocardiac": "rll",  # (left, lower) -> (right, lower): "behind the heart" has no twin
}
_ABBREVIATIONS = frozenset({"rul", "lul", "rll", "lll", "rml"})
_SWAP_RE = re.compile(
    r"(?<![^\W\d_])(" + "|".join(sorted(_MIRROR_WORDS, key=len, reverse=True)) + r")(?![^\W\d_])",
    re.IGNORECASE,
)
# A sideless "middle lobe" means the right one (rule 5 of ssa.location_words); mirrored it
# is the lingula.
_MIDDLE_LOBE_RE = re.compile(r"(?<![^\W\d_])(?:middle|mid)[\s-]*lobes?(?![^\W\d_])", re.IGNORECASE)


def _with_case(word: str, pattern: str) -> str:
    if pattern.isupper():
        return word.upper()
    if pattern[0].isupper() and pattern[1:].islower():
        return word.capitalize()
    if pattern.islower():
        return word
    # mixed case: copy letter by letter, extra letters follow the last one
    cases = [c.isupper() for c in pattern] + [pattern[-1].isupper()] * len(word)
    return "".join(c.upper() if up else c for c, up in zip(word, cases))


def _mirror_word(word: str) -> str:
    """The mirrored word in ``word``'s case style. Abbreviations are written upper-case
    unless the original was all lower-case ("retrocardiac" -> "rll", "Retrocardiac" -> "RLL");
    a word that replaces an abbreviation is lower-case unless the abbreviation was not upper
    ("RML" -> "lingula", "Rml" -> "Lingula")."""
    low = word.lower()
    new = _MIRROR_WORDS[low]
    if new in _ABBREVIATIONS and low not in _ABBREVIATIONS:
        return new if word.islower() else new.upper()
    if low in _ABBREVIATIONS and new not in _ABBREVIATIONS:
        return new if word.isupper() else _with_case(new, word)
    return _with_case(new, word)


def _sideless_middle_lobes(text: str) -> list[tuple[int, int]]:
    """Spans of each "middle lobe" that stands for the right one only through rule 5
    (:mod:`ssa.location_words`)."""
    if "mid" not in text.lower():
        return []
    spans = []
    for sentence in ssa.report.read_report(text).sentences:
        for seg in sentence.segments:
            if seg.side_hint == {"right"}:
                spans += [m.span() for m in _MIDDLE_LOBE_RE.finditer(text, seg.start, seg.end)]
    return spans


def swap_sides(text: str) -> str:
    """``text`` as it reads for the horizontally flipped image, case kept (Left -> Right).

    Every side-bearing word is mirrored, so ``parse_locations(swap_sides(t))`` is the mirror
    of ``parse_locations(t)``: "left" <-> "right", RUL <-> LUL, RLL <-> LLL; words without a
    twin become a self-contained word of the mirrored side and zone: "lingula"/"lingular" ->
    "RML", "RML" -> "lingula", "retrocardiac" -> "RLL", and a "middle lobe" with no side of
    its own (the right one) -> "lingula". Plain left/right text round-trips exactly for
    lower, Title and UPPER case; the words without a twin do not come back as themselves.
    Used with horizontal flips (``ssa.data.augment.hflip``). Linear time.
    """
    edits = [(m.start(), m.end(), _mirror_word(m.group())) for m in _SWAP_RE.finditer(text)]
    middle = _sideless_middle_lobes(text)
    if middle:
        edits += [(s, e, _with_case("lingula", text[s : s + 3])) for s, e in middle]
        edits.sort()
    out, pos = [], 0
    for start, end, new in edits:
        out += [text[pos:start], new]
        pos = end
    out.append(text[pos:])
    return "".join(out)
