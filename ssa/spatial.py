"""Location words in clinical text -> lung regions -> soft guidance masks.

This module is the phrase level: it reads the QaTa-COV19 / MosMedData+ template ("Bilateral
pulmonary infection, two infected areas, all left lung and upper middle right lung.") and
common report words (base, apices, lingula, right middle lobe, perihilar, hilar, RUL, segment
names, ...) with a word-level tokenizer, a small lexicon and a handful of binding rules. Whole
reports are read by :mod:`ssa.report` (sections, sentences, negation, devices, surgical
history, anatomy landmarks, hedges), which decides which words count and hands the rest back
to the binding here; :func:`parse_locations` is the regions of the sentences it uses. Every
step is linear in the text length and nothing in it can raise on a ``str``.

Binding rules:

1. Clauses end at ``, ; . : ! ?`` and line breaks (not at the decimal point of "2.5").
2. A clause is split again at a connector ("and", "&", "with", "plus") when the part before
   it is a complete location (a side plus a zone or a lung noun) and a side is still named
   after it: "upper left lung and lower right lung" splits, "upper and lower left lung" and
   "right and left lower lobes" do not. Each piece is a *segment*.
3. Inside a segment every zone binds to every side; a side without a zone means all zones.
   Self-contained words ("lingula", "bibasilar", "RUL", "retrocardiac") carry their own side
   and zone and do not bind to their neighbours; a side that only repeats theirs adds no
   zones ("left retrocardiac" is the left lower zone, not the whole left lung). "superior" /
   "inferior" before "segment" or a lobe's own word name a segment, not a zone: "superior
   segment of the left lower lobe" is the left lower zone.
4. "bilateral" on its own (no zone in its segment, e.g. "Bilateral pulmonary infection") is
   *weak*: it counts only when its sentence names no other location (the caption's "Bilateral
   pulmonary infection, two infected areas, upper left lung and lower right lung" is the two
   areas named). "unilateral" names no side. "both" and "all" count only before a location
   word ("both lungs", "all left lung").
5. A segment with zones but no side is resolved in this order: inherently paired words
   ("apices", "bases", "perihilar", "lungs", a single-zone "lobes") -> both sides; "middle
   lobe" -> right (only the right lung has one; this counts as naming the right side for the
   steps below); exactly one side named in the same sentence; exactly one side named in the
   whole text; "bilateral"/"both" anywhere -> both sides; otherwise the zone is dropped (no
   side, no constraint).
6. Words the report reader sets aside (negated, devices and lines, surgical history, anatomy
   landmarks, sentences without a finding; see :mod:`ssa.report`) are read as plain words:
   they name no location and take part in none of the rules above.

Known limitations: after a split, a sideless zone binds forward ("left upper lobe and lower
lobe and right lung" puts the lower lobe on the right); a zone word is a zone even outside the
lungs unless the report reader knows the organ ("upper abdomen", "lower SVC" and "upper
extremity" are set aside as anatomy; an organ missing from its list is not).

Masks: zones are thirds of the lung band on a frontal X-ray (image rows, soft edges); on an
axial CT slice only the side constrains the plane. ``convention`` maps the patient's side to
image columns ("radiological": patient left = image right).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ssa.laterality import SIDES, check_convention, check_modality, side_columns

ZONES = ("upper", "middle", "lower")
ZONE_MARGIN = 0.04  # soft-edge ramp, fraction of H: lesions cross zone borders a little

_ALL = frozenset(ZONES)
_BOTH = frozenset(SIDES)
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Region:
    """One side of the patient and the zones named on it."""

    side: str  # "left" | "right": the PATIENT's side
    zones: frozenset[str]  # non-empty subset of {"upper", "middle", "lower"}

    def __post_init__(self) -> None:
        zones = frozenset(self.zones)  # accept any iterable, store a frozenset
        if self.side not in SIDES:
            raise ValueError(f"Region.side must be one of {SIDES}, got {self.side!r}")
        if not zones or not zones <= _ALL:
            raise ValueError(
                f"Region.zones must be a non-empty subset of {ZONES}, got {self.zones!r}"
            )
        object.__setattr__(self, "zones", zones)


@dataclass(frozen=True)
class LocationWord:
    """What one word of :data:`LEXICON` means for location."""

    sides: frozenset[str] = _NONE
    zones: frozenset[str] = _NONE
    noun: bool = False  # a lung part ("lung", "lobe"): completes a location phrase
    pair: int = 0  # 1: used without a side it means both sides; 2: same, if <= 1 zone is named
    weak: bool = False  # "bilateral": a side only when nothing else locates the text
    cond: bool = False  # "both" / "all": counts only when a location word follows

    @property
    def fixed(self) -> bool:
        """Self-contained words ("lingula", "RUL") carry both their side and their zone."""
        return bool(self.sides and self.zones and not self.cond)

    @property
    def located(self) -> bool:
        return bool(self.sides or self.zones or self.noun)


def _lexicon() -> dict[str, LocationWord]:
    left, right = frozenset({"left"}), frozenset({"right"})
    up, mid, low = (frozenset({z}) for z in ZONES)
    W = LocationWord
    lex: dict[str, LocationWord] = {"left": W(sides=left), "right": W(sides=right)}
    lex.update(dict.fromkeys(("bilateral", "bilaterally", "bilat"), W(sides=_BOTH, weak=True)))
    lex["both"] = W(sides=_BOTH, cond=True)
    lex.update(dict.fromkeys(("all", "entire", "whole"), W(zones=_ALL, cond=True)))
    lex.update(dict.fromkeys(("upper", "superior", "apical", "apically", "apicoposterior",
                              "suprahilar"), W(zones=up)))
    lex.update(dict.fromkeys(("middle", "mid", "hilar", "paracardiac"), W(zones=mid)))
    lex.update(dict.fromkeys(("lower", "inferior", "basal", "basally", "basilar", "subpulmonic",
                              "posterobasal", "anterobasal", "laterobasal", "mediobasal"),
                             W(zones=low)))
    lex["infrahilar"] = W(zones=mid | low)  # just below the hilum: where the two zones meet
    lex["apex"] = W(zones=up, noun=True)
    lex["apices"] = W(zones=up, noun=True, pair=1)
    lex["base"] = W(zones=low, noun=True)
    lex["bases"] = W(zones=low, noun=True, pair=1)
    lex.update(dict.fromkeys(("midlung", "midzone", "hilum"), W(zones=mid, noun=True)))
    lex.update(dict.fromkeys(("midzones", "perihilar", "parahilar", "hila"),
                             W(zones=mid, noun=True, pair=1)))
    for word in ("lung", "lobe", "lobar", "hemithorax", "field", "zone"):
        lex[word] = W(noun=True)
    lex.update(dict.fromkeys(("lungs", "hemithoraces"), W(noun=True, pair=1)))
    lex.update(dict.fromkeys(("lobes", "fields", "zones"), W(noun=True, pair=2)))
    for words, (sides, zones) in FIXED_WORDS.items():
        lex.update(dict.fromkeys(words, W(sides=sides, zones=zones, noun=True)))
    return lex


# Self-contained words: their own side and zone (rule 3). swap_sides mirrors each of them.
FIXED_WORDS: dict[tuple[str, ...], tuple[frozenset[str], frozenset[str]]] = {
    ("lingula", "lingular"): (frozenset({"left"}), frozenset({"middle"})),
    ("retrocardiac",): (frozenset({"left"}), frozenset({"lower"})),
    ("bibasilar", "bibasal", "bibasally"): (_BOTH, frozenset({"lower"})),
    ("biapical", "biapically"): (_BOTH, frozenset({"upper"})),
    ("rul",): (frozenset({"right"}), frozenset({"upper"})),
    ("rml",): (frozenset({"right"}), frozenset({"middle"})),
    ("rll",): (frozenset({"right"}), frozenset({"lower"})),
    ("lul",): (frozenset({"left"}), frozenset({"upper"})),
    ("lll",): (frozenset({"left"}), frozenset({"lower"})),
}
LEXICON: Mapping[str, LocationWord] = MappingProxyType(_lexicon())
LOCATION_WORDS = frozenset(LEXICON)
WORD_RE = re.compile(r"[^\W\d_]+|\d+|&")  # the tokenizer: letter runs, digit runs, "&"
_CONNECTORS = frozenset({"and", "&", "with", "plus"})
_SKIP = frozenset({"the", "of"})  # "both of the lungs", "all of the left lung"
# A clause ends at , ; . : ! ? or a line break, but not at the "." / "," inside "2.5" or "1,000".
_DELIM_RE = re.compile(r"[;:!?\n\r]|(?<!\d)[.,]|[.,](?!\d)")
# Word sets that let the common clause skip a pass (a 100k-character prompt stays fast).
_COND_WORDS = frozenset(w for w, lex in LEXICON.items() if lex.cond)
# Rule 3: "superior segment of the LLL", "inferior lingula": a segment of a lobe, not a zone.
_SEGMENT_ZONE_WORDS = frozenset({"superior", "inferior"})
_SEGMENT_WORDS = frozenset({"segment", "segments", "segmental"}) | frozenset(
    w for words in FIXED_WORDS for w in words
)


@dataclass(slots=True)
class Segment:
    """A piece of text between delimiters/split connectors, with what it says about location.

    ``start:end`` is the unstripped character span in the original text; ``words`` its
    lower-cased words; ``group`` the sentence it belongs to (rule 5). ``locational`` is True
    when the segment names a location (a zone, a side other than a bare "bilateral", a
    self-contained word) with the words that count; ``regions`` are the regions it contributes
    to the whole text's parse once :func:`resolve_segments` has run (sideless zones resolved
    against the rest of the text, a bare "bilateral" dropped when it does not count).
    """

    start: int
    end: int
    words: tuple[str, ...]
    group: int = 0
    locational: bool = False
    regions: tuple[Region, ...] = ()
    zones_wanting_side: frozenset[str] = _NONE  # rule 5: sideless zones
    side_hint: frozenset[str] = _NONE  # rule 5: the side the segment itself implies
    weak: bool = False  # only a bare "bilateral": dropped when anything else is located
    bilateral: bool = False  # one word names both sides ("bilateral", "both", "bibasilar")


_REGIONS: dict[tuple[str, frozenset[str]], Region] = {}


def _region(side: str, zones: frozenset[str]) -> Region:
    """Shared Region instances: only 14 exist, and validating each new one is the hot path."""
    key = (side, zones)
    region = _REGIONS.get(key)
    if region is None:
        region = _REGIONS[key] = Region(side, zones)
    return region


def _resolve_conditionals(words: list[str], lexes: list[LocationWord | None]) -> None:
    """Drop "both"/"all" unless a location word follows (after at most two "the"/"of")."""
    n = len(words)
    for i, lex in enumerate(lexes):
        if lex is None or not lex.cond:
            continue
        j = i + 1
        while j < n and j <= i + 2 and words[j] in _SKIP:
            j += 1
        nxt = lexes[j] if j < n else None
        if nxt is None or nxt.cond or not nxt.located:
            lexes[i] = None


def _split(
    words: list[str], lexes: list[LocationWord | None], spans: list[tuple[int, int]], start: int,
    end: int,
) -> list[tuple[int, int, int, int]]:
    """Split a clause at connectors between two complete locations (rule 2), in linear time.

    Returns ``(char_start, char_end, first_word, end_word)`` per piece.
    """
    n = len(words)
    side_after = [False] * (n + 1)  # side_after[i]: a side word among words[i:]
    for i in range(n - 1, -1, -1):
        lex = lexes[i]
        side_after[i] = side_after[i + 1] or bool(lex is not None and lex.sides)
    pieces, piece_start, first = [], start, 0
    has_side = has_place = False
    for i, word in enumerate(words):
        if word in _CONNECTORS:
            if has_side and has_place and side_after[i + 1]:
                pieces.append((piece_start, spans[i][0], first, i))
                piece_start, first, has_side, has_place = spans[i][1], i + 1, False, False
            continue
        lex = lexes[i]
        if lex is not None:
            has_side = has_side or bool(lex.sides)
            has_place = has_place or bool(lex.zones or lex.noun)
    pieces.append((piece_start, end, first, n))
    return pieces


def _analyse(seg: Segment, words: list[str], lexes: list[LocationWord | None]) -> None:
    """Bind zones to sides inside one segment (rules 3, 4); sideless zones wait for rule 5."""
    sides: set[str] = set()
    zones: set[str] = set()
    regions: list[Region] = []
    strong_side = pair1 = pair2 = middle_lobe = False
    for i, lex in enumerate(lexes):
        if lex is None:
            continue
        seg.bilateral = seg.bilateral or lex.sides == _BOTH
        if lex.fixed:
            regions += [_region(s, lex.zones) for s in sorted(lex.sides)]
            continue
        sides |= lex.sides
        zones |= lex.zones
        strong_side = strong_side or bool(lex.sides and not lex.weak)
        pair1, pair2 = pair1 or lex.pair == 1, pair2 or lex.pair == 2
        if "middle" in lex.zones and i + 1 < len(words) and words[i + 1] == "lobe":
            middle_lobe = True
    seg.locational = bool(regions or zones or strong_side)
    if sides and not zones and regions and sides <= {r.side for r in regions}:
        pass  # "left retrocardiac", "bilateral bibasilar": the side is the word's own, not all zones
    elif sides:
        seg.weak = not (strong_side or zones or regions)
        regions += [_region(s, frozenset(zones) or _ALL) for s in sorted(sides)]
    elif zones:
        seg.zones_wanting_side = frozenset(zones)
        if pair1 or (pair2 and len(zones) <= 1):
            seg.side_hint = _BOTH
        elif middle_lobe and zones == {"middle"}:
            seg.side_hint = frozenset({"right"})
    seg.regions = tuple(regions)


def _clause_segments(
    text: str, start: int, end: int, ignore: Collection[int], group: int
) -> list[Segment]:
    """The segments of one clause ``text[start:end]`` (rules 2-3, 6)."""
    words = [w.lower() for w in WORD_RE.findall(text, start, end)]
    if not words:
        return []
    if LOCATION_WORDS.isdisjoint(words):  # the common case: nothing to bind, no spans needed
        return [Segment(start, end, tuple(words), group)]
    spans = [m.span() for m in WORD_RE.finditer(text, start, end)]
    lexes = [LEXICON.get(w) for w in words]
    if ignore:  # rule 6: the report reader's set-aside words
        for k, (s, _) in enumerate(spans):
            if s in ignore:
                lexes[k] = None
    if not _SEGMENT_ZONE_WORDS.isdisjoint(words):
        for k in range(len(words) - 1):
            if words[k] in _SEGMENT_ZONE_WORDS and words[k + 1] in _SEGMENT_WORDS:
                lexes[k] = None
    if not _COND_WORDS.isdisjoint(words):
        _resolve_conditionals(words, lexes)
    pieces = [(start, end, 0, len(words))]
    if not _CONNECTORS.isdisjoint(words):
        pieces = _split(words, lexes, spans, start, end)
    segments = []
    for s_start, s_end, i0, i1 in pieces:
        seg = Segment(s_start, s_end, tuple(words[i0:i1]), group)
        _analyse(seg, words[i0:i1], lexes[i0:i1])
        segments.append(seg)
    return segments


def segment_span(
    text: str, start: int = 0, end: int | None = None, ignore: Collection[int] = (), group: int = 0
) -> list[Segment]:
    """The segments of ``text[start:end]`` with their own regions (rules 1-3, 6).

    ``ignore``: character offsets where words start that are to be read as plain words (the
    report reader's set-aside words). ``group``: the sentence number, for rule 5. Sideless
    zones and a bare "bilateral" are left to :func:`resolve_segments`. Segments without a word
    are left out. Linear in the span's length.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    end = len(text) if end is None else end
    segments: list[Segment] = []
    pos = start
    for m in _DELIM_RE.finditer(text, start, end):
        segments += _clause_segments(text, pos, m.start(), ignore, group)
        pos = m.end()
    segments += _clause_segments(text, pos, end, ignore, group)
    return segments


def resolve_segments(segments: list[Segment]) -> list[Segment]:
    """Apply the text-level rules 4 and 5 to ``segments`` (in place; returns them)."""
    named: set[str] = set()
    by_group: dict[int, set[str]] = {}
    for seg in segments:
        sides = {r.side for r in seg.regions} if not seg.weak else set()
        if seg.side_hint == {"right"}:  # "middle lobe" names the right side (rule 5)
            sides.add("right")
        if sides:
            named |= sides
            by_group.setdefault(seg.group, set()).update(sides)
    bilateral = any(s.bilateral for s in segments)
    for seg in segments:
        if not seg.zones_wanting_side:
            continue
        sides = seg.side_hint
        if not sides:
            in_sentence = by_group.get(seg.group, ())
            if len(in_sentence) == 1:
                sides = frozenset(in_sentence)
            elif len(named) == 1:
                sides = frozenset(named)
            elif bilateral:
                sides = _BOTH
        # added to the segment's self-contained words ("RUL and lower zone opacity")
        seg.regions += tuple(_region(s, seg.zones_wanting_side) for s in sorted(sides))
    # Rule 4: a bare "bilateral" only speaks when nothing else in its sentence does.
    located = {s.group for s in segments if s.regions and not s.weak}
    for seg in segments:
        if seg.weak and seg.group in located:
            seg.regions = ()
    return segments


def merge_regions(regions: Iterable[Region]) -> list[Region]:
    """At most one region per side, zones unioned, left before right."""
    by_side: dict[str, frozenset[str]] = {}
    for r in regions:
        by_side[r.side] = by_side.get(r.side, _NONE) | r.zones
    return [_region(s, by_side[s]) for s in SIDES if s in by_side]


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
    from ssa.report import read_report  # lazy: ssa.report is built on this module's binding

    return list(read_report(text).regions)


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
# the mirrored side and zone, so they keep binding nothing (rule 3) after the swap.
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
# A sideless "middle lobe" means the right one (rule 5); mirrored it is the lingula.
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
    """Spans of each "middle lobe" that stands for the right one only through rule 5."""
    if "mid" not in text.lower():
        return []
    from ssa.report import read_report  # lazy: ssa.report is built on this module's binding

    spans = []
    for sentence in read_report(text).sentences:
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
