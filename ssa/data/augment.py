"""Augmentation that keeps the text true to the image.

A horizontal flip moves the patient's left lung to the other image half, so it swaps
"left" and "right" in the text; intensity changes, small rotations and scaling move
nothing across the midline and leave the text alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ssa.spatial import swap_sides


@dataclass
class AugmentConfig:
    flip: float = 0.5  # probability of a horizontal flip (with the text's sides swapped)
    rotate_deg: float = 7.0
    scale: tuple[float, float] = (0.92, 1.08)
    shift: float = 0.03  # fraction of the size
    gamma: tuple[float, float] = (0.7, 1.4)
    contrast: tuple[float, float] = (0.8, 1.2)
    brightness: float = 0.08
    noise: tuple[float, float] = (0.0, 0.03)
    blur: float = 0.3  # probability of a slight Gaussian blur


def hflip(image: np.ndarray, mask: np.ndarray, text: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Mirror image and mask left-right and swap the sides named in the text."""
    return image[:, ::-1].copy(), mask[:, ::-1].copy(), swap_sides(text)


def augment(
    image: np.ndarray, mask: np.ndarray, text: str, rng: np.random.Generator, cfg: AugmentConfig | None = None
) -> tuple[np.ndarray, np.ndarray, str]:
    """image float32 ``[H, W]`` in [0, 1]; mask bool ``[H, W]``; returns the same types."""
    cfg = cfg or AugmentConfig()
    h, w = image.shape
    if rng.random() < cfg.flip:
        image, mask, text = hflip(image, mask, text)
    angle = rng.uniform(-cfg.rotate_deg, cfg.rotate_deg)
    scale = rng.uniform(*cfg.scale)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[:, 2] += rng.uniform(-cfg.shift, cfg.shift, 2) * (w, h)
    image = cv2.warpAffine(image, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)
    mask = cv2.warpAffine(mask.astype(np.uint8), m, (w, h), flags=cv2.INTER_NEAREST) > 0
    image = np.clip(image, 0, 1) ** rng.uniform(*cfg.gamma)
    image = (image - 0.5) * rng.uniform(*cfg.contrast) + 0.5 + rng.uniform(-cfg.brightness, cfg.brightness)
    if rng.random() < cfg.blur:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0))
    image = image + rng.normal(0, rng.uniform(*cfg.noise), image.shape)
    return np.clip(image, 0, 1).astype(np.float32), mask, text
