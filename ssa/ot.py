"""Entropic optimal transport and the image-text alignment modules built on it.

``sinkhorn`` is a batched, log-domain, unrolled (hence differentiable) Sinkhorn solver whose
update order is the one of POT's ``ot.sinkhorn(..., method="sinkhorn_log")``: with the same
number of iterations both return the same plan up to rounding.

``SymmetricOTAlignment`` is our reading of the paper's symmetric OT alignment (docs/design.md):
pixels and text expressions (plus a background slot) exchange information through one
transport plan, in both directions. ``CrossAttentionAlignment`` is the ``use_ot=False``
ablation: plain softmax cross-attention, no OT and no guidance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn

# Log-mass given to zero-mass entries of a or b. A padded row's plan row sums to exp(this)
# after its u-update, whatever the cost scale, so any value far below log(1/N) works; it is
# finite (unlike log(0) = -inf) so that no -inf - (-inf) = NaN can appear in the forward or
# backward pass. The final plan is additionally masked to exact zeros.
_LOG_ZERO = -1.0e4


def _log_marginal(mass: Tensor | None, shape: tuple[int, ...], like: Tensor) -> tuple[Tensor, Tensor | None]:
    """Log of a marginal, safe for zero entries.

    Returns ``(log_mass, positive)`` where ``log_mass`` has ``shape`` and ``positive`` is the
    bool mask of strictly positive entries (``None`` when the marginal is uniform).
    """
    if mass is None:
        return like.new_full(shape, -math.log(shape[-1])), None
    mass = mass.to(dtype=like.dtype, device=like.device)
    positive = mass > 0
    # log(where(...)) rather than where(log(...)): the gradient of log at 0 is inf, and
    # where() would turn 0 * inf into NaN in the backward pass.
    safe = torch.log(torch.where(positive, mass, torch.ones_like(mass)))
    return torch.where(positive, safe, torch.full_like(mass, _LOG_ZERO)), positive


def sinkhorn(
    cost: Tensor,
    a: Tensor | None = None,
    b: Tensor | None = None,
    eps: float = 0.05,
    iters: int = 50,
) -> Tensor:
    """Entropic OT plan minimising ``<P, C> - eps * H(P)`` s.t. ``P 1 = a``, ``P^T 1 = b``.

    Args:
        cost: ``[B, N, M]`` (or ``[N, M]``) cost matrices.
        a: ``[B, N]`` (``[N]`` for 2-D cost) source masses, non-negative, summing like ``b``;
            ``None`` = uniform ``1/N``. Zero entries give zero plan rows.
        b: ``[B, M]`` (``[M]`` for 2-D cost) target masses; ``None`` = uniform ``1/M``. Zero
            entries (e.g. padded text expressions) give zero plan columns.
        eps: entropic regularisation (POT's ``reg``), > 0.
        iters: number of unrolled Sinkhorn iterations, each one v-update then u-update
            (POT's order), so the returned plan's rows match ``a`` exactly.

    Returns:
        The plan, same shape, dtype and device as ``cost``. Differentiable w.r.t. ``cost``,
        ``a`` and ``b`` by autograd through the unrolled iterations.
    """
    if cost.dim() not in (2, 3):
        raise ValueError(f"cost must be [N, M] or [B, N, M], got shape {tuple(cost.shape)}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps}")
    if iters < 1:
        raise ValueError(f"iters must be >= 1, got {iters}")
    unbatched = cost.dim() == 2
    n, m = cost.shape[-2:]
    if n == 0 or m == 0:
        raise ValueError(f"cost must have N, M > 0, got shape {tuple(cost.shape)}")
    lead = tuple(cost.shape[:-2])
    for name, mass, size in (("a", a, n), ("b", b, m)):
        if mass is not None and tuple(mass.shape) != (*lead, size):
            raise ValueError(
                f"{name} must have shape {(*lead, size)} for cost of shape {tuple(cost.shape)}, "
                f"got {tuple(mass.shape)}"
            )

    out_dtype = cost.dtype
    # Half precision cannot hold the log-domain potentials accurately; solve in float32.
    work = cost.float() if cost.dtype in (torch.float16, torch.bfloat16) else cost
    if unbatched:
        work = work.unsqueeze(0)
        a = None if a is None else a.unsqueeze(0)
        b = None if b is None else b.unsqueeze(0)
    batch = work.shape[0]
    log_a, pos_a = _log_marginal(a, (batch, n), work)
    log_b, pos_b = _log_marginal(b, (batch, m), work)

    log_k = -work / eps  # [B, N, M], POT's Mr
    u = work.new_zeros(batch, n)
    v = work.new_zeros(batch, m)
    for _ in range(iters):
        # Same order as POT's sinkhorn_log: columns first, then rows.
        v = log_b - torch.logsumexp(log_k + u.unsqueeze(-1), dim=1)
        u = log_a - torch.logsumexp(log_k + v.unsqueeze(-2), dim=2)
    plan = torch.exp(log_k + u.unsqueeze(-1) + v.unsqueeze(-2))
    # exp(_LOG_ZERO) already underflows to 0 in float32; the mask makes it exact in float64.
    if pos_a is not None:
        plan = plan * pos_a.unsqueeze(-1)
    if pos_b is not None:
        plan = plan * pos_b.unsqueeze(-2)
    if unbatched:
        plan = plan.squeeze(0)
    return plan.to(out_dtype)


@dataclass
class AlignmentOutput:
    """Result of an alignment module.

    Attributes:
        image: ``[B, C, H, W]`` aligned image features (same shape as the input).
        text: ``[B, K, D]`` grounded expressions (same shape as the input).
        plan: ``[B, H*W, K+1]`` transport plan (or attention) between pixels and expressions;
            the last column is the background slot.
    """

    image: Tensor
    text: Tensor
    plan: Tensor


def sincos_position_encoding(height: int, width: int, channels: int, device=None, dtype=None) -> Tensor:
    """Fixed 2-D sine-cosine positional encoding, ``[H*W, channels]`` (row-major pixels).

    Coordinates are normalised to (0, 1) so that feature maps of different strides (C3, C4)
    encode "left" / "lower" identically. Half the channels encode x, half y; the lowest
    frequency is half a period over the image, a monotone left-right / top-bottom signal
    that spatial words can match, and higher frequencies (up to 64x) localise finer.
    """
    n_freq = max(1, math.ceil(channels / 4))
    freqs = math.pi * torch.logspace(0, math.log10(64.0), n_freq, device=device, dtype=torch.float64)
    ys = (torch.arange(height, device=device, dtype=torch.float64) + 0.5) / height
    xs = (torch.arange(width, device=device, dtype=torch.float64) + 0.5) / width
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    ang_x = grid_x.reshape(-1, 1) * freqs  # [N, F]
    ang_y = grid_y.reshape(-1, 1) * freqs
    enc = torch.cat([ang_x.sin(), ang_x.cos(), ang_y.sin(), ang_y.cos()], dim=1)  # [N, 4F]
    return enc[:, :channels].to(dtype or torch.get_default_dtype())


def _resize_guidance(guidance: Tensor, size: tuple[int, int]) -> Tensor:
    """``[B, K, h, w]`` masks in [0, 1] -> ``[B, K, H, W]``; area when shrinking, else bilinear."""
    if tuple(guidance.shape[-2:]) == size:
        return guidance
    if guidance.shape[-2] >= size[0] and guidance.shape[-1] >= size[1]:
        # Area keeps the fraction of each coarse cell that lies inside the region.
        return F.interpolate(guidance, size=size, mode="area")
    return F.interpolate(guidance, size=size, mode="bilinear", align_corners=False)


class _AlignmentBase(nn.Module):
    """Projections shared by both alignment variants (key/value for pixels and expressions)."""

    def __init__(self, image_dim: int, text_dim: int, dim: int = 64) -> None:
        super().__init__()
        if min(image_dim, text_dim, dim) < 1:
            raise ValueError(f"dims must be >= 1, got {image_dim}, {text_dim}, {dim}")
        self.image_dim, self.text_dim, self.dim = image_dim, text_dim, dim
        self.image_norm = nn.LayerNorm(image_dim)
        self.image_key = nn.Linear(image_dim, dim)
        self.image_value = nn.Linear(image_dim, dim)
        self.text_norm = nn.LayerNorm(text_dim)
        self.text_key = nn.Linear(text_dim, dim)
        self.text_value = nn.Linear(text_dim, dim)
        # Not zero-initialised: a zero output layer would block every gradient upstream at step 0.
        self.image_out = nn.Linear(dim, image_dim)
        self.text_out = nn.Linear(dim, text_dim)

    def _check(self, image: Tensor, text: Tensor, text_mask: Tensor, guidance: Tensor | None) -> None:
        if image.dim() != 4 or image.shape[1] != self.image_dim:
            raise ValueError(f"image must be [B, {self.image_dim}, H, W], got {tuple(image.shape)}")
        if text.dim() != 3 or text.shape[0] != image.shape[0] or text.shape[2] != self.text_dim:
            raise ValueError(f"text must be [B, K, {self.text_dim}], got {tuple(text.shape)}")
        if tuple(text_mask.shape) != tuple(text.shape[:2]) or text_mask.dtype != torch.bool:
            raise ValueError(f"text_mask must be bool [B, K] = {tuple(text.shape[:2])}, got "
                             f"{text_mask.dtype} {tuple(text_mask.shape)}")
        if guidance is not None and (guidance.dim() != 4 or tuple(guidance.shape[:2]) != tuple(text.shape[:2])):
            raise ValueError(f"guidance must be [B, K, h, w] with B, K = {tuple(text.shape[:2])}, "
                             f"got {tuple(guidance.shape)}")

    def _pixels(self, image: Tensor) -> tuple[Tensor, Tensor]:
        """``[B, C, H, W]`` -> (keys, values), each ``[B, H*W, dim]``, position-aware."""
        _, c, h, w = image.shape
        tokens = image.flatten(2).transpose(1, 2)  # [B, N, C]
        pos = sincos_position_encoding(h, w, c, device=image.device, dtype=image.dtype)
        tokens = self.image_norm(tokens + pos)
        return self.image_key(tokens), self.image_value(tokens)

    def _expressions(self, text: Tensor) -> tuple[Tensor, Tensor]:
        """``[B, K', D]`` -> (keys, values), each ``[B, K', dim]``."""
        tokens = self.text_norm(text)
        return self.text_key(tokens), self.text_value(tokens)

    def _residuals(self, image: Tensor, text: Tensor, text_mask: Tensor, pix_mix: Tensor,
                   txt_mix: Tensor, gate: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Add mixtures back: pix_mix ``[B, N, dim]`` -> image, txt_mix ``[B, K, dim]`` -> text.

        ``gate`` (``[B, 1, 1]``, optional) scales the image update per sample.
        """
        b, c, h, w = image.shape
        update = self.image_out(pix_mix)  # [B, N, C]
        if gate is not None:
            update = gate * update
        image_out = image + update.transpose(1, 2).reshape(b, c, h, w)
        # Padded expressions are not real inputs: leave them untouched.
        text_out = torch.where(text_mask.unsqueeze(-1), text + self.text_out(txt_mix), text)
        return image_out, text_out


class SymmetricOTAlignment(_AlignmentBase):
    """Symmetric OT alignment between pixels and text expressions (+ a background slot).

    Cost ``C_ik = 1 - cos(q_i, k_k) + guidance_weight * (1 - G_k(i))``, background cost a
    learned scalar; pixels carry uniform mass, the background slot ``background_mass`` and the
    real expressions the rest, evenly. The plan ``Pi`` is used both ways: row-normalised it
    mixes expression values into each pixel, column-normalised it mixes pixel values into
    each expression (grounding). Both updates are residual.
    """

    def __init__(self, image_dim: int, text_dim: int, dim: int = 64, eps: float = 0.05, iters: int = 30,
                 guidance_weight: float = 1.0, background_mass: float = 0.5) -> None:
        super().__init__(image_dim, text_dim, dim)
        if not eps > 0:
            raise ValueError(f"eps must be > 0, got {eps}")
        if iters < 1:
            raise ValueError(f"iters must be >= 1, got {iters}")
        if not 0.0 <= background_mass <= 1.0:
            raise ValueError(f"background_mass must be in [0, 1], got {background_mass}")
        self.eps, self.iters = eps, iters
        self.guidance_weight, self.background_mass = guidance_weight, background_mass
        # SuperGlue's dustbin: a learned slot for pixels no expression describes.
        self.background = nn.Parameter(torch.randn(text_dim))
        # ~ the cost of an unrelated expression (cosine 0), so background competes from step 0.
        self.background_cost = nn.Parameter(torch.tensor(1.0))

    def forward(self, image: Tensor, text: Tensor, text_mask: Tensor,
                guidance: Tensor | None = None) -> AlignmentOutput:
        """Align.

        Args:
            image: ``[B, C, H, W]`` features.
            text: ``[B, K, D]`` expression features.
            text_mask: ``[B, K]`` bool, True = real expression, False = padding.
            guidance: ``[B, K, h, w]`` region masks in [0, 1] at any resolution; ``None`` =
                all ones (no spatial constraint).
        """
        self._check(image, text, text_mask, guidance)
        b, _, h, w = image.shape
        k = text.shape[1]
        q_pix, val_pix = self._pixels(image)  # [B, N, dim]
        slots = torch.cat([text, self.background.to(text.dtype).expand(b, 1, -1)], dim=1)  # [B, K+1, D]
        k_txt, val_txt = self._expressions(slots)  # [B, K+1, dim]

        cos = F.normalize(q_pix, dim=-1) @ F.normalize(k_txt[:, :k], dim=-1).transpose(1, 2)  # [B, N, K]
        cost = 1.0 - cos
        if guidance is not None:
            g = _resize_guidance(guidance.to(image.dtype), (h, w)).clamp(0.0, 1.0)
            cost = cost + self.guidance_weight * (1.0 - g.flatten(2).transpose(1, 2))
        bg_cost = self.background_cost.to(cost.dtype).expand(b, cost.shape[1], 1)
        # Padded columns get b = 0; give them a neutral finite cost so NaN/inf in padding cannot leak.
        cost = torch.cat([cost.masked_fill(~text_mask.unsqueeze(1), 1.0), bg_cost], dim=2)  # [B, N, K+1]

        n_real = text_mask.sum(dim=1, keepdim=True).to(cost.dtype)  # [B, 1]
        has_text = n_real > 0
        per_expr = (1.0 - self.background_mass) / n_real.clamp_min(1.0)
        b_text = torch.where(text_mask, per_expr, torch.zeros_like(per_expr))  # [B, K]
        # An empty prompt has nothing to align to: all mass goes to the background.
        b_bg = torch.where(has_text, torch.full_like(n_real, self.background_mass), torch.ones_like(n_real))
        plan = sinkhorn(cost, None, torch.cat([b_text, b_bg], dim=1), eps=self.eps, iters=self.iters)

        # Rows sum exactly to a_i = 1/N (the u-update comes last); columns only approximately
        # to b_k, so normalise by the actual sums to get convex mixtures on both sides.
        row_w = plan / plan.sum(dim=2, keepdim=True).clamp_min(torch.finfo(plan.dtype).tiny)
        col_w = plan / plan.sum(dim=1, keepdim=True).clamp_min(torch.finfo(plan.dtype).tiny)
        pix_mix = row_w @ val_txt  # [B, N, dim]
        txt_mix = col_w[:, :, :k].transpose(1, 2) @ val_pix  # [B, K, dim]
        image_out, text_out = self._residuals(image, text, text_mask, pix_mix, txt_mix)
        return AlignmentOutput(image=image_out, text=text_out, plan=plan)


class CrossAttentionAlignment(_AlignmentBase):
    """The ``use_ot=False`` ablation: single-head softmax cross-attention both ways.

    Pixels attend to the real expressions (softmax over K), expressions attend to the pixels
    (softmax over N). Guidance is ignored. ``plan`` is the pixel->expression attention
    ``[B, N, K]`` padded with a zero background column. Extra OT arguments are accepted and
    ignored so that the two modules are interchangeable from a config.
    """

    def __init__(self, image_dim: int, text_dim: int, dim: int = 64, eps: float = 0.05, iters: int = 30,
                 guidance_weight: float = 1.0, background_mass: float = 0.5) -> None:
        super().__init__(image_dim, text_dim, dim)

    def forward(self, image: Tensor, text: Tensor, text_mask: Tensor,
                guidance: Tensor | None = None) -> AlignmentOutput:
        """Same arguments and output as :meth:`SymmetricOTAlignment.forward`; guidance unused."""
        self._check(image, text, text_mask, guidance)
        q_pix, val_pix = self._pixels(image)  # [B, N, dim]
        k_txt, val_txt = self._expressions(text)  # [B, K, dim]
        scores = q_pix @ k_txt.transpose(1, 2) / math.sqrt(self.dim)  # [B, N, K]
        mask = text_mask.unsqueeze(1)  # [B, 1, K]
        # A finite fill (not -inf) keeps an all-padding row finite (uniform, not NaN); the mask
        # product then zeros it.
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        attn = torch.softmax(scores, dim=2) * mask  # pixels -> expressions
        attn_t = torch.softmax(scores, dim=1) * mask  # expressions -> pixels (softmax over N)
        pix_mix = attn @ val_txt  # [B, N, dim]
        txt_mix = attn_t.transpose(1, 2) @ val_pix  # [B, K, dim]
        # With no expression there is nothing to attend to: the image update is gated off.
        has_text = text_mask.any(dim=1).to(image.dtype).view(-1, 1, 1)
        image_out, text_out = self._residuals(image, text, text_mask, pix_mix, txt_mix, gate=has_text)
        plan = torch.cat([attn, attn.new_zeros(*attn.shape[:2], 1)], dim=2)  # [B, N, K+1]
        return AlignmentOutput(image=image_out, text=text_out, plan=plan)
