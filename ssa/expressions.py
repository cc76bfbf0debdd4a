"""Split clinical text into tagged expressions (diagnostic / descriptive / locational).

"Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung." ->
"Bilateral pulmonary infection" (diagnostic), "two infected areas" (descriptive),
"upper left lung" (locational), "lower right lung" (locational).

Splitting reuses the location parser's reading (``ssa.report.read_report``: its sentences'
``ssa.spatial`` segments), so the two always agree: a report's section headers are not
expressions, clauses end at ``, ; . : ! ?`` and line breaks, and "and" / "&" / "with" /
"plus" split only between two complete locations ("upper and lower left lung" stays one).

Tagging, first match wins:

* locational: the segment names a location (a zone, a side, "lingula", "bibasilar", ...)
  with words that count: not negated, not a device's, a surgery's or an anatomy landmark's,
  in a sentence that states a finding (the reader's rules). A bare "bilateral"/"unilateral"
  ("Bilateral pulmonary infection") is not a location here: it is part of the diagnosis.
* descriptive: counts, size, shape or extent (a digit, "two", "multiple", "small", "patchy",
  "diffuse", "areas", "opacities", "nodules", ...).
* diagnostic: everything else.

A locational expression's ``regions`` are the regions it contributes to the parse of the
whole text, so a zone without a side ("lower lung") takes the side the rest of the text gives
it; for a self-contained expression that equals ``parse_locations(expression.text)``.
Segments without a letter or digit (stray punctuation, emoji) are not expressions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ssa.report import ReportReading, read_report
from ssa.spatial import Region

KINDS = ("diagnostic", "descriptive", "locational")

_DESCRIPTIVE = frozenset(
    "one two three four five six seven eight nine ten eleven twelve single multiple several "
    "many few numerous various scattered small smaller large larger big tiny extensive extent "
    "size sized diffuse diffusely patchy focal multifocal nodular round rounded oval irregular "
    "confluent linear reticular streaky wedge area areas opacity opacities nodule nodules "
    "lesion lesions spot spots focus foci cm mm".split()
)
_ALNUM_RE = re.compile(r"[^\W_]")  # a letter or digit: the segment says something
_DIGIT_RE = re.compile(r"\d")  # counts and sizes ("2 areas", "3.5 cm")


@dataclass(frozen=True)
class Expression:
    """One expression of a prompt, with its span in the original text."""

    text: str  # the expression's text, stripped
    kind: str  # "diagnostic" | "descriptive" | "locational"
    start: int  # original[start:end] == text
    end: int
    regions: tuple[Region, ...]  # what a locational expression locates; () otherwise


def _kind(locational: bool, words: tuple[str, ...], body: str) -> str:
    if locational:
        return "locational"
    if not _DESCRIPTIVE.isdisjoint(words) or _DIGIT_RE.search(body):
        return "descriptive"
    return "diagnostic"


@dataclass(frozen=True)
class ReadPrompt:
    """A prompt read once: the report reading, its expressions and the regions they locate.

    What the model, the predictor and the demo's notes all use, so one request parses its
    text once (``regions`` is ``parse_locations(text)``, ``expressions`` is
    ``split_expressions(text, max_expressions)``).
    """

    text: str
    reading: ReportReading
    expressions: tuple[Expression, ...]

    @property
    def regions(self) -> tuple[Region, ...]:
        return self.reading.regions


def read_prompt(text: str, max_expressions: int | None = None) -> ReadPrompt:
    """Read ``text`` as a report and split it into tagged expressions, in one pass.

    ``max_expressions``: when there are more, locational expressions are kept first (up to the
    limit), then the others in text order; the result stays in text order. Never raises on a
    ``str``; linear time.
    """
    if max_expressions is not None and max_expressions < 0:
        raise ValueError(f"max_expressions must be >= 0 or None, got {max_expressions}")
    reading = read_report(text)
    expressions: list[Expression] = []
    segments = (seg for sentence in reading.sentences for seg in sentence.segments)
    for seg in segments:
        raw = text[seg.start : seg.end]
        lead = len(raw) - len(raw.lstrip())
        body = raw.strip()  # str.strip and str.lstrip agree on what whitespace is
        if not _ALNUM_RE.search(body):
            continue
        start = seg.start + lead
        kind = _kind(seg.locational, seg.words, body)
        regions = seg.regions if kind == "locational" else ()
        expressions.append(Expression(body, kind, start, start + len(body), regions))
    if max_expressions is not None and len(expressions) > max_expressions:
        # Locations carry the spatial guidance, so they are the last thing to drop.
        located = [i for i, e in enumerate(expressions) if e.kind == "locational"][:max_expressions]
        others = [i for i, e in enumerate(expressions) if e.kind != "locational"]
        keep = sorted(located + others[: max_expressions - len(located)])
        expressions = [expressions[i] for i in keep]
    return ReadPrompt(text, reading, tuple(expressions))


def split_expressions(text: str, max_expressions: int | None = None) -> list[Expression]:
    """Split ``text`` into tagged expressions, in text order (see :func:`read_prompt`)."""
    return list(read_prompt(text, max_expressions).expressions)
