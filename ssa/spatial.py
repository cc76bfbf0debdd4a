"""Location words in clinical text -> lung regions -> soft guidance masks.

The parser reads the QaTa-COV19 / MosMedData+ template ("Bilateral pulmonary infection, two
infected areas, all left lung and upper middle right lung.") and common report words (base,
apices, lingula, right middle lobe, perihilar, RUL, ...). It is a word-level tokenizer, a
small lexicon and a handful of binding rules; every step is linear in the text length and
nothing in it can raise on a ``str``.

Parsing rules:

1. Clauses end at ``, ; . : ! ?`` and line breaks (not at the decimal point of "2.5").
2. A clause is split again at a connector ("and", "&", "with", "plus") when the part before
   it is a complete location (a side plus a zone or a lung noun) and a side is still named
   after it: "upper left lung and lower right lung" splits, "upper and lower left lung" and
   "right and left lower lobes" do not. Each piece is a *segment*.
3. Inside a segment every zone binds to every side; a side without a zone means all zones.
   Self-contained words ("lingula", "bibasilar", "RUL", "retrocardiac") carry their own side
   and zone and do not bind to their neighbours.
4. "bilateral" on its own (no zone in its segment, e.g. "Bilateral pulmonary infection") is
   *weak*: it counts only when the text names no other location. "unilateral" names no side.
   "both" and "all" count only before a location word ("both lungs", "all left lung").
5. A segment with zones but no side is resolved against the whole text, in this order:
   "middle lobe" -> right (only the right lung has one); inherently paired words ("apices",
   "bases", "perihilar", "lungs", a single-zone "lobes") -> both sides; exactly one side
   named elsewhere -> that side; "bilateral"/"both" anywhere -> both sides; otherwise the zone
   is dropped (no side, no constraint).
6. Simple negation: location words after "no / not / without / negative / sparing" or before
   "clear / normal / unremarkable / spared" in the same segment are ignored, so "no effusion
   in the right lung" does not point at the right lung. "No change in the left lower lobe"
   is a known false negative.

Known limitations: "left"/"right" are read as sides wherever they occur ("the patient left");
after a split, a sideless zone binds forward ("left upper lobe and lower lobe and right lung"
puts the lower lobe on the right); a zone word is a zone even outside the lungs ("upper
abdomen").

Masks: zones are thirds of the lung band on a frontal X-ray (image rows, soft edges); on an
axial CT slice only the side constrains the plane. ``convention`` maps the patient's side to
image columns ("radiological": patient left = image right).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

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
class _Lex:
    """What one word means for location."""

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


def _lexicon() -> dict[str, _Lex]:
    left, right = frozenset({"left"}), frozenset({"right"})
    up, mid, low = (frozenset({z}) for z in ZONES)
    lex: dict[str, _Lex] = {"left": _Lex(sides=left), "right": _Lex(sides=right)}
    lex.update(dict.fromkeys(("bilateral", "bilaterally", "bilat"), _Lex(sides=_BOTH, weak=True)))
    lex["both"] = _Lex(sides=_BOTH, cond=True)
    lex.update(dict.fromkeys(("all", "entire", "whole"), _Lex(zones=_ALL, cond=True)))
    lex.update(dict.fromkeys(("upper", "superior", "apical", "apically"), _Lex(zones=up)))
    lex.update(dict.fromkeys(("middle", "mid"), _Lex(zones=mid)))
    lex.update(dict.fromkeys(("lower", "inferior", "basal", "basally", "basilar"), _Lex(zones=low)))
    lex["apex"] = _Lex(zones=up, noun=True)
    lex["apices"] = _Lex(zones=up, noun=True, pair=1)
    lex["base"] = _Lex(zones=low, noun=True)
    lex["bases"] = _Lex(zones=low, noun=True, pair=1)
    lex.update(dict.fromkeys(("midlung", "midzone"), _Lex(zones=mid, noun=True)))
    lex.update(
        dict.fromkeys(("midzones", "perihilar", "parahilar"), _Lex(zones=mid, noun=True, pair=1))
    )
    for word in ("lung", "lobe", "lobar", "hemithorax", "field", "zone"):
        lex[word] = _Lex(noun=True)
    lex.update(dict.fromkeys(("lungs", "hemithoraces"), _Lex(noun=True, pair=1)))
    lex.update(dict.fromkeys(("lobes", "fields", "zones"), _Lex(noun=True, pair=2)))
    fixed = {
        ("lingula", "lingular"): (left, mid),
        ("retrocardiac",): (left, low),
        ("bibasilar", "bibasal", "bibasally"): (_BOTH, low),
        ("biapical", "biapically"): (_BOTH, up),
        ("rul",): (right, up),
        ("rml",): (right, mid),
        ("rll",): (right, low),
        ("lul",): (left, up),
        ("lll",): (left, low),
    }
    for words, (sides, zones) in fixed.items():
        lex.update(dict.fromkeys(words, _Lex(sides=sides, zones=zones, noun=True)))
    return lex


_LEX = _lexicon()
_CONNECTORS = frozenset({"and", "&", "with", "plus"})
_PRE_NEG = frozenset({"no", "not", "without", "negative", "sparing"})
_POST_NEG = frozenset({"clear", "normal", "unremarkable", "spared"})
_SKIP = frozenset({"the", "of"})  # "both of the lungs", "all of the left lung"
# A clause ends at , ; . : ! ? or a line break, but not at the "." / "," inside "2.5" or "1,000".
_DELIM_RE = re.compile(r"[;:!?\n\r]|(?<!\d)[.,]|[.,](?!\d)")
_WORD_RE = re.compile(r"[^\W\d_]+|\d+|&")  # letter runs, digit runs, "&"
_LOC_WORDS = frozenset(_LEX)
# Word sets that let the common clause skip a pass (a 100k-character prompt stays fast).
_COND_WORDS = frozenset(w for w, lex in _LEX.items() if lex.cond)
_NEG_WORDS = _PRE_NEG | _POST_NEG


@dataclass(slots=True)
class Segment:
    """A piece of text between delimiters/split connectors, with what it says about location.

    ``start:end`` is the unstripped character span in the original text; ``words`` its
    lower-cased words. ``locational`` is True when the segment names a location (a zone, a side
    other than a bare "bilateral", a self-contained word) outside a negation; ``regions`` are
    the regions it contributes to the whole text's parse (sideless zones already resolved
    against the rest of the text, a bare "bilateral" already dropped when it does not count).
    """

    start: int
    end: int
    words: tuple[str, ...]
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


def _resolve_conditionals(words: list[str], lexes: list[_Lex | None]) -> None:
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
    words: list[str], lexes: list[_Lex | None], spans: list[tuple[int, int]], start: int, end: int
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


def _analyse(seg: Segment, words: list[str], lexes: list[_Lex | None]) -> None:
    """Bind zones to sides inside one segment (rules 3, 4, 6); sideless zones wait for rule 5."""
    lo, hi = -1, len(words)  # location words count only strictly between the negations
    if not _NEG_WORDS.isdisjoint(words):
        for i, word in enumerate(words):
            if word in _PRE_NEG and hi == len(words):
                hi = i
            elif word in _POST_NEG:
                lo = i
    sides: set[str] = set()
    zones: set[str] = set()
    regions: list[Region] = []
    strong_side = pair1 = pair2 = middle_lobe = False
    for i in range(lo + 1, hi):
        lex = lexes[i]
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
    if sides:
        seg.weak = not (strong_side or zones or regions)
        regions += [_region(s, frozenset(zones) or _ALL) for s in sorted(sides)]
    elif zones:
        seg.zones_wanting_side = frozenset(zones)
        if middle_lobe and zones == {"middle"}:
            seg.side_hint = frozenset({"right"})
        elif pair1 or (pair2 and len(zones) <= 1):
            seg.side_hint = _BOTH
    seg.regions = tuple(regions)


def _clause_segments(text: str, start: int, end: int) -> list[Segment]:
    """The segments of one clause ``text[start:end]`` (rules 2-4, 6)."""
    words = [w.lower() for w in _WORD_RE.findall(text, start, end)]
    if not words:
        return []
    if _LOC_WORDS.isdisjoint(words):  # the common case: nothing to bind, no spans needed
        return [Segment(start, end, tuple(words))]
    spans = [m.span() for m in _WORD_RE.finditer(text, start, end)]
    lexes = [_LEX.get(w) for w in words]
    if not _COND_WORDS.isdisjoint(words):
        _resolve_conditionals(words, lexes)
    pieces = [(start, end, 0, len(words))]
    if not _CONNECTORS.isdisjoint(words):
        pieces = _split(words, lexes, spans, start, end)
    segments = []
    for s_start, s_end, i0, i1 in pieces:
        seg = Segment(s_start, s_end, tuple(words[i0:i1]))
        _analyse(seg, words[i0:i1], lexes[i0:i1])
        segments.append(seg)
    return segments


def analyse_segments(text: str) -> list[Segment]:
    """Split ``text`` into segments and resolve the regions each one contributes.

    The shared core of :func:`parse_locations` and ``ssa.expressions``: clauses (rule 1), then
    segments (rule 2), then the text-level rules 4 and 5. Segments without a word are left out.
    Never raises on a ``str``; linear in ``len(text)``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    segments: list[Segment] = []
    start = 0
    for m in _DELIM_RE.finditer(text):
        segments += _clause_segments(text, start, m.start())
        start = m.end()
    segments += _clause_segments(text, start, len(text))
    # Rule 5: sideless zones look at what the rest of the text names.
    named = {r.side for s in segments if not s.weak for r in s.regions}
    bilateral = any(s.bilateral for s in segments)
    for seg in segments:
        if not seg.zones_wanting_side:
            continue
        sides = seg.side_hint
        if not sides and len(named) == 1:
            sides = frozenset(named)
        elif not sides and bilateral:
            sides = _BOTH
        seg.regions = tuple(_region(s, seg.zones_wanting_side) for s in sorted(sides))
    # Rule 4: a bare "bilateral" only speaks when nothing else does.
    if any(s.regions and not s.weak for s in segments):
        for seg in segments:
            if seg.weak:
                seg.regions = ()
    return segments


def _merge(regions: Sequence[Region]) -> list[Region]:
    """At most one region per side, zones unioned, left before right."""
    by_side: dict[str, frozenset[str]] = {}
    for r in regions:
        by_side[r.side] = by_side.get(r.side, _NONE) | r.zones
    return [_region(s, by_side[s]) for s in SIDES if s in by_side]


def parse_locations(text: str) -> list[Region]:
    """The regions ``text`` names, merged per side and sorted left then right (module rules).

    "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right
    lung." -> [Region("left", {upper, middle, lower}), Region("right", {upper, middle})].
    Text without a location gives ``[]``; never raises on a ``str``.
    """
    return _merge([r for seg in analyse_segments(text) for r in seg.regions])


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


_SIDE_WORD_RE = re.compile(r"(?<![^\W\d_])([Ll][Ee][Ff][Tt]|[Rr][Ii][Gg][Hh][Tt])(?![^\W\d_])")


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


def swap_sides(text: str) -> str:
    """Swap the words "left" <-> "right" keeping their case (Left -> Right, LEFT -> RIGHT).

    Used with horizontal flips. Only the two words are swapped: self-contained words that
    imply a side ("lingula", "retrocardiac", "RUL"/"LLL") are left as they are, a documented
    limitation. Round-trips exactly for lower, Title and UPPER case.
    """

    def repl(m: re.Match[str]) -> str:
        word = m.group()
        return _with_case("right" if word.lower() == "left" else "left", word)

    return _SIDE_WORD_RE.sub(repl, text)
