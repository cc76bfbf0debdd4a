"""The mask decoder: top-down fusion of C1..C4 with skips, text FiLM and a guidance channel."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def _norm(channels: int) -> nn.GroupNorm:
    # GroupNorm, not BatchNorm: training batches are small and DDP ranks see few images.
    return nn.GroupNorm(min(8, channels), channels)


class ConvBlock(nn.Sequential):
    """Two 3x3 conv + GroupNorm + GELU."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            _norm(c_out),
            nn.GELU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            _norm(c_out),
            nn.GELU(),
        )


class FineStem(nn.Sequential):
    """The normalised image ``[B, 3, S, S]`` -> ``[B, c, S/2, S/2]``: edges for the stride-2 stage.

    Encoder-agnostic (ConvNeXt has no stride-2 features) and cheap: two narrow convolutions.
    """

    def __init__(self, c: int) -> None:
        super().__init__(
            nn.Conv2d(3, c, 3, stride=2, padding=1, bias=False), _norm(c), nn.GELU(),
            nn.Conv2d(c, c, 3, padding=1, bias=False), _norm(c), nn.GELU(),
        )


class SSADecoder(nn.Module):
    """Fuses ``C1..C4`` (strides 4..32) into mask logits at stride 4, or at stride 2 when
    ``fine_dim`` > 0 and a stride-2 map ``C0`` from :class:`FineStem` is given.

    The text enters through FiLM (a scale and shift per channel from the pooled grounded
    expressions) at strides 16 and 8; the guidance mask ``G`` enters as an extra input
    channel of the stride-8 and stride-4 stages, where spatial detail is decided.
    """

    def __init__(
        self, channels: tuple[int, int, int, int], dim: int, text_dim: int | None, fine_dim: int = 0
    ) -> None:
        super().__init__()
        c1, c2, c3, c4 = channels
        self.lateral = nn.ModuleList([nn.Conv2d(c, dim, 1) for c in (c1, c2, c3, c4)])
        self.fuse4 = ConvBlock(dim, dim)
        self.fuse3 = ConvBlock(2 * dim, dim)
        self.fuse2 = ConvBlock(2 * dim + 1, dim)
        self.fuse1 = ConvBlock(2 * dim + 1, dim)
        self.head = nn.Conv2d(dim, 1, 1)
        if fine_dim:
            # Squeeze to fine_dim before upsampling: the stride-2 grid is 4x the pixels.
            self.squeeze0 = nn.Conv2d(dim, fine_dim, 1)
            self.fuse0 = ConvBlock(2 * fine_dim + 1, fine_dim)
            self.head0 = nn.Conv2d(fine_dim, 1, 1)
        self.film = nn.Linear(text_dim, 4 * dim) if text_dim else None

    def forward(
        self,
        features: list[Tensor],
        guidance: Tensor,
        text: Tensor | None = None,
        text_mask: Tensor | None = None,
        fine: Tensor | None = None,
    ) -> tuple[Tensor, Tensor]:
        """features: C1..C4 ``[B, c_i, H/s_i, W/s_i]``; guidance ``[B, 1, h, w]`` (any size);
        text ``[B, K, D]`` with mask ``[B, K]`` or None; fine: C0 ``[B, fine_dim, H/2, W/2]``
        or None. Returns (logits, features): logits ``[B, 1, H/2, W/2]`` with ``fine``, else
        ``[B, 1, H/4, W/4]``; features ``[B, dim, H/4, W/4]``, the last stride-4 stage (what the
        presence head reads)."""
        l1, l2, l3, l4 = (lat(f) for lat, f in zip(self.lateral, features))
        films: list[tuple[Tensor, Tensor]] = []
        if self.film is not None and text is not None and text_mask is not None:
            weights = text_mask.float().unsqueeze(-1)
            pooled = (text * weights).sum(1) / weights.sum(1).clamp_min(1.0)  # [B, D]
            params = self.film(pooled)[:, :, None, None].chunk(4, dim=1)
            films = [(params[0], params[1]), (params[2], params[3])]

        x = self.fuse4(l4)
        x = self.fuse3(torch.cat([_up(x, l3), l3], 1))
        if films:
            x = x * (1 + films[0][0]) + films[0][1]
        x = self.fuse2(torch.cat([_up(x, l2), l2, _resize(guidance, l2)], 1))
        if films:
            x = x * (1 + films[1][0]) + films[1][1]
        x = self.fuse1(torch.cat([_up(x, l1), l1, _resize(guidance, l1)], 1))
        if fine is None or not hasattr(self, "fuse0"):
            return self.head(x), x
        x0 = self.fuse0(torch.cat([_up(self.squeeze0(x), fine), fine, _resize(guidance, fine)], 1))
        return self.head0(x0), x


def _up(x: Tensor, like: Tensor) -> Tensor:
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


def _resize(mask: Tensor, like: Tensor) -> Tensor:
    if mask.shape[-2:] == like.shape[-2:]:
        return mask
    return F.interpolate(mask, size=like.shape[-2:], mode="bilinear", align_corners=False)
