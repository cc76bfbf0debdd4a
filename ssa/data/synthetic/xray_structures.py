"""X-ray structures drawn over the lungs: vessel trees, ribs and shoulder girdle, devices, heart."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from ssa.data.synthetic.common import draw_polyline, draw_polylines, fill_polygon, uniform


def draw_vessel_trees(rng: np.random.Generator, layer: np.ndarray, hila: Sequence[tuple[float, float, float]],
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
        draw_polylines(layer, np.stack([p, end], 1) * q, 1.0 - 0.2 * depth, max(1.0, thick * s * q))
        if depth == 2:
            break
        p = np.repeat(end, 2, 0)
        a = np.repeat(a, 2) + np.tile([-1.0, 1.0], len(a)) * rng.uniform(0.25, 0.6, 2 * len(a))
        length = np.repeat(length, 2) * rng.uniform(0.6, 0.85, 2 * len(length))


def draw_ribs_and_girdle(rng: np.random.Generator, layer: np.ndarray, geo, s: int, q: float) -> None:
    """Posterior ribs (arcs), fainter anterior ribs, clavicles, scapulae; drawn at scale ``q``.

    Values are relative bone density (ribs ~0.3-1, clavicles brighter); the caller scales them.
    Both sides are built as one batch of polylines: fewer, larger numpy/OpenCV calls.
    """
    top, bottom, xm, width, rot = geo

    def r(pts: np.ndarray) -> np.ndarray:  # rotate with the patient, then scale to the layer
        return (pts @ rot[:2, :2].T + rot[:2, 2]) * q

    bh = bottom - top
    spacing = bh * uniform(rng, 0.085, 0.1)
    th = uniform(rng, 0.014, 0.02) * s  # rib height in pixels of the full image
    reach = 0.5 * width * uniform(rng, 1.0, 1.1)
    rise, drop, slope = uniform(rng, 0.02, 0.04), uniform(rng, 0.09, 0.15), uniform(rng, 0.12, 0.18)
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
        draw_polylines(layer, post + dy * normal, v, 1)
    # Anterior ribs: from the lateral wall down and in, fading before the sternum.
    w = np.linspace(0.0, 1.0, 10)[None, :]
    end = post[:, -1:, :] / q
    ant = np.empty((22, 10, 2))
    ant[..., 0] = end[..., 0] - sg * w * 0.6 * rk
    ant[..., 1] = end[..., 1] + s * slope * np.sin(0.5 * np.pi * w)
    ant = ant * q  # the end points were already rotated
    for dy in (-0.4 * th, 0.4 * th):
        draw_polylines(layer, ant + dy * normal, 0.3, 1)
    # Clavicles: S-shaped bars from the sternal ends out and up to the shoulders.
    t = np.linspace(0.0, 1.0, 12)[None, :]
    clav = np.empty((2, 12, 2))
    for i, side in enumerate((-1, 1)):
        med = (xm + side * uniform(rng, 0.025, 0.05) * s, top + uniform(rng, 0.04, 0.11) * s)
        lat = (xm + side * uniform(rng, 0.3, 0.42) * s, top - uniform(rng, -0.01, 0.06) * s)
        clav[i, :, 0] = med[0] + t * (lat[0] - med[0])
        clav[i, :, 1] = med[1] + t * (lat[1] - med[1]) + uniform(rng, 0.008, 0.02) * s * np.sin(2 * np.pi * t)
    draw_polylines(layer, r(clav), 1.6, max(1.0, uniform(rng, 0.026, 0.036) * s * q))
    if rng.random() < 0.6:  # the scapulae's medial borders project over the lateral lungs
        yy = np.linspace(top - 0.03 * s, top + uniform(rng, 0.3, 0.45) * bh, 8)
        bulge = 0.03 * s * np.sin(np.linspace(0, np.pi, 8))
        for side in (-1, 1):
            border = np.stack([xm + side * (uniform(rng, 0.3, 0.38) * s - bulge), yy], 1)
            outer = np.array([[xm + side * 0.6 * s, yy[-1] + 0.05 * s], [xm + side * 0.6 * s, yy[0]]])
            fill_polygon(layer, r(np.concatenate([border, outer])), 0.35)
            draw_polyline(layer, r(border), 0.7, max(1.0, 0.008 * s * q))


def draw_metal(rng: np.random.Generator, layer: np.ndarray, geo, s: int) -> list[str]:
    """ECG electrodes and leads, tubes and lines: bright look-alikes that are never lesions."""
    top, bottom, xm, width, _ = geo
    found = []
    if rng.random() < 0.2:
        found.append("ecg")
        for _ in range(int(rng.integers(2, 6))):
            c = np.array([xm + uniform(rng, -0.45, 0.45) * s, uniform(rng, top, bottom)])
            rr = uniform(rng, 0.014, 0.022) * s
            cc = (round(c[0] * 16), round(c[1] * 16))
            cv2.circle(layer, cc, round(rr * 16), (1.0,), max(1, round(0.006 * s)), cv2.LINE_8, 4)
            cv2.circle(layer, cc, round(0.35 * rr * 16), (1.0,), -1, cv2.LINE_8, 4)
            a, pts = uniform(rng, 0, 2 * np.pi), [c]
            for _ in range(6):
                a += rng.normal(0, 0.5)
                pts.append(pts[-1] + 0.09 * s * np.array([np.cos(a), np.sin(a)]))
            draw_polyline(layer, np.array(pts), 0.8, max(1.0, 0.005 * s))
    if rng.random() < 0.2:
        found.append("ng_tube")
        yy = np.linspace(0, bottom + 0.06 * s, 10)
        xx = xm + 0.01 * s * np.sin(yy / s * 6 + uniform(rng, 0, 6)) + np.clip(yy - bottom + 0.1 * s, 0, None) * 0.8
        draw_polyline(layer, np.stack([xx, yy], 1), 0.45, max(1.0, 0.005 * s))
    if rng.random() < 0.15:
        found.append("central_line")
        sg = 1 if rng.random() < 0.5 else -1
        pts = np.array([[xm + sg * 0.42 * s, top - 0.02 * s], [xm + sg * 0.2 * s, top + 0.02 * s],
                        [xm + sg * 0.03 * s, top + 0.1 * s], [xm + 0.01 * s, top + uniform(rng, 0.25, 0.35) * (bottom - top)]])
        draw_polyline(layer, pts, 0.5, 1)
    return found


def draw_heart(rng: np.random.Generator, lung: np.ndarray, geo) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Heart ellipse: ~1/3 right of the midline, 2/3 on the patient's left (image right),
    cardiothoracic ratio 0.38-0.52, resting on the diaphragm, long axis tilted down-left."""
    top, bottom, xm, width, _ = geo
    bh = bottom - top
    row = lung[int(np.clip(top + 0.7 * bh, 0, lung.shape[0] - 1))]
    cols = np.flatnonzero(row)
    thorax = float(cols[-1] - cols[0]) if cols.size > 1 else width
    half_w = 0.5 * uniform(rng, 0.38, 0.52) * thorax
    ay = uniform(rng, 0.1, 0.15) * bh
    c = (xm + uniform(rng, 0.12, 0.22) * 2 * half_w, top + uniform(rng, 0.84, 0.9) * bh - uniform(rng, 0.55, 0.8) * ay)
    return c, (half_w, ay), uniform(rng, 5, 22)
