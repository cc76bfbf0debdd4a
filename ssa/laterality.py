"""Sides, conventions, modalities, and the one rule for which image columns show which side.

Words name the PATIENT's side ("left lung" is the patient's left). Where that side appears in
an image is a convention:

* ``"radiological"``: the image is viewed as if facing the patient, so the patient's left is
  the image's right half. Chest X-rays and axial CT are displayed this way.
* ``"viewer"``: the patient's left is the image's left half (how some dataset captions name
  sides: QaTa-COV19's LViT captions, see ``ssa.data.text_convention``).

The column rule: an image of width W splits at ``ceil(W / 2)``; columns ``[0, ceil(W/2))``
are the image-left half and the rest the image-right half, so every column belongs to
exactly one half and a region mask covers the whole width. At an even width (224 px, the
model's input and QaTa's) the halves are exact mirrors. At an odd width the centre column
falls in the image-left half, and its mirror is itself: where a result must not change under
a horizontal flip (measuring which half holds a mask, placing a synthetic lesion that will be
mirrored), :func:`mirror_safe_columns` leaves that one column out.
"""

from __future__ import annotations

SIDES = ("left", "right")  # the patient's sides; also the names of the image halves
CONVENTIONS = ("radiological", "viewer")
MODALITIES = ("xray", "ct")


def check_side(side: str) -> None:
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, got {side!r}")


def check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")


def check_modality(modality: str) -> None:
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")


def other_side(side: str) -> str:
    """"left" <-> "right"."""
    check_side(side)
    return "right" if side == "left" else "left"


def image_half(side: str, convention: str) -> str:
    """Which image half ("left" | "right") shows the patient's ``side``."""
    check_side(side)
    check_convention(convention)
    return side if convention == "viewer" else other_side(side)


def half_columns(half: str, width: int) -> slice:
    """Columns of the image ``half`` ("left" | "right"): ``[0, ceil(W/2))`` and the rest."""
    check_side(half)
    width = int(width)
    mid = (width + 1) // 2  # integer columns c >= W/2  <=>  c >= ceil(W/2)
    return slice(0, mid) if half == "left" else slice(mid, width)


def side_columns(side: str, width: int, convention: str) -> slice:
    """Image columns that show the patient's ``side`` under ``convention``."""
    return half_columns(image_half(side, convention), width)


def mirror_safe_columns(half: str, width: int) -> slice:
    """The columns of image ``half`` whose mirror image lies in the other half.

    The same as :func:`half_columns` at an even width; at an odd width the centre column is
    left out, so a mask inside these columns is in the other half once flipped.
    """
    check_side(half)
    width = int(width)
    return slice(0, width // 2) if half == "left" else slice((width + 1) // 2, width)
