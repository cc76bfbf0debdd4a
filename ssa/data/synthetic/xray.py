"""Frontal chest X-ray: lung fields on real (or procedural) shapes, anatomy, film finish."""

from __future__ import annotations

import cv2
import numpy as np

from ssa.data.lung_shapes import SHAPE  # side of the normalised lung-shape frame
from ssa.data.synthetic.common import (
    Anatomy,
    draw_ellipse,
    draw_polyline,
    draw_polylines,
    fill_polygon,
    smooth_noise,
    uniform,
    white_noise,
)
from ssa.data.synthetic.xray_structures import (
    draw_heart,
    draw_metal,
    draw_ribs_and_girdle,
    draw_vessel_trees,
)
from ssa.laterality import SIDES, mirror_safe_columns


def procedural_lungs(rng: np.random.Generator) -> np.ndarray:
    """A plausible two-lung mask in the normalised frame (bool [128, 128]): the fallback shape.

    Lateral wall rounding from the apex, a diaphragm dome ending in a sharp costophrenic
    angle, and a medial border that the heart pushes out on the patient's left (image right).
    """
    out = np.zeros((SHAPE, SHAPE), np.uint8)
    v = np.linspace(0.0, 1.0, 16)
    for sg in (-1, 1):
        heart = sg == 1
        gap, notch = uniform(rng, 0.03, 0.08), (uniform(rng, 0.15, 0.32) if heart else uniform(rng, 0.03, 0.1))
        knee, apex = uniform(rng, 0.4, 0.6), uniform(rng, 0.5, 0.65)

        def medial(t: np.ndarray, gap: float = gap, notch: float = notch) -> np.ndarray:
            return gap + notch * np.clip((t - 0.45) / 0.4, 0.0, 1.0) ** 1.5

        def lateral(t: np.ndarray, knee: float = knee, apex: float = apex) -> np.ndarray:
            return 0.97 - apex * (1.0 - np.clip(t / knee, 0.0, 1.0)) ** 2

        v_lat = 1.0 if heart else uniform(rng, 0.9, 0.97)  # the right hemidiaphragm sits higher
        v_med = v_lat - uniform(rng, 0.08, 0.16)
        t = np.linspace(0.0, 1.0, 10)
        side = np.stack([lateral(v * v_lat), v * v_lat], 1)
        xl, xm = lateral(np.array(v_lat)), medial(np.array(v_med))
        dome = np.stack([(1 - t) * xl + t * xm, (1 - t) * v_lat + t * v_med - uniform(rng, 0.04, 0.1) * np.sin(np.pi * t)], 1)
        vm = np.linspace(v_med, 0.05, 12)
        med = np.stack([medial(vm), vm], 1)
        pts = np.concatenate([side, dome, med])
        pts[:, 0] += 0.015 * rng.standard_normal(len(pts))
        px = np.stack([SHAPE / 2 + sg * pts[:, 0] * (SHAPE / 2 - 1), pts[:, 1] * (SHAPE - 1)], 1)
        fill_polygon(out, px, 1)
    return out.astype(bool)


def _xray_lungs(rng: np.random.Generator, s: int, shapes: np.ndarray | None):
    """Place a real (or procedural) lung pair: band ~10%-90% of rows, small rotation.

    Returns the unblurred lung field [s, s] (one warp of the 128-px frame), the geometry
    ``(top, bottom, xm, width, rot)`` in pixels (``rot``: 3x3 rotation about the chest centre)
    and an info dict.
    """
    top, bottom = s * uniform(rng, 0.055, 0.145), s * uniform(rng, 0.855, 0.945)
    xm = s * (0.5 + uniform(rng, -0.012, 0.012))
    width = s * uniform(rng, 0.6, 0.82)
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


def xray_anatomy(rng: np.random.Generator, s: int, shapes: np.ndarray | None) -> Anatomy:
    """Density map of a frontal chest film (radiological frame): body, bones, mediastinum, lungs.

    Cost matters (cases are generated while training), so smooth parts (body, mediastinum,
    lung depth, texture) are drawn at s/4, bones and vessels at s/2, and only the lung edges,
    lesions, devices and noise at full size.
    """
    field, geo, info = _xray_lungs(rng, s, shapes)
    top, bottom, xm, width, rot = geo
    bh = bottom - top
    lung_raw = field > 0.5
    # Image-left, image-right lung columns; mirror-safe, so a flipped (viewer) case stays in its half.
    halves = tuple(mirror_safe_columns(h, s) for h in SIDES)

    def r(pts, q: float = 1.0) -> np.ndarray:
        return (np.asarray(pts, np.float64) @ rot[:2, :2].T + rot[:2, 2]) * q

    # Heart and aortic knob push into the lung fields: carve them out of the lungs so the
    # silhouette borders are sharp and no lesion hides behind them.
    hc, hax, hang = draw_heart(rng, lung_raw, geo)
    yk = top + uniform(rng, 0.16, 0.24) * bh
    kcols = np.flatnonzero(lung_raw[int(np.clip(yk, 0, s - 1)), halves[1]])
    knob = (xm + 0.06 * s if kcols.size == 0 else halves[1].start + kcols[0] + uniform(rng, -0.01, 0.01) * s, yk)
    kr = uniform(rng, 0.025, 0.04) * s
    keep = np.ones((s, s), np.float32)
    draw_ellipse(keep, hc, hax, hang, 0.0)
    draw_ellipse(keep, knob, (kr, 0.9 * kr), 0, 0.0)
    # Below the heart's equator down to the diaphragm the film shows heart, not lung (and
    # lung annotations stop there too): no lesion in the retrocardiac recess.
    fill_polygon(keep, np.array([[hc[0] - 0.9 * hax[0], hc[1]], [hc[0] + 0.9 * hax[0], hc[1]],
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
    half_body = 0.5 * width + s * uniform(rng, 0.03, 0.13)
    # The lateral wall widens from the waist up to the shoulders, which often leave the frame.
    hb = half_body * (1.0 + uniform(rng, 0.1, 0.35) * np.clip((top + 0.2 * bh - yy) / (0.3 * bh), 0, 1)
                      - uniform(rng, 0.0, 0.08) * np.clip((yy - top) / bh, 0, 1.2))
    x = (yy[None, :] - xm) / hb[:, None]
    tx = cv2.pow(np.clip(1.0 - x * x, 0.0, 1.0), 0.5 * uniform(rng, 0.4, 0.8))
    abdomen = np.clip((yy - top - 0.75 * bh) / (0.12 * s), 0, 1)
    ty = 1.0 + 0.3 * np.clip((top + 0.04 * s - yy) / (0.1 * s), 0, 1) + uniform(rng, 0.25, 0.45) * abdomen
    low = ty[:, None] * tx * (1.0 + 0.05 * smooth_noise(rng, n_lo, n_lo, 3))
    spine, medi, air = (np.zeros((n_lo, n_lo), np.float32) for _ in range(3))
    sw, sd = uniform(rng, 0.075, 0.1) * s, uniform(rng, 0.08, 0.18)
    draw_polyline(spine, r([[xm, -0.1 * s], [xm, 1.1 * s]], q), sd, sw * q)
    period = uniform(rng, 0.045, 0.06) * s
    discs = np.array([[[xm - sw / 2, y], [xm + sw / 2, y]] for y in np.arange(top - 0.1 * s, s, period)])
    draw_polylines(spine, r(discs, q), 0.7 * sd, max(1.0, 0.012 * s * q))  # intervertebral discs
    fill_polygon(medi, r([[xm - 0.05 * s, -0.1 * s], [xm + 0.06 * s, -0.1 * s], [xm + 0.08 * s, top + 0.5 * bh],
                   [xm - 0.07 * s, top + 0.5 * bh]], q), 0.2)
    draw_ellipse(medi, (hc[0] * q, hc[1] * q), (hax[0] * q, hax[1] * q), hang, uniform(rng, 0.1, 0.18))
    draw_ellipse(medi, (knob[0] * q, knob[1] * q), (kr * q, 0.9 * kr * q), 0, uniform(rng, 0.1, 0.2))
    hy = top + uniform(rng, 0.38, 0.48) * bh  # hila: pulmonary arteries, lumps beside the heart
    hila = []
    for h, lateral in ((0, np.pi), (1, 0.0)):
        cols = np.flatnonzero(lungs[h][int(np.clip(hy, 0, s - 1))])
        if cols.size:
            e = float(cols[-1] + 0.012 * s if h == 0 else cols[0] - 0.012 * s)
            hila.append((e, hy + 0.02 * s * h, lateral))
            draw_ellipse(medi, (e * q, hila[-1][1] * q), (uniform(rng, 0.025, 0.04) * s * q, uniform(rng, 0.04, 0.06) * s * q),
                     uniform(rng, -20, 20), 0.16)
    carina = np.array([xm + uniform(rng, -0.005, 0.01) * s, top + uniform(rng, 0.22, 0.32) * bh])
    draw_polyline(air, r([[xm, -0.1 * s], carina], q), -0.22, uniform(rng, 0.03, 0.045) * s * q)
    for sg, dy in ((-1, 0.06), (1, 0.09)):
        draw_polyline(air, r([carina, carina + s * np.array([sg * 0.07, dy])], q), -0.15, uniform(rng, 0.018, 0.028) * s * q)
    info["gastric_bubble"] = rng.random() < 0.55
    if info["gastric_bubble"]:  # under the patient's LEFT hemidiaphragm: anatomy agrees with sides
        gx = xm + uniform(rng, 0.12, 0.22) * s
        col = np.flatnonzero(lungs[1][:, int(np.clip(gx, 0, s - 1))])
        if col.size:
            ay = uniform(rng, 0.02, 0.035) * s
            draw_ellipse(air, (gx * q, (col[-1] + ay + 0.015 * s) * q), (uniform(rng, 0.03, 0.06) * s * q, ay * q), 0, -0.3)
    medi *= (1.0 - 0.85 * abdomen)[:, None]  # the heart's lower border merges into the diaphragm
    low += cv2.GaussianBlur(spine + medi + air, (0, 0), 0.01 * s * q + 0.3)
    info["breasts"] = rng.random() < 0.4
    if info["breasts"]:  # soft upper edge, sharp curved lower edge, over the lower lung fields
        br = np.zeros((n_lo, n_lo), np.float32)
        by = bottom - uniform(rng, 0.0, 0.1) * s
        ax, ay = uniform(rng, 0.13, 0.19) * s, uniform(rng, 0.09, 0.14) * s
        for sg in (-1, 1):
            draw_ellipse(br, ((xm + sg * uniform(rng, 0.17, 0.26) * s) * q, by * q), (ax * q, ay * q), sg * uniform(rng, 0, 15), 1.0)
        ramp = np.clip((yy - (by - ay)) / (1.6 * ay), 0.0, 1.0) ** 1.5
        # Seen against the lung bases; lost in the dense abdomen below the domes.
        lung_lo0 = cv2.resize(lung_soft, (n_lo, n_lo), interpolation=cv2.INTER_AREA)
        low += uniform(rng, 0.05, 0.12) * br * ramp[:, None] * (0.3 + 0.7 * cv2.GaussianBlur(lung_lo0, (0, 0), 1.0))
    # Lung depth: air darkens most in the middle, less at the edges and apices.
    air_depth = uniform(rng, 0.5, 0.75)
    lung_lo = cv2.resize(lung_soft, (n_lo, n_lo), interpolation=cv2.INTER_AREA)
    depth = cv2.GaussianBlur(lung_lo, (0, 0), 0.04 * s * q)
    depth *= (1.0 - 0.3 * np.clip((top + 0.15 * bh - yy) / (0.15 * bh), 0.0, 1.0))[:, None]
    texture = 0.025 * smooth_noise(rng, n_lo, n_lo, 12) + 0.015 * smooth_noise(rng, n_lo, n_lo, min(40, n_lo))
    low += texture * lung_lo - 0.65 * air_depth * depth
    ramp = np.linspace(-0.5, 0.5, n_lo, dtype=np.float32) * uniform(rng, -0.2, 0.2)  # heel effect
    low += ramp[:, None] if rng.random() < 0.5 else ramp[None, :]

    # ---- half resolution (s/2): bones and vessels
    n_mid = max(32, s // 2)
    qm = n_mid / s
    bone = np.zeros((n_mid, n_mid), np.float32)
    draw_ribs_and_girdle(rng, bone, geo, s, qm)
    if rng.random() < 0.45:  # humeral heads in the upper corners
        for sg in (-1, 1):
            c = (xm + sg * (half_body + uniform(rng, -0.02, 0.04) * s), top - uniform(rng, 0.0, 0.05) * s)
            draw_ellipse(bone, (c[0] * qm, c[1] * qm), (0.08 * s * qm, 0.08 * s * qm), 0, 1.2)
    info["nipples"] = rng.random() < 0.3
    if info["nipples"]:  # small round densities in the lower zones: classic lesion mimics
        for sg in (-1, 1):
            c = (xm + sg * uniform(rng, 0.16, 0.25) * s, top + uniform(rng, 0.58, 0.8) * bh)
            rr = uniform(rng, 0.008, 0.016) * s * qm
            draw_ellipse(bone, (c[0] * qm, c[1] * qm), (rr, rr * uniform(rng, 0.8, 1.2)), 0, uniform(rng, 1.0, 1.8))
    vessels = np.zeros((n_mid, n_mid), np.float32)
    draw_vessel_trees(rng, vessels, hila, s, qm)
    lung_mid = cv2.resize(lung_soft, (n_mid, n_mid), interpolation=cv2.INTER_AREA)
    mid = uniform(rng, 0.05, 0.12) * bone + uniform(rng, 0.05, 0.12) * vessels * lung_mid
    mid = cv2.GaussianBlur(mid, (0, 0), 0.3 + 0.003 * s * qm)
    mid += cv2.resize(low, (n_mid, n_mid), interpolation=cv2.INTER_LINEAR)

    # ---- full resolution: one upsampling, then the sharp lung edges
    density = cv2.resize(mid, (s, s), interpolation=cv2.INTER_LINEAR)
    density -= (0.35 * air_depth) * lung_soft
    metal = np.zeros((s, s), np.float32)
    info["devices"] = draw_metal(rng, metal, geo, s)
    if info["devices"]:
        density += uniform(rng, 0.8, 1.5) * metal
    return Anatomy(density, lungs, lung_soft, air_depth, info)


def xray_finish(rng: np.random.Generator, density: np.ndarray) -> np.ndarray:
    """Exposure, tone curve, unsharpness and quantum noise -> float image in [0, 1]."""
    s = density.shape[0]
    lo, hi = uniform(rng, -0.05, 0.2), uniform(rng, 1.3, 1.9)
    img = np.clip((density - lo) * (1.0 / (hi - lo)), 0.0, 1.0)
    img = cv2.pow(img, float(np.clip(np.exp(rng.normal(0.0, 0.22)), 0.6, 1.6)))
    sigma = uniform(rng, 0.0, 1.2) * s / 256
    if sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), sigma)
    img += uniform(rng, 0.004, 0.03) * white_noise(rng, s)
    c0, c1 = uniform(rng, 0.0, 0.1), uniform(rng, 0.85, 1.0)
    img = c0 + (c1 - c0) * np.clip(img, 0.0, 1.0)
    if rng.random() < 0.12:  # collimator shutters (white) or padding (black) at the edges
        edge = max(1, round(uniform(rng, 0.01, 0.04) * s))  # lungs start >= 5% in: never covered
        value = uniform(rng, 0.85, 1.0) if rng.random() < 0.5 else uniform(rng, 0.0, 0.04)
        if rng.random() < 0.5:
            img[:, :edge] = img[:, -edge:] = value
        else:
            img[:edge] = value
    return img


def draw_markers(rng: np.random.Generator, img: np.ndarray, patient_left_on_right: bool) -> None:
    """Burnt-in side marker ("L" on the patient's left) and technique words, drawn in place."""
    s = img.shape[0]
    scale = s / 256
    if rng.random() < 0.35:
        x = uniform(rng, 0.8, 0.9) if patient_left_on_right else uniform(rng, 0.04, 0.12)
        cv2.putText(img, "L", (int(x * s), int(uniform(rng, 0.08, 0.14) * s)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.6 * scale, (int(rng.integers(200, 256)),), max(1, round(1.5 * scale)), cv2.LINE_AA)
    if rng.random() < 0.2:
        word = str(rng.choice(["PORTABLE", "AP", "SUPINE", "ERECT", "PA"]))
        x = uniform(rng, 0.03, 0.12) if rng.random() < 0.5 else uniform(rng, 0.6, 0.7)
        cv2.putText(img, word, (int(x * s), int(uniform(rng, 0.04, 0.06) * s) + 6), cv2.FONT_HERSHEY_SIMPLEX,
                    0.35 * scale, (int(rng.integers(180, 256)),), max(1, round(scale)), cv2.LINE_AA)
