"""What a case says and holds: the vocabulary, the text's locations, the lesion plan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MODES = ("report", "referring")




ZONES = ("upper", "middle", "lower")


BAND = (0.1, 0.9)  # rows of the fixed zone grid (fractions of H), as ssa.spatial uses


COUNT_WORDS = ("one", "two", "three", "four")


MAX_REFERRED = 4


# Contiguous zone sets of the vocabulary, with how often a report uses each (COVID-19 is
# lower- and peripheral-predominant), and the words that name them.
ZONE_SETS: dict[tuple[str, ...], float] = {
    ("lower",): 0.24, ("middle",): 0.12, ("upper",): 0.08, ("middle", "lower"): 0.2,
    ("upper", "middle"): 0.1, ("upper", "middle", "lower"): 0.26,
}


_ZONE_WORDS = {("upper", "middle", "lower"): ("all", "all", "upper middle lower")}


@dataclass
class PlannedLocation:
    """A location phrase of the text: a patient side, contiguous zones, and lesions in it."""

    side: str
    zones: tuple[str, ...]
    n: int = 1


@dataclass
class LesionSpec:
    """A lesion to place: its side, the zones its mask must stay in (x-ray), size, who names it."""

    side: str
    zones: tuple[str, ...]
    size: str  # "small" | "medium" | "large" | "span"
    loc: int  # index into the text's locations, -1 for an unnamed (distractor) lesion
    kind: str = "ggo"  # "ggo" | "consolidation"


def _count_word(n: int) -> str:
    return COUNT_WORDS[n - 1] + (" infected area" if n == 1 else " infected areas")


def _zone_phrase(zones: tuple[str, ...], rng: np.random.Generator) -> str:
    words = _ZONE_WORDS.get(zones)
    return str(rng.choice(words)) if words else " ".join(zones)


def make_text(locs: Sequence[PlannedLocation], rng: np.random.Generator) -> str:
    """QaTa / MosMed template: "{Uni|Bi}lateral pulmonary infection, N infected areas, <loc>[ and <loc>]."."""
    sides = {loc.side for loc in locs}
    n = sum(loc.n for loc in locs)
    phrases = [f"{_zone_phrase(loc.zones, rng)} {loc.side} lung" for loc in locs]
    head = "Bilateral" if len(sides) == 2 else "Unilateral"
    return f"{head} pulmonary infection, {_count_word(n)}, {' and '.join(phrases)}."


def _zone_set(rng: np.random.Generator, must: str | None = None,
              exclude_all: bool = False) -> tuple[str, ...]:
    options = [z for z in ZONE_SETS if (must is None or must in z) and not (exclude_all and len(z) == 3)]
    p = np.array([ZONE_SETS[z] for z in options])
    return options[int(rng.choice(len(options), p=p / p.sum()))]


def _split_zones(zones: tuple[str, ...], n: int, rng: np.random.Generator) -> list[tuple[str, ...]]:
    """Zones of each of ``n`` lesions of one location: together they cover every named zone."""
    if n <= len(zones):  # contiguous pieces, e.g. ("upper", "middle") + ("lower",)
        cuts = sorted(rng.choice(np.arange(1, len(zones)), n - 1, replace=False)) if n > 1 else []
        bounds = [0, *[int(c) for c in cuts], len(zones)]
        return [zones[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    extra = [(str(rng.choice(zones)),) for _ in range(n - len(zones))]
    return [(z,) for z in zones] + extra


def plan_case(rng: np.random.Generator, modality: str, mode: str) -> tuple[list[PlannedLocation], list[LesionSpec], str | None]:
    """Choose the text's locations and every lesion (named and distractor) before drawing."""
    level = str(rng.choice(ZONES, p=[0.25, 0.4, 0.35])) if modality == "ct" else None
    sides = ["left", "right"]
    rng.shuffle(sides)
    s1, s2 = sides
    locs: list[PlannedLocation] = []
    distract: list[LesionSpec] = []
    if mode == "report":
        if rng.random() < 0.1:  # a single small lesion: the hardest report-mode case
            zones = (level,) if level else (str(rng.choice(ZONES, p=[0.2, 0.35, 0.45])),)
            locs = [PlannedLocation(s1, zones, 1)]
            return locs, [LesionSpec(s1, zones, "small", 0, str(rng.choice(["ggo", "consolidation"])))], level
        r = rng.random()
        if r < 0.4:
            locs = [PlannedLocation(s1, _zone_set(rng, level))]
        elif r < 0.45 and level is None:  # "upper left lung and lower left lung"
            locs = [PlannedLocation(s1, ("upper",)), PlannedLocation(s1, ("lower",))]
        else:
            locs = [PlannedLocation(s1, _zone_set(rng, level)), PlannedLocation(s2, _zone_set(rng, level))]
    else:
        kind = rng.random()
        if level is not None or kind < 0.45:  # name one whole location; distractors on the other side
            locs = [PlannedLocation(s1, _zone_set(rng, level))]
            other = [s2]
        elif kind < 0.75:  # one side, some zones; distractors there too and on the other side
            locs = [PlannedLocation(s1, _zone_set(rng, exclude_all=True))]
            other = [s1, s2]
        else:  # both sides named, some zones left out on at least one of them
            locs = [PlannedLocation(s1, _zone_set(rng, exclude_all=True)), PlannedLocation(s2, _zone_set(rng))]
            other = [s1] + ([s2] if len(locs[1].zones) < 3 else [])
        if s2 not in other and s2 not in {loc.side for loc in locs}:
            other.append(s2)
        for side in other:
            named = {z for loc in locs if loc.side == side for z in loc.zones}
            free = [z for z in ZONES if z not in named]
            for _ in range(1 if len(other) > 1 else int(rng.integers(1, 3))):
                zones = (level,) if level else (str(rng.choice(free)),)
                distract.append(LesionSpec(side, zones, str(rng.choice(["small", "medium", "large"])), -1))
    extra = int(rng.choice([0, 1, 2], p=[0.5, 0.3, 0.2]))
    for _ in range(min(extra, MAX_REFERRED - len(locs))):
        locs[int(rng.integers(len(locs)))].n += 1
    specs: list[LesionSpec] = []
    for i, loc in enumerate(locs):
        for zones in _split_zones(loc.zones, loc.n, rng) if level is None else [loc.zones] * loc.n:
            if level is None and len(zones) > 1:
                size = "span"
            else:
                size = str(rng.choice(["small", "medium", "large"], p=[0.25, 0.45, 0.3]))
            specs.append(LesionSpec(loc.side, zones, size, i))
    for spec in specs + distract:
        spec.kind = "consolidation" if rng.random() < 0.3 else "ggo"
    return locs, specs + distract, level
