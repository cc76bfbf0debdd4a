"""One sentence's structure for the report reader: word tags, clauses, location phrases,
negation and history scopes, and what each location phrase is the place of.

Every function is a pass over the sentence's words with a bounded look-around (``LOOK``), and
word ranges are marked through difference arrays, so a sentence of any length is linear.
The vocabulary is ``ssa.report.vocabulary``; the rules are listed in ``ssa.report``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssa.location_words import LEXICON, LOCATION_WORDS
from ssa.report import vocabulary as V

FINDING, DEVICE_TAG, ANATOMY_TAG, SURGERY = 1, 2, 3, 4  # word tags (0: none)
LOOK = 4  # words looked at around a location phrase for what it is the place of
ALL_ZONES = frozenset({"upper", "middle", "lower"})


def tag_words(words: list[str]) -> list[int]:
    tags = []
    for i, w in enumerate(words):
        if w in V.FINDINGS:
            tags.append(FINDING)
        elif w in V.DEVICES:
            line_finding = w in ("line", "lines") and i and words[i - 1] in V.NOT_DEVICE_BEFORE_LINE
            tags.append(FINDING if line_finding else DEVICE_TAG)
        elif w in V.HISTORY_HEADS:
            tags.append(SURGERY)
        elif w in V.ANATOMY:
            tags.append(ANATOMY_TAG)
        else:
            tags.append(0)
    return tags


def is_place(word: str) -> bool:
    lex = LEXICON.get(word)
    return lex is not None and bool(lex.sides or lex.zones)


def location_runs(
    words: list[str], clause: list[int], after_topic: list[int] | None = None
) -> list[tuple[int, int]]:
    """Location phrases: maximal runs of location words (and "and", "of", "the", "sided" between
    them) inside one clause that name a side or a zone, as ``(first, end)`` word indices. A
    topic is a phrase of its own ("Right lung: upper zone clear": "Right lung", "upper zone")
    when ``after_topic`` (:func:`clauses_and_topics`) is given."""
    runs, n, i = [], len(words), 0
    topic = after_topic or clause
    while i < n:
        if words[i] not in LOCATION_WORDS:
            i += 1
            continue
        last = j = i
        while j + 1 < n and clause[j + 1] == clause[i] and topic[j + 1] == topic[i] and (
            words[j + 1] in LOCATION_WORDS or words[j + 1] in V.RUN_GLUE
        ):
            j += 1
            if words[j] in LOCATION_WORDS:
                last = j
        if any(is_place(words[k]) for k in range(i, last + 1)):
            runs.append((i, last + 1))
        i = last + 1
    return runs


def clauses(text: str, spans: list[tuple[int, int]], words: list[str]) -> list[int]:
    """Clause number of each word: clauses end at "," and ":" (not "1,000"); a bare location
    before a colon ("Left lung: clear.") is the topic of the clause after it, not a clause."""
    return clauses_and_topics(text, spans, words)[0]


def clauses_and_topics(
    text: str, spans: list[tuple[int, int]], words: list[str]
) -> tuple[list[int], list[int]]:
    """:func:`clauses`, and for each word the first word after its clause's topic (the
    clause's first word when it has none)."""
    clause, c = [0] * len(words), 0
    after_topic, t = [0] * len(words), 0
    phrase = place = False  # the clause so far: only location/phrase words; names a place
    for i, w in enumerate(words):
        if i:
            gap = text[spans[i - 1][1] : spans[i][0]]
            thousands = gap == "," and words[i - 1].isdigit() and w.isdigit()  # "1,000"
            if ":" in gap or ("," in gap and not thousands):
                if not (":" in gap and phrase and place):  # else a topic: the clause goes on
                    c, phrase, place, t = c + 1, True, False, i
                else:
                    t = i
        else:
            phrase = True
        phrase = phrase and (w in LOCATION_WORDS or w in V.PHRASE_WORDS)
        place = place or is_place(w)
        clause[i], after_topic[i] = c, t
    return clause, after_topic


class Marks:
    """Word ranges marked in O(1) each (difference array), read once at the end."""

    def __init__(self, n: int) -> None:
        self.diff = [0] * (n + 1)

    def mark(self, start: int, end: int) -> None:
        if start < end:
            self.diff[start] += 1
            self.diff[end] -= 1

    def flags(self) -> list[bool]:
        out, run = [], 0
        for d in self.diff[:-1]:
            run += d
            out.append(run > 0)
        return out


@dataclass
class IndexedSentence:
    """A sentence's words and the indices the scope rules need, built in linear passes."""

    words: list[str]
    tags: list[int]
    clause: list[int]
    clause_start: dict[int, int]
    clause_end: dict[int, int]
    next_stop: list[int]  # first restart boundary at or after i (a connector + a new statement)
    last_stop: list[int]  # last restart boundary before i, or -1
    last_conn: list[int]  # last connector before i, or -1
    list_end: dict[int, int]  # clause -> end word of the "or"/"nor" list it starts, or its own end
    findings_before: list[int]  # findings among words[:i]
    after_topic: list[int]  # first word after the topic of i's clause ("Right lung: ..."), or its start
    places_before: list[int]  # words with a side or zone among words[:i]

    @classmethod
    def build(cls, text: str, spans: list[tuple[int, int]], words: list[str]) -> IndexedSentence:
        n = len(words)
        clause, after_topic = clauses_and_topics(text, spans, words)
        starts: dict[int, int] = {}
        ends: dict[int, int] = {}
        for i, c in enumerate(clause):
            starts.setdefault(c, i)
            ends[c] = i + 1
        stop = [False] * n
        for i, w in enumerate(words):
            if w in V.CONTRAST:
                stop[i] = True
            elif w in V.CONNECTORS:
                stop[i] = any(
                    words[k] in V.RESTART for k in range(i + 1, min(n, i + 4)) if clause[k] == clause[i]
                )
        next_stop, nxt = [n] * (n + 1), n
        for i in range(n - 1, -1, -1):
            if stop[i]:
                nxt = i
            next_stop[i] = nxt
        last_stop, last_conn, ls, lc = [-1] * n, [-1] * n, -1, -1
        for i, w in enumerate(words):
            last_stop[i], last_conn[i] = ls, lc
            ls = i if stop[i] else ls
            lc = i if w in V.CONNECTORS else lc
        # "No pneumothorax, effusion, or consolidation on the left": a list ending in or/nor.
        n_clauses = clause[-1] + 1 if n else 0
        next_or: list[int | None] = [None] * (n_clauses + 1)
        for c in range(n_clauses - 2, -1, -1):
            after = c + 1
            item = range(starts[after], ends[after])
            restart = any(words[k] in V.RESTART for k in item)
            if words[starts[after]] in V.LIST_STARTS or (
                not restart and any(words[k] in V.LIST_STARTS for k in item)
            ):
                next_or[c] = after  # "..., or consolidation", "..., effusion or consolidation"
            elif not restart:
                next_or[c] = next_or[after]
        list_end = {c: ends[c if next_or[c] is None else next_or[c]] for c in range(n_clauses)}
        tags = tag_words(words)
        findings_before, count = [0] * (n + 1), 0
        for i, t in enumerate(tags):
            findings_before[i] = count
            count += t == FINDING
        findings_before[n] = count
        places_before, count = [0] * (n + 1), 0
        for i, w in enumerate(words):
            places_before[i] = count
            count += is_place(w)
        places_before[n] = count
        return cls(words, tags, clause, starts, ends, next_stop, last_stop, last_conn, list_end,
                   findings_before, after_topic, places_before)

    def near(self, i: int, lo: int, hi: int, vocabulary: frozenset[str]) -> bool:
        """A word of ``vocabulary`` among words[i+lo : i+hi] (same clause)."""
        c = self.clause[i]
        return any(
            self.words[k] in vocabulary for k in range(max(0, i + lo), min(len(self.words), i + hi))
            if self.clause[k] == c
        )


def scopes(s: IndexedSentence, runs: list[tuple[int, int]]) -> tuple[list[bool], list[bool]]:
    """(negated, history) flag per word: the scopes of the negation and history cues."""
    words, n = s.words, len(s.words)
    neg, hist = Marks(n), Marks(n)
    run_at = {i0: i1 for i0, i1 in runs}
    for i, w in enumerate(words):
        c = s.clause[i]
        start, end = s.clause_start[c], s.clause_end[c]
        back = max(start, s.last_conn[i] + 1)
        prev = words[i - 1] if i else ""
        nxt = words[i + 1] if i + 1 < n else ""
        pre = post = whole = False
        if w in V.PRE_NEGATION or (w == "w" and nxt == "o") or (
            w in V.PRE_NEGATION_OF and nxt == "of" and prev not in V.PARTIAL_WORDS
        ):
            pre = not s.near(i, 1, 4, V.CHANGE_WORDS)  # "no change in": still there
            whole = w == "no" and nxt == "longer"
        elif w in V.NOT_WORDS:
            if s.near(i, 1, 6, V.BEFORE_WORDS) or s.near(i, 1, 4, V.CHANGE_WORDS):
                pass  # "not present on the prior study", "not changed"
            elif s.near(i, 1, 3, V.SEEN_WORDS):
                whole = True  # "the nodule is not seen"
            elif not (s.near(i, 1, 3, V.EXCLUDED_WORDS) or nxt in V.POST_NEGATION):
                pre = True  # "not excluded" is a hedge; "not resolved" is still there
        elif (w in V.POST_NEGATION and prev not in V.PARTIAL_WORDS) or (
            w in V.POST_NEGATION_AFTER_WELL and prev in V.WELL_WORDS
        ):
            post = True
        if whole:
            neg.mark(start, end)
        elif pre:
            neg.mark(i + 1, min(s.list_end[c], s.next_stop[i + 1] if i + 1 < n else n))
            if s.findings_before[i] == s.findings_before[back]:
                neg.mark(back, i)  # "the left lung is without consolidation"
        elif post:
            topic = s.after_topic[i]
            if topic > back and s.places_before[i] > s.places_before[topic]:
                # "Right lung: upper zone clear, lower zone opacity": the clause's own place is
                # clear, not its topic ("Left lung: clear." negates the topic).
                back = topic
            if prev not in V.OTHERWISE:  # "opacity with otherwise clear lungs" keeps the opacity
                neg.mark(back, i)
            j = i + 1 if nxt != "the" else i + 2
            if j in run_at and s.clause[j] == c:  # "clear left lung", "resolved right effusion"
                neg.mark(j, run_at[j])
        # history
        history_cue = (
            (w, nxt) in V.HISTORY_PAIRS
            or w in V.HISTORY_WORDS
            or (w == "post" and nxt in V.POST_WHAT)
            or (w in V.SHOWED_WORDS and s.near(i, -8, 0, V.COMPARISON_WORDS))  # "the prior study showed"
        )
        if history_cue:
            hist.mark(i, min(end, s.next_stop[i + 1] if i + 1 < n else n))
        elif s.tags[i] == SURGERY:
            hist.mark(max(start, s.last_stop[i] + 1), min(end, s.next_stop[i]))
    return neg.flags(), hist.flags()


def owner(s: IndexedSentence, i0: int, i1: int) -> tuple[int, int]:
    """What the location phrase ``words[i0:i1]`` is the place of: (tag, word index) of the
    device, anatomy, surgery or finding it belongs to, or (0, -1). First the noun it
    modifies ("left-sided PICC", "right lower lobe consolidation"), else the noun it follows
    through a preposition ("chest tube in the right hemithorax")."""
    words, tags, n = s.words, s.tags, len(s.words)
    c = s.clause[i0]
    k, passed_site = i1, False
    # sites do not use up the look-ahead: "right internal jugular central venous catheter"
    while k < n and k < i1 + 2 * LOOK and s.clause[k] == c:
        if tags[k] == DEVICE_TAG:
            return DEVICE_TAG, k
        if words[k] in V.SIDED:
            k += 1
            continue
        if words[k] in V.SITES:
            passed_site, k = passed_site or words[k] in V.ANATOMY, k + 1
            continue
        if tags[k]:
            return tags[k], k
        break
    if passed_site:
        return ANATOMY_TAG, k - 1
    start = s.clause_start[c]
    k, skipped = i0 - 1, 0
    while k >= start and words[k] in V.BACK_SKIP and skipped < 2 * LOOK:
        k, skipped = k - 1, skipped + 1
    for _ in range(LOOK):
        if k < start or words[k] in V.CONNECTORS:
            break
        if tags[k]:
            return tags[k], k
        k -= 1
    return 0, -1


def landmark_zones(s: IndexedSentence, k: int, tag: int) -> frozenset[str]:
    """The lung zones a landmark fixes for a finding that has no place of its own: an anatomy
    landmark's ("hemidiaphragm" -> lower, "heart border" -> middle), a pleural device's (the
    whole side: "right chest tube with small pneumothorax"); empty for other owners."""
    w = s.words[k]
    if tag == ANATOMY_TAG and w in V.LANDMARK_ZONES:
        return frozenset({V.LANDMARK_ZONES[w]})
    nxt = s.words[k + 1] if k + 1 < len(s.words) else ""
    if tag == ANATOMY_TAG and w in V.HEART_WORDS and nxt in V.BORDER_WORDS:
        return frozenset({"middle"})
    chest_tube = w in ("tube", "tubes") and k > 0 and s.words[k - 1] == "chest"
    if tag == DEVICE_TAG and (w in V.PLEURAL_DEVICES or chest_tube):
        return ALL_ZONES
    return frozenset()
