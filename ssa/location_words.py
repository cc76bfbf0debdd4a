"""Location words in clinical text -> lung regions: the lexicon, the tokenizer, the binding.

This module is the phrase level: it reads the QaTa-COV19 / MosMedData+ template ("Bilateral
pulmonary infection, two infected areas, all left lung and upper middle right lung.") and
common report words (base, apices, lingula, right middle lobe, perihilar, hilar, RUL, segment
names, ...) with a word-level tokenizer (:data:`WORD_RE`), a small lexicon (:data:`LEXICON`)
and a handful of binding rules (:func:`segment_span`, :func:`resolve_segments`). Whole
reports are read by :mod:`ssa.report` (sections, sentences, negation, devices, surgical
history, anatomy landmarks, hedges), which is built on this module: it decides which words
count and hands the rest to the binding here. :mod:`ssa.spatial`, above the report reader,
gives the regions of a text (:func:`ssa.spatial.parse_locations`) and their masks, and
re-exports this module's names. Every step is linear in the text length and nothing in it
can raise on a ``str``; it imports nothing of ``ssa`` but :mod:`ssa.laterality`.

Binding rules:

1. Clauses end at ``, ; . : ! ?`` and line breaks (not at the decimal point of "2.5"), with
   two exceptions where the words before and after the mark name one place. A *topic*: a
   clause of location words only before a colon is the place of what follows it ("Right lung:
   opacity at the base" is the right base, "Bases: patchy opacity on the left" the left
   base), so the colon does not end the clause. An *appositive*: a clause that names a side
   and no zone, then a comma and a clause of location words only that names a zone and no
   side, is one place ("The right lung, lower zone, shows ...", "nodule in the right lung,
   upper lobe").
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
   areas named), or when the sentence says where the finding is worst rather than where it
   is: an emphasis word ("more", "greater", "worse", "predominant", "mainly", "largest",
   "especially", ...; "Bilateral patchy opacities, right lower zone predominant" is both
   lungs, not only the right base). A *side comparison* -- a side after a comparative and a
   preposition, or two sides around "than" ("more on the right", "slightly larger on the
   left", "left greater than right") -- says which side is worse, so the finding is on both:
   it is weak in the same way and gives both sides ("Bilateral effusions, greater on the
   left" is both sides; "Bibasilar opacities, left greater than right" stays the two bases).
   "unilateral" names no side. "both" and "all" count only before a location word ("both
   lungs", "all left lung").
5. A segment with zones but no side is resolved in this order: inherently paired words
   ("apices", "bases", "perihilar", "lungs", a single-zone "lobes") -> both sides; "middle
   lobe" -> right (only the right lung has one; this counts as naming the right side for the
   steps below); exactly one side named in the same sentence; "bilateral"/"both" or a side
   comparison in the same sentence -> both sides ("Right lower lobe opacity. Bilateral
   opacities, lower zone." is both lower zones; "Reticulation, basal predominant, worse on the
   right" both bases); exactly one side named in the whole text; "bilateral"/"both" anywhere
   -> both sides; otherwise the zone is dropped (no side, no constraint).
6. Words the report reader sets aside (negated, devices and lines, surgical history, anatomy
   landmarks, sentences without a finding; see :mod:`ssa.report`) are read as plain words:
   they name no location and take part in none of the rules above.

Known limitations: after a split, a sideless zone binds forward ("left upper lobe and lower
lobe and right lung" puts the lower lobe on the right); a zone word is a zone even outside the
lungs unless the report reader knows the organ ("upper abdomen", "lower SVC" and "upper
extremity" are set aside as anatomy; an organ missing from its list is not); a "bilateral"
that counts through an emphasis word gives both whole sides, the worst place is not singled
out; a topic whose own clause is set aside still names its whole side ("Right lung: upper
zone clear, lower zone patchy opacity" is the whole right lung).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ssa.laterality import SIDES

ZONES = ("upper", "middle", "lower")

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
# Rule 1: words a topic ("Right lower lobe:", "Lung bases:") or an appositive ("..., in its
# upper zone, ...") may hold besides location words.
_TOPIC_GLUE = frozenset({"the", "of", "and", "&"})
_APPOSITIVE_GLUE = _TOPIC_GLUE | frozenset({"in", "at", "on", "within", "its"})
# Rule 4: a side comparison is a comparative, at most one of _COMPARED, a preposition, at
# most "the", then a side ("more on the right", "more pronounced on the left", "mainly on the
# left"); "larger right effusion" (no preposition) is a place, not a comparison.
_COMPARATIVES = frozenset({
    "more", "greater", "larger", "bigger", "worse", "heavier", "denser", "predominantly",
    "predominant", "mainly", "mostly",
})
_COMPARED = frozenset({
    "pronounced", "extensive", "prominent", "marked", "conspicuous", "confluent", "severe",
    "dense", "evident", "apparent", "so", "involved", "affected", "advanced",
})
_COMPARE_PREPOSITIONS = frozenset({"on", "in", "at", "over", "to"})
# Rule 4: words that make a located place the finding's worst part, not its only one.
_EMPHASIS = _COMPARATIVES | frozenset({
    "most", "greatest", "largest", "worst", "predominance", "predominates", "predominating",
    "especially", "particularly", "than",
})
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
    comparison: bool = False  # rule 4: "more on the right", "left greater than right"


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


def _side_comparison(words: list[str], lexes: list[LocationWord | None]) -> bool:
    """Rule 4: a counted side after a comparative and a preposition ("worse on the left",
    "slightly larger on the right", "more pronounced in the right lung"), or a counted side
    within two words after "than" ("left greater than right", "more on the left than the
    right"). Looks at most four words back from each side word, so it is linear."""
    if _COMPARATIVES.isdisjoint(words) and "than" not in words:
        return False
    for i, lex in enumerate(lexes):
        if lex is None or not lex.sides or lex.weak or lex.fixed:
            continue
        j = i - 1
        if j >= 0 and words[j] == "the":
            j -= 1
        if j >= 1 and words[j] in _COMPARE_PREPOSITIONS and (
            words[j - 1] in _COMPARATIVES
            or (j >= 2 and words[j - 1] in _COMPARED and words[j - 2] in _COMPARATIVES)
        ):
            return True
        if "than" in words[max(0, i - 2) : i]:
            return True
    return False


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
    elif strong_side and not zones and not regions and _side_comparison(words, lexes):
        # Rule 4: "more on the right" says which side is worse, not where: both sides, weak.
        seg.weak = seg.bilateral = seg.comparison = True
        regions += [_region(s, _ALL) for s in SIDES]
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
    pieces, pos = [], start  # (start, end, delimiter after it) between delimiters
    for m in _DELIM_RE.finditer(text, start, end):
        pieces.append((pos, m.start(), m.group()))
        pos = m.end()
    pieces.append((pos, end, ""))
    infos: dict[int, _Piece] = {}

    def info(k: int) -> _Piece:
        if k not in infos:
            infos[k] = _piece(text, pieces[k][0], pieces[k][1], ignore)
        return infos[k]

    segments: list[Segment] = []
    clause_start, acc = pieces[0][0], info(0)
    for k, (_, piece_end, delim) in enumerate(pieces):
        if k + 1 < len(pieces) and acc.words:
            # Rule 1: a topic before a colon, an appositive after a comma.
            topic = delim == ":" and acc.topic and acc.place
            appositive = delim == "," and acc.side and not acc.zone and (
                info(k + 1).appositive and info(k + 1).zone and not info(k + 1).any_side)
            if topic or appositive:
                acc = acc.join(info(k + 1))
                continue
        segments += _clause_segments(text, clause_start, piece_end, ignore, group)
        if k + 1 < len(pieces):
            clause_start, acc = pieces[k + 1][0], info(k + 1)
            infos.pop(k, None)
    return segments


@dataclass(frozen=True, slots=True)
class _Piece:
    """What rule 1 needs to know of the text between two delimiters (or of a run of them)."""

    words: bool = False  # it has a word
    topic: bool = True  # only location words and _TOPIC_GLUE
    appositive: bool = True  # only location words and _APPOSITIVE_GLUE
    place: bool = False  # a word with a side or a zone
    any_side: bool = False  # a word with a side (a bare "bilateral", "lingula" too)
    side: bool = False  # a counted left/right/both of its own (not weak, not self-contained)
    zone: bool = False  # a counted word with a zone

    def join(self, other: _Piece) -> _Piece:
        return _Piece(
            self.words or other.words, self.topic and other.topic,
            self.appositive and other.appositive, self.place or other.place,
            self.any_side or other.any_side, self.side or other.side, self.zone or other.zone)


_NO_PLACE = _Piece()


def _piece(text: str, start: int, end: int, ignore: Collection[int]) -> _Piece:
    """Rule 1's view of ``text[start:end]``; words at offsets in ``ignore`` do not count."""
    words = [w.lower() for w in WORD_RE.findall(text, start, end)]
    if not words:
        return _NO_PLACE
    if LOCATION_WORDS.isdisjoint(words):  # the common piece: no place, no topic
        return _Piece(True, _TOPIC_GLUE.issuperset(words), _APPOSITIVE_GLUE.issuperset(words))
    topic = appositive = True
    place = any_side = side = zone = False
    for m, w in zip(WORD_RE.finditer(text, start, end), words):
        lex = LEXICON.get(w)
        if lex is None:
            topic = topic and w in _TOPIC_GLUE
            appositive = appositive and w in _APPOSITIVE_GLUE
            continue
        place = place or bool(lex.sides or lex.zones)
        any_side = any_side or bool(lex.sides)
        if m.start() in ignore:
            continue
        side = side or bool(lex.sides and not lex.weak and not lex.fixed)
        zone = zone or bool(lex.zones)
    return _Piece(True, topic, appositive, place, any_side, side, zone)


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
    bilateral_groups = {s.group for s in segments if s.bilateral}
    for seg in segments:
        if not seg.zones_wanting_side:
            continue
        sides = seg.side_hint
        if not sides:
            in_sentence = by_group.get(seg.group, ())
            if len(in_sentence) == 1:
                sides = frozenset(in_sentence)
            elif seg.group in bilateral_groups:  # "bilateral opacities, lower zone predominant"
                sides = _BOTH
            elif len(named) == 1:
                sides = frozenset(named)
            elif bilateral:
                sides = _BOTH
        # added to the segment's self-contained words ("RUL and lower zone opacity")
        seg.regions += tuple(_region(s, seg.zones_wanting_side) for s in sorted(sides))
    # Rule 4: a bare "bilateral" or a side comparison only speaks when nothing else in its
    # sentence does; a bare "bilateral" also when the sentence's place is only where the
    # finding is worst ("bilateral opacities, right lower zone predominant").
    located = {s.group for s in segments if s.regions and not s.weak}
    emphasis = {s.group for s in segments if not _EMPHASIS.isdisjoint(s.words)}
    for seg in segments:
        if seg.weak and seg.group in located and (seg.comparison or seg.group not in emphasis):
            seg.regions = ()
    return segments


def merge_regions(regions: Iterable[Region]) -> list[Region]:
    """At most one region per side, zones unioned, left before right."""
    by_side: dict[str, frozenset[str]] = {}
    for r in regions:
        by_side[r.side] = by_side.get(r.side, _NONE) | r.zones
    return [_region(s, by_side[s]) for s in SIDES if s in by_side]
