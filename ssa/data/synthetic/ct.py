"""Axial CT slice in the lung window: body outline, lungs by level, bones, airways, vessels, lesions in HU."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import cv2
import numpy as np

from ssa.data.synthetic.common import (
    Anatomy,
    draw_ellipse,
    draw_polyline,
    draw_polylines,
    fill_polygon,
    noise_bank,
    smooth_noise,
    uniform,
)
from ssa.data.synthetic.lesions import Blob
from ssa.laterality import SIDES, mirror_safe_columns


def _body_outline(rng: np.random.Generator, c: tuple[float, float], a: float, b: float,
                  flat: float, theta: float) -> np.ndarray:
    """Closed body contour: a wobbly ellipse, flattened at the back where the patient lies."""
    t = np.linspace(0.0, 2 * np.pi, 96, endpoint=False)
    wobble = 1.0 + sum(uniform(rng, 0.0, 0.025) * np.cos(k * t + uniform(rng, 0, 2 * np.pi)) for k in (2, 3, 5))
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


def ct_anatomy(rng: np.random.Generator, s: int, level: str) -> Anatomy:
    """Hounsfield map of an axial chest slice at ``level`` (anterior up, patient left = image right).

    upper: small apical lungs set back in thick shoulder muscle, clavicles, trachea;
    middle: large lungs, heart (to the patient's left), descending aorta, main bronchi;
    lower: liver dome (patient's right) and stomach / spleen (left) pushing into the bases.
    """
    cx, cy = s * (0.5 + uniform(rng, -0.01, 0.01)), s * uniform(rng, 0.46, 0.54)
    a = s * uniform(rng, 0.36, 0.47)
    b = a * uniform(rng, 0.62, 0.78)
    if level == "upper":
        a, b = a * uniform(rng, 1.0, 1.08), b * uniform(rng, 0.85, 0.95)
    theta = np.deg2rad(float(np.clip(rng.normal(0.0, 2.5), -6, 6)))
    hu = np.full((s, s), -1000.0, np.float32)
    flat = b * uniform(rng, 0.8, 0.92)
    fill_polygon(hu, _body_outline(rng, (cx, cy), a, b, flat, theta), uniform(rng, -110, -80))  # subcutaneous fat
    fat = uniform(rng, 0.01, 0.045) * s
    fill_polygon(hu, _body_outline(rng, (cx, cy), a - fat, b - 0.8 * fat, flat - fat, theta), uniform(rng, 30, 55))
    wall = fat + uniform(rng, 0.015, 0.03) * s
    ac, bc, ccy = a - wall, b - wall, cy - 0.04 * b
    if level == "upper":
        ac, bc, ccy = ac * uniform(rng, 0.7, 0.82), bc * uniform(rng, 0.68, 0.8), cy + 0.06 * b
    elif level == "lower":
        ac = ac * uniform(rng, 0.9, 1.0)
    rv = uniform(rng, 0.04, 0.055) * s
    spine_y = ccy + bc * uniform(rng, 0.68, 0.8)
    fr = _CTFrame(s, cx, ccy, ac, bc, spine_y, rv, float(np.rad2deg(theta)),
                  np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]), np.array([cx, cy]))
    P, deg = fr.P, fr.deg
    # Cavity minus mediastinum, spine and abdominal organs = lungs.
    # The cavity is egg-shaped: narrow behind the sternum, deep paravertebral gutters behind.
    t = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
    egg = 1.0 + uniform(rng, 0.05, 0.15) * np.sin(t) + uniform(rng, 0.0, 0.03) * np.cos(3 * t + uniform(rng, 0, 6))
    cavity = np.stack(P(cx + ac * np.cos(t) * egg, ccy + bc * np.sin(t) * (1 + 0.5 * (egg - 1))), 1)
    cav = np.zeros((s, s), np.uint8)
    fill_polygon(cav, cavity, 1)
    soft_hu = uniform(rng, 30.0, 50.0)
    fill_polygon(hu, cavity, soft_hu)
    med = np.zeros((s, s), np.uint8)
    w_ant, w_post = ((uniform(rng, 0.05, 0.08) * s, uniform(rng, 0.06, 0.08) * s) if level == "upper"
                     else (uniform(rng, 0.03, 0.05) * s, uniform(rng, 0.045, 0.06) * s))
    fill_polygon(med, np.array([P(cx - w_ant, ccy - bc - 0.02 * s), P(cx + w_ant, ccy - bc - 0.02 * s),
                         P(cx + w_post, spine_y), P(cx - w_post, spine_y)]), 1)
    draw_ellipse(med, P(cx, spine_y + 0.3 * rv), (1.9 * rv, 1.6 * rv), deg, 1)
    fill_polygon(med, np.array([P(cx - 1.9 * rv, spine_y), P(cx + 1.9 * rv, spine_y), P(cx + 2.2 * rv, s * 1.2),
                         P(cx - 2.2 * rv, s * 1.2)]), 1)
    if level == "upper":  # great vessels in front of the trachea
        draw_ellipse(med, P(cx + 0.01 * s, ccy - 0.35 * bc), (uniform(rng, 0.06, 0.09) * s, uniform(rng, 0.35, 0.5) * bc), deg, 1)
    elif level == "middle":
        heart = (P(cx + uniform(rng, 0.03, 0.06) * s, ccy - uniform(rng, 0.2, 0.4) * bc),
                 (uniform(rng, 0.11, 0.15) * s, uniform(rng, 0.4, 0.52) * bc), deg - uniform(rng, 20, 40))
        draw_ellipse(med, *heart, 1)
        draw_ellipse(med, P(cx + rv + uniform(rng, 0.01, 0.02) * s, spine_y - 0.6 * rv), (0.028 * s, 0.028 * s), 0, 1)
    else:
        draw_ellipse(med, P(cx + uniform(rng, 0.03, 0.06) * s, ccy - uniform(rng, 0.45, 0.6) * bc),
                 (uniform(rng, 0.1, 0.15) * s, uniform(rng, 0.3, 0.42) * bc), deg - 20, 1)
        liver = (P(cx - uniform(rng, 0.1, 0.18) * s, ccy + uniform(rng, -0.05, 0.25) * bc),
                 (uniform(rng, 0.09, 0.16) * s, uniform(rng, 0.45, 0.75) * bc), deg + uniform(rng, -20, 20))  # patient's right
        draw_ellipse(med, *liver, 1)
        draw_ellipse(hu, *liver, soft_hu + uniform(rng, 10, 25))
        if rng.random() < 0.6:  # stomach / spleen dome on the patient's left
            draw_ellipse(med, P(cx + uniform(rng, 0.1, 0.18) * s, ccy + uniform(rng, 0.1, 0.35) * bc),
                     (uniform(rng, 0.05, 0.1) * s, uniform(rng, 0.2, 0.4) * bc), deg, 1)
    lung_f = cv2.GaussianBlur((cav * (1 - med)).astype(np.float32), (0, 0), 0.008 * s)
    lung_f += 0.06 * smooth_noise(rng, s, s, 10)  # wobbly pleural outline
    lung = lung_f > 0.5
    # Image-left, image-right lung columns; mirror-safe, so a flipped (viewer) case stays in its half.
    halves = tuple(mirror_safe_columns(h, s) for h in SIDES)
    lungs = (np.zeros((s, s), bool), np.zeros((s, s), bool))
    for h in (0, 1):
        lungs[h][:, halves[h]] = lung[:, halves[h]]
    lung = lungs[0] | lungs[1]
    lung_soft = cv2.GaussianBlur(lung.astype(np.float32), (0, 0), 0.5 + 0.002 * s)
    coords = (np.nonzero(lungs[0]), np.nonzero(lungs[1]))
    # Parenchyma: dependent (posterior) lung is denser; faint texture.
    yy = np.arange(s, dtype=np.float32)[:, None]
    lung_hu = (uniform(rng, -880.0, -820.0) + uniform(rng, 20.0, 120.0) * np.clip((yy - ccy) / bc, 0.0, 1.0)
               + uniform(rng, 8, 25) * smooth_noise(rng, s, s, 24))
    hu += lung_soft * (lung_hu - hu)
    _ct_bones_airways(rng, hu, fr, level)
    for h in (0, 1):
        _ct_vessels(rng, hu, coords[h], P(cx + (-1 if h == 0 else 1) * 0.09 * s, ccy), s)
    if level != "upper" and rng.random() < 0.5:  # oblique fissures: faint thin lines
        fis = np.array([[P(cx + sg * 0.07 * s, ccy + 0.3 * bc), P(cx + sg * 0.5 * ac, ccy - 0.1 * bc),
                         P(cx + sg * 0.85 * ac, ccy - 0.55 * bc)] for sg in (-1, 1)])
        fis_layer = np.zeros((s, s), np.float32)
        draw_polylines(fis_layer, fis, 1.0, 1)
        hu += (0.25 * fis_layer * lung_soft) * (0.0 - hu)
    info: dict = {"level": level}
    bottom = cy + flat
    if rng.random() < 0.85 and bottom < 0.97 * s:  # the table under the patient
        xs = np.linspace(cx - 0.48 * s, cx + 0.48 * s, 20)
        yt = bottom + uniform(rng, 0.005, 0.04) * s - 0.06 * s * ((xs - cx) / (0.48 * s)) ** 2
        draw_polyline(hu, np.stack([xs, yt], 1), uniform(rng, -300, 200), max(1.0, 0.008 * s))
        draw_polyline(hu, np.stack([xs, yt + uniform(rng, 0.02, 0.04) * s], 1), uniform(rng, -400, 100), max(1.0, 0.006 * s))
    return Anatomy(hu, lungs, lung_soft, 1.0, info, coords)


def _ct_bones_airways(rng: np.random.Generator, hu: np.ndarray, fr: _CTFrame, level: str) -> None:
    """Vertebra, ribs, sternum, clavicles, scapulae, humeral heads; trachea / main bronchi."""
    s, cx, ccy, ac, bc, spine_y, rv, deg, P = fr.s, fr.cx, fr.ccy, fr.ac, fr.bc, fr.spine_y, fr.rv, fr.deg, fr.P
    vc = P(cx, spine_y)
    draw_ellipse(hu, vc, (rv, 0.9 * rv), deg, uniform(rng, 600, 900))
    draw_ellipse(hu, vc, (0.8 * rv, 0.7 * rv), deg, uniform(rng, 180, 320))
    canal = P(cx, spine_y + 1.45 * rv)
    draw_ellipse(hu, canal, (0.75 * rv, 0.6 * rv), deg, uniform(rng, 500, 800), max(1, round(0.3 * rv)))
    draw_ellipse(hu, canal, (0.45 * rv, 0.4 * rv), deg, uniform(rng, 10, 40))
    draw_polyline(hu, np.array([P(cx, spine_y + 2.0 * rv), P(cx, spine_y + 2.6 * rv)]), uniform(rng, 500, 800), 0.35 * rv)
    for sg in (-1, 1):  # transverse processes
        draw_polyline(hu, np.array([P(cx + sg * 0.6 * rv, spine_y + 1.3 * rv), P(cx + sg * 1.9 * rv, spine_y + 1.0 * rv)]),
              uniform(rng, 400, 700), 0.3 * rv)
    # Ribs: short oval cross-sections in the chest wall, sparing the front midline and the spine.
    gap = uniform(rng, 0.008, 0.016) * s
    thick = max(1, round(uniform(rng, 0.01, 0.014) * s))
    center = (round(P(cx, ccy)[0] * 16), round(P(cx, ccy)[1] * 16))
    axes = (round((ac + gap) * 16), round((bc + gap) * 16))
    for sg in (-1, 1):
        for ang in np.sort(rng.uniform(-70, 70, int(rng.integers(6, 10)))):
            start = ang if sg > 0 else 180 - ang
            span = uniform(rng, 4, 9)
            cv2.ellipse(hu, center, axes, deg, start, start + span, (uniform(rng, 450, 750),), thick, cv2.LINE_8, 4)
    if level != "upper":
        draw_ellipse(hu, P(cx, ccy - bc - 0.015 * s), (uniform(rng, 0.02, 0.035) * s, uniform(rng, 0.01, 0.015) * s), deg,
                 uniform(rng, 350, 600))
    else:
        for sg in (-1, 1):  # clavicles in front, heads of humerus at the sides
            draw_polyline(hu, np.array([P(cx + sg * 0.05 * s, ccy - bc - 0.03 * s), P(cx + sg * 0.15 * s, ccy - bc - 0.045 * s),
                                P(cx + sg * 0.25 * s, ccy - bc - 0.03 * s)]), uniform(rng, 500, 800), max(1.0, 0.012 * s))
            if rng.random() < 0.5:  # the arm: deltoid around the humeral head
                c = P(cx + sg * (ac + 0.1 * s), ccy)
                draw_ellipse(hu, c, (0.075 * s, 0.085 * s), 0, uniform(rng, 30, 55))
                draw_ellipse(hu, c, (0.04 * s, 0.04 * s), 0, uniform(rng, 500, 800))
                draw_ellipse(hu, c, (0.032 * s, 0.032 * s), 0, uniform(rng, 150, 300))
    if level != "lower":
        for sg in (-1, 1):  # scapulae behind the ribs, inside the back muscles
            draw_polyline(hu, np.array([P(cx + sg * (0.1 * s + 2 * rv), ccy + 0.95 * bc + gap + thick),
                                P(cx + sg * 0.92 * ac, ccy + 0.5 * bc + gap + thick)]),
                  uniform(rng, 400, 700), max(1.0, 0.012 * s))
    tr = uniform(rng, 0.022, 0.032) * s
    ty = spine_y - rv - tr - uniform(rng, 0.01, 0.03) * s
    if level == "upper":
        draw_ellipse(hu, P(cx, ty), (tr + 1.5, tr + 1.5), deg, 20)
        draw_ellipse(hu, P(cx, ty), (tr, 0.9 * tr), deg, -1000)
    elif level == "middle":
        for sg in (-1, 1):  # main bronchi at the hila
            c = P(cx + sg * uniform(rng, 0.03, 0.05) * s, ty)
            draw_ellipse(hu, c, (0.65 * tr + 1.5, 0.6 * tr + 1.5), deg, 20)
            draw_ellipse(hu, c, (0.65 * tr, 0.6 * tr), deg, -1000)


def _ct_vessels(rng: np.random.Generator, hu: np.ndarray, coords: tuple[np.ndarray, np.ndarray],
                hilum: tuple[float, float], s: int) -> None:
    """Vessels drawn into ``hu``: dots sized by distance to the hilum (sub-pixel ones as
    partial-volume single pixels), short in-plane branches, and a few bronchi (dark rings)."""
    ys, xs = coords
    if ys.size < 20:
        return
    n = max(1, int(ys.size * uniform(rng, 0.012, 0.022)))
    pick = rng.integers(0, ys.size, n)
    py, px = ys[pick], xs[pick]
    d = np.hypot(px - hilum[0], py - hilum[1])
    d = d / (d.max() + 1e-6)
    rad = uniform(rng, 0.008, 0.013) * s * (1.0 - d) ** 1.6
    vessel_hu = uniform(rng, 0.0, 60.0)
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
        draw_polylines(hu, np.stack([p0, p1], 1), vessel_hu, 1)
    near = np.flatnonzero((d < 0.5) & (rad > 1.2))
    for k in rng.choice(near, min(near.size, int(rng.integers(1, 5))), replace=False) if near.size else []:
        rb = rad[k] * uniform(rng, 0.8, 1.1)
        c = (int(px[k]) * 16 + 8, int(py[k]) * 16 + 8)
        cv2.circle(hu, c, round((rb + 1.0) * 16), (uniform(rng, -150, 0),), -1, cv2.LINE_8, 4)
        cv2.circle(hu, c, round(rb * 16), (-990.0,), -1, cv2.LINE_8, 4)
        cv2.circle(hu, (c[0] + round(2.2 * rb * 16), c[1]), round(rb * 16), (vessel_hu,), -1, cv2.LINE_8, 4)


@functools.lru_cache(maxsize=4)
def _noise_bank_smooth(n: int) -> np.ndarray:
    """The bank blurred (sigma 0.7 px) and renormalised: CT noise is spatially correlated."""
    g = cv2.GaussianBlur(noise_bank(n), (0, 0), 0.7)
    return g / g.std()


def ct_finish(rng: np.random.Generator, hu: np.ndarray) -> np.ndarray:
    """Scanner noise, unsharpness, lung window (air black), optional round field of view."""
    s = hu.shape[0]
    bank = _noise_bank_smooth(max(1024, 1 << int(np.ceil(np.log2(2 * s)))))
    oy, ox = (int(v) for v in rng.integers(0, bank.shape[0] - s, 2))
    hu += uniform(rng, 8.0, 45.0) * bank[oy:oy + s, ox:ox + s]
    sigma = uniform(rng, 0.0, 0.8) * s / 256
    if sigma > 0.3:
        hu = cv2.GaussianBlur(hu, (0, 0), sigma)
    lower, upper = uniform(rng, -1080.0, -950.0), uniform(rng, 80.0, 350.0)
    img = np.clip((hu - lower) * (1.0 / (upper - lower)), 0.0, 1.0)
    img = cv2.pow(img, float(np.clip(np.exp(rng.normal(0.0, 0.12)), 0.75, 1.35)))
    if rng.random() < 0.5:  # reconstruction circle
        fov = np.zeros((s, s), np.uint8)
        cv2.circle(fov, (s * 8, s * 8), round(uniform(rng, 0.49, 0.6) * s * 16), (1,), -1, cv2.LINE_8, 4)
        np.copyto(img, np.float32(uniform(rng, 0.0, 0.04)), where=fov == 0)
    return img


def ct_lesion_hu(rng: np.random.Generator, hu: np.ndarray, blob: Blob) -> None:
    """Ground glass (-700..-450 HU, sometimes crazy paving) or consolidation (-150..+20 HU).

    Only raises HU toward the target, so vessels (denser) stay visible through ground glass
    and vanish in consolidation, as on real scans.
    """
    target = uniform(rng, -700, -450) if blob.spec.kind == "ggo" else uniform(rng, -150, 20)
    patch = hu[blob.ys, blob.xs]
    op = blob.opacity
    if blob.spec.kind == "ggo" and rng.random() < 0.3:  # crazy paving: a fine reticular net
        h, w = op.shape
        net = smooth_noise(rng, h, w, max(3, w // 5))
        patch += op * uniform(rng, 100, 220) * np.exp(-(net / 0.15) ** 2)
    patch += op * np.maximum(target - patch, 0.0)
