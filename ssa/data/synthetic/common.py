"""Shared by the X-ray and CT renderers: sub-pixel drawing helpers (OpenCV), the anatomy record
they return, and a fixed bank of white noise."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np


def uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return lo + (hi - lo) * rng.random()  # 3x faster than rng.uniform for one scalar


def _fx(pts: np.ndarray) -> np.ndarray:
    """Float points -> int32 with 4 fractional bits (OpenCV ``shift=4``) for sub-pixel drawing."""
    return np.round(np.asarray(pts, dtype=np.float64) * 16.0).astype(np.int32).reshape(-1, 1, 2)


def draw_polyline(layer: np.ndarray, pts: np.ndarray, value: float, thick: float) -> None:
    cv2.polylines(layer, [_fx(pts)], False, (float(value),), max(1, round(thick)), cv2.LINE_8, 4)


def fill_polygon(layer: np.ndarray, pts: np.ndarray, value: float) -> None:
    cv2.fillPoly(layer, [_fx(pts)], (float(value),), cv2.LINE_8, 4)


def draw_ellipse(layer: np.ndarray, c: tuple[float, float], axes: tuple[float, float], angle: float,
             value: float, thick: int = -1) -> None:
    center = (round(c[0] * 16), round(c[1] * 16))
    ax = (max(1, round(axes[0] * 16)), max(1, round(axes[1] * 16)))
    cv2.ellipse(layer, center, ax, float(angle), 0.0, 360.0, (float(value),), thick, cv2.LINE_8, 4)


def smooth_noise(rng: np.random.Generator, h: int, w: int, grid: int) -> np.ndarray:
    """Smooth ~unit-variance noise [h, w]: a random ``grid`` x ``grid`` field, bicubically upsampled."""
    g = rng.standard_normal((grid, grid)).astype(np.float32)
    if h * w > 96 * 96 and min(h, w) >= 4 * grid:  # bicubic to 1/4 size, then bilinear: 5x cheaper
        g = cv2.resize(g, (w // 4, h // 4), interpolation=cv2.INTER_CUBIC)
        return cv2.resize(g, (w, h), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(g, (max(1, w), max(1, h)), interpolation=cv2.INTER_CUBIC)


@dataclass
class Anatomy:
    """What the lesion placer and the finisher need from an anatomy renderer."""

    base: np.ndarray  # float32 [S, S]: x-ray density or CT Hounsfield units, lesions not yet in
    lungs: tuple[np.ndarray, np.ndarray]  # bool: image-left / image-right lung (radiological frame)
    lung_soft: np.ndarray  # float32 [S, S] in [0, 1]: antialiased lung field
    lesion_scale: float  # x-ray: lung air depth (a consolidation adds ~0.5-0.9 of it)
    info: dict
    coords: tuple | None = None  # CT: (rows, cols) of each lung's pixels, shared with the placer


def _fxb(pts: np.ndarray) -> list[np.ndarray]:
    """A batch [K, n, 2] of float polylines -> list of int32 arrays for one OpenCV call (shift=4)."""
    return list(np.round(pts * 16.0).astype(np.int32))


def draw_polylines(layer: np.ndarray, pts: np.ndarray, value: float, thick: float) -> None:
    cv2.polylines(layer, _fxb(pts), False, (float(value),), max(1, round(thick)), cv2.LINE_8, 4)


@functools.lru_cache(maxsize=4)
def noise_bank(n: int) -> np.ndarray:
    """A fixed n x n block of white Gaussian noise (a constant, seeded), sliced per case.

    Drawing S*S fresh normals costs more than the rest of an image (~0.8 ms at 256 px on the
    CI cores); a random window of a fixed bank, randomly transposed, looks the same.
    """
    return np.random.default_rng(0x55A).standard_normal((n, n), dtype=np.float32)


def white_noise(rng: np.random.Generator, s: int) -> np.ndarray:
    """[s, s] white Gaussian noise: a random window of the bank (read-only view)."""
    bank = noise_bank(max(1024, 1 << int(np.ceil(np.log2(2 * s)))))
    oy, ox = (int(v) for v in rng.integers(0, bank.shape[0] - s, 2))
    win = bank[oy:oy + s, ox:ox + s]
    return win.T if rng.random() < 0.5 else win
