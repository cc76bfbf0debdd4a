"""Pictures of a prediction: overlays, heatmaps, the guidance grid and mask PNGs (numpy/OpenCV).

Everything takes a gray image in [0, 1] (``[H, W]`` float, or uint8 0..255) and returns
uint8 RGB ``[H, W, 3]`` at the same size, so the demo and the command line draw alike.
Orientation markers follow the laterality convention: under "radiological" the patient's
right (R) is on the image's left.
"""

from __future__ import annotations

import cv2
import numpy as np

from ssa.findings import zone_rows

LESION_RGB = (255, 69, 58)  # the lesion: a clinical red that stays visible on bone and air
GUIDE_RGB = (10, 132, 255)  # the text's region: blue
EDGE_RGB = (255, 214, 10)  # the lesion outline: yellow, readable on red and gray


def to_gray_u8(image: np.ndarray) -> np.ndarray:
    """[H, W] float in [0, 1] (or uint8) -> uint8 [H, W]."""
    a = np.asarray(image)
    if a.ndim != 2:
        raise ValueError(f"expected a gray image [H, W], got shape {a.shape}")
    if a.dtype == np.uint8:
        return a
    return np.clip(np.rint(a.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def to_rgb(image: np.ndarray) -> np.ndarray:
    """Gray -> uint8 RGB [H, W, 3]."""
    gray = to_gray_u8(image)
    return np.repeat(gray[..., None], 3, axis=2)


def fit_size(size: tuple[int, int], max_side: int) -> tuple[int, int]:
    """(H, W) scaled down so that the longer side is at most ``max_side`` (never up)."""
    h, w = (int(v) for v in size)
    scale = min(1.0, max_side / max(h, w, 1))
    return max(1, round(h * scale)), max(1, round(w * scale))


def resize_max(image: np.ndarray, max_side: int) -> np.ndarray:
    """Downscale (area interpolation) so that the longer side is at most ``max_side``."""
    h, w = image.shape[:2]
    nh, nw = fit_size((h, w), max_side)
    if (nh, nw) == (h, w):
        return image
    return cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA)


def _blend(rgb: np.ndarray, where: np.ndarray, color: tuple[int, int, int], alpha) -> np.ndarray:
    """rgb * (1 - a) + color * a with a = alpha * where (where in [0, 1])."""
    a = (np.asarray(where, np.float32) * alpha)[..., None]
    out = rgb.astype(np.float32) * (1.0 - a) + np.array(color, np.float32) * a
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _outline(rgb: np.ndarray, mask: np.ndarray, color: tuple[int, int, int], width: int) -> None:
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    cv2.drawContours(rgb, contours, -1, color, max(1, width), cv2.LINE_AA)


def _stroke(size: tuple[int, int]) -> int:
    return max(1, round(max(size) / 320))


def _markers(h: int, w: int, convention: str) -> list[tuple[str, int, int, float, int]]:
    """[(letter, x, baseline y, font scale, stroke)] of the side markers, the image's left first:
    half-way down the left and right edges."""
    left_mark, right_mark = ("R", "L") if convention == "radiological" else ("L", "R")
    scale = max(0.4, min(h, w) / 400)
    thick = max(1, round(scale * 2))
    pad = max(5, round(min(h, w) * 0.03))
    placed = []
    for text, x_right in ((left_mark, False), (right_mark, True)):
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
        placed.append((text, w - pad - tw if x_right else pad, (h + th) // 2, scale, thick))
    return placed


def marker_boxes(size: tuple[int, int], convention: str = "radiological"
                 ) -> list[tuple[str, tuple[int, int, int, int]]]:
    """Where :func:`orientation_markers` writes "R" and "L" on an image of ``size`` (H, W):
    [(letter, (x0, y0, x1, y1))], each letter's pixel box with its dark outline (x1, y1
    exclusive), the one on the image's left first."""
    h, w = (int(v) for v in size)
    boxes = []
    for text, x, y, scale, thick in _markers(h, w, convention):
        (tw, th), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick + 2)
        reach = (thick + 2) // 2 + 1  # the outline's half width, and a pixel of anti-aliasing
        boxes.append((text, (max(0, x - reach), max(0, y - th - reach),
                             min(w, x + tw + reach), min(h, y + baseline + reach))))
    return boxes


def orientation_markers(rgb: np.ndarray, convention: str = "radiological") -> np.ndarray:
    """Write "R" and "L" (the patient's sides) in place, half-way down the image's left and right
    edges, as viewing software places them: the top corners are where a viewer's own controls
    sit (the demo's panel labels and buttons would cover them). Returns ``rgb``."""
    h, w = rgb.shape[:2]
    for text, x, y, scale, thick in _markers(h, w, convention):
        cv2.putText(rgb, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), thick + 2, cv2.LINE_AA)
        cv2.putText(rgb, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick, cv2.LINE_AA)
    return rgb


def mask_overlay(
    image: np.ndarray,
    mask: np.ndarray,
    guidance: np.ndarray | None = None,
    convention: str | None = "radiological",
    alpha: float = 0.45,
) -> np.ndarray:
    """The image with the lesion filled red and outlined; outside ``guidance`` dimmed.

    guidance: float [H, W] in [0, 1] (all ones or None = no constraint, nothing dimmed).
    convention: adds R/L markers; None leaves them out.
    """
    rgb = to_rgb(image)
    m = np.asarray(mask).astype(bool)
    if m.shape != rgb.shape[:2]:
        raise ValueError(f"mask shape {m.shape} does not match image shape {rgb.shape[:2]}")
    if guidance is not None and float(np.min(guidance)) < 1.0:
        rgb = np.clip(rgb.astype(np.float32) * (0.55 + 0.45 * guidance[..., None]), 0, 255).astype(np.uint8)
        _outline(rgb, guidance >= 0.5, GUIDE_RGB, _stroke(m.shape))
    rgb = _blend(rgb, m, LESION_RGB, alpha)
    _outline(rgb, m, EDGE_RGB, _stroke(m.shape))
    if convention is not None:
        orientation_markers(rgb, convention)
    return rgb


def heatmap_overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """A [0, 1] heatmap in the "inferno" colour map over the gray image (weight ~ heat)."""
    rgb = to_rgb(image)
    h = np.clip(np.nan_to_num(np.asarray(heat, np.float32)), 0.0, 1.0)
    if h.shape != rgb.shape[:2]:
        raise ValueError(f"heatmap shape {h.shape} does not match image shape {rgb.shape[:2]}")
    colour = cv2.applyColorMap(to_gray_u8(h), cv2.COLORMAP_INFERNO)[..., ::-1].astype(np.float32)
    a = (alpha * np.sqrt(h))[..., None]  # sqrt: faint transport mass stays visible
    out = rgb.astype(np.float32) * (1.0 - a) + colour * a
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def guidance_view(
    image: np.ndarray,
    guidance: np.ndarray,
    modality: str = "xray",
    convention: str = "radiological",
    lung_band: tuple[float, float] = (0.1, 0.9),
) -> np.ndarray:
    """The region the text allows, tinted blue, over the image with the zone grid drawn.

    The grid is the one :mod:`ssa.spatial` and :mod:`ssa.findings` use: the midline, and on
    an X-ray the lung band's thirds (upper / middle / lower).
    """
    rgb = to_rgb(image)
    g = np.clip(np.asarray(guidance, np.float32), 0.0, 1.0)
    if g.shape != rgb.shape[:2]:
        raise ValueError(f"guidance shape {g.shape} does not match image shape {rgb.shape[:2]}")
    constrained = float(g.min()) < 1.0
    rgb = np.clip(rgb.astype(np.float32) * (0.45 + 0.55 * g[..., None]), 0, 255).astype(np.uint8)
    if constrained:
        rgb = _blend(rgb, g, GUIDE_RGB, 0.35)
    h, w = g.shape
    grid = rgb.copy()
    line = (200, 200, 200)
    stroke = _stroke(g.shape)
    cv2.line(grid, (w // 2, 0), (w // 2, h - 1), line, stroke, cv2.LINE_AA)
    if modality == "xray":
        rows = zone_rows(h, lung_band)
        for y in sorted({rows["upper"].start, rows["middle"].start, rows["lower"].start, rows["lower"].stop}):
            cv2.line(grid, (0, min(y, h - 1)), (w - 1, min(y, h - 1)), line, stroke, cv2.LINE_AA)
    rgb = cv2.addWeighted(grid, 0.55, rgb, 0.45, 0)
    return orientation_markers(rgb, convention)


def mask_png(mask: np.ndarray) -> np.ndarray:
    """bool [H, W] -> uint8 0/255, what the mask files hold."""
    return np.where(np.asarray(mask).astype(bool), 255, 0).astype(np.uint8)
