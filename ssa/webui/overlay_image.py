"""The overlay panels: Gradio's ``AnnotatedImage``, with its layers made in a few milliseconds.

Gradio 6.31's ``AnnotatedImage.postprocess`` colours each layer in float64 (four [H, W]
planes), makes a PIL image of it and encodes that as PNG with PIL's defaults: 19 ms of a
Segment click for the lesion and region layers of a 448-px overlay, the largest part of
Gradio's postprocessing (``bench/browser.py``, 2 cores). :class:`OverlayImage` writes the same
files from uint8 arrays, encoded at zlib level 1 (a few KiB larger each), and is the same component in the page (Gradio's ``annotatedimage`` frontend).

A layer's file is what Gradio's would hold: RGBA, the label's colour where the layer is above 0,
alpha = the layer's value x 255 truncated, named after its content's hash in the cache. The
base picture is Gradio's own (see ``gradio_fixes`` for its encoding).
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import gradio as gr
import numpy as np
from gradio.components.annotated_image import Annotation
from gradio.data_classes import FileData
from PIL import Image

from ssa.webui import gradio_fixes

PNG_LEVEL = 1  # zlib level: the fastest that still compresses a mostly-empty layer to a few KiB
DEFAULT_RGB = (255, 0, 0)  # a label the colour map lacks (Gradio's default too)


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


class OverlayImage(gr.AnnotatedImage):
    """``gr.AnnotatedImage`` (same arguments, value and frontend) with a faster postprocess.

    Value: (base image: RGB array, PIL image or file path, [(layer float [H, W] in [0, 1], label)]).
    Bounding-box annotations are not used by this demo and are left to Gradio's code.
    """

    def get_block_name(self) -> str:
        return "annotatedimage"  # the frontend component to use: Gradio's own

    def postprocess(self, value):
        if value is None or any(not isinstance(layer, np.ndarray) for layer, _ in value[1]):
            return super().postprocess(value)
        data = super().postprocess((value[0], []))  # the base picture, as Gradio saves it
        colors = self.color_map or {}
        for layer, label in value[1]:
            rgba = layer_rgba(layer, hex_rgb(colors[label]) if label in colors else DEFAULT_RGB)
            path = gradio_fixes.save_bytes_to_cache(encode_png(rgba), self.GRADIO_CACHE, "image", "png")
            data.annotations.append(Annotation(image=FileData(path=path), label=label))
        return data
