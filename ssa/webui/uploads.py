"""Uploads in, result files out, nothing left behind.

* An uploaded file is read once into a small working copy (:func:`ssa.analysis.prepare_image`)
  kept in the user's session state, then deleted from the server's disk. Only files that
  Gradio received through its ``/upload`` route are deleted (``blocks.upload_file_set``),
  never example files or anything else.
* Result files (mask PNGs) are written into Gradio's cache folder, where the Blocks'
  ``delete_cache`` schedule removes them, and all of them when the server stops.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ssa.analysis import PreparedImage, prepare_image
from ssa.files import write_png
from ssa.overlay import mask_png


@dataclass
class SessionImage:
    """What a session remembers of its last upload: the path Gradio gave it (the key) and
    either the prepared image or why it could not be used.

    details: between the Segment button's two steps, what the second draws (see
    ``DemoHandlers.segment_details``): (prepared image, analysis, CT window); ``()`` when the
    run was refused (the second step clears its panels); None once drawn.
    """

    key: str
    image: PreparedImage | None = None
    error: str | None = None
    details: tuple | None = field(default=None, repr=False)


class UploadGone(ValueError):
    """The upload was already read and deleted, and the session does not hold it."""


def cache_folder() -> Path:
    """Gradio's cache / upload folder (``GRADIO_TEMP_DIR``, else ``<tmp>/gradio``)."""
    from gradio.utils import get_upload_folder

    return Path(get_upload_folder())


def display_name(path: str | Path) -> str:
    """The user's file name (Gradio keeps it as the last path component)."""
    return Path(path).name or "upload"


class UploadJanitor:
    """Deletes a user's upload once it has been read. ``blocks`` None: deletes nothing."""

    def __init__(self, blocks: Any = None) -> None:
        self.blocks = blocks

    def _shared(self, key: str) -> bool:
        """Gradio names cache files by content, so an upload identical to an example IS the
        example's cached copy: such a file is kept (the examples need it)."""
        for block in getattr(self.blocks, "blocks", {}).values():
            if key in getattr(block, "keep_in_cache", ()):
                return True
        return False

    def discard(self, path: str | Path | None) -> bool:
        """Delete ``path`` if (and only if) it is an upload of this app; True if deleted."""
        if path is None or self.blocks is None:
            return False
        uploads: set = getattr(self.blocks, "upload_file_set", set())
        key = str(path)
        if key not in uploads:
            return False
        uploads.discard(key)
        if self._shared(key):
            return False
        file = Path(key)
        with contextlib.suppress(FileNotFoundError):
            file.unlink()
        with contextlib.suppress(OSError):
            file.parent.rmdir()  # Gradio's per-upload folder, if now empty
        return True


def acquire(
    path: str | None, session: SessionImage | None, janitor: UploadJanitor
) -> tuple[PreparedImage, SessionImage]:
    """The prepared image for ``path``: from the session when it already read this upload,
    else read from disk (then the upload is deleted).

    Raises ValueError with a user-facing message: nothing uploaded, unreadable file
    (named by its file name, never by its server path), or :class:`UploadGone`.
    """
    if not path:
        raise ValueError("Upload an image first (PNG, JPEG, BMP, TIFF or DICOM).")
    key = str(path)
    if session is not None and session.key == key:
        if session.error:
            raise ValueError(session.error)
        if session.image is not None:
            return session.image, session
    if not Path(key).is_file():
        raise UploadGone("This upload is no longer on the server (uploads are deleted once read). "
                         "Upload the file again.")
    try:
        image = prepare_image(key, name=display_name(key))
    except ValueError as err:
        raise ValueError(str(err)) from None
    finally:
        janitor.discard(key)  # read or refused, and even if a reader fails unexpectedly
    return image, SessionImage(key=key, image=image)


def _safe_stem(name: str) -> str:
    stem = Path(name).stem if name else "image"
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "image"
    return stem[:80]


def prompt_slug(prompt: str, limit: int = 40) -> str:
    """"Unilateral ..., lower left lung." -> "unilateral-...-lower-left-lung" (file-name safe,
    at most ``limit`` characters, cut at a word)."""
    words = re.findall(r"[a-z0-9]+", (prompt or "").lower())
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > limit:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or (words[0][:limit] if words else "empty-prompt")


def write_mask_file(mask: np.ndarray, image_name: str, suffix: str = "mask") -> str:
    """Write ``mask`` (bool [H, W]) as a 0/255 PNG (see :func:`write_result_png`)."""
    return write_result_png(mask_png(mask), image_name, suffix)


def write_result_png(image: np.ndarray, image_name: str, suffix: str) -> str:
    """Write ``image`` (uint8 gray [H, W] or RGB [H, W, 3]) as a PNG into a fresh folder of
    Gradio's cache, named ``<image stem>_<suffix>.png`` (``<suffix>.png`` when ``image_name`` is
    empty); returns its path.

    Gradio serves cache files as they are and its ``delete_cache`` schedule removes them
    (hence no fsync: the file is whole once renamed into place, and lives minutes).
    """
    folder = cache_folder() / f"ssa-{uuid.uuid4().hex}"
    folder.mkdir(parents=True, exist_ok=False)
    name = f"{_safe_stem(image_name)}_{suffix}" if image_name else suffix
    return str(write_png(folder / f"{name}.png", image, durable=False))
