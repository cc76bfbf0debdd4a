"""Lesion shapes and their placement inside the named lung and zones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ssa.data.synthetic.common import draw_polyline, smooth_noise, uniform
from ssa.data.synthetic.plan import BAND, ZONES, LesionSpec
from ssa.laterality import SIDES, image_half

# Lesion radii: X-ray as fractions of the image side, CT of the lung's equivalent radius
# (sqrt(area / pi)), so an apical slice with small lungs gets proportionally small lesions.
_SIZES = {"small": (0.016, 0.03), "medium": (0.03, 0.06), "large": (0.06, 0.12), "span": (0.05, 0.1)}


_CT_SIZES = {"small": (0.1, 0.2), "medium": (0.2, 0.35), "large": (0.35, 0.6)}


@dataclass
class Blob:
    ys: slice
    xs: slice
    opacity: np.ndarray  # float32 patch in [0, 1]: how much lesion is there (visible part)
    mask: np.ndarray  # bool patch: the annotated lesion
    spec: LesionSpec


def _bronchograms(rng: np.random.Generator, h: int, w: int, cx: float, cy: float, r: float) -> np.ndarray:
    """Thin dark branching air tubes inside a consolidation (a patch layer in [0, 1])."""
    layer = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        a = uniform(rng, 0, 2 * np.pi)
        p = np.array([cx, cy]) + rng.normal(0, 0.3 * r, 2)
        pts = [p]
        for _ in range(4):
            a += rng.normal(0, 0.35)
            p = p + 0.35 * r * np.array([np.cos(a), np.sin(a)])
            pts.append(p)
        draw_polyline(layer, np.array(pts), 1.0, 1)
    return cv2.GaussianBlur(layer, (3, 3), 0.6)


def _place(rng: np.random.Generator, spec: LesionSpec, lung: np.ndarray, lung_soft: np.ndarray,
           occupied: np.ndarray, rows: tuple[int, int] | None, size: int, modality: str,
           shrink: float = 1.0, pixels=None, edges: Sequence[np.ndarray] = ()) -> Blob | None:
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
        ry = 0.5 * (xs_l - ys_l) * uniform(rng, 0.65, 0.95)  # never shrunk: it must reach every zone
        cy = 0.5 * (ys_l + xs_l) + rng.normal(0, 0.03 * size)
        rx = uniform(rng, lo, hi) * size * shrink
    else:
        if modality == "ct":
            lo, hi = _CT_SIZES[spec.size]
        ry = uniform(rng, lo, hi) * shrink * (size if modality == "xray" else pixels[4])
        ry = max(ry, _SIZES["small"][0] * size * shrink, 2.0)  # >= 2 px: small images stay drawable
        rx = max(ry * uniform(rng, 0.7, 1.5), 2.0)
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
            cx = lateral + (1 if lateral == cols[0] else -1) * rx * uniform(rng, 0.2, 0.9)
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
        s = uniform(rng, 0.4, 0.75)
        f = np.minimum(f, np.sqrt(((xx - ox) / (s * rx)) ** 2 + ((yy - oy) / (s * ry)) ** 2))
    f = f + uniform(rng, 0.12, 0.35) * smooth_noise(rng, hs, ws, 4) + uniform(rng, 0.04, 0.1) * smooth_noise(rng, hs, ws, 9)
    if rows is not None:  # bend the outline away from the zone's outer borders instead of cutting it
        band = 0.04 * size + 1.0
        rr = yy[:, 0] + cy
        t = np.clip(np.maximum(rr - (xs_l - band), ys_l + band - rr) / band, 0.0, None)
        f = f + (1.5 * t * t)[:, None]
    soft = uniform(rng, 0.4, 0.9) if spec.kind == "ggo" else uniform(rng, 0.25, 0.5)
    p = np.clip((1.0 - f) / soft + 0.5, 0.0, 1.0)
    p = p * p * (3.0 - 2.0 * p)
    if spec.kind == "consolidation":  # dense core in a ground-glass halo: fluffy, ill-defined margin
        halo = np.clip((1.0 - f) / 0.9 + 0.5, 0.0, 1.0)
        p = np.maximum(p, uniform(rng, 0.25, 0.45) * halo)
    # Mottled: GGO is patchy haze; consolidation is denser but not a flat plate either.
    mottle = uniform(rng, 0.2, 0.45) if spec.kind == "ggo" else uniform(rng, 0.15, 0.35)
    p = p * (1.0 - mottle * (0.5 + 0.5 * np.tanh(smooth_noise(rng, hs, ws, max(3, w // 7)))))
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
    return Blob(slice(y0, y1), slice(x0, x1), np.clip(p, 0.0, 1.0).astype(np.float32), keep, spec)


def _zone_rows(zones: tuple[str, ...], size: int) -> tuple[int, int]:
    """Integer rows [start, stop) of the union of ``zones`` in the fixed grid (BAND split in thirds)."""
    top, third = BAND[0] * size, (BAND[1] - BAND[0]) * size / 3.0
    ks = [ZONES.index(z) for z in zones]
    return int(np.ceil(top + min(ks) * third)), int(np.floor(top + (max(ks) + 1) * third))


def place_lesions(rng: np.random.Generator, specs: Sequence[LesionSpec], lungs: Sequence[np.ndarray],
                  lung_soft: np.ndarray, size: int, modality: str, coords: tuple | None = None) -> list[Blob]:
    """Place named lesions first (so each location gets its lesions), then distractors.

    ``lungs[0]`` / ``lungs[1]`` are the image-left / image-right lungs (radiological frame);
    ``coords``, when given, their pixels' (rows, cols).
    A spec that fails 24 tries (shrinking as it goes) is dropped; the text is written from
    what was placed, so counts always match.
    """
    occupied = np.zeros((size, size), bool)
    blobs: list[Blob] = []
    pixels: dict[int, tuple] = {}
    edges: list[np.ndarray] = []  # boundary pixels (y, x) of the lesions placed so far
    for spec in sorted(specs, key=lambda s: s.loc < 0):
        h = SIDES.index(image_half(spec.side, "radiological"))  # 0 = image-left, 1 = image-right
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
