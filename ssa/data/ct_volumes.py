"""Chest CT volumes: read (NIfTI, NRRD), orient for radiological display, window, find the midline.

* :func:`load_volume` reads a NIfTI file (nibabel) or a 3-D NRRD file (:func:`read_nrrd`, a small
  reader of what chest CT files use) into ``(array, RAS affine)``;
* :func:`to_radiological` permutes and flips it so that ``slices[k]`` is an axial slice with
  anterior up and the patient's left on the image right (no resampling);
* :func:`hu_to_uint8` is the lung window (level -600, width 1500 HU, linear, clipped, rounded);
* :func:`estimate_lungs` and :func:`volume_midline` find the patient's midline (between the two
  lungs, else the body's centre, else the scanner's isocentre), and :func:`centre_padding` the
  air columns that put it at the image's centre column: the project's sides are image halves.

Used by :mod:`ssa.data.ct_sets`, which turns volumes into cached 2-D slices.
"""

from __future__ import annotations

import gzip
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ssa.imageio import LUNG_WINDOW, apply_window

BODY_HU = -500.0  # above: body (for the midline)
LUNG_DARK_HU = -400.0  # below: air or lung
OUTSIDE_AIR_HU = -900.0  # a dark region touching the border with a median below this is outside air
MIDLINE_LUNG_SHARE = 0.02  # each lung must be this share of the slice to place the midline between them
MIDLINE_LUNG_RATIO = 0.25  # ... and the smaller at least this share of the larger
MIN_LUNG_SHARE = 0.005  # dark regions smaller than this share of the slice are not a lung
AIR_HU = -1024.0  # what padding adds


# -- HU -> 8 bit ------------------------------------------------------------------------------


def hu_to_uint8(hu: np.ndarray, level: float = LUNG_WINDOW[0], width: float = LUNG_WINDOW[1]) -> np.ndarray:
    """Lung window: ``level - width/2`` HU -> 0, ``level + width/2`` HU -> 255, linear, clipped,
    rounded (default W 1500 / L -600: -1350 HU -> 0, -600 HU -> 128, +150 HU -> 255)."""
    return np.round(apply_window(np.asarray(hu, np.float32), level, width) * 255.0).astype(np.uint8)



# -- volumes ----------------------------------------------------------------------------------

_NRRD_TYPES = {
    **dict.fromkeys(("signed char", "int8", "int8_t", "char"), "i1"),
    **dict.fromkeys(("uchar", "unsigned char", "uint8", "uint8_t"), "u1"),
    **dict.fromkeys(("short", "short int", "signed short", "signed short int", "int16", "int16_t"), "i2"),
    **dict.fromkeys(("ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"), "u2"),
    **dict.fromkeys(("int", "signed int", "int32", "int32_t"), "i4"),
    **dict.fromkeys(("uint", "unsigned int", "uint32", "uint32_t"), "u4"),
    "float": "f4",
    "double": "f8",
}


def _vectors(text: str) -> list[list[float]]:
    return [[float(v) for v in group.split(",")] for group in re.findall(r"\(([^)]*)\)", text)]


def read_nrrd(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """A 3-D NRRD file (attached data, raw or gzip) -> ``(array [i, j, k], RAS affine 4x4)``.

    Only what chest CT files use is read: ``type``, ``sizes``, ``endian``, ``encoding``,
    ``space`` (left-posterior-superior or right-anterior-superior), ``space directions`` and
    ``space origin``. Raises ValueError for anything else.
    """
    path = Path(path)
    raw = path.read_bytes()
    end = raw.find(b"\n\n")
    if not raw.startswith(b"NRRD") or end < 0:
        raise ValueError(f"{path}: not an NRRD file")
    fields: dict[str, str] = {}
    for line in raw[:end].decode("latin-1").splitlines()[1:]:
        if not line.strip() or line.startswith("#") or ":=" in line:
            continue
        key, _, value = line.partition(":")
        fields[key.strip().lower()] = value.strip()
    if "data file" in fields or "datafile" in fields:
        raise ValueError(f"{path}: detached NRRD data is not supported")
    sizes = [int(s) for s in fields.get("sizes", "").split()]
    if len(sizes) != 3:
        raise ValueError(f"{path}: needs 3 dimensions, found sizes {fields.get('sizes')!r}")
    kind = _NRRD_TYPES.get(fields.get("type", "").lower())
    if kind is None:
        raise ValueError(f"{path}: unsupported type {fields.get('type')!r}")
    dtype = np.dtype(kind)
    if dtype.itemsize > 1:
        dtype = dtype.newbyteorder("<" if fields.get("endian", "little").lower() == "little" else ">")
    body = raw[end + 2 :]
    encoding = fields.get("encoding", "raw").lower()
    if encoding in ("gzip", "gz"):
        body = gzip.decompress(body)
    elif encoding != "raw":
        raise ValueError(f"{path}: unsupported encoding {encoding!r}")
    count = math.prod(sizes)
    if len(body) < count * dtype.itemsize:
        raise ValueError(f"{path}: {len(body)} data bytes, expected {count * dtype.itemsize}")
    data = np.frombuffer(body, dtype=dtype, count=count).reshape(sizes, order="F")
    directions = _vectors(fields.get("space directions", ""))
    origin = (_vectors(fields.get("space origin", "")) or [[0.0, 0.0, 0.0]])[0]
    if len(directions) != 3 or any(len(v) != 3 for v in directions) or len(origin) != 3:
        raise ValueError(f"{path}: needs 3 space directions and a 3-D space origin")
    affine = np.eye(4)
    affine[:3, :3] = np.array(directions).T
    affine[:3, 3] = origin
    space = fields.get("space", "").lower()
    if space in ("left-posterior-superior", "lps"):
        affine = np.diag([-1.0, -1.0, 1.0, 1.0]) @ affine
    elif space not in ("right-anterior-superior", "ras"):
        raise ValueError(f"{path}: unsupported space {fields.get('space')!r}")
    return np.asarray(data), affine


def load_volume(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """``(array, RAS affine)`` of a NIfTI (``.nii``, ``.nii.gz``; nibabel) or NRRD file."""
    path = Path(path)
    if path.name.lower().endswith((".nrrd", ".nhdr")):
        return read_nrrd(path)
    try:
        import nibabel
    except ImportError as exc:  # pragma: no cover - nibabel is installed where volumes are read
        raise ValueError(f"{path}: reading NIfTI needs nibabel (pip install nibabel)") from exc
    image = nibabel.load(str(path))
    return np.asanyarray(image.dataobj), np.asarray(image.affine, dtype=np.float64)


def to_radiological(data: np.ndarray, affine: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reorient a volume for radiological axial display, from its affine.

    Returns ``(slices [S, H, W], affine of the (P, L, S) array)``: ``slices[k]`` is the k-th
    axial slice counted from the inferior end, its rows run anterior -> posterior (anterior up)
    and its columns from the patient's right to the patient's left (patient's left on the
    image right). Axes are only permuted and flipped (no resampling).
    """
    from nibabel.orientations import (
        apply_orientation,
        axcodes2ornt,
        inv_ornt_aff,
        io_orientation,
        ornt_transform,
    )

    data = np.asarray(data)
    if data.ndim != 3:
        raise ValueError(f"expected a 3-D volume, got shape {data.shape}")
    transform = ornt_transform(io_orientation(affine), axcodes2ornt(("P", "L", "S")))
    oriented = apply_orientation(data, transform)
    new_affine = np.asarray(affine, np.float64) @ inv_ornt_aff(transform, data.shape)
    return np.moveaxis(oriented, 2, 0), new_affine



# -- lungs and midline ------------------------------------------------------------------------


def _touches_border(component: np.ndarray) -> bool:
    return bool(component[0].any() or component[-1].any() or component[:, 0].any() or component[:, -1].any())


def estimate_lungs(image: np.ndarray, dark: float = LUNG_DARK_HU, outside_air: float | None = OUTSIDE_AIR_HU,
                   min_share: float = MIN_LUNG_SHARE) -> np.ndarray:
    """A rough lung mask (bool [H, W]) of an axial slice: regions darker than ``dark`` that are
    at least ``min_share`` of the slice, less those touching the border whose median is below
    ``outside_air`` (the air around the patient). Used only for the lungs' vertical extent."""
    from scipy import ndimage

    image = np.asarray(image, np.float32)
    labels, n = ndimage.label(image < dark)
    lungs = np.zeros(image.shape, bool)
    if n == 0:
        return lungs
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    for i in np.nonzero(sizes >= max(1, min_share * image.size))[0]:
        if i == 0:
            continue
        component = labels == i
        if outside_air is not None and _touches_border(component) and np.median(image[component]) < outside_air:
            continue
        lungs |= component
    return lungs



def volume_midline(slices: np.ndarray, affine: np.ndarray, ks: Sequence[int]) -> tuple[float, str]:
    """Column of the patient's midline in the oriented slices, and how it was found (median
    over slices ``ks``): halfway between the outer edges of the two lungs where both are in the
    field of view (the two largest dark regions, of similar size, side by side); else the centre of the body's left-right extent where the body is wholly in
    it; else the scanner's x = 0 (the isocentre; a cropped volume); else the image centre."""
    from scipy import ndimage

    _, height, width = slices.shape
    centres = []
    for k in ks:
        labels, n = ndimage.label(estimate_lungs(slices[k]))
        sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
        two = [i + 1 for i in np.argsort(-sizes)[:2] if sizes[i] >= MIDLINE_LUNG_SHARE * height * width]
        if len(two) < 2 or sizes[two[1] - 1] < MIDLINE_LUNG_RATIO * sizes[two[0] - 1]:
            continue
        spans = sorted((np.nonzero((labels == i).any(axis=0))[0][[0, -1]] for i in two), key=lambda c: c[0])
        side_by_side = spans[0][1] - spans[1][0] <= 0.05 * width and spans[1][0] - spans[0][0] >= 0.2 * width
        if side_by_side and spans[0][0] > 0 and max(spans[0][1], spans[1][1]) < width - 1:
            centres.append((spans[0][0] + max(spans[0][1], spans[1][1])) / 2.0)
    if centres:
        return float(np.median(centres)), "lungs"
    for k in ks:
        labels, n = ndimage.label(slices[k] > BODY_HU)
        if n == 0:
            continue
        body = labels == (1 + int(np.argmax(np.bincount(labels.ravel())[1:])))
        cols = np.nonzero(body.any(axis=0))[0]
        if cols[0] > 0 and cols[-1] < width - 1:
            centres.append((cols[0] + cols[-1]) / 2.0)
    if centres:
        return float(np.median(centres)), "body"
    # x(row, col, k) = A[0, 0] * row + A[0, 1] * col + A[0, 2] * k + A[0, 3]; solve x = 0 mid-slice
    a = affine[0]
    if abs(a[1]) > 1e-6:
        k = ks[len(ks) // 2] if len(ks) else (slices.shape[0] - 1) / 2.0
        col = -(a[0] * (height - 1) / 2.0 + a[2] * k + a[3]) / a[1]
        if -width <= col <= 2 * width:
            return float(col), "scanner x = 0"
    return (width - 1) / 2.0, "image centre"


def centre_padding(width: int, midline: float) -> tuple[int, int]:
    """``(left, right)`` columns of padding that put ``midline`` at the image's centre."""
    left, right = midline + 0.5, width - 0.5 - midline
    pad = round(abs(right - left))
    return (pad, 0) if right > left else (0, pad)

