"""``SSAPredictor``: set an image once, ask many prompts (segment-anything style).

Numpy in, numpy out. The predictor owns preprocessing (gray [0, 1], resize to the model's
square input) and maps every output back to the ORIGINAL size: the size of the image given to
``set_image`` (the demo gives it a working copy of at most 1,024 px; ``ssa.analysis`` maps
the mask on to the file's own size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from ssa.expressions import ReadPrompt
from ssa.imageio import LoadedImage, read_image
from ssa.model import SSA
from ssa.presence import rule_score
from ssa.spatial import Region, region_mask

MAX_PROMPT_CHARS = 2000  # longer prompts are cut (the text encoder reads 128 tokens anyway)


@dataclass
class Prediction:
    """mask bool ``[H, W]``; probs float32 ``[H, W]`` in [0, 1]; guidance float32 ``[H, W]``;
    alignment: expression text -> float32 ``[H, W]`` heatmap of its transport mass (max 1).

    ``[H, W]`` is the original size: that of the image given to ``set_image``. ``reading`` is
    the text as the model read it (expressions, report reading, regions), once per request.

    ``score``: the presence probability (the model's presence head, or, for a checkpoint
    without one, the mean of the top 1% of mask probabilities inside the text's region);
    ``present`` False when the score fell below the model's ``presence_threshold`` and the mask
    was emptied (``probs`` are kept as the model gave them).
    """

    mask: np.ndarray
    probs: np.ndarray
    guidance: np.ndarray
    alignment: dict[str, np.ndarray] = field(default_factory=dict)
    text: str = ""
    truncated: bool = False
    reading: ReadPrompt | None = None
    score: float = 1.0
    present: bool = True
    score_source: str = "presence head"  # or "mask probabilities"

    @property
    def regions(self) -> tuple[Region, ...]:
        """The regions the text locates (empty: no spatial constraint)."""
        return self.reading.regions if self.reading is not None else ()


class SSAPredictor:
    """Wraps an :class:`ssa.model.SSA` for inference on one image at a time."""

    def __init__(self, model: SSA) -> None:
        self.model = model.eval()
        self.config = model.config
        self._features: list[torch.Tensor] | None = None
        self.image: LoadedImage | None = None

    @property
    def original_size(self) -> tuple[int, int]:
        if self.image is None:
            raise RuntimeError("call set_image() first")
        return tuple(self.image.pixels.shape)  # type: ignore[return-value]

    @property
    def modality(self) -> str:
        if self.image is None:
            raise RuntimeError("call set_image() first")
        return self.image.modality

    @torch.inference_mode()
    def set_image(self, image, modality: str | None = None, window: str | None = None) -> None:
        """Load, preprocess and encode ``image`` (array, PIL image or path; see
        :func:`ssa.imageio.read_image`). modality: "xray" | "ct" | None (DICOM tag, else xray)."""
        loaded = read_image(image, modality=modality, window=window)
        size = self.config.image_size
        pixels = cv2.resize(loaded.pixels, (size, size), interpolation=cv2.INTER_AREA)
        tensor = torch.from_numpy(np.ascontiguousarray(pixels))[None, None].to(self.model.device)
        self._features = self.model.encode_image(tensor)
        self.image = loaded

    def reset_image(self) -> None:
        self._features, self.image = None, None

    @torch.inference_mode()
    def predict(self, text: str, threshold: float = 0.5) -> Prediction:
        """Segment what ``text`` describes in the current image."""
        return self.predict_many([text], threshold)[0]

    @torch.inference_mode()
    def predict_many(self, texts: Sequence[str], threshold: float = 0.5) -> list[Prediction]:
        """Several prompts against the cached image embedding, in one batch."""
        if self._features is None or self.image is None:
            raise RuntimeError("call set_image() before predict()")
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        texts = [clean_prompt(t) for t in texts]
        truncated = [len(t) > MAX_PROMPT_CHARS for t in texts]
        texts = [t[:MAX_PROMPT_CHARS] for t in texts]
        h, w = self.original_size
        prompt = self.model.encode_prompts(texts, [self.image.modality] * len(texts))
        out = self.model.decode(self._features, prompt)
        scores, source = self._scores(out)
        gate = self.config.presence_threshold if out.presence is not None else None
        probs = torch.sigmoid(F.interpolate(out.logits, size=(h, w), mode="bilinear", align_corners=False))
        probs_np = probs[:, 0].float().cpu().numpy()
        results = []
        for i, (text, reading) in enumerate(zip(texts, prompt.readings)):
            present = gate is None or scores[i] >= gate
            guidance = region_mask(reading.regions, (h, w), convention=self.config.convention,
                                   modality=self.image.modality, lung_band=self.config.lung_band)
            results.append(
                Prediction(
                    mask=(probs_np[i] >= threshold) if present else np.zeros((h, w), bool),
                    probs=probs_np[i],
                    guidance=guidance,
                    alignment=self._alignment(out, i, (h, w)),
                    text=text,
                    truncated=truncated[i],
                    reading=reading,
                    score=float(scores[i]),
                    present=present,
                    score_source=source,
                )
            )
        return results

    @staticmethod
    def _scores(out) -> tuple[np.ndarray, str]:
        """Presence probability per prompt ``[B]`` and where it came from."""
        if out.presence is not None:
            return torch.sigmoid(out.presence.float()).cpu().numpy(), "presence head"
        probs = torch.sigmoid(out.logits.float())
        return rule_score(probs, out.guidance.float()).cpu().numpy(), "mask probabilities"

    @staticmethod
    def _alignment(out, index: int, size: tuple[int, int]) -> dict[str, np.ndarray]:
        """Heatmap per expression from the finest plan (stride 16), scaled to max 1."""
        if not out.plans or out.prompt is None:
            return {}
        plan, (ph, pw) = out.plans[-1][index], out.plan_sizes[-1]
        exprs = out.prompt.expressions[index]
        maps: dict[str, np.ndarray] = {}
        for k, expr in enumerate(exprs):
            heat = plan[:, k].reshape(1, 1, ph, pw).float()
            heat = F.interpolate(heat, size=size, mode="bilinear", align_corners=False)[0, 0]
            heat = heat / heat.max().clamp_min(1e-12)
            name = expr.text if expr.text not in maps else f"{expr.text} ({k + 1})"
            maps[name] = heat.clamp(0, 1).cpu().numpy().astype(np.float32)
        return maps


def clean_prompt(text) -> str:
    """A prompt as the model sees it: a str, control characters replaced by spaces."""
    if text is None:
        return ""
    text = str(text)
    return "".join(ch if ch.isprintable() or ch in " " else " " for ch in text).strip()
