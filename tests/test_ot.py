"""Tests for ssa.ot: the Sinkhorn solver (against POT) and the two alignment modules."""

from __future__ import annotations

import numpy as np
import ot  # POT, the reference solver (a runtime requirement)
import pytest
import torch

from ssa.ot import (
    AlignmentOutput,
    CrossAttentionAlignment,
    SymmetricOTAlignment,
    sinkhorn,
)


def _problem(seed: int, b: int, n: int, m: int, uniform: bool, scale: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    cost = scale * torch.rand(b, n, m, generator=g, dtype=torch.float64)
    if uniform:
        return cost, None, None
    a = torch.rand(b, n, generator=g, dtype=torch.float64) + 0.1
    bb = torch.rand(b, m, generator=g, dtype=torch.float64) + 0.1
    return cost, a / a.sum(-1, keepdim=True), bb / bb.sum(-1, keepdim=True)


def _pot(cost, a, b, eps, iters, stop_thr):
    """POT's log-domain plan for each problem of the batch, [B, N, M] float64."""
    plans = []
    for i in range(cost.shape[0]):
        n, m = cost.shape[1:]
        ai = np.full(n, 1.0 / n) if a is None else a[i].numpy()
        bi = np.full(m, 1.0 / m) if b is None else b[i].numpy()
        plans.append(ot.sinkhorn(ai, bi, cost[i].numpy(), reg=eps, method="sinkhorn_log",
                                 numItermax=iters, stopThr=stop_thr, warn=False))
    return torch.from_numpy(np.stack(plans))


@pytest.mark.parametrize(
    "seed,shape,uniform,eps",
    [(0, (3, 7, 5), True, 0.05), (1, (2, 12, 4), False, 0.05), (2, (2, 30, 9), False, 0.1),
     (3, (1, 5, 11), False, 0.02)],
)
def test_matches_pot_same_iterations(seed, shape, uniform, eps):
    # stopThr=0 never stops early, so POT runs exactly `iters` iterations; a few iterations
    # (far from convergence) check that the update order is the same.
    cost, a, b = _problem(seed, *shape, uniform)
    for iters in (1, 7):
        ours = sinkhorn(cost, a, b, eps=eps, iters=iters)
        assert (ours - _pot(cost, a, b, eps, iters, 0.0)).abs().max() < 1e-12


@pytest.mark.parametrize("seed,uniform", [(10, True), (11, False), (12, False)])
def test_matches_pot_at_convergence(seed, uniform):
    cost, a, b = _problem(seed, 2, 20, 6, uniform)
    ours = sinkhorn(cost, a, b, eps=0.05, iters=1000)
    ref = _pot(cost, a, b, 0.05, 100000, 1e-13)
    assert (ours - ref).abs().max() < 1e-6
    a_ = torch.full((2, 20), 1 / 20, dtype=torch.float64) if a is None else a
    b_ = torch.full((2, 6), 1 / 6, dtype=torch.float64) if b is None else b
    assert (ours.sum(2) - a_).abs().max() < 1e-5
    assert (ours.sum(1) - b_).abs().max() < 1e-5


def test_stable_small_eps_float32():
    # exp(-5 / 0.01) underflows in float32: a kernel-domain solver would divide by zero here.
    cost, a, b = _problem(20, 4, 50, 8, False, scale=5.0)
    plan = sinkhorn(cost.float(), a.float(), b.float(), eps=0.01, iters=3000)
    assert plan.dtype == torch.float32 and torch.isfinite(plan).all()
    assert (plan.double() - sinkhorn(cost, a, b, eps=0.01, iters=3000)).abs().max() < 1e-5
    assert (plan.sum(2) - a.float()).abs().max() < 1e-5
    assert (plan.sum(1) - b.float()).abs().max() < 1e-5


def test_gradcheck():
    cost, a, b = _problem(30, 2, 4, 3, False)
    inputs = (cost.requires_grad_(), a.requires_grad_(), b.requires_grad_())
    assert torch.autograd.gradcheck(lambda c, x, y: sinkhorn(c, x, y, eps=0.1, iters=10), inputs)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zero_mass_padding(dtype):
    cost, a, b = _problem(40, 3, 10, 5, False)
    cost, a, b = cost.to(dtype), a.to(dtype), b.to(dtype)
    a[:, -2:] = 0
    b[:, 1] = 0
    a, b = a / a.sum(-1, keepdim=True), b / b.sum(-1, keepdim=True)
    cost.requires_grad_()
    a.requires_grad_()
    b.requires_grad_()
    plan = sinkhorn(cost, a, b, eps=0.05, iters=300)
    assert torch.all(plan[:, -2:] == 0) and torch.all(plan[:, :, 1] == 0)
    assert (plan.sum(1) - b).abs().max() < 1e-5
    # The rest is the OT plan of the problem with the padding removed.
    ref = sinkhorn(cost[:, :-2][:, :, [0, 2, 3, 4]], a[:, :-2], b[:, [0, 2, 3, 4]], eps=0.05, iters=300)
    assert (plan[:, :-2][:, :, [0, 2, 3, 4]] - ref).abs().max() < 1e-5
    (plan * torch.randn_like(plan)).sum().backward()
    for t in (cost, a, b):
        assert torch.isfinite(t.grad).all()


def test_batched_and_unbatched():
    g = torch.Generator().manual_seed(50)
    cost = torch.rand(16, 196, 32, generator=g)
    plan = sinkhorn(cost)
    assert plan.shape == (16, 196, 32) and torch.isfinite(plan).all()
    assert torch.allclose(plan.sum(2), torch.full((16, 196), 1 / 196), atol=1e-6)
    single = sinkhorn(cost[3])
    assert single.shape == (196, 32)
    assert torch.allclose(single, plan[3], atol=1e-7)
    single_ab = sinkhorn(cost[3], torch.full((196,), 1 / 196), torch.full((32,), 1 / 32))
    assert torch.allclose(single_ab, single, atol=1e-7)


@pytest.mark.parametrize(
    "cost,a,b,kwargs",
    [
        (torch.rand(5), None, None, {}),
        (torch.rand(2, 3, 4, 5), None, None, {}),
        (torch.rand(2, 3, 4), torch.rand(2, 4), None, {}),
        (torch.rand(2, 3, 4), None, torch.rand(4), {}),
        (torch.rand(3, 4), torch.rand(1, 3), None, {}),
        (torch.rand(3, 4), None, None, {"eps": 0.0}),
        (torch.rand(3, 4), None, None, {"iters": 0}),
    ],
)
def test_bad_inputs_raise(cost, a, b, kwargs):
    with pytest.raises(ValueError):
        sinkhorn(cost, a, b, **kwargs)


# ---------------------------------------------------------------- alignment modules

C, D, H, W = 12, 10, 6, 8


def _inputs(seed: int = 0, batch: int = 3, k: int = 4):
    g = torch.Generator().manual_seed(seed)
    image = torch.randn(batch, C, H, W, generator=g)
    text = torch.randn(batch, k, D, generator=g)
    mask = torch.ones(batch, k, dtype=torch.bool)
    if batch == 3:
        mask[1, 2:] = False  # padded expressions
        mask[2, :] = False  # empty prompt
    guidance = torch.rand(batch, k, 2 * H, 2 * W, generator=g)  # finer than the feature map
    return image, text, mask, guidance


MODULES = [SymmetricOTAlignment, CrossAttentionAlignment]


@pytest.mark.parametrize("cls", MODULES)
def test_alignment_shapes(cls):
    image, text, mask, guidance = _inputs()
    out = cls(C, D, dim=16)(image, text, mask, guidance)
    assert isinstance(out, AlignmentOutput)
    assert out.image.shape == image.shape and out.text.shape == text.shape
    assert out.plan.shape == (3, H * W, 5)
    for t in (out.image, out.text, out.plan):
        assert torch.isfinite(t).all()
    # Padded expressions are returned untouched and get no mass.
    assert torch.equal(out.text[~mask], text[~mask])
    assert torch.all(out.plan[1, :, 2:4] == 0)
    # Coarser guidance (bilinear upsampling path) is accepted too.
    out = cls(C, D, dim=16)(image, text, mask, guidance[..., ::4, ::4])
    assert out.plan.shape == (3, H * W, 5)


@pytest.mark.parametrize("cls", MODULES)
def test_alignment_bad_shapes(cls):
    image, text, mask, guidance = _inputs()
    module = cls(C, D, dim=16)
    with pytest.raises(ValueError):
        module(image[:, :5], text, mask, guidance)
    with pytest.raises(ValueError):
        module(image, text, mask.float(), guidance)
    with pytest.raises(ValueError):
        module(image, text, mask, guidance[:, :2])


def test_ot_plan_marginals():
    image, text, mask, guidance = _inputs(1)
    module = SymmetricOTAlignment(C, D, dim=16, iters=200, background_mass=0.3)
    plan = module(image, text, mask, guidance).plan
    assert torch.allclose(plan.sum(2), torch.full((3, H * W), 1 / (H * W)), atol=1e-6)
    col = plan.sum(1)
    assert torch.allclose(col[:2, -1], torch.tensor([0.3, 0.3]), atol=1e-4)
    assert torch.allclose(col[0, :4], torch.full((4,), 0.7 / 4), atol=1e-4)
    assert torch.allclose(col[1, :2], torch.full((2,), 0.7 / 2), atol=1e-4)


def test_ot_guidance_moves_mass():
    torch.manual_seed(0)
    image, text, _, _ = _inputs(2, batch=1, k=1)
    mask = torch.ones(1, 1, dtype=torch.bool)
    guidance = torch.zeros(1, 1, 32, 32)
    guidance[..., 16:] = 1.0  # expression k lives in the right half
    module = SymmetricOTAlignment(C, D, dim=16)
    plan = module(image, text, mask, guidance).plan[0, :, 0].reshape(H, W)
    left, right = plan[:, : W // 2].sum(), plan[:, W // 2 :].sum()
    assert right > 4 * left
    # Without guidance the same module has no such preference.
    plan_free = module(image, text, mask, None).plan[0, :, 0].reshape(H, W)
    assert plan_free[:, W // 2 :].sum() < 2 * plan_free[:, : W // 2].sum()


def test_ot_empty_prompt_goes_to_background():
    image, text, _, guidance = _inputs(3, batch=2)
    mask = torch.zeros(2, 4, dtype=torch.bool)
    out = SymmetricOTAlignment(C, D, dim=16)(image, text, mask, guidance)
    assert torch.isfinite(out.image).all() and torch.isfinite(out.plan).all()
    assert torch.all(out.plan[:, :, :4] == 0)
    assert torch.allclose(out.plan[:, :, 4].sum(1), torch.ones(2), atol=1e-6)
    assert torch.equal(out.text, text)


@pytest.mark.parametrize("cls", MODULES)
def test_every_parameter_gets_gradient(cls):
    torch.manual_seed(0)
    image, text, mask, guidance = _inputs(4)
    image.requires_grad_()
    text.requires_grad_()
    module = cls(C, D, dim=16)
    out = module(image, text, mask, guidance)
    # Random weights: plain sums are degenerate (the plan sums to a constant).
    loss = sum((t * torch.randn_like(t)).sum() for t in (out.image, out.text, out.plan))
    loss.backward()
    for name, p in module.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    assert torch.isfinite(image.grad).all() and torch.isfinite(text.grad).all()
