"""Splitting prompts into tagged expressions (ssa.expressions)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssa.expressions import KINDS, Expression, split_expressions
from ssa.spatial import Region, parse_locations

FAST = settings(max_examples=200, deadline=None)


def pairs(text: str, limit: int | None = None) -> list[tuple[str, str]]:
    return [(e.text, e.kind) for e in split_expressions(text, limit)]


def check_spans(text: str, exprs: list[Expression]) -> None:
    last_end = 0
    for e in exprs:
        assert text[e.start : e.end] == e.text
        assert e.text == e.text.strip() and e.text
        assert e.start >= last_end  # in text order, not overlapping
        last_end = e.end


def test_paper_example() -> None:
    text = (
        "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung."
    )
    exprs = split_expressions(text)
    assert [(e.text, e.kind) for e in exprs] == [
        ("Bilateral pulmonary infection", "diagnostic"),
        ("two infected areas", "descriptive"),
        ("upper left lung", "locational"),
        ("lower right lung", "locational"),
    ]
    assert exprs[2].regions == (Region("left", frozenset({"upper"})),)
    assert exprs[3].regions == (Region("right", frozenset({"lower"})),)
    assert exprs[0].regions == exprs[1].regions == ()
    check_spans(text, exprs)


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right lung.",
            [
                ("Bilateral pulmonary infection", "diagnostic"),
                ("two infected areas", "descriptive"),
                ("all left lung", "locational"),
                ("upper middle right lung", "locational"),
            ],
        ),
        (
            "Unilateral pulmonary infection, one infected area, middle lower left lung.",
            [
                ("Unilateral pulmonary infection", "diagnostic"),
                ("one infected area", "descriptive"),
                ("middle lower left lung", "locational"),
            ],
        ),
        # "and" inside one location does not split
        ("upper and lower left lung", [("upper and lower left lung", "locational")]),
        ("right and left lower lobes", [("right and left lower lobes", "locational")]),
        # "and" between non-locations does not split either
        (
            "fever and cough; pneumonia",
            [("fever and cough", "diagnostic"), ("pneumonia", "diagnostic")],
        ),
        (
            "Left lower lobe consolidation with right upper lobe nodule\nPatchy opacities: 2.5 cm",
            [
                ("Left lower lobe consolidation", "locational"),
                ("right upper lobe nodule", "locational"),
                ("Patchy opacities", "descriptive"),
                ("2.5 cm", "descriptive"),
            ],
        ),
        (
            "bilateral lower lobes & lingula",
            [("bilateral lower lobes", "locational"), ("lingula", "locational")],
        ),
        ("Bilateral lung infection.", [("Bilateral lung infection", "diagnostic")]),
        ("No effusion in the right lung", [("No effusion in the right lung", "diagnostic")]),
        ("Multiple small nodules", [("Multiple small nodules", "descriptive")]),
        ("Consolidation , , ; ...", [("Consolidation", "diagnostic")]),
    ],
)
def test_splits_and_tags(text: str, expected: list[tuple[str, str]]) -> None:
    exprs = split_expressions(text)
    assert [(e.text, e.kind) for e in exprs] == expected
    check_spans(text, exprs)
    assert all(e.kind in KINDS for e in exprs)


def test_regions_of_locational_expressions() -> None:
    text = "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right lung."
    exprs = split_expressions(text)
    for e in exprs:
        if e.kind == "locational":
            assert list(e.regions) == parse_locations(e.text)  # self-contained expressions
        else:
            assert e.regions == ()
    union = {r for e in exprs for r in e.regions}
    assert sorted(union, key=lambda r: r.side) == parse_locations(text)


def test_sideless_expression_takes_the_side_from_context() -> None:
    exprs = split_expressions("Bilateral pulmonary infection, two infected areas, lower lung.")
    assert exprs[-1].kind == "locational"
    assert {r.side for r in exprs[-1].regions} == {"left", "right"}
    # With no side anywhere the zone cannot be placed: locational, but no region.
    exprs = split_expressions("Unilateral pulmonary infection, one infected area, lower lung.")
    assert exprs[-1].kind == "locational" and exprs[-1].regions == ()


@pytest.mark.parametrize(
    "text, expected",
    [
        # a report's headers are not expressions; what the reader sets aside is not locational
        (
            "FINDINGS: Left-sided PICC tip in the SVC. Patchy opacity in the right lower lobe.",
            [
                ("Left-sided PICC tip in the SVC", "diagnostic"),
                ("Patchy opacity in the right lower lobe", "locational"),
            ],
        ),
        (
            "HISTORY: left lower lobe pneumonia. IMPRESSION: Right basilar pneumonia.",
            [("left lower lobe pneumonia", "diagnostic"), ("Right basilar pneumonia", "locational")],
        ),
        ("The left lung is clear", [("The left lung is clear", "diagnostic")]),
        ("Status post left upper lobectomy", [("Status post left upper lobectomy", "diagnostic")]),
    ],
)
def test_report_reading_decides_what_is_locational(text: str, expected: list[tuple[str, str]]) -> None:
    exprs = split_expressions(text)
    assert [(e.text, e.kind) for e in exprs] == expected
    check_spans(text, exprs)


def test_expression_regions_agree_with_the_parse_of_a_report() -> None:
    text = ("FINDINGS: Left-sided PICC. Heart size normal. Patchy opacity in the right lower lobe. "
            "No pleural effusion on the left. Lingular atelectasis.\nIMPRESSION: Right basilar pneumonia.")
    union = {r for e in split_expressions(text) for r in e.regions}
    assert {r.side: r.zones for r in parse_locations(text)} == {
        side: frozenset().union(*(r.zones for r in union if r.side == side)) for side in {r.side for r in union}}


def test_spans_index_the_original_text() -> None:
    text = "  \tLeft base  opacity ;\n\n  two   areas,upper right lung and\u00a0lower left lung  "
    exprs = split_expressions(text)
    check_spans(text, exprs)
    assert [e.text for e in exprs] == [
        "Left base  opacity",
        "two   areas",
        "upper right lung",
        "lower left lung",
    ]


@pytest.mark.parametrize("text", ["", " ", "\n\t  ", ",;.:", "\U0001f600 , \u200f"])
def test_empty_text_gives_no_expressions(text: str) -> None:
    assert split_expressions(text) == []


def test_max_expressions_keeps_locations_first_in_text_order() -> None:
    text = (
        "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung."
    )
    assert pairs(text, 4) == pairs(text) and pairs(text, 10) == pairs(text)
    assert pairs(text, 3) == [
        ("Bilateral pulmonary infection", "diagnostic"),
        ("upper left lung", "locational"),
        ("lower right lung", "locational"),
    ]
    assert pairs(text, 2) == [("upper left lung", "locational"), ("lower right lung", "locational")]
    assert pairs(text, 1) == [("upper left lung", "locational")]
    assert pairs(text, 0) == []
    # without enough locations the others fill up in text order
    assert pairs("fever, cough, left base, rash", 2) == [
        ("fever", "diagnostic"),
        ("left base", "locational"),
    ]
    with pytest.raises(ValueError):
        split_expressions(text, -1)


@FAST
@given(st.text(), st.one_of(st.none(), st.integers(0, 8)))
def test_never_raises_and_spans_hold(text: str, limit: int | None) -> None:
    exprs = split_expressions(text, limit)
    check_spans(text, exprs)
    assert limit is None or len(exprs) <= limit
    for e in exprs:
        assert e.kind in KINDS
        assert e.regions == () or e.kind == "locational"


_WORDS = st.sampled_from(
    "left right bilateral unilateral both all upper middle lower base apices lingula lobe "
    "lung and & with no two areas infection , ; . : \n".split(" ")
)


@FAST
@given(st.lists(_WORDS, max_size=30), st.one_of(st.none(), st.integers(0, 5)))
def test_vocabulary_soup(words: list[str], limit: int | None) -> None:
    text = " ".join(words)
    exprs = split_expressions(text, limit)
    check_spans(text, exprs)
    full = split_expressions(text)
    if limit is not None and len(full) > limit:
        n_loc = sum(e.kind == "locational" for e in full)
        assert sum(e.kind == "locational" for e in exprs) == min(limit, n_loc)


@pytest.mark.parametrize(
    "unit",
    [
        "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right lung. ",
        "a,",
        "left,",
        "left and ",
        " ",
    ],
)
@pytest.mark.timeout(30)  # a hang guard, not a speed claim: a quadratic splitter would not finish
def test_100k_characters_are_split(unit: str) -> None:
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    exprs = split_expressions(text, 6)
    assert len(exprs) <= 6
    check_spans(text, exprs)
