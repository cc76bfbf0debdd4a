"""Reading whole reports (ssa.report): the corpus figures, the rules one by one, fuzzing.

The corpus (tests/data/report_*.jsonl, written for this project from public reporting
conventions, see docs/report-parser.md) gives two figures per part, the ones the issue's
targets use: *side set exactly right* (share of texts whose parsed set of sides is the
expected one) and *named zone found* (share of expected (side, zone) pairs in the parse).
The held-out files were written last and never used while the rules were tuned. To see the
figures:

    HF_HUB_OFFLINE=1 .venv/bin/python -m pytest -q -s tests/test_report_parser.py -k figures
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssa.report import REASONS, STATUSES, read_report
from ssa.spatial import ZONES, parse_locations
from tests.report_corpus import CORPORA, figures, load

# (side set exactly right, named zone found): at or a little under what the parser reaches
# (docs/report-parser.md), never under the targets on unseen reports (0.90, 0.80).
FLOORS = {
    "sentences": (0.98, 0.98),
    "reports": (0.95, 0.98),
    "held-out sentences": (0.95, 0.95),
    "held-out reports": (0.90, 0.90),
    "clinical sentences": (0.97, 0.97),
    "clinical reports": (0.95, 0.97),
    # the targets for this part: sides >= 0.95, zones >= 0.85
    "clinical held-out sentences": (0.95, 0.90),
    "clinical held-out reports": (0.90, 0.90),
}
FAST = settings(max_examples=200, deadline=None)


# ------------------------------------------------------------------------------ corpus


def test_corpus_is_large_enough_and_well_formed() -> None:
    rows = {name: load(name) for name in CORPORA}
    assert len(rows["sentences"]) + len(rows["held-out sentences"]) >= 200
    assert len(rows["reports"]) + len(rows["held-out reports"]) >= 40
    assert len(rows["held-out reports"]) >= 0.25 * (len(rows["reports"]) + len(rows["held-out reports"]))
    # the clinical part: about a quarter held out (40 of 174 sentences, 10 of 40 reports)
    for kind in ("sentences", "reports"):
        held, tuned = len(rows[f"clinical held-out {kind}"]), len(rows[f"clinical {kind}"])
        assert held >= 10 and held / (held + tuned) >= 0.2
    ids = [row["id"] for part in rows.values() for row in part]
    assert len(ids) == len(set(ids))
    for part in rows.values():
        for row in part:
            assert row["text"].strip() and set(row["expected"]) <= {"left", "right"}
            assert all(set(zones) <= set(ZONES) for zones in row["expected"].values())
    lesion_free = [row for row in rows["sentences"] if not row["expected"]]
    assert len(lesion_free) >= 60  # negations, devices, history, anatomy, ...
    assert any(not row["expected"] for row in rows["reports"])


def test_corpus_figures() -> None:
    """Prints the figures (run with -s) and holds them at their floors."""
    lines, failed = [], []
    for name in CORPORA:
        side, zone, wrong = figures(load(name))
        lines.append(f"{name:27s} n={len(load(name)):3d}  side set exactly right {side:.3f}  "
                     f"named zone found {zone:.3f}")
        floor_side, floor_zone = FLOORS[name]
        if side < floor_side or zone < floor_zone:
            failed.append(f"{name}: {side:.3f} / {zone:.3f} under {FLOORS[name]}\n  " + "\n  ".join(wrong))
    print("\nReport parser on the corpus (parse_locations):\n" + "\n".join(lines))
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("name", ["reports", "held-out reports"])
def test_report_figures_hold_when_the_lines_are_joined(name: str) -> None:
    """The demo turns a pasted report's line breaks into spaces (clean_prompt): headers inline."""
    joined = figures(load(name), lambda text: " ".join(text.split()))
    side, zone, _ = figures(load(name))
    assert joined[:2] == (side, zone), joined[2]


# ------------------------------------------------------------------------------- rules


def regions(text: str) -> dict[str, set[str]]:
    return {r.side: set(r.zones) for r in parse_locations(text)}


U, M, L = "upper", "middle", "lower"


@pytest.mark.parametrize(
    "text, expected",
    [
        # the report
        ("FINDINGS: Left-sided PICC tip in the SVC. Heart size normal. Patchy opacity in the right "
         "lower lobe. No pleural effusion on the left. Prior left upper lobectomy.\n"
         "IMPRESSION: Right basilar pneumonia.", {"right": {L}}),
        # sections
        ("HISTORY: left lower lobe pneumonia.\nFINDINGS: Right upper lobe nodule.", {"right": {U}}),
        ("EXAMINATION: CHEST PA AND LATERAL INDICATION: r/o left pneumonia FINDINGS: Clear lungs.", {}),
        ("COMPARISON: Prior film showed right upper lobe consolidation. FINDINGS: No acute process.", {}),
        ("Technique: portable AP. Findings: bibasilar atelectasis.", {"left": {L}, "right": {L}}),
        # negation and its scope
        ("No pneumothorax, pleural effusion or focal consolidation in the right lung.", {}),
        ("The left lung is without consolidation.", {}),
        ("Right lower lobe consolidation without effusion.", {"right": {L}}),
        ("Right basilar opacity and clear left lung.", {"right": {L}}),
        ("Persistent right basilar opacity with otherwise clear lungs.", {"right": {L}}),
        ("Left upper lobe nodule is not seen on today's exam.", {}),
        ("Opacity in the right lower lobe which was not present previously.", {"right": {L}}),
        ("Left lower lobe consolidation has partially resolved.", {"left": {L}}),
        ("No effusion and patchy opacity at the right base.", {"right": {L}}),
        ("Lungs: Clear. Pleura: Small left effusion.", {"left": {U, M, L}}),
        ("Left lung: clear.", {}),
        # devices
        ("Right IJ catheter with tip in the right atrium.", {}),
        ("Chest tube in the right hemithorax.", {}),
        ("Right chest tube with small residual pneumothorax.", {"right": {U, M, L}}),
        ("Left PICC with small effusion.", {}),
        # history
        ("Status post left lobectomy with new right lower lobe opacity.", {"right": {L}}),
        ("Post-surgical changes in the right upper lobe.", {}),
        # landmarks
        ("Opacity abutting the left heart border.", {"left": {M}}),
        ("Minimal blunting of the right costophrenic angle.", {"right": {L}}),
        ("Large left pneumothorax with mediastinal shift to the right.", {"left": {U, M, L}}),
        ("Gastric bubble under the left hemidiaphragm.", {}),
        # no finding
        ("Patient rotated to the left.", {}),
        ("The left lung is hyperexpanded.", {}),
        # a preposition-led bare clause after other words is their place, not a phrase
        ("Azygos fissure, a normal variant, in the right upper lung.", {}),
        ("fever, cough, left base", {"left": {L}}),
        # colon topics: the place of what follows the colon
        ("RIGHT LUNG: Patchy consolidation in the lower zone.", {"right": {L}}),
        ("Right lung: opacity at the base.", {"right": {L}}),
        ("Bases: patchy opacity on the left.", {"left": {L}}),
        ("Lungs: patchy opacity in the right lower zone.", {"right": {L}}),
        ("Left base: atelectasis.", {"left": {L}}),
        ("RIGHT LUNG: Patchy opacity. LEFT LUNG: Clear.", {"right": {U, M, L}}),
        ("Right lung: upper zone clear, lower zone patchy opacity.", {"right": {U, M, L}}),
        # appositives: one place across the comma, or across "i.e."
        ("The right lung, lower zone, shows patchy opacity.", {"right": {L}}),
        ("A small nodule in the right lung, upper lobe.", {"right": {U}}),
        ("Left lung opacity, lower zone predominant.", {"left": {U, M, L}}),
        ("Opacity in the lingula, i.e. the left upper lobe.", {"left": {M, U}}),
        ("No consolidation in the lingula, i.e. the left upper lobe.", {}),
        # a lone "bilateral" next to a named side; side comparisons
        ("Bilateral opacities, more on the right.", {"left": {U, M, L}, "right": {U, M, L}}),
        ("Bilateral effusions, greater on the left.", {"left": {U, M, L}, "right": {U, M, L}}),
        ("Bilateral patchy opacities, right lower zone predominant.",
         {"left": {U, M, L}, "right": {U, M, L}}),
        ("Multiple bilateral pulmonary nodules, the largest in the left lower lobe.",
         {"left": {U, M, L}, "right": {U, M, L}}),
        ("Bilateral upper lobe scarring, greater on the right.", {"left": {U}, "right": {U}}),
        ("Patchy bibasilar opacities, left greater than right.", {"left": {L}, "right": {L}}),
        ("Reticulation, basal predominant, worse on the right.", {"left": {L}, "right": {L}}),
        ("Larger right pleural effusion.", {"right": {U, M, L}}),
        ("Right effusion, larger than before.", {"right": {U, M, L}}),
        ("Right lower lobe opacity. Bilateral opacities, lower zone.", {"left": {L}, "right": {L}}),
        # the caption's "bilateral" is still the areas it lists
        ("Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.",
         {"left": {U}, "right": {L}}),
        ("Bilateral pulmonary infection, lower left lung.", {"left": {L}}),
    ],
)
def test_rules(text: str, expected: dict[str, set[str]]) -> None:
    assert regions(text) == expected


@pytest.mark.parametrize(
    "text, status, reason",
    [
        ("Left-sided PICC tip in the SVC.", "set aside", "device"),
        ("No pleural effusion on the left.", "set aside", "negated"),
        ("Prior left upper lobectomy.", "set aside", "history"),
        ("The left hemidiaphragm is elevated.", "set aside", "normal anatomy"),
        ("Patient rotated to the left.", "set aside", "no finding"),
        ("Patchy opacity in the right lower lobe.", "used", None),
        ("Heart size normal.", "no location", None),
    ],
)
def test_sentence_status_and_reason(text: str, status: str, reason: str | None) -> None:
    (sentence,) = read_report(text).sentences
    assert (sentence.status, sentence.reason) == (status, reason)


def test_reading_records_sections_spans_hedges_and_what_was_set_aside() -> None:
    text = ("INDICATION: left pneumonia?\nFINDINGS: Left PICC in place, with possible new opacity in the "
            "right upper lobe. Lingular atelectasis.")
    reading = read_report(text)
    first, second, third = reading.sentences
    assert (first.section, first.section_kind, first.status, first.reason) == (
        "INDICATION", "history", "set aside", "history")
    assert second.section == "FINDINGS" and second.status == "used" and second.hedged
    assert [(a.text, a.reason) for a in second.set_aside] == [("Left", "device")]
    assert {r.side: set(r.zones) for r in second.regions} == {"right": {U}}
    assert not third.hedged and {r.side: set(r.zones) for r in third.regions} == {"left": {M}}
    for sentence in reading.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        for aside in sentence.set_aside:
            assert text[aside.start : aside.end] == aside.text
    assert list(reading.regions) == parse_locations(text)
    assert [s.text for s in reading.used] == [second.text, third.text]


def test_a_caption_is_one_used_sentence() -> None:
    text = "Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung."
    (sentence,) = read_report(text).sentences
    assert sentence.status == "used" and not sentence.set_aside and sentence.section == ""


def test_read_report_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        read_report(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the notes


def test_notes_list_the_sentences_used_and_set_aside() -> None:
    from ssa.analysis import prompt_notices  # the demo's notes (imports the model stack)
    from ssa.expressions import read_prompt

    text = ("FINDINGS: Left-sided PICC tip in the SVC. Patchy opacity in the right lower lobe. "
            "No pleural effusion on the left. Prior left upper lobectomy. IMPRESSION: Possible right "
            "basilar pneumonia.")
    notes = prompt_notices(read_prompt(text), "xray", False)
    assert notes[0] == "Location read from the prompt: **right lung (lower)**."
    reading = notes[1]
    assert reading.startswith("Read as a report (5 sentences): 2 used for the guidance, 3 set aside:")
    assert "\n  * Set aside (device): “Left-sided PICC tip in the SVC”" in reading
    assert "\n  * Used: “Patchy opacity in the right lower lobe” → right lung (lower)" in reading
    assert "\n  * Set aside (negated): “No pleural effusion on the left”" in reading
    assert "\n  * Set aside (history): “Prior left upper lobectomy”" in reading
    assert "\n  * Used, hedged: “Possible right basilar pneumonia” → right lung (lower)" in reading
    # one phrase, nothing set aside: the notes stay as they were
    assert prompt_notices(read_prompt("lower left lung"), "xray", False) == [
        "Location read from the prompt: **left lung (lower)**."]
    # a single set-aside sentence is explained
    notes = prompt_notices(read_prompt("No effusion on the left."), "xray", False)
    assert "no spatial constraint" in notes[0] and "Set aside (negated)" in notes[1]
    # markup in a pasted sentence is shown, not rendered
    notes = prompt_notices(read_prompt("Opacity *left* base. <b>Right</b> base_nodule."), "xray", False)
    assert "\\*left\\*" in notes[-1] and "\\<b\\>" in notes[-1]


# ------------------------------------------------------------------------- robustness


def check_reading(text: str) -> None:
    reading = read_report(text)
    for sentence in reading.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.status in STATUSES and (sentence.reason is None or sentence.reason in REASONS)
        assert (sentence.reason is None) == (sentence.status != "set aside")
        for aside in sentence.set_aside:
            assert text[aside.start : aside.end] == aside.text and aside.reason in REASONS
    assert list(reading.regions) == parse_locations(text)


@FAST
@given(st.text())
def test_read_report_never_raises_on_any_text(text: str) -> None:
    check_reading(text)


_REPORT_WORDS = st.sampled_from(
    "FINDINGS: IMPRESSION: HISTORY: INDICATION: Comparison: technique: left right bilateral "
    "upper lower middle lobe lung base apex lingula RUL retrocardiac bibasilar hilar opacity "
    "consolidation effusion nodule pneumothorax PICC tube chest catheter tip in the of and or "
    "with no without not seen clear resolved otherwise possible cannot exclude status post s/p "
    "history lobectomy heart border hemidiaphragm costophrenic angle superior segment , ; . : \n "
    "2.5 cm".split(" ")
)


@FAST
@given(st.lists(_REPORT_WORDS, max_size=40))
def test_report_vocabulary_soup_never_raises(words: list[str]) -> None:
    check_reading(" ".join(words))


@pytest.mark.parametrize(
    "unit",
    [
        "FINDINGS: Left-sided PICC tip in the SVC. Patchy opacity in the right lower lobe, no effusion. ",
        "No pneumothorax, effusion, or consolidation on the left, ",
        "clear left lung and ",
        "Right lung: clear: ",
        "HISTORY: ",
    ],
)
@pytest.mark.timeout(30)  # a hang guard, not a speed claim: a quadratic reader would not finish
def test_100k_character_reports_are_read(unit: str) -> None:
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    check_reading(text)
