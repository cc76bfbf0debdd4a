"""The presence decision: is what the text describes in the image at all?

A segmentation head trained only on images with lesions always paints something: asked about a
healthy lung, or about the side without a lesion, it outlines the lung the text names. The
presence head gives, per (image, text) pair, one logit for "present", from three things the
decoder already computed:

* the decoder's last stride-4 features (text-conditioned by FiLM, guidance as an input), pooled
  inside the text's guidance region (mean and max) -- what the image shows where the text looks;
* the top 1% of the mask logits inside that region -- how sure the mask itself is.

Trained with binary cross-entropy on presence labels (a case is positive when its target mask is
not empty). :func:`rule_score` is the alternative with no weights (the mask's own top
probabilities inside the region); ``python -m ssa.evaluate`` reports both so the choice is made
by measurement (docs/training.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

TOP_SHARE = 0.01  # share of the region's pixels whose mask logits are averaged


def region_weights(guidance: Tensor, like: Tensor) -> Tensor:
    """guidance ``[B, 1, g, g]`` -> ``[B, 1, h, w]`` at ``like``'s size, with an all-ones
    fallback where the region is empty (a text with no usable location)."""
    g = F.interpolate(guidance, size=like.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)
    empty = g.flatten(1).sum(1) < 1e-3
    return torch.where(empty[:, None, None, None], torch.ones_like(g), g)


def top_mean(values: Tensor, weights: Tensor, share: float = TOP_SHARE) -> Tensor:
    """Mean of the top ``share`` of ``values`` ``[B, 1, h, w]`` among pixels with weight > 0.5
    -> ``[B]``."""
    v = values.flatten(1).masked_fill(weights.flatten(1) <= 0.5, float("-inf"))
    k = max(1, round(share * v.shape[1]))
    top = v.topk(k, dim=1).values
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    return top.mean(1)


class PresenceHead(nn.Module):
    """features ``[B, C, h, w]``, mask logits ``[B, 1, h, w]``, guidance ``[B, 1, g, g]`` ->
    presence logits ``[B]``."""

    def __init__(self, channels: int, hidden: int = 64) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * channels + 1, hidden), nn.GELU(), nn.Linear(hidden, 1))

    def forward(self, features: Tensor, mask_logits: Tensor, guidance: Tensor) -> Tensor:
        w = region_weights(guidance, features)
        mean = (features * w).flatten(2).sum(2) / w.flatten(2).sum(2).clamp_min(1e-6)  # [B, C]
        peak = features.masked_fill(w <= 0.5, float("-inf")).flatten(2).amax(2)  # [B, C]
        peak = torch.where(torch.isfinite(peak), peak, mean)
        logits = mask_logits if mask_logits.shape[-2:] == features.shape[-2:] else F.interpolate(
            mask_logits, size=features.shape[-2:], mode="bilinear", align_corners=False)
        top = top_mean(logits, w)[:, None]  # [B, 1]
        return self.mlp(torch.cat([mean, peak, top], 1))[:, 0]


def rule_score(probs: Tensor, guidance: Tensor) -> Tensor:
    """The weight-free alternative: mean of the top 1% of mask probabilities ``[B, 1, H, W]``
    inside the guidance region ``[B, 1, g, g]`` -> ``[B]`` in [0, 1]."""
    return top_mean(probs, region_weights(guidance, probs))
