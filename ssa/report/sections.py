"""A report's sections (FINDINGS, IMPRESSION, HISTORY, ...) and sentences, as character spans.

A header is a known section name followed by a colon ("FINDINGS:", "Clinical history:") at
the start of the text, of a line or of a sentence, or anywhere when written in capitals (the
demo joins a pasted report's lines into one, "...PA AND LATERAL INDICATION: cough").
Sections that say why and how the study was done (history, indication, comparison,
technique) give no regions: a side named there is the patient's past or the request, not
this study's finding. Text before the first header, or a text with none, is findings.

Sentences end at ``. ; ! ?`` and line breaks, not at the decimal point of "2.5" nor at the
periods of "i.e.", "e.g.", "vs.", "viz.", "cf." (what follows "i.e." restates the place
before it, inside the same sentence: "No consolidation in the lingula, i.e. the left upper
lobe" is one negated sentence, not a negated one and a bare "the left upper lobe").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FINDINGS, HISTORY = "findings", "history"

_HISTORY_HEADERS = (
    r"clinical\s+(?:history|indications?|information|details|data|notes?|question)",
    r"reason\s+for\s+(?:the\s+)?(?:exam|examination|study|request|referral|imaging)",
    r"comparisons?(?:\s+(?:study|studies|exams?|examinations?))?",
    r"prior\s+(?:studies|study|exams?|examinations?|imaging)",
    r"type\s+of\s+(?:study|exam|examination)",
    r"history", r"indications?", r"technique", r"procedure", r"protocol",
    r"examination", r"exam", r"study", r"clinical",
)
_FINDINGS_HEADERS = (
    r"findings?", r"impressions?", r"conclusions?", r"opinion", r"summary", r"report",
    r"results?", r"interpretation", r"assessment", r"diagnosis", r"recommendations?",
    r"addendum",
)
_HISTORY_RE = re.compile(r"(?:" + "|".join(_HISTORY_HEADERS) + r")\Z", re.IGNORECASE)
_HEADER_RE = re.compile(
    r"(?<![^\W\d_])(" + "|".join(_HISTORY_HEADERS + _FINDINGS_HEADERS) + r")[ \t]*:",
    re.IGNORECASE,
)
_SENTENCE_END_RE = re.compile(r"[;!?\n\r]|(?<!\d)\.|\.(?!\d)")
# The periods of these abbreviations end no sentence.
_ABBREVIATION_RE = re.compile(r"(?<![^\W\d_])(?:i\.\s?e|e\.\s?g|vs|viz|cf)\.", re.IGNORECASE)
_BEFORE_HEADER = ".!?;:\n\r"


@dataclass(frozen=True)
class Section:
    """``text[start:end]`` is the section's body; ``header`` as written ("" for none)."""

    start: int
    end: int
    header: str
    kind: str  # FINDINGS | HISTORY


def _starts_a_sentence(text: str, pos: int) -> bool:
    """Only spaces lie between ``pos`` and the text's start or the last sentence end."""
    j = pos - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or text[j] in _BEFORE_HEADER


def find_sections(text: str) -> list[Section]:
    """The sections of ``text`` in order, covering it from the first body on; linear time."""
    headers = [
        m for m in _HEADER_RE.finditer(text)
        if m.group(1).isupper() or _starts_a_sentence(text, m.start())
    ]
    sections, pos, header, kind = [], 0, "", FINDINGS
    for m in headers:
        if m.start() > pos:
            sections.append(Section(pos, m.start(), header, kind))
        header = " ".join(m.group(1).split())
        kind = HISTORY if _HISTORY_RE.match(header) else FINDINGS
        pos = m.end()
    sections.append(Section(pos, len(text), header, kind))
    return sections


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text[start:end]``, delimiters left out."""
    spans, pos = [], start
    inside = {k for a in _ABBREVIATION_RE.finditer(text, start, end) for k in range(*a.span())}
    for m in _SENTENCE_END_RE.finditer(text, start, end):
        if m.start() in inside:
            continue
        if m.start() > pos:
            spans.append((pos, m.start()))
        pos = m.end()
    if end > pos:
        spans.append((pos, end))
    return spans
