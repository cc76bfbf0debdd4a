"""Read a report sentence by sentence: which location words locate a finding, and why not.

The rules are listed in the package docstring (``ssa.report``). Each sentence is indexed by
``ssa.report.scopes`` (word tags, clauses, negation and history scopes, the location phrases
and what each is the place of); here each phrase is kept or set aside with a reason, and the
kept ones go to ``ssa.location_words``' binding as the only location words that count. Every step
is a pass over the sentence's words, so a 100k-character prompt stays linear.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ssa.laterality import SIDES
from ssa.location_words import (
    LEXICON,
    LOCATION_WORDS,
    WORD_RE,
    Region,
    Segment,
    merge_regions,
    resolve_segments,
    segment_span,
)
from ssa.report import vocabulary as V
from ssa.report.scopes import (
    ALL_ZONES,
    ANATOMY_TAG,
    DEVICE_TAG,
    FINDING,
    SURGERY,
    IndexedSentence,
    is_place,
    landmark_zones,
    location_runs,
    owner,
    scopes,
)
from ssa.report.sections import HISTORY, Section, find_sections, split_sentences

USED, SET_ASIDE, NO_LOCATION = "used", "set aside", "no location"
STATUSES = (USED, SET_ASIDE, NO_LOCATION)
NEGATED, DEVICE, HISTORY_REASON, ANATOMY, NO_FINDING = (
    "negated", "device", "history", "normal anatomy", "no finding")
REASONS = (NEGATED, HISTORY_REASON, DEVICE, ANATOMY, NO_FINDING)  # also the order of precedence

_OWNER_REASON = {DEVICE_TAG: DEVICE, ANATOMY_TAG: ANATOMY, SURGERY: HISTORY_REASON}


@dataclass(frozen=True)
class SetAside:
    """Location words that do not count, with why: ``text == original[start:end]``."""

    text: str
    start: int
    end: int
    reason: str  # one of REASONS


@dataclass(frozen=True)
class ReportSentence:
    """One sentence of a report as the reader understood it.

    ``status``: "used" (its location words locate a finding; ``regions`` may still be empty
    when a zone found no side), "set aside" (it names a location, none counts: ``reason``
    says why) or "no location". ``set_aside`` lists the location phrases that do not count,
    in a used sentence too ("Left PICC, new opacity in the right upper lobe": "Left", device).
    ``segments`` are ``ssa.location_words`` segments of the sentence, with the regions they give.
    """

    text: str
    start: int
    end: int
    section: str  # the section header as written ("FINDINGS"), "" before any header
    section_kind: str  # "findings" | "history" (history, indication, comparison, technique)
    status: str
    reason: str | None
    hedged: bool  # "possible", "cannot exclude", "may represent": kept, but uncertain
    regions: tuple[Region, ...]
    set_aside: tuple[SetAside, ...] = ()
    segments: tuple[Segment, ...] = field(default=(), repr=False, compare=False)


@dataclass(frozen=True)
class ReportReading:
    """A text read as a report: its sentences, and the regions of the used ones, merged."""

    sentences: tuple[ReportSentence, ...]
    regions: tuple[Region, ...]

    @property
    def used(self) -> list[ReportSentence]:
        return [s for s in self.sentences if s.status == USED]

    @property
    def set_aside(self) -> list[ReportSentence]:
        return [s for s in self.sentences if s.status == SET_ASIDE]


# ------------------------------------------------------------------------ one sentence


@dataclass
class _Read:
    """One sentence's reading before the text-level rules: what counts and why not."""

    status: str
    reason: str | None
    hedged: bool
    ignore: set[int]  # character offsets of the words that do not count
    set_aside: list[tuple[int, int, str]]  # (char start, char end, reason) per phrase
    landmarks: list[tuple[int, Region]]  # (char offset of the phrase, region it gives)


def _sides(words: list[str]) -> set[str]:
    return {side for w in words if w in LEXICON for side in LEXICON[w].sides}


def _hedged(words: list[str]) -> bool:
    """"possible", "may represent", "cannot exclude", "not excluded"."""
    return any(w in V.HEDGES for w in words) or any(
        w in V.EXCLUDED_WORDS and i and words[i - 1] in V.NOT_WORDS for i, w in enumerate(words)
    )


def _read_words(
    text: str, spans: list[tuple[int, int]], words: list[str], section: Section
) -> _Read:
    """Classify one sentence's location phrases (the package rules, in order)."""
    hedged = _hedged(words)
    s = IndexedSentence.build(text, spans, words)
    runs = location_runs(words, s.clause, s.after_topic)
    if not runs:
        return _Read(NO_LOCATION, None, hedged, set(), [], [])
    if section.kind == HISTORY:
        return _finish(spans, [], [(i0, i1, HISTORY_REASON) for i0, i1 in runs], [], hedged)
    neg, hist = scopes(s, runs)
    kept, dropped, landmark_runs = [], [], []
    for i0, i1 in runs:
        tag, k = owner(s, i0, i1)
        if tag in _OWNER_REASON:
            dropped.append((i0, i1, _OWNER_REASON[tag]))
            zones = landmark_zones(s, k, tag)
            if zones and not any(neg[i0:i1]) and not any(hist[i0:i1]):
                landmark_runs.append((i0, i1, zones))
        elif any(neg[i0:i1]):
            dropped.append((i0, i1, NEGATED))
        elif any(hist[i0:i1]):
            dropped.append((i0, i1, HISTORY_REASON))
        else:
            kept.append((i0, i1))
    findings = [i for i, t in enumerate(s.tags) if t == FINDING]
    positive = [i for i in findings if not neg[i] and not hist[i]]
    if not any(words[i] in V.PLEURAL_FINDINGS for i in positive):
        landmark_runs = [r for r in landmark_runs if r[2] != ALL_ZONES]  # a chest tube's side needs one
    if kept and not positive:
        # Location words but no finding: a negated one, history, or none at all ("the left
        # lung is hyperexpanded", "patient rotated to the left"). With no finding word at all,
        # a clause that is a bare location phrase still counts ("upper left lung",
        # "fever, cough, left base").
        if findings:
            why = NEGATED if any(neg[i] for i in findings) else HISTORY_REASON
            dropped += [(i0, i1, why) for i0, i1 in kept]
            kept = []
        else:
            bare = _bare_clauses(s)
            dropped += [(i0, i1, NO_FINDING) for i0, i1 in kept if s.clause[i0] not in bare]
            kept = [(i0, i1) for i0, i1 in kept if s.clause[i0] in bare]
    used_landmarks = landmark_runs if not kept and positive else []
    return _finish(spans, kept, dropped, used_landmarks, hedged, words)


def _neutral(word: str) -> bool:
    """A word that does not stop a clause from being a bare location phrase: location and
    phrase words, numbers, single letters (the debris of pasted markup or escape codes:
    "[31m lower left lung [0m"), and words in another script (the vocabulary is English)."""
    return (word in LOCATION_WORDS or word in V.PHRASE_WORDS or word.isdigit() or len(word) == 1
            or not word.isascii())


def _bare_clauses(s: IndexedSentence) -> set[int]:
    """Clauses made only of neutral words, but for one that opens with a preposition after a
    clause that is not bare: it is the place of that clause, an appositive ("Azygos lobe, a
    normal variant, in the right upper lung"), not a phrase of its own ("fever, cough, left
    base")."""
    not_bare = {s.clause[i] for i, w in enumerate(s.words) if not _neutral(w)}
    bare = set(s.clause_start) - not_bare
    return {c for c in bare if not (
        c - 1 in not_bare and s.words[s.clause_start[c]] in V.PLACE_PREPOSITIONS)}


def _finish(
    spans: list[tuple[int, int]],
    kept: list[tuple[int, int]],
    dropped: list[tuple[int, int, str]],
    landmark_runs: list[tuple[int, int, frozenset[str]]],
    hedged: bool,
    words: list[str] | None = None,
) -> _Read:
    """The sentence's status from what was kept, dropped and read through a landmark."""
    landmarks = []
    for i0, i1, zones in landmark_runs:  # the silhouette sign: "opacity obscuring the right heart border"
        sides = _sides(words[i0:i1]) if words else set()
        landmarks += [(spans[i0][0], Region(side, zones)) for side in SIDES if side in sides]
    if landmarks:
        through = {(i0, i1) for i0, i1, _ in landmark_runs}
        ignore = {spans[k][0] for i0, i1 in through for k in range(i0, i1)}
        dropped = [d for d in dropped if (d[0], d[1]) not in through]
    else:
        ignore = set()
    ignore |= {spans[k][0] for i0, i1, _ in dropped for k in range(i0, i1)}
    aside = [(spans[i0][0], spans[i1 - 1][1], why) for i0, i1, why in sorted(dropped)]
    if kept or landmarks:
        return _Read(USED, None, hedged, ignore, aside, landmarks)
    reason = min((why for *_, why in dropped), key=REASONS.index)
    return _Read(SET_ASIDE, reason, hedged, ignore, aside, [])


# ---------------------------------------------------------------------------- a report


def _add_landmarks(segments: list[Segment], landmarks: list[tuple[int, Region]]) -> None:
    """Give each landmark's region to the segment holding its phrase (both lists are in text
    order, so one pass); the segment then counts as locational."""
    k = 0
    for offset, region in landmarks:
        while k < len(segments) and segments[k].end <= offset:
            k += 1
        if k < len(segments) and segments[k].start <= offset:
            segments[k].regions += (region,)
            segments[k].locational = True


def read_report(text: str) -> ReportReading:
    """Read ``text`` as a radiology report (the package rules); never raises on a ``str``.

    Linear in ``len(text)``. A text without headers is read as findings, so a caption or a
    typed phrase ("lower left lung") reads as before.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    parts: list[tuple[int, int, Section, _Read, list[Segment]]] = []
    group = 0
    for section in find_sections(text):
        for start, end in split_sentences(text, section.start, section.end):
            matches = list(WORD_RE.finditer(text, start, end))
            if not matches:
                continue
            words = [m.group().lower() for m in matches]
            if LOCATION_WORDS.isdisjoint(words):  # the common sentence: nothing to read
                read = _Read(NO_LOCATION, None, _hedged(words), set(), [], [])
            elif section.kind != HISTORY and all(_neutral(w) for w in words):
                # A bare location phrase ("upper left lung and lower right lung"): no cue to
                # read, every location word counts (what the rules give, without the passes).
                status = USED if any(is_place(w) for w in words) else NO_LOCATION
                read = _Read(status, None, False, set(), [], [])
            else:
                read = _read_words(text, [m.span() for m in matches], words, section)
            segments = segment_span(text, start, end, read.ignore, group)
            _add_landmarks(segments, read.landmarks)
            parts.append((start, end, section, read, segments))
            group += 1
    resolve_segments([seg for *_, segments in parts for seg in segments])
    sentences = []
    for start, end, section, read, segments in parts:
        raw = text[start:end]
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()
        regions = tuple(merge_regions(r for seg in segments for r in seg.regions))
        aside = tuple(SetAside(text[a:b], a, b, why) for a, b, why in read.set_aside)
        sentences.append(ReportSentence(
            body, start + lead, start + lead + len(body), section.header, section.kind,
            read.status, read.reason, read.hedged, regions, aside, tuple(segments)))
    regions = tuple(merge_regions(r for s in sentences if s.status == USED for r in s.regions))
    return ReportReading(tuple(sentences), regions)

