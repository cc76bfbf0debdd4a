"""Training losses as pure functions (MONAI style): shapes stated, no hidden state.

All take logits ``[B, 1, H, W]`` and float targets ``[B, 1, H, W]`` in {0, 1} and return a
scalar tensor (mean over the batch).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ssa.config import SSAConfig


def dice_loss(logits: Tensor, target: Tensor, smooth: float = 1.0) -> Tensor:
    """1 - soft Dice per image, averaged. ``smooth`` keeps empty-vs-empty at loss 0."""
    probs = torch.sigmoid(logits).flatten(1)
    target = target.flatten(1)
    inter = (probs * target).sum(1)
    dice = (2 * inter + smooth) / (probs.sum(1) + target.sum(1) + smooth)
    return (1 - dice).mean()


def bce_loss(logits: Tensor, target: Tensor) -> Tensor:
    return F.binary_cross_entropy_with_logits(logits, target)


def dilate(mask: Tensor, radius: int) -> Tensor:
    """Grey dilation of ``[B, 1, H, W]`` by a square of side ``2 * radius + 1``.

    A square is separable: a row max then a column max gives the same result as one k x k
    max-pool, at O(k) instead of O(k^2) per pixel (at 224 px, radius 13, about 6x faster; the
    one big pool was 11% of a demo training step on CPU).
    """
    if radius <= 0:
        return mask
    k = 2 * radius + 1
    rows = F.max_pool2d(mask, (1, k), stride=1, padding=(0, radius))
    return F.max_pool2d(rows, (k, 1), stride=1, padding=(radius, 0))


def side_region(region: Tensor) -> Tensor:
    """The columns a region ``[B, 1, H, W]`` touches, all rows: its sides without its zones."""
    return region.amax(dim=-2, keepdim=True).expand_as(region)


def outside_loss(logits: Tensor, region: Tensor) -> Tensor:
    """Fraction of the predicted mass outside ``region`` ``[B, 1, H, W]`` in [0, 1].

    Zero when the prediction lies inside the region or is empty; a region of all ones (no
    location in the text) never penalises.
    """
    probs = torch.sigmoid(logits)
    outside = (probs * (1 - region)).flatten(1).sum(1)
    return (outside / (probs.flatten(1).sum(1) + 1.0)).mean()


def plan_loss(plan: Tensor, size: tuple[int, int], target: Tensor, region_guidance: Tensor, text_mask: Tensor) -> Tensor:
    """Cross-entropy between the plan's rows and where each pixel should send its mass.

    plan ``[B, N, K+1]`` (N = h*w of ``size``); target ``[B, 1, H, W]``; region_guidance
    ``[B, K, g, g]``; text_mask ``[B, K]``. Lesion pixels should go to the expressions
    (weighted by each expression's guidance there), other pixels to the background slot.
    Samples with no expression are skipped (their plan is all background by construction).
    """
    b, n, k1 = plan.shape
    lesion = F.adaptive_avg_pool2d(target, size).flatten(1)  # [B, N], soft lesion fraction
    guide = F.adaptive_avg_pool2d(region_guidance, size).flatten(2).transpose(1, 2)  # [B, N, K]
    guide = guide * text_mask[:, None, :].float()
    guide = guide / guide.sum(-1, keepdim=True).clamp_min(1e-6)
    want = torch.cat([guide * lesion.unsqueeze(-1), (1 - lesion).unsqueeze(-1)], -1)  # [B, N, K+1]
    rows = plan / plan.sum(-1, keepdim=True).clamp_min(1e-12)
    ce = -(want * torch.log(rows.clamp_min(1e-8))).sum(-1).mean(1)  # [B]
    has_text = text_mask.any(1).float()
    return (ce * has_text).sum() / has_text.sum().clamp_min(1.0)


def presence_loss(presence_logits: Tensor, target: Tensor) -> Tensor:
    """BCE of presence logits ``[B]`` against "the target ``[B, 1, H, W]`` is not empty"."""
    present = (target.flatten(1).sum(1) > 0).to(presence_logits.dtype)
    return F.binary_cross_entropy_with_logits(presence_logits, present)


def ssa_loss(output, target: Tensor, config: SSAConfig) -> dict[str, Tensor]:
    """The training objective: Dice + BCE + outside-region penalty + plan supervision, and the
    presence BCE when the model has a presence head (negative cases have empty targets).

    output: :class:`ssa.model.SSAOutput`; target ``[B, 1, H, W]`` in {0, 1}. Returns the
    weighted terms and their sum under ``"loss"``.
    """
    logits = output.logits
    # Dice only where there is a lesion: on an empty target soft Dice is 1 - 1 / (sum p + 1),
    # near 1 for any faint mass, so negatives would push every probability down and shrink
    # real lesions (measured: validation Dice of the positives fell from 0.81 to 0.71). BCE,
    # a per-pixel mean, and the presence term teach "nothing here" instead.
    positive = target.flatten(1).sum(1) > 0
    terms = {
        "dice": dice_loss(logits[positive], target[positive]) if positive.any() else logits.sum() * 0.0,
        "bce": bce_loss(logits, target),
    }
    if config.loss_outside and config.use_guidance and config.use_text:
        region = F.interpolate(output.guidance, size=logits.shape[-2:], mode="bilinear", align_corners=False)
        if config.outside_region == "sides":
            region = side_region(region)
        radius = round(config.outside_dilation * logits.shape[-1])
        terms["outside"] = outside_loss(logits, dilate(region, radius))
    if config.loss_plan and config.use_ot and output.plans and output.prompt is not None:
        prompt = output.prompt
        terms["plan"] = sum(
            plan_loss(p, s, target, prompt.region_guidance, prompt.mask)
            for p, s in zip(output.plans, output.plan_sizes)
        ) / len(output.plans)
    if output.presence is not None and config.loss_presence:
        terms["presence"] = presence_loss(output.presence.float(), target)
    weights = {"dice": config.loss_dice, "bce": config.loss_bce, "outside": config.loss_outside,
               "plan": config.loss_plan, "presence": config.loss_presence}
    terms["loss"] = sum(weights[k] * v for k, v in terms.items())
    return terms
