"""The SSA model: image encoder, text expressions, guidance, symmetric OT alignment, decoder.

::

    image ─► image encoder ─► C1..C4 (strides 4, 8, 16, 32);  image ─► fine stem ─► C0 (stride 2)
    text  ─► expressions ─► text encoder ─► P_1..P_K (+ background slot inside the aligner)
    text  ─► location parser ─► G_k per expression, G = their union
    C4, P, G ─► align ─► C4', P' ;  C3, P', G ─► align ─► C3', P''
    C0, C1, C2, C3', C4', P'', G ─► decoder ─► mask logits (stride 2; stride 4 without C0)

``forward`` = ``encode_image`` + ``encode_prompts`` + ``decode``; the predictor calls the
three parts separately so that one image embedding serves many prompts.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ssa.config import SSAConfig
from ssa.decoder import FineStem, SSADecoder
from ssa.encoders.image import build_image_encoder
from ssa.encoders.text import TextEncoder, build_text_encoder
from ssa.expressions import Expression, ReadPrompt, read_prompt
from ssa.laterality import MODALITIES
from ssa.ot import CrossAttentionAlignment, SymmetricOTAlignment
from ssa.presence import PresenceHead
from ssa.spatial import region_mask
from ssa.weights import save_pretrained


@dataclass
class Prompt:
    """Encoded texts for a batch.

    features ``[B, K, D]`` and mask ``[B, K]``: one row per expression (padded);
    region_guidance ``[B, K, g, g]``: each expression's guidance (its own region if it is
    locational, else the union); guidance ``[B, 1, g, g]``: the union G (ones = no
    constraint). ``g`` = image_size / 4.
    """

    texts: list[str]
    modalities: list[str]
    readings: list[ReadPrompt]  # each text read once: its expressions and regions travel with it
    features: Tensor
    mask: Tensor
    region_guidance: Tensor
    guidance: Tensor

    @property
    def expressions(self) -> list[tuple[Expression, ...]]:
        return [r.expressions for r in self.readings]


@dataclass
class SSAOutput:
    """logits ``[B, 1, H, W]`` at the input size; guidance ``[B, 1, g, g]``; plans: one
    ``[B, h*w, K+1]`` per aligned scale (stride 32, then 16) with its ``(h, w)`` in
    plan_sizes; last plan column = background. presence ``[B]``: the presence logits (None
    without a presence head)."""

    logits: Tensor
    guidance: Tensor
    plans: list[Tensor]
    plan_sizes: list[tuple[int, int]]
    prompt: Prompt | None = None
    presence: Tensor | None = None


class SSA(nn.Module):
    """Text-guided segmentation with spatial guidance and symmetric OT alignment."""

    def __init__(self, config: SSAConfig, image_encoder: nn.Module, text_encoder: TextEncoder | None) -> None:
        super().__init__()
        self.config = config
        self.image_encoder = image_encoder
        self.text_encoder = text_encoder if config.use_text else None
        channels = tuple(image_encoder.channels)
        text_dim = text_encoder.dim if self.text_encoder is not None else None
        self.align4: nn.Module | None = None
        self.align3: nn.Module | None = None
        if self.text_encoder is not None:
            aligner = SymmetricOTAlignment if config.use_ot else CrossAttentionAlignment
            kwargs = dict(
                text_dim=text_dim,
                dim=config.dim,
                eps=config.ot_eps,
                iters=config.ot_iters,
                guidance_weight=config.guidance_weight,
                background_mass=config.background_mass,
            )
            self.align4 = aligner(image_dim=channels[3], **kwargs)
            self.align3 = aligner(image_dim=channels[2], **kwargs)
        self.decoder = SSADecoder(channels, config.decoder_dim, text_dim, config.fine_dim)  # type: ignore[arg-type]
        self.fine_stem = FineStem(config.fine_dim) if config.fine_dim else None
        self.presence = PresenceHead(config.decoder_dim) if config.presence_head else None
        mean = torch.tensor(config.image_mean).view(1, 3, 1, 1)
        std = torch.tensor(config.image_std).view(1, 3, 1, 1)
        self.register_buffer("pixel_mean", mean, persistent=False)
        self.register_buffer("pixel_std", std, persistent=False)
        self._guidance_cache: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()

    @property
    def device(self) -> torch.device:
        return self.pixel_mean.device

    # -- image -------------------------------------------------------------------------
    def encode_image(self, images: Tensor) -> list[Tensor]:
        """images ``[B, 1 or 3, S, S]`` in [0, 1], S = config.image_size -> C1..C4, preceded
        by C0 ``[B, fine_dim, S/2, S/2]`` when the model has a stride-2 stage."""
        if images.shape[1] == 1:
            images = images.expand(-1, 3, -1, -1)
        x = (images - self.pixel_mean) / self.pixel_std
        features = list(self.image_encoder(x))
        return [self.fine_stem(x), *features] if self.fine_stem is not None else features

    # -- text ----------------------------------------------------------------------------
    def encode_prompts(self, texts: Sequence[str], modalities: Sequence[str] | None = None) -> Prompt:
        """Split, encode and locate the texts. modalities: ``"xray"`` | ``"ct"`` per text."""
        texts = [str(t) for t in texts]
        modalities = list(modalities) if modalities is not None else ["xray"] * len(texts)
        if len(modalities) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(modalities)} modalities")
        for m in modalities:
            if m not in MODALITIES:
                raise ValueError(f"modality must be one of {MODALITIES}, got {m!r}")
        cfg = self.config
        readings = [read_prompt(t, cfg.max_expressions) for t in texts]
        expressions = [r.expressions for r in readings]
        k = max([len(e) for e in expressions] + [1])
        g = cfg.image_size // 4
        region = np.ones((len(texts), k, g, g), np.float32)
        union = np.ones((len(texts), 1, g, g), np.float32)
        if cfg.use_guidance and cfg.use_text:
            for b, (reading, modality) in enumerate(zip(readings, modalities)):
                union[b, 0], per_expr = self._guidance(reading, modality, g)
                region[b, : len(reading.expressions)] = per_expr
        device = self.device
        if self.text_encoder is not None:
            features, mask = self.text_encoder(texts, [[(e.start, e.end) for e in ex] for ex in expressions])
            if features.shape[1] < k:  # every text empty: keep K >= 1
                features = F.pad(features, (0, 0, 0, k - features.shape[1]))
                mask = F.pad(mask, (0, k - mask.shape[1]))
        else:
            features = torch.zeros(len(texts), k, 1, device=device)
            mask = torch.zeros(len(texts), k, dtype=torch.bool, device=device)
        return Prompt(
            texts=texts,
            modalities=modalities,
            readings=readings,
            features=features,
            mask=mask,
            region_guidance=torch.from_numpy(region).to(device),
            guidance=torch.from_numpy(union).to(device),
        )

    def _guidance(self, reading: ReadPrompt, modality: str, size: int) -> tuple[np.ndarray, np.ndarray]:
        """(union ``[g, g]``, per expression ``[K, g, g]``), cached: texts repeat a lot."""
        key = (reading.text, modality, size)
        hit = self._guidance_cache.get(key)
        if hit is not None:
            return hit
        opts = dict(convention=self.config.convention, modality=modality, lung_band=self.config.lung_band)
        # The union comes from the whole text, as guidance_mask() does ("Bilateral pulmonary
        # infection." alone locates both lungs though no expression is locational).
        union = region_mask(reading.regions, (size, size), **opts)
        exprs = reading.expressions
        per_expr = np.stack(
            [region_mask(e.regions, (size, size), **opts) if e.regions else union for e in exprs]
            or [union]
        )[: len(exprs)]
        self._guidance_cache[key] = (union, per_expr)
        if len(self._guidance_cache) > 4096:
            self._guidance_cache.popitem(last=False)
        return union, per_expr

    # -- fusion ----------------------------------------------------------------------------
    def decode(self, features: list[Tensor], prompt: Prompt, out_size: tuple[int, int] | None = None) -> SSAOutput:
        """features: [C0,] C1..C4 of ``B`` images (or of one image, broadcast to the prompts)."""
        b = prompt.mask.shape[0]
        if features[0].shape[0] == 1 and b > 1:  # one image, many prompts: no copy
            features = [f.expand(b, -1, -1, -1) for f in features]
        *fine, c1, c2, c3, c4 = features
        plans: list[Tensor] = []
        sizes: list[tuple[int, int]] = []
        text = None
        if self.align4 is not None and self.align3 is not None:
            text = prompt.features
            out4 = self.align4(c4, text, prompt.mask, prompt.region_guidance)
            c4, text = out4.image, out4.text
            out3 = self.align3(c3, text, prompt.mask, prompt.region_guidance)
            c3, text = out3.image, out3.text
            plans = [out4.plan, out3.plan]
            sizes = [tuple(c4.shape[-2:]), tuple(c3.shape[-2:])]
        logits, last = self.decoder(
            [c1, c2, c3, c4], prompt.guidance, text, prompt.mask if text is not None else None,
            fine=fine[0] if fine else None,
        )
        presence = self.presence(last, logits, prompt.guidance) if self.presence is not None else None
        size = out_size or (c1.shape[-2] * 4, c1.shape[-1] * 4)
        logits = F.interpolate(logits, size=size, mode="bilinear", align_corners=False)
        return SSAOutput(logits=logits, guidance=prompt.guidance, plans=plans, plan_sizes=sizes, prompt=prompt,
                         presence=presence)

    def forward(
        self, images: Tensor, texts: Sequence[str], modalities: Sequence[str] | None = None
    ) -> SSAOutput:
        """images ``[B, 1|3, S, S]`` in [0, 1]; texts: B strings -> :class:`SSAOutput`."""
        if len(texts) != images.shape[0]:
            raise ValueError(f"{images.shape[0]} images but {len(texts)} texts")
        return self.decode(self.encode_image(images), self.encode_prompts(texts, modalities))

    def save_pretrained(self, directory) -> None:
        """Write ``config.json`` + ``model.safetensors`` (see :mod:`ssa.weights`)."""
        save_pretrained(self, directory)


def build_model(config: SSAConfig, pretrained: bool = False) -> SSA:
    """Assemble an :class:`SSA` from sub-modules built from ``config``.

    ``pretrained`` loads the encoders' named weights (``image_weights``, ``text_weights``);
    the text encoder's weights are always loaded when they are frozen and named, because
    checkpoints do not carry them.
    """
    from ssa.encoders.text import text_weights_are_external

    image_encoder = build_image_encoder(config, pretrained)
    text_encoder = None
    if config.use_text:
        text_encoder = build_text_encoder(config, pretrained or text_weights_are_external(config))
    return SSA(config, image_encoder, text_encoder)
