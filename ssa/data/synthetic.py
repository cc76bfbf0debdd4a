"""Synthetic chest X-rays and axial CT slices with lesions placed where a QaTa-style text says.

The demo checkpoint is trained only on these cases and judged on real anatomy, so the images
imitate what a CNN keys on in real data: intensity layout (dark lungs, white mediastinum,
spine and bones), textures (vessels, ribs, film / CT noise), lesion appearance (hazy
ground-glass, dense consolidation with air bronchograms), and many bright look-alikes that
are *not* lesions (ribs, clavicles, breast and nipple shadows, ECG leads, tubes, vessels), so
"bright blob = lesion" is never a shortcut. Lesions outside the text's region (referring
mode) make the text, not the image alone, decide the mask.

Geometry contract (DESIGN.md §4, checked by tests/test_synthetic.py):

* Sides in the text are the PATIENT's. ``convention="radiological"``: patient left = image
  right (columns >= W/2), heart, aortic knob and gastric bubble on that side too;
  ``"viewer"`` mirrors the whole case. Every lesion lies 100% in its side's image half.
* X-ray: the lung band (apex top to lowest lung point) spans rows ~10%-90% (+-5%); a lesion
  named "upper / middle / lower" lies inside that third of rows 10%-90% (its mask entirely,
  only the faint opacity tail crosses), and inside the lung.
* CT: the slice level is chosen first (upper: apices, clavicles, trachea; middle: heart, hila,
  bronchi; lower: liver / stomach domes); texts only use zone sets containing that level and
  lesions lie anywhere in the named side's lung (peripheral / subpleural preferred).
* The count word is the number of referred lesions, and lesions never touch (a 2-px gap),
  so it also equals the number of 8-connected components of ``mask``.
* ``report`` mode: the text names every lesion (``mask == all_lesions``). ``referring`` mode:
  lesions on both sides, the text names a subset (one side, or zones of one or both sides),
  ``mask`` = the named ones.

Rendering is vectorised numpy/OpenCV: smooth anatomy at 1/4 size, bones and vessels at 1/2,
lung edges, lesions and noise at full size. A 256 px case costs ~6-10 ms on one core of the
2-core CI machine (less at 224 px). OpenCV's own threads only add overhead at these sizes:
DataLoader workers should call ``cv2.setNumThreads(1)``.
"""

from __future__ import annotations

import argparse
import functools
import os
import tempfile
import textwrap
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ssa.data.lung_shapes import SHAPE  # side of the normalised lung-shape frame

MODALITIES = ("xray", "ct")
MODES = ("report", "referring")
CONVENTIONS = ("radiological", "viewer")
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
class SyntheticCase:
    """One generated case. ``mask`` is what the text refers to; ``all_lesions`` everything drawn."""

    image: np.ndarray  # uint8 [H, W] grayscale
    mask: np.ndarray  # bool [H, W], the lesions the text refers to
    text: str
    modality: str  # "xray" | "ct"
    all_lesions: np.ndarray  # bool [H, W]; in referring mode a superset of mask
    info: dict = field(default_factory=dict)  # level, lesion list, lung source: for debugging


@dataclass
class _Loc:
    """A location phrase of the text: a patient side, contiguous zones, and lesions in it."""

    side: str
    zones: tuple[str, ...]
    n: int = 1


@dataclass
class _Spec:
    """A lesion to place: its side, the zones its mask must stay in (x-ray), size, who names it."""

    side: str
    zones: tuple[str, ...]
    size: str  # "small" | "medium" | "large" | "span"
    loc: int  # index into the text's locations, -1 for an unnamed (distractor) lesion
    kind: str = "ggo"  # "ggo" | "consolidation"


# ----------------------------------------------------------------------------- helpers


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * rng.random()  # 3x faster than rng.uniform for one scalar


def _fx(pts: np.ndarray) -> np.ndarray:
    """Float points -> int32 with 4 fractional bits (OpenCV ``shift=4``) for sub-pixel drawing."""
    return np.round(np.asarray(pts, dtype=np.float64) * 16.0).astype(np.int32).reshape(-1, 1, 2)


def _poly(layer: np.ndarray, pts: np.ndarray, value: float, thick: float) -> None:
    cv2.polylines(layer, [_fx(pts)], False, (float(value),), max(1, round(thick)), cv2.LINE_8, 4)


def _fill(layer: np.ndarray, pts: np.ndarray, value: float) -> None:
    cv2.fillPoly(layer, [_fx(pts)], (float(value),), cv2.LINE_8, 4)


def _ellipse(layer: np.ndarray, c: tuple[float, float], axes: tuple[float, float], angle: float,
             value: float, thick: int = -1) -> None:
    center = (round(c[0] * 16), round(c[1] * 16))
    ax = (max(1, round(axes[0] * 16)), max(1, round(axes[1] * 16)))
    cv2.ellipse(layer, center, ax, float(angle), 0.0, 360.0, (float(value),), thick, cv2.LINE_8, 4)


def _noise(rng: np.random.Generator, h: int, w: int, grid: int) -> np.ndarray:
    """Smooth ~unit-variance noise [h, w]: a random ``grid`` x ``grid`` field, bicubically upsampled."""
    g = rng.standard_normal((grid, grid)).astype(np.float32)
    if h * w > 96 * 96 and min(h, w) >= 4 * grid:  # bicubic to 1/4 size, then bilinear: 5x cheaper
        g = cv2.resize(g, (w // 4, h // 4), interpolation=cv2.INTER_CUBIC)
        return cv2.resize(g, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(g, (max(1, w), max(1, h)), interpolation=cv2.INTER_CUBIC)


def _halves(size: int) -> tuple[slice, slice]:
    """Columns a lesion may use in the image-left / image-right half. For odd sizes the centre
    column is in neither, so a mirrored (viewer) case still satisfies ``ssa.spatial``'s halves."""
    return slice(0, size // 2), slice((size + 1) // 2, size)


def _image_half(side: str) -> int:
    """0 = image-left, 1 = image-right, for the patient's ``side`` in the radiological frame."""
    return 1 if side == "left" else 0


def _count_word(n: int) -> str:
    return COUNT_WORDS[n - 1] + (" infected area" if n == 1 else " infected areas")


def _zone_phrase(zones: tuple[str, ...], rng: np.random.Generator) -> str:
    words = _ZONE_WORDS.get(zones)
    return str(rng.choice(words)) if words else " ".join(zones)


def make_text(locs: Sequence[_Loc], rng: np.random.Generator) -> str:
    """QaTa / MosMed template: "{Uni|Bi}lateral pulmonary infection, N infected areas, <loc>[ and <loc>]."."""
    sides = {loc.side for loc in locs}
    n = sum(loc.n for loc in locs)
    phrases = [f"{_zone_phrase(loc.zones, rng)} {loc.side} lung" for loc in locs]
    head = "Bilateral" if len(sides) == 2 else "Unilateral"
    return f"{head} pulmonary infection, {_count_word(n)}, {' and '.join(phrases)}."


# ----------------------------------------------------------------------------- planning


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


def _plan(rng: np.random.Generator, modality: str, mode: str) -> tuple[list[_Loc], list[_Spec], str | None]:
    """Choose the text's locations and every lesion (named and distractor) before drawing."""
    level = str(rng.choice(ZONES, p=[0.25, 0.4, 0.35])) if modality == "ct" else None
    sides = ["left", "right"]
    rng.shuffle(sides)
    s1, s2 = sides
    locs: list[_Loc] = []
    distract: list[_Spec] = []
    if mode == "report":
        if rng.random() < 0.1:  # a single small lesion: the hardest report-mode case
            zones = (level,) if level else (str(rng.choice(ZONES, p=[0.2, 0.35, 0.45])),)
            locs = [_Loc(s1, zones, 1)]
            return locs, [_Spec(s1, zones, "small", 0, str(rng.choice(["ggo", "consolidation"])))], level
        r = rng.random()
        if r < 0.4:
            locs = [_Loc(s1, _zone_set(rng, level))]
        elif r < 0.45 and level is None:  # "upper left lung and lower left lung"
            locs = [_Loc(s1, ("upper",)), _Loc(s1, ("lower",))]
        else:
            locs = [_Loc(s1, _zone_set(rng, level)), _Loc(s2, _zone_set(rng, level))]
    else:
        kind = rng.random()
        if level is not None or kind < 0.45:  # name one whole location; distractors on the other side
            locs = [_Loc(s1, _zone_set(rng, level))]
            other = [s2]
        elif kind < 0.75:  # one side, some zones; distractors there too and on the other side
            locs = [_Loc(s1, _zone_set(rng, exclude_all=True))]
            other = [s1, s2]
        else:  # both sides named, some zones left out on at least one of them
            locs = [_Loc(s1, _zone_set(rng, exclude_all=True)), _Loc(s2, _zone_set(rng))]
            other = [s1] + ([s2] if len(locs[1].zones) < 3 else [])
        if s2 not in other and s2 not in {loc.side for loc in locs}:
            other.append(s2)
        for side in other:
            named = {z for loc in locs if loc.side == side for z in loc.zones}
            free = [z for z in ZONES if z not in named]
            for _ in range(1 if len(other) > 1 else int(rng.integers(1, 3))):
                zones = (level,) if level else (str(rng.choice(free)),)
                distract.append(_Spec(side, zones, str(rng.choice(["small", "medium", "large"])), -1))
    extra = int(rng.choice([0, 1, 2], p=[0.5, 0.3, 0.2]))
    for _ in range(min(extra, MAX_REFERRED - len(locs))):
        locs[int(rng.integers(len(locs)))].n += 1
    specs: list[_Spec] = []
    for i, loc in enumerate(locs):
        for zones in _split_zones(loc.zones, loc.n, rng) if level is None else [loc.zones] * loc.n:
            if level is None and len(zones) > 1:
                size = "span"
            else:
                size = str(rng.choice(["small", "medium", "large"], p=[0.25, 0.45, 0.3]))
            specs.append(_Spec(loc.side, zones, size, i))
    for spec in specs + distract:
        spec.kind = "consolidation" if rng.random() < 0.3 else "ggo"
    return locs, specs + distract, level


# ----------------------------------------------------------------------------- lesions

# Lesion radii: X-ray as fractions of the image side, CT of the lung's equivalent radius
# (sqrt(area / pi)), so an apical slice with small lungs gets proportionally small lesions.
_SIZES = {"small": (0.016, 0.03), "medium": (0.03, 0.06), "large": (0.06, 0.12), "span": (0.05, 0.1)}
_CT_SIZES = {"small": (0.1, 0.2), "medium": (0.2, 0.35), "large": (0.35, 0.6)}


@dataclass
class _Blob:
    ys: slice
    xs: slice
    opacity: np.ndarray  # float32 patch in [0, 1]: how much lesion is there (visible part)
    mask: np.ndarray  # bool patch: the annotated lesion
    spec: _Spec


def _bronchograms(rng: np.random.Generator, h: int, w: int, cx: float, cy: float, r: float) -> np.ndarray:
    """Thin dark branching air tubes inside a consolidation (a patch layer in [0, 1])."""
    layer = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        a = _u(rng, 0, 2 * np.pi)
        p = np.array([cx, cy]) + rng.normal(0, 0.3 * r, 2)
        pts = [p]
        for _ in range(4):
            a += rng.normal(0, 0.35)
            p = p + 0.35 * r * np.array([np.cos(a), np.sin(a)])
            pts.append(p)
        _poly(layer, np.array(pts), 1.0, 1)
    return cv2.GaussianBlur(layer, (3, 3), 0.6)


def _place(rng: np.random.Generator, spec: _Spec, lung: np.ndarray, lung_soft: np.ndarray,
           occupied: np.ndarray, rows: tuple[int, int] | None, size: int, modality: str,
           shrink: float = 1.0, pixels=None, edges: Sequence[np.ndarray] = ()) -> _Blob | None:
    """Try once to draw ``spec`` inside ``lung`` (bool, that side's lung only) and ``rows``.

    Returns None when the try fails (outside the lung, too small, touches another lesion).
    CT only: ``pixels`` = (rows, cols, depth below the pleura, centroid, radius) of the lung's pixels.
    ``edges``: boundary pixels of the lesions already placed; the blob shrinks to fit the room.
    The shape is a union of 1-3 noise-perturbed ellipses; ``opacity`` has a soft edge
    (GGO: wide, consolidation: narrow) and ``mask`` is where it reaches half strength.
    """
    lo, hi = _SIZES[spec.size]
    ys_l, xs_l = rows if rows is not None else (0, size)
    if spec.size == "span":  # one lesion over several zones: tall, centred on their union
        ry = 0.5 * (xs_l - ys_l) * _u(rng, 0.65, 0.95)  # never shrunk: it must reach every zone
        cy = 0.5 * (ys_l + xs_l) + rng.normal(0, 0.03 * size)
        rx = _u(rng, lo, hi) * size * shrink
    else:
        if modality == "ct":
            lo, hi = _CT_SIZES[spec.size]
        ry = _u(rng, lo, hi) * shrink * (size if modality == "xray" else pixels[4])
        ry = max(ry, _SIZES["small"][0] * size * shrink, 2.0)  # >= 2 px: small images stay drawable
        rx = max(ry * _u(rng, 0.7, 1.5), 2.0)
        if rows is not None:
            ry = min(ry, 0.48 * (xs_l - ys_l))
            # Hug a zone border now and then: lesions close to the border but inside it.
            t = rng.choice([0.0, 1.0]) if rng.random() < 0.2 else rng.random()
            cy = ys_l + ry * 0.9 + t * max(0.0, (xs_l - ys_l) - 1.8 * ry)
        else:
            cy = 0.0
    if rows is not None:
        row = lung[int(np.clip(cy, 0, size - 1))]
        cols = np.flatnonzero(row)
        if cols.size < 3:
            return None
        rx = min(rx, 0.55 * (cols[-1] - cols[0] + 1))
        if rng.random() < 0.6:  # peripheral: COVID-19 opacities hug the pleura
            lateral = cols[-1] if cols.mean() > size / 2 else cols[0]
            cx = lateral + (1 if lateral == cols[0] else -1) * rx * _u(rng, 0.2, 0.9)
        else:
            cx = float(rng.choice(cols))
        angle = rng.normal(0, 0.3)
    else:  # CT: any lung pixel, most often subpleural, long axis along the pleura
        ys, xs, depth, (cy0, cx0), _ = pixels
        short = min(rx, ry)
        if rng.random() < 0.65:  # subpleural: the lesion reaches the pleura, most of it inside
            pool = np.flatnonzero((depth >= 0.4 * short) & (depth <= 1.1 * short))
        else:
            pool = np.flatnonzero(depth >= 0.4 * short)
        if pool.size == 0:
            return None
        k = int(pool[rng.integers(pool.size)])
        cy, cx = float(ys[k]), float(xs[k])
        radial = np.arctan2(cy - cy0, cx - cx0)
        angle = radial + np.pi / 2 + rng.normal(0, 0.4)
        rx, ry = max(rx, ry), min(rx, ry)
    if occupied[int(np.clip(cy, 0, size - 1)), int(np.clip(cx, 0, size - 1))]:
        return None
    if len(edges):  # shrink to the room left by the lesions already placed
        c = np.array([cy, cx], np.float32)
        room = min(float(np.sqrt(((e - c) ** 2).sum(1).min())) for e in edges) - 3.0
        need = 1.3 * max(rx, ry)
        if room < need:
            if room < 3.0:
                return None
            rx, ry = rx * room / need, ry * room / need
    ca, sa = np.cos(angle), np.sin(angle)
    # Axis-aligned half extents of the rotated ellipse, with room for lobes and noise.
    ex = 1.9 * np.hypot(rx * ca, ry * sa) + 3  # the soft halo reaches ~1.5 radii; keep it whole
    ey = 1.9 * np.hypot(rx * sa, ry * ca) + 3
    y0, y1 = int(max(0, cy - ey)), int(min(size, cy + ey + 1))
    x0, x1 = int(max(0, cx - ex)), int(min(size, cx + ex + 1))
    if y1 - y0 < 3 or x1 - x0 < 3:
        return None
    h, w = y1 - y0, x1 - x0
    # The smooth fields (shape, profile, mottle) of big lesions are computed at half size.
    ds = 2 if h * w > 2000 else 1
    hs, ws = -(-h // ds), -(-w // ds)
    yy = (y0 + ds * np.arange(hs, dtype=np.float32) + 0.5 * (ds - 1))[:, None] - cy
    xx = (x0 + ds * np.arange(ws, dtype=np.float32) + 0.5 * (ds - 1))[None, :] - cx
    f = np.sqrt(((xx * ca + yy * sa) / rx) ** 2 + ((-xx * sa + yy * ca) / ry) ** 2)
    for _ in range(int(rng.integers(0, 3))):  # extra lobes make irregular, non-elliptic shapes
        ox, oy = np.clip(rng.normal(0, 0.4, 2), -0.5, 0.5) * (rx, ry)
        s = _u(rng, 0.4, 0.75)
        f = np.minimum(f, np.sqrt(((xx - ox) / (s * rx)) ** 2 + ((yy - oy) / (s * ry)) ** 2))
    f = f + _u(rng, 0.12, 0.35) * _noise(rng, hs, ws, 4) + _u(rng, 0.04, 0.1) * _noise(rng, hs, ws, 9)
    if rows is not None:  # bend the outline away from the zone's outer borders instead of cutting it
        band = 0.04 * size + 1.0
        rr = yy[:, 0] + cy
        t = np.clip(np.maximum(rr - (xs_l - band), ys_l + band - rr) / band, 0.0, None)
        f = f + (1.5 * t * t)[:, None]
    soft = _u(rng, 0.4, 0.9) if spec.kind == "ggo" else _u(rng, 0.25, 0.5)
    p = np.clip((1.0 - f) / soft + 0.5, 0.0, 1.0)
    p = p * p * (3.0 - 2.0 * p)
    if spec.kind == "consolidation":  # dense core in a ground-glass halo: fluffy, ill-defined margin
        halo = np.clip((1.0 - f) / 0.9 + 0.5, 0.0, 1.0)
        p = np.maximum(p, _u(rng, 0.25, 0.45) * halo)
    # Mottled: GGO is patchy haze; consolidation is denser but not a flat plate either.
    mottle = _u(rng, 0.2, 0.45) if spec.kind == "ggo" else _u(rng, 0.15, 0.35)
    p = p * (1.0 - mottle * (0.5 + 0.5 * np.tanh(_noise(rng, hs, ws, max(3, w // 7)))))
    if ds > 1:
        f = cv2.resize(f, (w, h), interpolation=cv2.INTER_LINEAR)
        p = cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR)
    inside = lung[y0:y1, x0:x1]
    mask = (f < 1.0) & inside
    if rows is not None:
        rr = np.arange(y0, y1)
        mask &= ((rr >= ys_l) & (rr < xs_l))[:, None]
        dist = np.maximum(np.maximum(ys_l - rr, rr - xs_l + 1), 0).astype(np.float32)
        p *= np.clip(1.0 - dist / (0.02 * size + 1.0), 0.0, 1.0)[:, None]
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n < 2:
        return None
    best = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[best, cv2.CC_STAT_AREA] < max(6, 0.0003 * size * size):
        return None
    keep = labels == best
    if len(spec.zones) > 1 and rows is not None:  # a lesion named "upper middle" is in both zones
        hit = np.flatnonzero(keep.any(1)) + y0
        for z in spec.zones:
            z0, z1 = _zone_rows((z,), size)
            if not ((hit >= z0) & (hit < z1)).any():
                return None
    grown = cv2.dilate(keep.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    if (grown & occupied[y0:y1, x0:x1]).any():
        return None
    if n > 2:  # islands of the noisy threshold: fade them so no unannotated opacity remains
        islands = cv2.dilate(((labels > 0) & ~keep).astype(np.float32), np.ones((5, 5), np.uint8))
        p = p * (1.0 - cv2.GaussianBlur(islands, (0, 0), 1.5) * (1.0 - keep))
    p = p * lung_soft[y0:y1, x0:x1]
    if spec.kind == "consolidation" and rng.random() < 0.6:
        p = p * (1.0 - 0.65 * _bronchograms(rng, h, w, cx - x0, cy - y0, max(rx, ry)) * (p > 0.6))
    return _Blob(slice(y0, y1), slice(x0, x1), np.clip(p, 0.0, 1.0).astype(np.float32), keep, spec)


def _zone_rows(zones: tuple[str, ...], size: int) -> tuple[int, int]:
    """Integer rows [start, stop) of the union of ``zones`` in the fixed grid (BAND split in thirds)."""
    top, third = BAND[0] * size, (BAND[1] - BAND[0]) * size / 3.0
    ks = [ZONES.index(z) for z in zones]
    return int(np.ceil(top + min(ks) * third)), int(np.floor(top + (max(ks) + 1) * third))


def place_lesions(rng: np.random.Generator, specs: Sequence[_Spec], lungs: Sequence[np.ndarray],
                  lung_soft: np.ndarray, size: int, modality: str, coords: tuple | None = None) -> list[_Blob]:
    """Place named lesions first (so each location gets its lesions), then distractors.

    ``lungs[0]`` / ``lungs[1]`` are the image-left / image-right lungs (radiological frame);
    ``coords``, when given, their pixels' (rows, cols).
    A spec that fails 24 tries (shrinking as it goes) is dropped; the text is written from
    what was placed, so counts always match.
    """
    occupied = np.zeros((size, size), bool)
    blobs: list[_Blob] = []
    pixels: dict[int, tuple] = {}
    edges: list[np.ndarray] = []  # boundary pixels (y, x) of the lesions placed so far
    for spec in sorted(specs, key=lambda s: s.loc < 0):
        h = _image_half(spec.side)
        lung = lungs[h]
        rows = _zone_rows(spec.zones, size) if modality == "xray" else None
        if modality == "ct" and h not in pixels:
            ys, xs = coords[h] if coords is not None else np.nonzero(lung)
            depth = cv2.distanceTransform(lung.astype(np.uint8), cv2.DIST_L2, 3)[ys, xs]
            centroid = (ys.mean(), xs.mean()) if ys.size else (0.0, 0.0)
            pixels[h] = (ys, xs, depth, centroid, float(np.sqrt(ys.size / np.pi)))
        for attempt in range(24):
            blob = _place(rng, spec, lung, lung_soft, occupied, rows, size, modality,
                          shrink=0.93 ** attempt, pixels=pixels.get(h), edges=edges)
            if blob is not None:
                occupied[blob.ys, blob.xs] |= blob.mask
                blobs.append(blob)
                m = blob.mask.view(np.uint8)
                ey, ex = np.nonzero(m - cv2.erode(m, np.ones((3, 3), np.uint8)))
                edges.append(np.stack([ey + blob.ys.start, ex + blob.xs.start], 1).astype(np.float32))
                break
    return blobs


# ----------------------------------------------------------------------------- x-ray



@dataclass
class _Anatomy:
    """What the lesion placer and the finisher need from an anatomy renderer."""

    base: np.ndarray  # float32 [S, S]: x-ray density or CT Hounsfield units, lesions not yet in
    lungs: tuple[np.ndarray, np.ndarray]  # bool: image-left / image-right lung (radiological frame)
    lung_soft: np.ndarray  # float32 [S, S] in [0, 1]: antialiased lung field
    lesion_scale: float  # x-ray: lung air depth (a consolidation adds ~0.5-0.9 of it)
    info: dict
    coords: tuple | None = None  # CT: (rows, cols) of each lung's pixels, shared with the placer


def procedural_lungs(rng: np.random.Generator) -> np.ndarray:
    """A plausible two-lung mask in the normalised frame (bool [128, 128]): the fallback shape.

    Lateral wall rounding from the apex, a diaphragm dome ending in a sharp costophrenic
    angle, and a medial border that the heart pushes out on the patient's left (image right).
    """
    out = np.zeros((SHAPE, SHAPE), np.uint8)
    v = np.linspace(0.0, 1.0, 16)
    for sg in (-1, 1):
        heart = sg == 1
        gap, notch = _u(rng, 0.03, 0.08), (_u(rng, 0.15, 0.32) if heart else _u(rng, 0.03, 0.1))
        knee, apex = _u(rng, 0.4, 0.6), _u(rng, 0.5, 0.65)

        def medial(t: np.ndarray, gap: float = gap, notch: float = notch) -> np.ndarray:
            return gap + notch * np.clip((t - 0.45) / 0.4, 0.0, 1.0) ** 1.5

        def lateral(t: np.ndarray, knee: float = knee, apex: float = apex) -> np.ndarray:
            return 0.97 - apex * (1.0 - np.clip(t / knee, 0.0, 1.0)) ** 2

        v_lat = 1.0 if heart else _u(rng, 0.9, 0.97)  # the right hemidiaphragm sits higher
        v_med = v_lat - _u(rng, 0.08, 0.16)
        t = np.linspace(0.0, 1.0, 10)
        side = np.stack([lateral(v * v_lat), v * v_lat], 1)
        xl, xm = lateral(np.array(v_lat)), medial(np.array(v_med))
        dome = np.stack([(1 - t) * xl + t * xm, (1 - t) * v_lat + t * v_med - _u(rng, 0.04, 0.1) * np.sin(np.pi * t)], 1)
        vm = np.linspace(v_med, 0.05, 12)
        med = np.stack([medial(vm), vm], 1)
        pts = np.concatenate([side, dome, med])
        pts[:, 0] += 0.015 * rng.standard_normal(len(pts))
        px = np.stack([SHAPE / 2 + sg * pts[:, 0] * (SHAPE / 2 - 1), pts[:, 1] * (SHAPE - 1)], 1)
        _fill(out, px, 1)
    return out.astype(bool)


def _xray_lungs(rng: np.random.Generator, s: int, shapes: np.ndarray | None):
    """Place a real (or procedural) lung pair: band ~10%-90% of rows, small rotation.

    Returns the unblurred lung field [s, s] (one warp of the 128-px frame), the geometry
    ``(top, bottom, xm, width, rot)`` in pixels (``rot``: 3x3 rotation about the chest centre)
    and an info dict.
    """
    top, bottom = s * _u(rng, 0.055, 0.145), s * _u(rng, 0.855, 0.945)
    xm = s * (0.5 + _u(rng, -0.012, 0.012))
    width = s * _u(rng, 0.6, 0.82)
    theta = float(np.clip(rng.normal(0.0, 2.0), -5.0, 5.0))
    if shapes is not None and len(shapes):
        k = int(rng.integers(len(shapes)))
        shape, source = shapes[k], f"real:{k}"
    else:
        shape, source = procedural_lungs(rng), "procedural"
    rot = np.vstack([cv2.getRotationMatrix2D((xm, 0.5 * (top + bottom)), theta, 1.0), [0, 0, 1]])
    n = shape.shape[0]  # the normalised frame: rows = lung band, column n/2 = midline
    sx, sy = width / n, (bottom - top) / n
    m = (rot @ np.array([[sx, 0, xm - n / 2 * sx], [0, sy, top], [0, 0, 1]]))[:2]
    field = cv2.warpAffine(shape.astype(np.float32), m, (s, s), flags=cv2.INTER_LINEAR)
    info = {"lung_shape": source, "rotation_deg": theta}
    return field, (top, bottom, xm, width, rot), info


def _fxb(pts: np.ndarray) -> list[np.ndarray]:
    """A batch [K, n, 2] of float polylines -> list of int32 arrays for one OpenCV call (shift=4)."""
    return list(np.round(pts * 16.0).astype(np.int32))


def _polys(layer: np.ndarray, pts: np.ndarray, value: float, thick: float) -> None:
    cv2.polylines(layer, _fxb(pts), False, (float(value),), max(1, round(thick)), cv2.LINE_8, 4)


def _vessel_trees(rng: np.random.Generator, layer: np.ndarray, hila: Sequence[tuple[float, float, float]],
                  s: int, q: float) -> None:
    """Branching pulmonary vessels from each hilum ``(x, y, lateral angle)``: thick centrally,
    thin peripherally. Drawn at scale ``q`` (the layer's size / s), one OpenCV call per depth."""
    roots, angles = [], []
    for hx, hy, lateral in hila:
        n = int(rng.integers(4, 7))
        roots.append(np.array([hx, hy]) + rng.normal(0, 0.01 * s, (n, 2)))
        fan = np.linspace(-1.25, 1.35, n) * (1 if lateral == 0 else -1)
        angles.append(lateral + fan + rng.normal(0, 0.12, n))
    if not roots:
        return
    p, a = np.concatenate(roots), np.concatenate(angles)
    length = s * rng.uniform(0.06, 0.1, len(a))
    for depth, thick in enumerate((0.012, 0.007, 0.004)):
        end = p + length[:, None] * np.stack([np.cos(a), np.sin(a)], 1)
        _polys(layer, np.stack([p, end], 1) * q, 1.0 - 0.2 * depth, max(1.0, thick * s * q))
        if depth == 2:
            break
        p = np.repeat(end, 2, 0)
        a = np.repeat(a, 2) + np.tile([-1.0, 1.0], len(a)) * rng.uniform(0.25, 0.6, 2 * len(a))
        length = np.repeat(length, 2) * rng.uniform(0.6, 0.85, 2 * len(length))


def _ribs_and_girdle(rng: np.random.Generator, layer: np.ndarray, geo, s: int, q: float) -> None:
    """Posterior ribs (arcs), fainter anterior ribs, clavicles, scapulae; drawn at scale ``q``.

    Values are relative bone density (ribs ~0.3-1, clavicles brighter); the caller scales them.
    Both sides are built as one batch of polylines: fewer, larger numpy/OpenCV calls.
    """
    top, bottom, xm, width, rot = geo

    def r(pts: np.ndarray) -> np.ndarray:  # rotate with the patient, then scale to the layer
        return (pts @ rot[:2, :2].T + rot[:2, 2]) * q

    bh = bottom - top
    spacing = bh * _u(rng, 0.085, 0.1)
    th = _u(rng, 0.014, 0.02) * s  # rib height in pixels of the full image
    reach = 0.5 * width * _u(rng, 1.0, 1.1)
    rise, drop, slope = _u(rng, 0.02, 0.04), _u(rng, 0.09, 0.15), _u(rng, 0.12, 0.18)
    sg = np.repeat([-1.0, 1.0], 11)[:, None]  # 11 ribs per side, image-left then image-right
    k = np.tile(np.arange(11), 2)[:, None]
    rk = reach * np.minimum(1.0, 0.5 + 0.17 * k)  # upper ribs are short, tight arcs
    y0 = top - 0.07 * s + k * spacing + rng.normal(0, 0.004 * s, (22, 1))
    u = np.linspace(0.0, 1.0, 16)[None, :]
    # Posterior ribs: from the spine up and out, then down along the lateral wall.
    post = np.empty((22, 16, 2))
    post[..., 0] = xm + sg * (0.045 * s + u * rk)
    post[..., 1] = y0 + s * (-rise * np.sin(np.pi * np.minimum(u / 0.7, 1.0)) + drop * u ** 2.6)
    # Two thin cortical lines and a fainter medulla between them: thin lines are ~6x cheaper
    # to draw than thick ones, and the layer is blurred afterwards anyway.
    post = r(post)
    normal = np.array([-rot[1, 0], rot[0, 0]]) * q  # the image "down" direction, rotated
    for dy, v in ((-0.5 * th, 1.0), (0.0, 0.55), (0.5 * th, 1.0)):
        _polys(layer, post + dy * normal, v, 1)
    # Anterior ribs: from the lateral wall down and in, fading before the sternum.
    w = np.linspace(0.0, 1.0, 10)[None, :]
    end = post[:, -1:, :] / q
    ant = np.empty((22, 10, 2))
    ant[..., 0] = end[..., 0] - sg * w * 0.6 * rk
    ant[..., 1] = end[..., 1] + s * slope * np.sin(0.5 * np.pi * w)
    ant = ant * q  # the end points were already rotated
    for dy in (-0.4 * th, 0.4 * th):
        _polys(layer, ant + dy * normal, 0.3, 1)
    # Clavicles: S-shaped bars from the sternal ends out and up to the shoulders.
    t = np.linspace(0.0, 1.0, 12)[None, :]
    clav = np.empty((2, 12, 2))
    for i, side in enumerate((-1, 1)):
        med = (xm + side * _u(rng, 0.025, 0.05) * s, top + _u(rng, 0.04, 0.11) * s)
        lat = (xm + side * _u(rng, 0.3, 0.42) * s, top - _u(rng, -0.01, 0.06) * s)
        clav[i, :, 0] = med[0] + t * (lat[0] - med[0])
        clav[i, :, 1] = med[1] + t * (lat[1] - med[1]) + _u(rng, 0.008, 0.02) * s * np.sin(2 * np.pi * t)
    _polys(layer, r(clav), 1.6, max(1.0, _u(rng, 0.026, 0.036) * s * q))
    if rng.random() < 0.6:  # the scapulae's medial borders project over the lateral lungs
        yy = np.linspace(top - 0.03 * s, top + _u(rng, 0.3, 0.45) * bh, 8)
        bulge = 0.03 * s * np.sin(np.linspace(0, np.pi, 8))
        for side in (-1, 1):
            border = np.stack([xm + side * (_u(rng, 0.3, 0.38) * s - bulge), yy], 1)
            outer = np.array([[xm + side * 0.6 * s, yy[-1] + 0.05 * s], [xm + side * 0.6 * s, yy[0]]])
            _fill(layer, r(np.concatenate([border, outer])), 0.35)
            _poly(layer, r(border), 0.7, max(1.0, 0.008 * s * q))


def _metal(rng: np.random.Generator, layer: np.ndarray, geo, s: int) -> list[str]:
    """ECG electrodes and leads, tubes and lines: bright look-alikes that are never lesions."""
    top, bottom, xm, width, _ = geo
    found = []
    if rng.random() < 0.2:
        found.append("ecg")
        for _ in range(int(rng.integers(2, 6))):
            c = np.array([xm + _u(rng, -0.45, 0.45) * s, _u(rng, top, bottom)])
            rr = _u(rng, 0.014, 0.022) * s
            cc = (round(c[0] * 16), round(c[1] * 16))
            cv2.circle(layer, cc, round(rr * 16), (1.0,), max(1, round(0.006 * s)), cv2.LINE_8, 4)
            cv2.circle(layer, cc, round(0.35 * rr * 16), (1.0,), -1, cv2.LINE_8, 4)
            a, pts = _u(rng, 0, 2 * np.pi), [c]
            for _ in range(6):
                a += rng.normal(0, 0.5)
                pts.append(pts[-1] + 0.09 * s * np.array([np.cos(a), np.sin(a)]))
            _poly(layer, np.array(pts), 0.8, max(1.0, 0.005 * s))
    if rng.random() < 0.2:
        found.append("ng_tube")
        yy = np.linspace(0, bottom + 0.06 * s, 10)
        xx = xm + 0.01 * s * np.sin(yy / s * 6 + _u(rng, 0, 6)) + np.clip(yy - bottom + 0.1 * s, 0, None) * 0.8
        _poly(layer, np.stack([xx, yy], 1), 0.45, max(1.0, 0.005 * s))
    if rng.random() < 0.15:
        found.append("central_line")
        sg = 1 if rng.random() < 0.5 else -1
        pts = np.array([[xm + sg * 0.42 * s, top - 0.02 * s], [xm + sg * 0.2 * s, top + 0.02 * s],
                        [xm + sg * 0.03 * s, top + 0.1 * s], [xm + 0.01 * s, top + _u(rng, 0.25, 0.35) * (bottom - top)]])
        _poly(layer, pts, 0.5, 1)
    return found


def _heart(rng: np.random.Generator, lung: np.ndarray, geo) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Heart ellipse: ~1/3 right of the midline, 2/3 on the patient's left (image right),
    cardiothoracic ratio 0.38-0.52, resting on the diaphragm, long axis tilted down-left."""
    top, bottom, xm, width, _ = geo
    bh = bottom - top
    row = lung[int(np.clip(top + 0.7 * bh, 0, lung.shape[0] - 1))]
    cols = np.flatnonzero(row)
    thorax = float(cols[-1] - cols[0]) if cols.size > 1 else width
    half_w = 0.5 * _u(rng, 0.38, 0.52) * thorax
    ay = _u(rng, 0.1, 0.15) * bh
    c = (xm + _u(rng, 0.12, 0.22) * 2 * half_w, top + _u(rng, 0.84, 0.9) * bh - _u(rng, 0.55, 0.8) * ay)
    return c, (half_w, ay), _u(rng, 5, 22)


def _xray_anatomy(rng: np.random.Generator, s: int, shapes: np.ndarray | None) -> _Anatomy:
    """Density map of a frontal chest film (radiological frame): body, bones, mediastinum, lungs.

    Cost matters (cases are generated while training), so smooth parts (body, mediastinum,
    lung depth, texture) are drawn at s/4, bones and vessels at s/2, and only the lung edges,
    lesions, devices and noise at full size.
    """
    field, geo, info = _xray_lungs(rng, s, shapes)
    top, bottom, xm, width, rot = geo
    bh = bottom - top
    lung_raw = field > 0.5
    halves = _halves(s)

    def r(pts, q: float = 1.0) -> np.ndarray:
        return (np.asarray(pts, np.float64) @ rot[:2, :2].T + rot[:2, 2]) * q

    # Heart and aortic knob push into the lung fields: carve them out of the lungs so the
    # silhouette borders are sharp and no lesion hides behind them.
    hc, hax, hang = _heart(rng, lung_raw, geo)
    yk = top + _u(rng, 0.16, 0.24) * bh
    kcols = np.flatnonzero(lung_raw[int(np.clip(yk, 0, s - 1)), halves[1]])
    knob = (xm + 0.06 * s if kcols.size == 0 else halves[1].start + kcols[0] + _u(rng, -0.01, 0.01) * s, yk)
    kr = _u(rng, 0.025, 0.04) * s
    keep = np.ones((s, s), np.float32)
    _ellipse(keep, hc, hax, hang, 0.0)
    _ellipse(keep, knob, (kr, 0.9 * kr), 0, 0.0)
    # Below the heart's equator down to the diaphragm the film shows heart, not lung (and
    # lung annotations stop there too): no lesion in the retrocardiac recess.
    _fill(keep, np.array([[hc[0] - 0.9 * hax[0], hc[1]], [hc[0] + 0.9 * hax[0], hc[1]],
                          [hc[0] + 0.9 * hax[0], s + 1.0], [hc[0] - 0.9 * hax[0], s + 1.0]]), 0.0)
    lung_soft = cv2.GaussianBlur(field * keep, (0, 0), 0.3 + 0.004 * s)
    hard = lung_soft > 0.5
    # Each lung = its largest piece (carving can leave islands under the heart). Components
    # are found at half size, 4x cheaper; the main piece is grown 1 px back to full detail.
    half = cv2.resize(lung_soft, (s // 2, s // 2), interpolation=cv2.INTER_AREA) > 0.5
    main = np.zeros((s // 2, s // 2), np.uint8)
    for cols in (slice(0, s // 4), slice(s // 4, s // 2)):
        n, labels, stats, _ = cv2.connectedComponentsWithStats(half[:, cols].view(np.uint8), connectivity=8)
        if n > 1:
            main[:, cols] = labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    main = cv2.dilate(cv2.resize(main, (s, s), interpolation=cv2.INTER_NEAREST), np.ones((3, 3), np.uint8))
    hard &= main.view(bool)
    lungs = (np.zeros((s, s), bool), np.zeros((s, s), bool))
    for h in (0, 1):
        lungs[h][:, halves[h]] = hard[:, halves[h]]
    rows = np.flatnonzero((lungs[0] | lungs[1]).any(1))
    info["lung_band"] = (float(rows[0]) / s, float(rows[-1] + 1) / s) if rows.size else None

    # ---- low resolution (s/4): body, mediastinum, heart, airways, lung depth, texture
    n_lo = max(32, s // 4)
    q = n_lo / s
    yy = (np.arange(n_lo, dtype=np.float32) + 0.5) / q
    half_body = 0.5 * width + s * _u(rng, 0.03, 0.13)
    # The lateral wall widens from the waist up to the shoulders, which often leave the frame.
    hb = half_body * (1.0 + _u(rng, 0.1, 0.35) * np.clip((top + 0.2 * bh - yy) / (0.3 * bh), 0, 1)
                      - _u(rng, 0.0, 0.08) * np.clip((yy - top) / bh, 0, 1.2))
    x = (yy[None, :] - xm) / hb[:, None]
    tx = cv2.pow(np.clip(1.0 - x * x, 0.0, 1.0), 0.5 * _u(rng, 0.4, 0.8))
    abdomen = np.clip((yy - top - 0.75 * bh) / (0.12 * s), 0, 1)
    ty = 1.0 + 0.3 * np.clip((top + 0.04 * s - yy) / (0.1 * s), 0, 1) + _u(rng, 0.25, 0.45) * abdomen
    low = ty[:, None] * tx * (1.0 + 0.05 * _noise(rng, n_lo, n_lo, 3))
    spine, medi, air = (np.zeros((n_lo, n_lo), np.float32) for _ in range(3))
    sw, sd = _u(rng, 0.075, 0.1) * s, _u(rng, 0.08, 0.18)
    _poly(spine, r([[xm, -0.1 * s], [xm, 1.1 * s]], q), sd, sw * q)
    period = _u(rng, 0.045, 0.06) * s
    discs = np.array([[[xm - sw / 2, y], [xm + sw / 2, y]] for y in np.arange(top - 0.1 * s, s, period)])
    _polys(spine, r(discs, q), 0.7 * sd, max(1.0, 0.012 * s * q))  # intervertebral discs
    _fill(medi, r([[xm - 0.05 * s, -0.1 * s], [xm + 0.06 * s, -0.1 * s], [xm + 0.08 * s, top + 0.5 * bh],
                   [xm - 0.07 * s, top + 0.5 * bh]], q), 0.2)
    _ellipse(medi, (hc[0] * q, hc[1] * q), (hax[0] * q, hax[1] * q), hang, _u(rng, 0.1, 0.18))
    _ellipse(medi, (knob[0] * q, knob[1] * q), (kr * q, 0.9 * kr * q), 0, _u(rng, 0.1, 0.2))
    hy = top + _u(rng, 0.38, 0.48) * bh  # hila: pulmonary arteries, lumps beside the heart
    hila = []
    for h, lateral in ((0, np.pi), (1, 0.0)):
        cols = np.flatnonzero(lungs[h][int(np.clip(hy, 0, s - 1))])
        if cols.size:
            e = float(cols[-1] + 0.012 * s if h == 0 else cols[0] - 0.012 * s)
            hila.append((e, hy + 0.02 * s * h, lateral))
            _ellipse(medi, (e * q, hila[-1][1] * q), (_u(rng, 0.025, 0.04) * s * q, _u(rng, 0.04, 0.06) * s * q),
                     _u(rng, -20, 20), 0.16)
    carina = np.array([xm + _u(rng, -0.005, 0.01) * s, top + _u(rng, 0.22, 0.32) * bh])
    _poly(air, r([[xm, -0.1 * s], carina], q), -0.22, _u(rng, 0.03, 0.045) * s * q)
    for sg, dy in ((-1, 0.06), (1, 0.09)):
        _poly(air, r([carina, carina + s * np.array([sg * 0.07, dy])], q), -0.15, _u(rng, 0.018, 0.028) * s * q)
    info["gastric_bubble"] = rng.random() < 0.55
    if info["gastric_bubble"]:  # under the patient's LEFT hemidiaphragm: anatomy agrees with sides
        gx = xm + _u(rng, 0.12, 0.22) * s
        col = np.flatnonzero(lungs[1][:, int(np.clip(gx, 0, s - 1))])
        if col.size:
            ay = _u(rng, 0.02, 0.035) * s
            _ellipse(air, (gx * q, (col[-1] + ay + 0.015 * s) * q), (_u(rng, 0.03, 0.06) * s * q, ay * q), 0, -0.3)
    medi *= (1.0 - 0.85 * abdomen)[:, None]  # the heart's lower border merges into the diaphragm
    low += cv2.GaussianBlur(spine + medi + air, (0, 0), 0.01 * s * q + 0.3)
    info["breasts"] = rng.random() < 0.4
    if info["breasts"]:  # soft upper edge, sharp curved lower edge, over the lower lung fields
        br = np.zeros((n_lo, n_lo), np.float32)
        by = bottom - _u(rng, 0.0, 0.1) * s
        ax, ay = _u(rng, 0.13, 0.19) * s, _u(rng, 0.09, 0.14) * s
        for sg in (-1, 1):
            _ellipse(br, ((xm + sg * _u(rng, 0.17, 0.26) * s) * q, by * q), (ax * q, ay * q), sg * _u(rng, 0, 15), 1.0)
        ramp = np.clip((yy - (by - ay)) / (1.6 * ay), 0.0, 1.0) ** 1.5
        # Seen against the lung bases; lost in the dense abdomen below the domes.
        lung_lo0 = cv2.resize(lung_soft, (n_lo, n_lo), interpolation=cv2.INTER_AREA)
        low += _u(rng, 0.05, 0.12) * br * ramp[:, None] * (0.3 + 0.7 * cv2.GaussianBlur(lung_lo0, (0, 0), 1.0))
    # Lung depth: air darkens most in the middle, less at the edges and apices.
    air_depth = _u(rng, 0.5, 0.75)
    lung_lo = cv2.resize(lung_soft, (n_lo, n_lo), interpolation=cv2.INTER_AREA)
    depth = cv2.GaussianBlur(lung_lo, (0, 0), 0.04 * s * q)
    depth *= (1.0 - 0.3 * np.clip((top + 0.15 * bh - yy) / (0.15 * bh), 0.0, 1.0))[:, None]
    texture = 0.025 * _noise(rng, n_lo, n_lo, 12) + 0.015 * _noise(rng, n_lo, n_lo, min(40, n_lo))
    low += texture * lung_lo - 0.65 * air_depth * depth
    ramp = np.linspace(-0.5, 0.5, n_lo, dtype=np.float32) * _u(rng, -0.2, 0.2)  # heel effect
    low += ramp[:, None] if rng.random() < 0.5 else ramp[None, :]

    # ---- half resolution (s/2): bones and vessels
    n_mid = max(32, s // 2)
    qm = n_mid / s
    bone = np.zeros((n_mid, n_mid), np.float32)
    _ribs_and_girdle(rng, bone, geo, s, qm)
    if rng.random() < 0.45:  # humeral heads in the upper corners
        for sg in (-1, 1):
            c = (xm + sg * (half_body + _u(rng, -0.02, 0.04) * s), top - _u(rng, 0.0, 0.05) * s)
            _ellipse(bone, (c[0] * qm, c[1] * qm), (0.08 * s * qm, 0.08 * s * qm), 0, 1.2)
    info["nipples"] = rng.random() < 0.3
    if info["nipples"]:  # small round densities in the lower zones: classic lesion mimics
        for sg in (-1, 1):
            c = (xm + sg * _u(rng, 0.16, 0.25) * s, top + _u(rng, 0.58, 0.8) * bh)
            rr = _u(rng, 0.008, 0.016) * s * qm
            _ellipse(bone, (c[0] * qm, c[1] * qm), (rr, rr * _u(rng, 0.8, 1.2)), 0, _u(rng, 1.0, 1.8))
    vessels = np.zeros((n_mid, n_mid), np.float32)
    _vessel_trees(rng, vessels, hila, s, qm)
    lung_mid = cv2.resize(lung_soft, (n_mid, n_mid), interpolation=cv2.INTER_AREA)
    mid = _u(rng, 0.05, 0.12) * bone + _u(rng, 0.05, 0.12) * vessels * lung_mid
    mid = cv2.GaussianBlur(mid, (0, 0), 0.3 + 0.003 * s * qm)
    mid += cv2.resize(low, (n_mid, n_mid), interpolation=cv2.INTER_LINEAR)

    # ---- full resolution: one upsampling, then the sharp lung edges
    density = cv2.resize(mid, (s, s), interpolation=cv2.INTER_LINEAR)
    density -= (0.35 * air_depth) * lung_soft
    metal = np.zeros((s, s), np.float32)
    info["devices"] = _metal(rng, metal, geo, s)
    if info["devices"]:
        density += _u(rng, 0.8, 1.5) * metal
    return _Anatomy(density, lungs, lung_soft, air_depth, info)


@functools.lru_cache(maxsize=4)
def _noise_bank(n: int) -> np.ndarray:
    """A fixed n x n block of white Gaussian noise (a constant, seeded), sliced per case.

    Drawing S*S fresh normals costs more than the rest of an image (~0.8 ms at 256 px on the
    CI cores); a random window of a fixed bank, randomly transposed, looks the same.
    """
    return np.random.default_rng(0x55A).standard_normal((n, n), dtype=np.float32)


def _white(rng: np.random.Generator, s: int) -> np.ndarray:
    """[s, s] white Gaussian noise: a random window of the bank (read-only view)."""
    bank = _noise_bank(max(1024, 1 << int(np.ceil(np.log2(2 * s)))))
    oy, ox = (int(v) for v in rng.integers(0, bank.shape[0] - s, 2))
    win = bank[oy:oy + s, ox:ox + s]
    return win.T if rng.random() < 0.5 else win


def _xray_finish(rng: np.random.Generator, density: np.ndarray) -> np.ndarray:
    """Exposure, tone curve, unsharpness and quantum noise -> float image in [0, 1]."""
    s = density.shape[0]
    lo, hi = _u(rng, -0.05, 0.2), _u(rng, 1.3, 1.9)
    img = np.clip((density - lo) * (1.0 / (hi - lo)), 0.0, 1.0)
    img = cv2.pow(img, float(np.clip(np.exp(rng.normal(0.0, 0.22)), 0.6, 1.6)))
    sigma = _u(rng, 0.0, 1.2) * s / 256
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += _u(rng, 0.004, 0.03) * _white(rng, s)
    c0, c1 = _u(rng, 0.0, 0.1), _u(rng, 0.85, 1.0)
    img = c0 + (c1 - c0) * np.clip(img, 0.0, 1.0)
    if rng.random() < 0.12:  # collimator shutters (white) or padding (black) at the edges
        edge = max(1, round(_u(rng, 0.01, 0.04) * s))  # lungs start >= 5% in: never covered
        value = _u(rng, 0.85, 1.0) if rng.random() < 0.5 else _u(rng, 0.0, 0.04)
        if rng.random() < 0.5:
            img[:, :edge] = img[:, -edge:] = value
        else:
            img[:edge] = value
    return img


def _markers(rng: np.random.Generator, img: np.ndarray, patient_left_on_right: bool) -> None:
    """Burnt-in side marker ("L" on the patient's left) and technique words, drawn in place."""
    s = img.shape[0]
    scale = s / 256
    if rng.random() < 0.35:
        x = _u(rng, 0.8, 0.9) if patient_left_on_right else _u(rng, 0.04, 0.12)
        cv2.putText(img, "L", (int(x * s), int(_u(rng, 0.08, 0.14) * s)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6 * scale, (int(rng.integers(200, 256)),), max(1, round(1.5 * scale)), cv2.LINE_AA)
    if rng.random() < 0.2:
        word = str(rng.choice(["PORTABLE", "AP", "SUPINE", "ERECT", "PA"]))
        x = _u(rng, 0.03, 0.12) if rng.random() < 0.5 else _u(rng, 0.6, 0.7)
        cv2.putText(img, word, (int(x * s), int(_u(rng, 0.04, 0.06) * s) + 6), cv2.FONT_HERSHEY_SIMPLEX,
                    0.35 * scale, (int(rng.integers(180, 256)),), max(1, round(scale)), cv2.LINE_AA)


# ----------------------------------------------------------------------------- CT


def _body_outline(rng: np.random.Generator, c: tuple[float, float], a: float, b: float,
                  flat: float, theta: float) -> np.ndarray:
    """Closed body contour: a wobbly ellipse, flattened at the back where the patient lies."""
    t = np.linspace(0.0, 2 * np.pi, 96, endpoint=False)
    wobble = 1.0 + sum(_u(rng, 0.0, 0.025) * np.cos(k * t + _u(rng, 0, 2 * np.pi)) for k in (2, 3, 5))
    x, y = a * np.cos(t) * wobble, b * np.sin(t) * wobble
    y = np.minimum(y, flat)
    ct, st = np.cos(theta), np.sin(theta)
    return np.stack([c[0] + ct * x - st * y, c[1] + st * x + ct * y], 1)


@dataclass
class _CTFrame:
    """Slice geometry shared by the CT drawing helpers (pixels; ``P`` rotates with the body)."""

    s: int
    cx: float
    ccy: float  # cavity centre row
    ac: float  # cavity half-width
    bc: float  # cavity half-height
    spine_y: float
    rv: float  # vertebral body radius
    deg: float
    rm: np.ndarray
    centre: np.ndarray

    def P(self, x, y):  # noqa: N802  (a point, or arrays of coordinates)
        c, sn = self.rm[0, 0], self.rm[1, 0]
        dx, dy = x - self.centre[0], y - self.centre[1]
        return self.centre[0] + c * dx - sn * dy, self.centre[1] + sn * dx + c * dy


def _ct_anatomy(rng: np.random.Generator, s: int, level: str) -> _Anatomy:
    """Hounsfield map of an axial chest slice at ``level`` (anterior up, patient left = image right).

    upper: small apical lungs set back in thick shoulder muscle, clavicles, trachea;
    middle: large lungs, heart (to the patient's left), descending aorta, main bronchi;
    lower: liver dome (patient's right) and stomach / spleen (left) pushing into the bases.
    """
    cx, cy = s * (0.5 + _u(rng, -0.01, 0.01)), s * _u(rng, 0.46, 0.54)
    a = s * _u(rng, 0.36, 0.47)
    b = a * _u(rng, 0.62, 0.78)
    if level == "upper":
        a, b = a * _u(rng, 1.0, 1.08), b * _u(rng, 0.85, 0.95)
    theta = np.deg2rad(float(np.clip(rng.normal(0.0, 2.5), -6, 6)))
    hu = np.full((s, s), -1000.0, np.float32)
    flat = b * _u(rng, 0.8, 0.92)
    _fill(hu, _body_outline(rng, (cx, cy), a, b, flat, theta), _u(rng, -110, -80))  # subcutaneous fat
    fat = _u(rng, 0.01, 0.045) * s
    _fill(hu, _body_outline(rng, (cx, cy), a - fat, b - 0.8 * fat, flat - fat, theta), _u(rng, 30, 55))
    wall = fat + _u(rng, 0.015, 0.03) * s
    ac, bc, ccy = a - wall, b - wall, cy - 0.04 * b
    if level == "upper":
        ac, bc, ccy = ac * _u(rng, 0.7, 0.82), bc * _u(rng, 0.68, 0.8), cy + 0.06 * b
    elif level == "lower":
        ac = ac * _u(rng, 0.9, 1.0)
    rv = _u(rng, 0.04, 0.055) * s
    spine_y = ccy + bc * _u(rng, 0.68, 0.8)
    fr = _CTFrame(s, cx, ccy, ac, bc, spine_y, rv, float(np.rad2deg(theta)),
                  np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]), np.array([cx, cy]))
    P, deg = fr.P, fr.deg
    # Cavity minus mediastinum, spine and abdominal organs = lungs.
    # The cavity is egg-shaped: narrow behind the sternum, deep paravertebral gutters behind.
    t = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
    egg = 1.0 + _u(rng, 0.05, 0.15) * np.sin(t) + _u(rng, 0.0, 0.03) * np.cos(3 * t + _u(rng, 0, 6))
    cavity = np.stack(P(cx + ac * np.cos(t) * egg, ccy + bc * np.sin(t) * (1 + 0.5 * (egg - 1))), 1)
    cav = np.zeros((s, s), np.uint8)
    _fill(cav, cavity, 1)
    soft_hu = _u(rng, 30.0, 50.0)
    _fill(hu, cavity, soft_hu)
    med = np.zeros((s, s), np.uint8)
    w_ant, w_post = ((_u(rng, 0.05, 0.08) * s, _u(rng, 0.06, 0.08) * s) if level == "upper"
                     else (_u(rng, 0.03, 0.05) * s, _u(rng, 0.045, 0.06) * s))
    _fill(med, np.array([P(cx - w_ant, ccy - bc - 0.02 * s), P(cx + w_ant, ccy - bc - 0.02 * s),
                         P(cx + w_post, spine_y), P(cx - w_post, spine_y)]), 1)
    _ellipse(med, P(cx, spine_y + 0.3 * rv), (1.9 * rv, 1.6 * rv), deg, 1)
    _fill(med, np.array([P(cx - 1.9 * rv, spine_y), P(cx + 1.9 * rv, spine_y), P(cx + 2.2 * rv, s * 1.2),
                         P(cx - 2.2 * rv, s * 1.2)]), 1)
    if level == "upper":  # great vessels in front of the trachea
        _ellipse(med, P(cx + 0.01 * s, ccy - 0.35 * bc), (_u(rng, 0.06, 0.09) * s, _u(rng, 0.35, 0.5) * bc), deg, 1)
    elif level == "middle":
        heart = (P(cx + _u(rng, 0.03, 0.06) * s, ccy - _u(rng, 0.2, 0.4) * bc),
                 (_u(rng, 0.11, 0.15) * s, _u(rng, 0.4, 0.52) * bc), deg - _u(rng, 20, 40))
        _ellipse(med, *heart, 1)
        _ellipse(med, P(cx + rv + _u(rng, 0.01, 0.02) * s, spine_y - 0.6 * rv), (0.028 * s, 0.028 * s), 0, 1)
    else:
        _ellipse(med, P(cx + _u(rng, 0.03, 0.06) * s, ccy - _u(rng, 0.45, 0.6) * bc),
                 (_u(rng, 0.1, 0.15) * s, _u(rng, 0.3, 0.42) * bc), deg - 20, 1)
        liver = (P(cx - _u(rng, 0.1, 0.18) * s, ccy + _u(rng, -0.05, 0.25) * bc),
                 (_u(rng, 0.09, 0.16) * s, _u(rng, 0.45, 0.75) * bc), deg + _u(rng, -20, 20))  # patient's right
        _ellipse(med, *liver, 1)
        _ellipse(hu, *liver, soft_hu + _u(rng, 10, 25))
        if rng.random() < 0.6:  # stomach / spleen dome on the patient's left
            _ellipse(med, P(cx + _u(rng, 0.1, 0.18) * s, ccy + _u(rng, 0.1, 0.35) * bc),
                     (_u(rng, 0.05, 0.1) * s, _u(rng, 0.2, 0.4) * bc), deg, 1)
    lung_f = cv2.GaussianBlur((cav * (1 - med)).astype(np.float32), (0, 0), 0.008 * s)
    lung_f += 0.06 * _noise(rng, s, s, 10)  # wobbly pleural outline
    lung = lung_f > 0.5
    halves = _halves(s)
    lungs = (np.zeros((s, s), bool), np.zeros((s, s), bool))
    for h in (0, 1):
        lungs[h][:, halves[h]] = lung[:, halves[h]]
    lung = lungs[0] | lungs[1]
    lung_soft = cv2.GaussianBlur(lung.astype(np.float32), (0, 0), 0.5 + 0.002 * s)
    coords = (np.nonzero(lungs[0]), np.nonzero(lungs[1]))
    # Parenchyma: dependent (posterior) lung is denser; faint texture.
    yy = np.arange(s, dtype=np.float32)[:, None]
    lung_hu = (_u(rng, -880.0, -820.0) + _u(rng, 20.0, 120.0) * np.clip((yy - ccy) / bc, 0.0, 1.0)
               + _u(rng, 8, 25) * _noise(rng, s, s, 24))
    hu += lung_soft * (lung_hu - hu)
    _ct_bones_airways(rng, hu, fr, level)
    for h in (0, 1):
        _ct_vessels(rng, hu, coords[h], P(cx + (-1 if h == 0 else 1) * 0.09 * s, ccy), s)
    if level != "upper" and rng.random() < 0.5:  # oblique fissures: faint thin lines
        fis = np.array([[P(cx + sg * 0.07 * s, ccy + 0.3 * bc), P(cx + sg * 0.5 * ac, ccy - 0.1 * bc),
                         P(cx + sg * 0.85 * ac, ccy - 0.55 * bc)] for sg in (-1, 1)])
        fis_layer = np.zeros((s, s), np.float32)
        _polys(fis_layer, fis, 1.0, 1)
        hu += (0.25 * fis_layer * lung_soft) * (0.0 - hu)
    info: dict = {"level": level}
    bottom = cy + flat
    if rng.random() < 0.85 and bottom < 0.97 * s:  # the table under the patient
        xs = np.linspace(cx - 0.48 * s, cx + 0.48 * s, 20)
        yt = bottom + _u(rng, 0.005, 0.04) * s - 0.06 * s * ((xs - cx) / (0.48 * s)) ** 2
        _poly(hu, np.stack([xs, yt], 1), _u(rng, -300, 200), max(1.0, 0.008 * s))
        _poly(hu, np.stack([xs, yt + _u(rng, 0.02, 0.04) * s], 1), _u(rng, -400, 100), max(1.0, 0.006 * s))
    return _Anatomy(hu, lungs, lung_soft, 1.0, info, coords)


def _ct_bones_airways(rng: np.random.Generator, hu: np.ndarray, fr: _CTFrame, level: str) -> None:
    """Vertebra, ribs, sternum, clavicles, scapulae, humeral heads; trachea / main bronchi."""
    s, cx, ccy, ac, bc, spine_y, rv, deg, P = fr.s, fr.cx, fr.ccy, fr.ac, fr.bc, fr.spine_y, fr.rv, fr.deg, fr.P
    vc = P(cx, spine_y)
    _ellipse(hu, vc, (rv, 0.9 * rv), deg, _u(rng, 600, 900))
    _ellipse(hu, vc, (0.8 * rv, 0.7 * rv), deg, _u(rng, 180, 320))
    canal = P(cx, spine_y + 1.45 * rv)
    _ellipse(hu, canal, (0.75 * rv, 0.6 * rv), deg, _u(rng, 500, 800), max(1, round(0.3 * rv)))
    _ellipse(hu, canal, (0.45 * rv, 0.4 * rv), deg, _u(rng, 10, 40))
    _poly(hu, np.array([P(cx, spine_y + 2.0 * rv), P(cx, spine_y + 2.6 * rv)]), _u(rng, 500, 800), 0.35 * rv)
    for sg in (-1, 1):  # transverse processes
        _poly(hu, np.array([P(cx + sg * 0.6 * rv, spine_y + 1.3 * rv), P(cx + sg * 1.9 * rv, spine_y + 1.0 * rv)]),
              _u(rng, 400, 700), 0.3 * rv)
    # Ribs: short oval cross-sections in the chest wall, sparing the front midline and the spine.
    gap = _u(rng, 0.008, 0.016) * s
    thick = max(1, round(_u(rng, 0.01, 0.014) * s))
    center = (round(P(cx, ccy)[0] * 16), round(P(cx, ccy)[1] * 16))
    axes = (round((ac + gap) * 16), round((bc + gap) * 16))
    for sg in (-1, 1):
        for ang in np.sort(rng.uniform(-70, 70, int(rng.integers(6, 10)))):
            start = ang if sg > 0 else 180 - ang
            span = _u(rng, 4, 9)
            cv2.ellipse(hu, center, axes, deg, start, start + span, (_u(rng, 450, 750),), thick, cv2.LINE_8, 4)
    if level != "upper":
        _ellipse(hu, P(cx, ccy - bc - 0.015 * s), (_u(rng, 0.02, 0.035) * s, _u(rng, 0.01, 0.015) * s), deg,
                 _u(rng, 350, 600))
    else:
        for sg in (-1, 1):  # clavicles in front, heads of humerus at the sides
            _poly(hu, np.array([P(cx + sg * 0.05 * s, ccy - bc - 0.03 * s), P(cx + sg * 0.15 * s, ccy - bc - 0.045 * s),
                                P(cx + sg * 0.25 * s, ccy - bc - 0.03 * s)]), _u(rng, 500, 800), max(1.0, 0.012 * s))
            if rng.random() < 0.5:  # the arm: deltoid around the humeral head
                c = P(cx + sg * (ac + 0.1 * s), ccy)
                _ellipse(hu, c, (0.075 * s, 0.085 * s), 0, _u(rng, 30, 55))
                _ellipse(hu, c, (0.04 * s, 0.04 * s), 0, _u(rng, 500, 800))
                _ellipse(hu, c, (0.032 * s, 0.032 * s), 0, _u(rng, 150, 300))
    if level != "lower":
        for sg in (-1, 1):  # scapulae behind the ribs, inside the back muscles
            _poly(hu, np.array([P(cx + sg * (0.1 * s + 2 * rv), ccy + 0.95 * bc + gap + thick),
                                P(cx + sg * 0.92 * ac, ccy + 0.5 * bc + gap + thick)]),
                  _u(rng, 400, 700), max(1.0, 0.012 * s))
    tr = _u(rng, 0.022, 0.032) * s
    ty = spine_y - rv - tr - _u(rng, 0.01, 0.03) * s
    if level == "upper":
        _ellipse(hu, P(cx, ty), (tr + 1.5, tr + 1.5), deg, 20)
        _ellipse(hu, P(cx, ty), (tr, 0.9 * tr), deg, -1000)
    elif level == "middle":
        for sg in (-1, 1):  # main bronchi at the hila
            c = P(cx + sg * _u(rng, 0.03, 0.05) * s, ty)
            _ellipse(hu, c, (0.65 * tr + 1.5, 0.6 * tr + 1.5), deg, 20)
            _ellipse(hu, c, (0.65 * tr, 0.6 * tr), deg, -1000)


def _ct_vessels(rng: np.random.Generator, hu: np.ndarray, coords: tuple[np.ndarray, np.ndarray],
                hilum: tuple[float, float], s: int) -> None:
    """Vessels drawn into ``hu``: dots sized by distance to the hilum (sub-pixel ones as
    partial-volume single pixels), short in-plane branches, and a few bronchi (dark rings)."""
    ys, xs = coords
    if ys.size < 20:
        return
    n = max(1, int(ys.size * _u(rng, 0.012, 0.022)))
    pick = rng.integers(0, ys.size, n)
    py, px = ys[pick], xs[pick]
    d = np.hypot(px - hilum[0], py - hilum[1])
    d = d / (d.max() + 1e-6)
    rad = _u(rng, 0.008, 0.013) * s * (1.0 - d) ** 1.6
    vessel_hu = _u(rng, 0.0, 60.0)
    # Thin vessels as numpy stamps (one pixel, partial volume; or a plus sign), thick ones as
    # OpenCV discs: a few hundred cv2 calls per slice would cost more than the rest of it.
    small = rad < 1.0
    alpha = np.clip(0.25 + 0.75 * rad[small], 0.0, 1.0)
    sy, sx = py[small], px[small]
    hu[sy, sx] += alpha * (vessel_hu - hu[sy, sx])
    mid = (rad >= 1.0) & (rad < 1.6)
    for dy, dx, a in ((0, 0, 1.0), (-1, 0, 0.6), (1, 0, 0.6), (0, -1, 0.6), (0, 1, 0.6)):
        sy, sx = np.clip(py[mid] + dy, 0, s - 1), np.clip(px[mid] + dx, 0, s - 1)
        hu[sy, sx] += a * (vessel_hu - hu[sy, sx])
    for k in np.flatnonzero(rad >= 1.6):
        cv2.circle(hu, (int(px[k]) * 16 + 8, int(py[k]) * 16 + 8), round(rad[k] * 16), (vessel_hu,), -1, cv2.LINE_8, 4)
    # In-plane branches pointing back to the hilum.
    br = np.flatnonzero(rng.random(n) < 0.2)
    if br.size:
        p0 = np.stack([px[br], py[br]], 1).astype(np.float64)
        to = np.array(hilum) - p0
        to /= np.linalg.norm(to, axis=1, keepdims=True) + 1e-6
        p1 = p0 + to * (rng.uniform(2, 6, br.size) * np.maximum(1.0, rad[br]))[:, None]
        _polys(hu, np.stack([p0, p1], 1), vessel_hu, 1)
    near = np.flatnonzero((d < 0.5) & (rad > 1.2))
    for k in rng.choice(near, min(near.size, int(rng.integers(1, 5))), replace=False) if near.size else []:
        rb = rad[k] * _u(rng, 0.8, 1.1)
        c = (int(px[k]) * 16 + 8, int(py[k]) * 16 + 8)
        cv2.circle(hu, c, round((rb + 1.0) * 16), (_u(rng, -150, 0),), -1, cv2.LINE_8, 4)
        cv2.circle(hu, c, round(rb * 16), (-990.0,), -1, cv2.LINE_8, 4)
        cv2.circle(hu, (c[0] + round(2.2 * rb * 16), c[1]), round(rb * 16), (vessel_hu,), -1, cv2.LINE_8, 4)


@functools.lru_cache(maxsize=4)
def _noise_bank_smooth(n: int) -> np.ndarray:
    """The bank blurred (sigma 0.7 px) and renormalised: CT noise is spatially correlated."""
    g = cv2.GaussianBlur(_noise_bank(n), (0, 0), 0.7)
    return g / g.std()


def _ct_finish(rng: np.random.Generator, hu: np.ndarray) -> np.ndarray:
    """Scanner noise, unsharpness, lung window (air black), optional round field of view."""
    s = hu.shape[0]
    bank = _noise_bank_smooth(max(1024, 1 << int(np.ceil(np.log2(2 * s)))))
    oy, ox = (int(v) for v in rng.integers(0, bank.shape[0] - s, 2))
    hu += _u(rng, 8.0, 45.0) * bank[oy:oy + s, ox:ox + s]
    sigma = _u(rng, 0.0, 0.8) * s / 256
    if sigma > 0.3:
        hu = cv2.GaussianBlur(hu, (0, 0), sigma)
    lower, upper = _u(rng, -1080.0, -950.0), _u(rng, 80.0, 350.0)
    img = np.clip((hu - lower) * (1.0 / (upper - lower)), 0.0, 1.0)
    img = cv2.pow(img, float(np.clip(np.exp(rng.normal(0.0, 0.12)), 0.75, 1.35)))
    if rng.random() < 0.5:  # reconstruction circle
        fov = np.zeros((s, s), np.uint8)
        cv2.circle(fov, (s * 8, s * 8), round(_u(rng, 0.49, 0.6) * s * 16), (1,), -1, cv2.LINE_8, 4)
        np.copyto(img, np.float32(_u(rng, 0.0, 0.04)), where=fov == 0)
    return img


def _ct_lesion_hu(rng: np.random.Generator, hu: np.ndarray, blob: _Blob) -> None:
    """Ground glass (-700..-450 HU, sometimes crazy paving) or consolidation (-150..+20 HU).

    Only raises HU toward the target, so vessels (denser) stay visible through ground glass
    and vanish in consolidation, as on real scans.
    """
    target = _u(rng, -700, -450) if blob.spec.kind == "ggo" else _u(rng, -150, 20)
    patch = hu[blob.ys, blob.xs]
    op = blob.opacity
    if blob.spec.kind == "ggo" and rng.random() < 0.3:  # crazy paving: a fine reticular net
        h, w = op.shape
        net = _noise(rng, h, w, max(3, w // 5))
        patch += op * _u(rng, 100, 220) * np.exp(-(net / 0.15) ** 2)
    patch += op * np.maximum(target - patch, 0.0)


# ----------------------------------------------------------------------------- cases


def _check(modality: str, mode: str, size: int, convention: str) -> None:
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if int(size) < 32:
        raise ValueError(f"size must be >= 32, got {size!r}")


def _valid(blobs: Sequence[_Blob], locs: Sequence[_Loc], mode: str) -> bool:
    """Every location got a lesion; in referring mode lesions sit on both image halves and at
    least one of them is not named."""
    if any(not any(b.spec.loc == i for b in blobs) for i in range(len(locs))):
        return False
    return mode == "report" or (len({b.spec.side for b in blobs}) == 2 and any(b.spec.loc < 0 for b in blobs))


def make_case(index: int, seed: int = 0, modality: str = "xray", mode: str = "report", size: int = 256,
              convention: str = "radiological", lung_shapes: np.ndarray | None = None) -> SyntheticCase:
    """Generate case ``index`` of the stream ``seed``; deterministic in every argument.

    Args:
        modality: "xray" (frontal chest film) or "ct" (axial slice, lung window).
        mode: "report" (text names every lesion) or "referring" (text names a subset).
        size: output side in pixels (square).
        convention: "radiological" (patient left = image right) or "viewer" (mirrored).
        lung_shapes: bool [N, 128, 128] real lung outlines from
            :func:`ssa.data.lung_shapes.load_lung_shapes` (X-ray only); None = procedural.
    The plan (text, sides, zones, lesion kinds) does not depend on ``size`` or ``convention``;
    a "viewer" case is the radiological one mirrored, pixel for pixel (only burnt-in side
    markers are drawn after the mirror, so they stay readable and on the right side).
    """
    _check(modality, mode, size, convention)
    s = int(size)
    rng = np.random.default_rng([int(seed), int(index), MODALITIES.index(modality), MODES.index(mode)])
    for _ in range(8):  # a re-plan is rare (a location with no room for its lesion)
        locs, specs, level = _plan(rng, modality, mode)
        anat = _xray_anatomy(rng, s, lung_shapes) if modality == "xray" else _ct_anatomy(rng, s, level or "middle")
        blobs = place_lesions(rng, specs, anat.lungs, anat.lung_soft, s, modality, anat.coords)
        if _valid(blobs, locs, mode):
            break
    else:
        raise RuntimeError(f"could not place lesions for case {index} (seed {seed})")
    for i, loc in enumerate(locs):
        loc.n = sum(b.spec.loc == i for b in blobs)
    text = make_text(locs, rng)
    mask = np.zeros((s, s), bool)
    every = np.zeros((s, s), bool)
    base = anat.base
    for blob in blobs:
        if modality == "xray":
            amp = _u(rng, 0.3, 0.6) if blob.spec.kind == "ggo" else _u(rng, 0.45, 0.75)
            base[blob.ys, blob.xs] += amp * anat.lesion_scale * blob.opacity
        else:
            _ct_lesion_hu(rng, base, blob)
        every[blob.ys, blob.xs] |= blob.mask
        if blob.spec.loc >= 0:
            mask[blob.ys, blob.xs] |= blob.mask
    if modality == "xray":
        img = _xray_finish(rng, base)
    else:
        img = _ct_finish(rng, base)
    image = np.round(img * 255.0).astype(np.uint8)
    if convention == "viewer":
        image, mask, every = (np.ascontiguousarray(a[:, ::-1]) for a in (image, mask, every))
    if modality == "xray":
        _markers(rng, image, patient_left_on_right=convention == "radiological")
    info = dict(anat.info, mode=mode, locs=[(loc.side, loc.zones, loc.n) for loc in locs],
                lesions=[(b.spec.side, b.spec.zones, b.spec.kind, b.spec.loc >= 0) for b in blobs])
    return SyntheticCase(image, mask, text, modality, every, info)


class SyntheticSet:
    """A fixed-length, indexable stream of synthetic cases (generated on access, never stored).

    ``modality="mixed"`` alternates X-ray / CT by index; ``mode="mixed"`` alternates report /
    referring (every other pair of indices when the modality is mixed too, so each modality
    gets both modes). Real lung shapes are loaded once from the cache; when they were never
    fetched (``python -m ssa.data.lung_shapes``) procedural shapes are used, with one warning.
    """

    def __init__(self, n: int, seed: int = 0, modality: str = "xray", mode: str = "report", size: int = 256,
                 convention: str = "radiological", lung_shapes: np.ndarray | None = None,
                 cache_dir: Path | None = None) -> None:
        if int(n) < 0:
            raise ValueError(f"n must be >= 0, got {n!r}")
        if modality not in (*MODALITIES, "mixed"):
            raise ValueError(f"modality must be one of {(*MODALITIES, 'mixed')}, got {modality!r}")
        if mode not in (*MODES, "mixed"):
            raise ValueError(f"mode must be one of {(*MODES, 'mixed')}, got {mode!r}")
        _check(MODALITIES[0], MODES[0], size, convention)  # size and convention
        self.n, self.seed, self.modality, self.mode = int(n), int(seed), modality, mode
        self.size, self.convention = int(size), convention
        if lung_shapes is None and modality != "ct":
            from ssa.data.lung_shapes import load_lung_shapes

            lung_shapes = load_lung_shapes(cache_dir)
            if lung_shapes is None:
                warnings.warn("real lung shapes not cached (run `python -m ssa.data.lung_shapes`); "
                              "using procedural lung outlines", RuntimeWarning, stacklevel=2)
        self.lung_shapes = lung_shapes

    def __len__(self) -> int:
        return self.n

    def kind(self, i: int) -> tuple[str, str]:
        """(modality, mode) of case ``i``."""
        modality = MODALITIES[i % 2] if self.modality == "mixed" else self.modality
        step = i // 2 if self.modality == "mixed" else i
        mode = MODES[step % 2] if self.mode == "mixed" else self.mode
        return modality, mode

    def __getitem__(self, i: int) -> SyntheticCase:
        i = int(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} cases")
        modality, mode = self.kind(i)
        return make_case(i, self.seed, modality, mode, self.size, self.convention, self.lung_shapes)


def render_preview(cases: Sequence[SyntheticCase], path: Path, cols: int = 4) -> None:
    """Contact sheet PNG: each image with its mask outlined in red, lesions the text does not
    refer to in dashed yellow, and the text as a wrapped title. Written atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    cols = max(1, min(int(cols), len(cases) or 1))
    rows = max(1, -(-len(cases) // cols))
    fig = Figure(figsize=(3.2 * cols, 3.75 * rows), dpi=100)
    FigureCanvasAgg(fig)
    for k, case in enumerate(cases):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(case.image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        if case.mask.any():
            ax.contour(case.mask.astype(np.float32), levels=[0.5], colors="red", linewidths=0.8)
        other = case.all_lesions & ~case.mask
        if other.any():
            ax.contour(other.astype(np.float32), levels=[0.5], colors="yellow", linewidths=0.8,
                       linestyles="--")
        ax.set_title(textwrap.fill(f"[{case.modality}] {case.text}", 44), fontsize=6.5)
        ax.set_axis_off()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render a preview sheet of synthetic cases.")
    p.add_argument("--preview", type=Path, required=True, help="output PNG")
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--modality", default="xray", choices=[*MODALITIES, "mixed"])
    p.add_argument("--mode", default="report", choices=[*MODES, "mixed"])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--convention", default="radiological", choices=list(CONVENTIONS))
    p.add_argument("--cols", type=int, default=4)
    args = p.parse_args(argv)
    ds = SyntheticSet(args.n, args.seed, args.modality, args.mode, args.size, args.convention)
    render_preview([ds[i] for i in range(len(ds))], args.preview, args.cols)
    print(f"wrote {args.preview} ({len(ds)} cases)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
