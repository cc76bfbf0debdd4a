"""Image and text encoders."""

from ssa.encoders.image import IMAGE_ENCODERS, ImageEncoder, build_image_encoder
from ssa.encoders.text import TextEncoder, build_text_encoder

__all__ = ["IMAGE_ENCODERS", "ImageEncoder", "TextEncoder", "build_image_encoder", "build_text_encoder"]
