"""The overlay panels: Gradio's ``AnnotatedImage`` frontend, with its layers carried in the answer.

Gradio 6.31's ``AnnotatedImage`` writes each layer (lesion, region, reference outline) as a PNG
file in its cache, and the page fetches every one of them after the answer arrives. On a small
machine that was the largest part of a Segment click outside the model: 10 ms to colour and
encode two 448-px layers (Gradio's float64 colouring and PIL's default PNG level) and 11 ms to
fetch them, the server's file route answering while the page waited (``bench/browser.py``,
2 cores). :class:`OverlayImage` makes each layer from uint8 arrays, encodes it at zlib level 1
and sends it inside the answer as a ``data:`` URL, which the same frontend shows with no request
(a 224-px layer is about 1.5 KiB). The base picture stays a cached file, as Gradio writes it:
it is the preview's picture, which the page already holds.

A layer's pixels are what Gradio's file would hold: RGBA, the label's colour where the layer is
above 0, alpha = the layer's value x 255 truncated. Sent back as an event's input (the example's
outline toggle redraws the shown overlay), an inline layer arrives as its decoded RGBA array.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Sequence
from typing import Literal

import cv2
import gradio as gr
import numpy as np
from gradio.data_classes import FileData, GradioModel
from PIL import Image
from pydantic import Field
from typing_extensions import TypedDict

PNG_LEVEL = 1  # zlib level: the fastest that still compresses a mostly-empty layer to a few KiB
DEFAULT_RGB = (255, 0, 0)  # a label the colour map lacks (Gradio's default too)
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_INLINE_CHARS = 4_000_000  # a layer sent back larger than this is refused (ours are a few KiB)
MAX_LAYER_SIDE = 4096  # nor one that decodes larger than this (the overlay is at most 640 px)


class InlinePictureMeta(TypedDict):
    _type: Literal["ssa.InlinePicture"]


class InlinePicture(GradioModel):
    """A picture carried in the response itself (``url``: a ``data:image/png;base64,`` URL), not a
    file: its own ``meta`` type keeps Gradio from treating it as a cache file to check or serve."""

    url: str
    meta: InlinePictureMeta = Field(default_factory=lambda: {"_type": "ssa.InlinePicture"})


class OverlayLayer(GradioModel):
    """One layer over the base picture: Gradio's ``Annotation``, its picture inline or a file."""

    image: InlinePicture | FileData
    label: str


class OverlayData(GradioModel):
    """The panel's value on the wire: Gradio's ``AnnotatedImageData`` with inline layers."""

    image: FileData
    annotations: list[OverlayLayer]


def hex_rgb(color: str) -> tuple[int, int, int]:
    """"#ff453a" -> (255, 69, 58)."""
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def layer_rgba(layer: np.ndarray, rgb: Sequence[int]) -> np.ndarray:
    """One layer as Gradio colours it.

    layer: float [H, W] in [0, 1]. Returns uint8 [H, W, 4]: ``rgb`` where layer > 0, else 0;
    alpha = layer * 255, truncated (as Gradio's ``astype(np.uint8)``).
    """
    layer = np.asarray(layer)
    on = (layer > 0).view(np.uint8)  # 0/1; a product per channel is ~5x faster than a masked write
    return np.dstack([on * np.uint8(rgb[0]), on * np.uint8(rgb[1]), on * np.uint8(rgb[2]),
                      (layer * 255).astype(np.uint8)])


def encode_png(rgba: np.ndarray) -> bytes:
    """uint8 RGBA [H, W, 4] -> PNG bytes (zlib level ``PNG_LEVEL``). PIL, not OpenCV: on a
    448-px layer OpenCV's encoder takes 4 ms at any level, PIL's 1.6-1.9 ms at level 1."""
    with io.BytesIO() as out:
        Image.fromarray(rgba, "RGBA").save(out, "PNG", compress_level=PNG_LEVEL)
        return out.getvalue()


def png_data_url(png: bytes) -> str:
    """PNG bytes -> ``data:image/png;base64,...``."""
    return DATA_URL_PREFIX + base64.b64encode(png).decode("ascii")


def decode_inline(url: str) -> np.ndarray:
    """An inline layer sent back by the page -> uint8 RGBA [H, W, 4].

    Raises ValueError naming the problem: not a PNG data URL, too large, or not an RGBA PNG.
    """
    if not url.startswith(DATA_URL_PREFIX):
        raise ValueError("an overlay layer must be a data:image/png;base64 URL")
    if len(url) > MAX_INLINE_CHARS:
        raise ValueError(f"an overlay layer of {len(url):,} characters is larger than any the demo sends")
    try:
        png = base64.b64decode(url[len(DATA_URL_PREFIX):], validate=True)
    except binascii.Error as e:
        raise ValueError(f"an overlay layer's base64 does not decode ({e})") from None
    with Image.open(io.BytesIO(png)) as probe:  # the header only: refuse a huge picture before decoding
        if probe.format != "PNG" or max(probe.size) > MAX_LAYER_SIDE:
            raise ValueError(f"an overlay layer must be a PNG of at most {MAX_LAYER_SIDE} px a side")
    bgra = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_UNCHANGED)
    if bgra is None or bgra.ndim != 3 or bgra.shape[2] != 4:
        raise ValueError("an overlay layer must be an RGBA PNG")
    return cv2.cvtColor(bgra, cv2.COLOR_BGRA2RGBA)


class OverlayImage(gr.AnnotatedImage):
    """``gr.AnnotatedImage`` (same arguments and frontend) whose layers travel inline.

    Value out: (base image: RGB array, PIL image or file path, [(layer float [H, W] in [0, 1],
    label)]); a layer may be smaller than the base (the page scales it onto the base's box, so it
    must have the base's aspect). Value in: (base image path, [(layer, label)]), a layer being
    uint8 RGBA [H, W, 4] (or a file path, for a layer Gradio wrote). Bounding-box annotations are
    not used by this demo and are left to Gradio's code.
    """

    data_model = OverlayData

    def get_block_name(self) -> str:
        return "annotatedimage"  # the frontend component to use: Gradio's own

    def preprocess(self, payload: OverlayData | None) -> tuple[str, list[tuple[np.ndarray | str, str]]] | None:
        if payload is None:
            return None
        layers = [(decode_inline(a.image.url) if isinstance(a.image, InlinePicture) else a.image.path, a.label)
                  for a in payload.annotations]
        return payload.image.path, layers

    def postprocess(self, value) -> OverlayData | None:
        if value is None:
            return None
        if any(not isinstance(layer, np.ndarray) for layer, _ in value[1]):
            gradios = super().postprocess(value)  # bounding boxes: Gradio's files
            return OverlayData(image=gradios.image, annotations=[
                OverlayLayer(image=a.image, label=a.label) for a in gradios.annotations])
        base = super().postprocess((value[0], [])).image  # the base picture, as Gradio saves it
        colors = self.color_map or {}
        layers = [OverlayLayer(image=InlinePicture(url=png_data_url(encode_png(layer_rgba(
                      layer, hex_rgb(colors[label]) if label in colors else DEFAULT_RGB)))), label=label)
                  for layer, label in value[1]]
        return OverlayData(image=base, annotations=layers)
