"""Location parsing, guidance masks and side swapping (ssa.spatial)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssa.report import read_report
from ssa.spatial import (
    FIXED_WORDS,
    Region,
    guidance_mask,
    parse_locations,
    region_mask,
    side_columns,
    swap_sides,
)

U, M, L = "upper", "middle", "lower"
ZONE_PHRASES = {
    "all": {U, M, L},
    "upper": {U},
    "middle": {M},
    "lower": {L},
    "upper middle": {U, M},
    "middle lower": {M, L},
    "upper middle lower": {U, M, L},
}
SIZES = [(224, 224), (200, 300), (300, 200)]
FAST = settings(max_examples=200, deadline=None)


def regions(text: str) -> dict[str, set[str]]:
    """parse_locations as a plain dict, for readable asserts."""
    return {r.side: set(r.zones) for r in parse_locations(text)}


def image_half(side: str, width: int, convention: str) -> np.ndarray:
    """Boolean column mask of the image half the test expects for a patient side."""
    cols = np.arange(width)
    on_image_right = (side == "left") == (convention == "radiological")
    return cols >= width / 2 if on_image_right else cols < width / 2


def zone_rows(zones: set[str], height: int, band: tuple[float, float] = (0.1, 0.9)) -> np.ndarray:
    """Rows whose centre lies in one of the named thirds of the lung band."""
    y = np.arange(height) + 0.5
    top, third = band[0] * height, (band[1] - band[0]) * height / 3
    keep = np.zeros(height, dtype=bool)
    for k, zone in enumerate((U, M, L)):
        if zone in zones:
            keep |= (y >= top + k * third) & (y < top + (k + 1) * third)
    return keep


# ------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("phrase", list(ZONE_PHRASES))
@pytest.mark.parametrize("side", ["left", "right"])
def test_template_phrases_parse(phrase: str, side: str) -> None:
    text = f"Unilateral pulmonary infection, one infected area, {phrase} {side} lung."
    assert regions(text) == {side: ZONE_PHRASES[phrase]}


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right lung.",
            {"left": {U, M, L}, "right": {U, M}},
        ),
        (
            "Unilateral pulmonary infection, two infected areas, middle lower left lung.",
            {"left": {M, L}},
        ),
        (
            "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.",
            {"left": {U}, "right": {L}},
        ),
        ("upper left lung and lower right lung", {"left": {U}, "right": {L}}),
        (
            "Bilateral pulmonary infection, three infected areas, lower left lung and upper lower right lung.",
            {"left": {L}, "right": {U, L}},
        ),
        ("UPPER LEFT LUNG AND LOWER RIGHT LUNG", {"left": {U}, "right": {L}}),
    ],
)
def test_dataset_examples(text: str, expected: dict[str, set[str]]) -> None:
    assert regions(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # bilateral / unilateral
        ("Bilateral pulmonary infection.", {"left": {U, M, L}, "right": {U, M, L}}),
        ("Unilateral pulmonary infection, one infected area.", {}),
        ("Bilateral pulmonary infection, lower left lung.", {"left": {L}}),
        (
            "Bilateral pulmonary infection, two infected areas, lower lung.",
            {"left": {L}, "right": {L}},
        ),
        ("Unilateral pulmonary infection, one infected area, lower lung.", {}),
        ("bilateral lower lobes", {"left": {L}, "right": {L}}),
        ("bilateral lobes", {"left": {U, M, L}, "right": {U, M, L}}),
        ("Bilateral lower lobes and right upper lobe", {"left": {L}, "right": {U, L}}),
        ("both lungs", {"left": {U, M, L}, "right": {U, M, L}}),
        # bases and apices
        ("left base opacity", {"left": {L}}),
        ("basal atelectasis on the right", {"right": {L}}),
        ("left basilar consolidation", {"left": {L}}),
        ("bibasilar opacities", {"left": {L}, "right": {L}}),
        ("opacities at both bases", {"left": {L}, "right": {L}}),
        ("right apex pneumothorax", {"right": {U}}),
        ("left apical scarring", {"left": {U}}),
        ("scarring at the apices", {"left": {U}, "right": {U}}),
        ("biapical pleural thickening", {"left": {U}, "right": {U}}),
        # lobes
        ("lingular atelectasis", {"left": {M}}),
        ("consolidation in the lingula", {"left": {M}}),
        ("right middle lobe pneumonia", {"right": {M}}),
        ("middle lobe collapse", {"right": {M}}),
        ("left upper lobe mass", {"left": {U}}),
        ("right lower lobe consolidation", {"right": {L}}),
        ("left upper and lower lobes", {"left": {U, L}}),
        ("upper and lower left lung", {"left": {U, L}}),
        ("right and left lower lobes", {"left": {L}, "right": {L}}),
        ("left lower lobe and lingula", {"left": {M, L}}),
        ("RUL and LLL infiltrates", {"left": {L}, "right": {U}}),
        ("retrocardiac opacity", {"left": {L}}),
        # middle
        ("perihilar haziness", {"left": {M}, "right": {M}}),
        ("left perihilar opacity", {"left": {M}}),
        ("mid-lung opacity on the right", {"right": {M}}),
        ("right mid zone", {"right": {M}}),
        # whole sides
        ("left hemithorax opacification", {"left": {U, M, L}}),
        ("opacity in the right lung", {"right": {U, M, L}}),
        ("left lung and right lung", {"left": {U, M, L}, "right": {U, M, L}}),
        # sideless zones borrow the text's single side, or both sides with "bilateral"
        ("Left lung opacity. Lower zone predominant.", {"left": {U, M, L}}),
        ("Left lower lobe consolidation; upper zone spared.", {"left": {L}}),
        ("lower zone opacity", {}),
        ("Right upper lobe and left lung. Lower zone.", {"left": {U, M, L}, "right": {U}}),
        # negation
        ("No effusion in the right lung. Left base opacity.", {"left": {L}}),
        ("Left lower lobe consolidation. The right lung is clear.", {"left": {L}}),
        # words that only look like locations
        ("both nodules are small", {}),
        ("all four infected areas", {}),
        ("Two infected areas, 2.5 cm, left lung", {"left": {U, M, L}}),
        # hila, segments, and self-contained words next to sideless zones
        ("right hilar mass", {"right": {M}}),
        ("left infrahilar opacity", {"left": {M, L}}),
        ("nodule in the superior segment of the left lower lobe", {"left": {L}}),
        ("apical segment of the right upper lobe", {"right": {U}}),
        ("inferior lingula atelectasis", {"left": {M}}),
        ("RUL and lower zone opacity", {"right": {U, L}}),
        ("lingula and upper lobe", {"left": {U, M}}),
        ("middle lobe and perihilar opacities", {"left": {M}, "right": {M}}),
        # a colon topic is the place of what follows it (rule 8 of docs/report-parser.md)
        ("Right lung: opacity at the base. Left lung: nodule in the upper zone.", {"left": {U}, "right": {L}}),
        ("Middle lobe collapse. Lower zone opacity.", {"right": {M, L}}),
        ("Bilateral patchy opacities. Small left effusion.", {"left": {U, M, L}, "right": {U, M, L}}),
        # read as a report (ssa.report): no longer a false negative, and what does not count
        ("No change in the left lower lobe consolidation.", {"left": {L}}),
        ("Left-sided PICC. Patchy opacity at the right base.", {"right": {L}}),
        ("Clear left lung.", {}),
        ("fever, cough, left base, rash", {"left": {L}}),
    ],
)
def test_report_words(text: str, expected: dict[str, set[str]]) -> None:
    assert regions(text) == expected


def test_parse_is_merged_sorted_and_deterministic() -> None:
    text = "right lower lobe, left apex, right upper lobe, left base, lingula"
    out = parse_locations(text)
    assert [r.side for r in out] == ["left", "right"]
    assert out == [Region("left", frozenset({U, M, L})), Region("right", frozenset({U, L}))]
    assert parse_locations(text) == out


def test_region_validates_and_normalises() -> None:
    assert Region("left", {U}).zones == frozenset({U})  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Region("centre", frozenset({U}))
    with pytest.raises(ValueError):
        Region("left", frozenset())
    with pytest.raises(ValueError):
        Region("left", frozenset({"top"}))


# --------------------------------------------------------------------------- masks


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("convention", ["radiological", "viewer"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("phrase", list(ZONE_PHRASES))
def test_xray_mask_mass_in_named_side_and_zones(
    phrase: str, side: str, convention: str, size
) -> None:
    text = f"Unilateral pulmonary infection, one infected area, {phrase} {side} lung."
    mask = guidance_mask(text, size, convention=convention)
    assert mask.shape == size and mask.dtype == np.float32
    assert mask.min() >= 0.0 and mask.max() == 1.0
    total = mask.sum()
    half = image_half(side, size[1], convention)
    assert mask[:, half].sum() >= 0.99 * total
    rows = zone_rows(ZONE_PHRASES[phrase], size[0])
    assert mask[rows].sum() >= 0.85 * total
    assert np.all(mask[rows][:, half] == 1.0)  # the named zone itself is fully on


@pytest.mark.parametrize("convention", ["radiological", "viewer"])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("phrase", list(ZONE_PHRASES))
def test_ct_mask_is_the_side_half_on_every_row(phrase: str, side: str, convention: str) -> None:
    text = f"Unilateral pulmonary infection, one infected area, {phrase} {side} lung."
    for size in SIZES:
        mask = guidance_mask(text, size, convention=convention, modality="ct")
        half = image_half(side, size[1], convention)
        assert mask[:, ~half].sum() == 0.0
        assert np.all(mask[:, half] == 1.0)  # uniform over rows: the zone is the slice's level


def test_convention_mirrors_the_mask() -> None:
    text = "lower left lung"
    radio = guidance_mask(text, (224, 224), convention="radiological")
    viewer = guidance_mask(text, (224, 224), convention="viewer")
    np.testing.assert_array_equal(radio, viewer[:, ::-1])
    assert radio[:, 112:].sum() == radio.sum()  # patient left = image right


def test_two_locations_give_the_union() -> None:
    size = (224, 224)
    both = guidance_mask("upper left lung and lower right lung", size)
    one = guidance_mask("upper left lung", size)
    two = guidance_mask("lower right lung", size)
    np.testing.assert_array_equal(both, np.maximum(one, two))
    assert one.sum() > 0 and two.sum() > 0
    assert not np.any((one > 0) & (two > 0))  # opposite halves: disjoint supports


def test_non_contiguous_zones_make_two_bands() -> None:
    mask = guidance_mask("upper and lower left lung", (300, 200))
    profile = mask[:, 150]
    rows_mid = zone_rows({M}, 300)
    assert profile[rows_mid].min() == 0.0  # a gap in the middle third
    assert profile[zone_rows({U, L}, 300)].min() == 1.0


@pytest.mark.parametrize(
    "text",
    ["", "   ", "Pulmonary infection.", "Unilateral pulmonary infection, one infected area."],
)
@pytest.mark.parametrize("modality", ["xray", "ct"])
def test_no_location_gives_all_ones(text: str, modality: str) -> None:
    mask = guidance_mask(text, (64, 48), modality=modality)
    assert mask.shape == (64, 48) and mask.dtype == np.float32
    assert np.all(mask == 1.0)
    assert np.all(region_mask([], (5, 7)) == 1.0)


def test_lung_band_moves_the_zones() -> None:
    mask = guidance_mask("upper right lung", (100, 100), lung_band=(0.3, 0.6))
    col = mask[:, 10]  # radiological: patient right = image left
    assert col[zone_rows({U}, 100, (0.3, 0.6))].min() == 1.0
    assert col[:20].max() == 0.0 and col[50:].max() == 0.0


def test_side_columns_partition_the_width() -> None:
    for width in (1, 2, 7, 224, 225):
        for convention in ("radiological", "viewer"):
            left = np.zeros(width, dtype=int)
            right = np.zeros(width, dtype=int)
            left[side_columns("left", width, convention)] = 1
            right[side_columns("right", width, convention)] = 1
            assert np.all(left + right == 1)
            np.testing.assert_array_equal(left.astype(bool), image_half("left", width, convention))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"convention": "neurological"},
        {"convention": "Radiological"},
        {"modality": "mri"},
        {"lung_band": (0.9, 0.1)},
        {"lung_band": (-0.1, 0.5)},
    ],
)
def test_invalid_options_raise(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        guidance_mask("lower left lung", (32, 32), **kwargs)
    with pytest.raises(ValueError):
        guidance_mask("", (32, 32), **kwargs)  # also when the text names nothing


def test_invalid_convention_message_names_the_options() -> None:
    with pytest.raises(ValueError, match="radiological.*viewer"):
        region_mask([Region("left", frozenset({U}))], (8, 8), convention="bad")
    with pytest.raises(ValueError, match="xray.*ct"):
        region_mask([], (8, 8), modality="mr")
    with pytest.raises(ValueError):
        side_columns("middle", 8, "radiological")
    with pytest.raises(ValueError):
        region_mask([], (0, 8))


# --------------------------------------------------------------------------- swap


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lower left lung", "lower right lung"),
        ("Left upper lobe and RIGHT base", "Right upper lobe and LEFT base"),
        ("left-sided, right-sided", "right-sided, left-sided"),
        ("leftover rightmost bright", "leftover rightmost bright"),
        ("RUL and lll nodules", "LUL and rll nodules"),
        ("", ""),
    ],
)
def test_swap_sides(text: str, expected: str) -> None:
    assert swap_sides(text) == expected
    assert swap_sides(expected) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        # words without a twin become a self-contained word of the mirrored side and zone
        ("lingula of the left lung", "rml of the right lung"),  # lower-case text, lower-case word
        ("lingular atelectasis", "rml atelectasis"),
        ("Retrocardiac opacity", "RLL opacity"),
        ("RML collapse", "lingula collapse"),
        ("Rml collapse", "Lingula collapse"),
        ("Middle lobe pneumonia", "Lingula pneumonia"),  # a sideless middle lobe is the right one
        ("right middle lobe pneumonia", "left middle lobe pneumonia"),  # its own side swaps
        ("Medial segment of the middle lobe", "Medial segment of the lingula"),
    ],
)
def test_swap_sides_mirrors_words_without_a_twin(text: str, expected: str) -> None:
    assert swap_sides(text) == expected


def _mirror(regions: list[Region]) -> set[tuple[str, frozenset[str]]]:
    return {("right" if r.side == "left" else "left", r.zones) for r in regions}


# Every word with a fixed side (the lexicon's self-contained words, the sides, the implied
# middle lobe, the report reader's landmarks and pleural devices) in report-like sentences.
_SIDE_BEARING = ["left", "right", "middle lobe", "the mid lobe", "left lower lobe", "right heart border",
                 "left costophrenic angle", "right hemidiaphragm"] + [w for ws in FIXED_WORDS for w in ws]
_MIRROR_TEMPLATES = [
    "{w}", "{w} opacity", "Patchy opacity in the {w}.", "No effusion. {w} consolidation.",
    "{w} and lower zone opacity", "{w} consolidation, lower zone predominant", "superior {w} segment nodule",
    "{w} atelectasis; perihilar haziness", "{w} nodule. Upper zone opacity.", "Opacity obscuring the {w}.",
    "{w} and upper lobe opacities", "FINDINGS: {w} pneumonia. IMPRESSION: basilar atelectasis.",
    "Left PICC with {w} opacity", "{w} and perihilar opacities", "Bilateral pulmonary infection, {w}.",
    "{w} chest tube with small pneumothorax", "No {w} consolidation.", "Possible {w} pneumonia.",
]


@pytest.mark.parametrize("word", _SIDE_BEARING)
def test_swap_sides_mirrors_the_parse_over_the_side_bearing_vocabulary(word: str) -> None:
    for case in (str.lower, str.capitalize, str.upper):
        for template in _MIRROR_TEMPLATES:
            text = template.format(w=case(word))
            swapped = swap_sides(text)
            assert {(r.side, r.zones) for r in parse_locations(swapped)} == _mirror(parse_locations(text)), (
                f"{text!r} -> {swapped!r}")


@pytest.mark.parametrize(
    "text",
    [
        "Patchy opacity in the lingula and RLL; retrocardiac atelectasis.",
        "FINDINGS: Left-sided PICC tip in the SVC. Middle lobe consolidation. No effusion on the right.",
        "Tree-in-bud nodularity in the right middle lobe and lingula.",
        "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.",
        "Status post left upper lobectomy with new RUL nodule.",
    ],
)
def test_swap_sides_mirrors_report_sentences(text: str) -> None:
    assert {(r.side, r.zones) for r in parse_locations(swap_sides(text))} == _mirror(parse_locations(text))


def test_swap_sides_swaps_the_parse() -> None:
    text = "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right lung."
    swapped = {("right" if r.side == "left" else "left", r.zones) for r in parse_locations(text)}
    assert {(r.side, r.zones) for r in parse_locations(swap_sides(text))} == swapped


_CASED_SIDES = st.sampled_from(["left", "right", "Left", "Right", "LEFT", "RIGHT"])


@FAST
@given(st.lists(st.one_of(_CASED_SIDES, st.text(max_size=8)), max_size=20))
def test_swap_sides_round_trips(parts: list[str]) -> None:
    # Mixed-case "righT" -> "left" cannot come back (5 letters' case in 4): lower/Title/UPPER only.
    cased = ("left", "right", "Left", "Right", "LEFT", "RIGHT")
    parts = [p for p in parts if p in cased or "right" not in p.lower()]
    text = " ".join(parts)
    assert swap_sides(swap_sides(text)) == text


# ----------------------------------------------------------------- robustness


_VOCAB = st.sampled_from(
    "left right Left RIGHT bilateral unilateral both all upper middle lower mid base bases apex "
    "apices lingula lobe lobes lung lungs and & with no clear , ; . : \n the of RUL perihilar "
    "bibasilar hemithorax infected areas two FINDINGS: HISTORY: Impression: opacity effusion PICC "
    "tube chest status post lobectomy without or not seen resolved possible heart border "
    "hemidiaphragm costophrenic superior segment hilar retrocardiac otherwise".split(" ")
)


@FAST
@given(st.text())
def test_parse_and_mask_never_raise_on_any_text(text: str) -> None:
    for r in parse_locations(text):
        assert r.side in ("left", "right") and r.zones and r.zones <= {U, M, L}
    mask = guidance_mask(text, (16, 12))
    assert mask.shape == (16, 12) and 0.0 <= mask.min() <= mask.max() <= 1.0
    reading = read_report(text)
    assert list(reading.regions) == parse_locations(text)
    for sentence in reading.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
    swap_sides(text)


@FAST
@given(st.lists(_VOCAB, max_size=30), st.sampled_from(["xray", "ct"]))
def test_vocabulary_soup_never_raises(words: list[str], modality: str) -> None:
    text = " ".join(words)
    out = parse_locations(text)
    assert [r.side for r in out] == sorted({r.side for r in out})  # one per side, left first
    mask = guidance_mask(text, (20, 30), modality=modality)
    assert 0.0 <= mask.min() <= mask.max() <= 1.0
    assert list(read_report(text).regions) == out
    parse_locations(swap_sides(text))


@pytest.mark.parametrize(
    "text",
    [
        "Bilateral pulmonary infection, two infected areas, all left lung and upper middle right lung. "
        * 1100,
        "left and " * 12_500,
        "both " * 20_000,
        "all of the " * 10_000,
        ",." * 50_000,
        "a" * 100_000,
        "left\u202eright\u0000\U0001f600lower\u200f" * 5_000,
        "FINDINGS: No effusion on the left, patchy opacity in the middle lobe. Left PICC. " * 1300,
        "no left effusion, " * 6_000,
        "No pneumothorax, effusion or consolidation on the left, " * 2_000,
        "status post left lobectomy with new right opacity " * 2_100,
    ],
)
@pytest.mark.timeout(30)  # a hang guard, not a speed claim: a quadratic parser would not finish
def test_long_prompts_are_parsed(text: str) -> None:
    text = text[:100_000]
    out = parse_locations(text)
    mask = guidance_mask(text, (224, 224))
    swap_sides(text)
    assert mask.shape == (224, 224)
    assert all(isinstance(r, Region) for r in out)


def test_unicode_around_location_words() -> None:
    assert regions("\U0001f600 lower left lung \u05e9\u05dc\u05d5\u05dd") == {"left": {L}}
    assert regions("leftλ lung") == {}  # a letter glued on makes another word
    assert regions("l\u0435ft lung") == {}  # Cyrillic e is not "left"
