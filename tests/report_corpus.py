"""The report corpus (tests/data/report_*.jsonl) and its two figures, for any parser.

    python tests/report_corpus.py        # prints the figures of ssa.spatial.parse_locations

Only ``parse_locations`` is used, so the same file measures an older checkout too (copy it
and tests/data/ there). *Side set exactly right*: share of texts whose set of parsed sides is
the expected one; *named zone found*: share of expected (side, zone) pairs in the parse. In
brackets, *zones exactly right* (:func:`zones_exact`): extra zones count against it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssa.spatial import parse_locations  # noqa: E402

DATA = Path(__file__).parent / "data"
CORPORA = {
    "sentences": "report_sentences.jsonl",
    "reports": "report_reports.jsonl",
    "held-out sentences": "report_sentences_heldout.jsonl",
    "held-out reports": "report_reports_heldout.jsonl",
    # Written later in the style of public chest X-ray / CT reports (colon topics, appositives,
    # "bilateral ... more on the right", everyday phrasing); the held-out quarter first, before
    # the rules for them were tuned on the rest.
    "clinical sentences": "report_sentences_clinical.jsonl",
    "clinical reports": "report_reports_clinical.jsonl",
    "clinical held-out sentences": "report_sentences_clinical_heldout.jsonl",
    "clinical held-out reports": "report_reports_clinical_heldout.jsonl",
}

def load(name: str) -> list[dict]:
    lines = (DATA / CORPORA[name]).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def figures(rows: list[dict], prepare=lambda text: text) -> tuple[float, float, list[str]]:
    """(side set exactly right, named zone found, what went wrong) of parse_locations on ``rows``."""
    sides_right = pairs = found = 0
    wrong = []
    for row in rows:
        got = {r.side: r.zones for r in parse_locations(prepare(row["text"]))}
        expected = row["expected"]
        ok = set(got) == set(expected)
        sides_right += ok
        missed = [(side, zone) for side, zones in expected.items() for zone in zones
                  if zone not in got.get(side, ())]
        pairs += sum(len(zones) for zones in expected.values())
        found += sum(len(zones) for zones in expected.values()) - len(missed)
        if not ok or missed:
            wrong.append(f"{row['id']}: {row['text'][:100]!r} expected {expected}, got "
                         f"{ {s: sorted(z) for s, z in got.items()} }")
    return sides_right / len(rows), found / max(pairs, 1), wrong


def zones_exact(rows: list[dict]) -> float:
    """Share of texts with the side set right and, on every side the text names a zone for,
    exactly the named zones (no extra ones): what "named zone found" does not see."""
    exact = 0
    for row in rows:
        got = {r.side: r.zones for r in parse_locations(row["text"])}
        expected = row["expected"]
        exact += set(got) == set(expected) and all(
            not zones or set(zones) == got[side] for side, zones in expected.items())
    return exact / len(rows)


def main() -> None:
    for name in CORPORA:
        rows = load(name)
        side, zone, _ = figures(rows)
        print(f"{name:27s} n={len(rows):3d}  side set exactly right {side:.3f}  named zone found {zone:.3f}"
              f"  (zones exactly right {zones_exact(rows):.3f})")


if __name__ == "__main__":
    main()
