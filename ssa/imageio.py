"""Reading medical images into one form: float32 ``[H, W]`` in [0, 1], plus the modality.

Accepts arrays (uint8 / uint16 / other ints / float; gray, RGB, RGBA), PIL images and
paths (PNG, JPEG, BMP, TIFF, DICOM). Every failure is a ``ValueError`` that names the
file (or says "array") and the problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

MAX_PIXELS = 50_000_000  # refuse larger images (a decompression bomb, or not a radiograph)
LUNG_WINDOW = (-600.0, 1500.0)  # (level, width) in HU
MEDIASTINUM_WINDOW = (40.0, 400.0)
WINDOWS = {"lung": LUNG_WINDOW, "mediastinum": MEDIASTINUM_WINDOW}
DICOM_SUFFIXES = (".dcm", ".dicom")


@dataclass
class LoadedImage:
    """pixels ``[H, W]`` float32 in [0, 1]; modality "xray" | "ct"; where it came from."""

    pixels: np.ndarray
    modality: str
    source: str = "array"
    info: dict = field(default_factory=dict)  # never patient metadata: only what the UI may show


def _check_size(h: int, w: int, source: str) -> None:
    if h == 0 or w == 0:
        raise ValueError(f"{source}: empty image ({h}x{w} pixels)")
    if h * w > MAX_PIXELS:
        claim = "a header claiming too many" if h == float("inf") else f"{int(w)}x{int(h)}"
        raise ValueError(f"{source}: image of {claim} pixels is over the limit of {MAX_PIXELS:,} pixels")


def to_unit_gray(array: np.ndarray, source: str = "array") -> np.ndarray:
    """Any numeric image array -> float32 ``[H, W]`` in [0, 1].

    uint8 is divided by 255. Other types are stretched between their 0.5th and 99.5th
    percentiles (a 12-bit radiograph stored in 16 bits uses a fraction of the range).
    Colour is converted to luminance; alpha is dropped. NaN/Inf pixels are set to the
    darkest finite value; an image with no finite pixel is refused.
    """
    a = np.asarray(array)
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise ValueError(f"{source}: unsupported pixel type {a.dtype}")
    if a.ndim == 3 and a.shape[-1] in (1, 3, 4):
        if a.shape[-1] == 1:
            a = a[..., 0]
        else:
            rgb = a[..., :3].astype(np.float64)
            gray = rgb @ np.array([0.299, 0.587, 0.114])
            a = gray.astype(np.float32) if a.dtype != np.uint8 else np.clip(np.rint(gray), 0, 255).astype(np.uint8)
    if a.ndim != 2:
        raise ValueError(f"{source}: expected a 2-D image (H, W) or (H, W, 1|3|4), got shape {a.shape}")
    _check_size(*a.shape, source)
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    a = a.astype(np.float64)
    finite = np.isfinite(a)
    if not finite.any():
        raise ValueError(f"{source}: no finite pixel values (all NaN or Inf)")
    if not finite.all():
        a = np.where(finite, a, a[finite].min())
    lo, hi = np.percentile(a, [0.5, 99.5])
    if hi <= lo:
        lo, hi = float(a.min()), float(a.max())
    if hi <= lo:
        return np.zeros(a.shape, np.float32)
    return np.clip((a - lo) / (hi - lo), 0.0, 1.0).astype(np.float32)


def apply_window(values: np.ndarray, level: float, width: float) -> np.ndarray:
    """Map ``[level - width/2, level + width/2]`` to [0, 1] (clipped)."""
    return np.clip((values - (level - width / 2.0)) / width, 0.0, 1.0).astype(np.float32)


def read_dicom(path: Path, window: str | None = None) -> LoadedImage:
    """A DICOM slice with its rescale slope/intercept applied.

    CT: a named window (lung by default) on Hounsfield units. X-ray: the file's own VOI
    window when it has one, else a percentile stretch; MONOCHROME1 is inverted so that
    bone is bright. Patient metadata is never copied into the result.
    """
    try:
        return _read_dicom(path, window)
    except Exception as err:  # on a damaged file pydicom raises struct.error, BytesLengthException, ...
        if isinstance(err, ValueError) and str(err).startswith(f"{path}: "):
            raise  # already names the file and the problem
        # pydicom's message may quote the file's bytes: it is not shown (the cause is chained).
        raise ValueError(f"{path}: not a readable DICOM file (damaged or invalid header)") from err


def _read_dicom(path: Path, window: str | None) -> LoadedImage:
    import pydicom
    from pydicom.errors import InvalidDicomError

    source = str(path)
    try:
        ds = pydicom.dcmread(str(path))
    except (InvalidDicomError, OSError, ValueError, EOFError) as err:
        raise ValueError(f"{source}: not a readable DICOM file ({err})") from err
    if "PixelData" not in ds:
        raise ValueError(f"{source}: DICOM file has no pixel data")
    rows, cols = int(ds.get("Rows", 0) or 0), int(ds.get("Columns", 0) or 0)
    _check_size(rows, cols, source)
    try:
        raw = ds.pixel_array
    except Exception as err:  # pydicom raises many types for unsupported transfer syntaxes
        raise ValueError(f"{source}: cannot decode DICOM pixel data ({type(err).__name__}: {err})") from err
    if raw.ndim == 3 and raw.shape[-1] not in (3, 4):
        raw = raw[raw.shape[0] // 2]  # a multi-frame file: take the middle frame
    values = raw.astype(np.float64)
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    if not (np.isfinite(slope) and np.isfinite(intercept)):
        raise ValueError(f"{source}: DICOM rescale slope / intercept is not a finite number")
    values = values * slope + intercept
    modality = "ct" if str(ds.get("Modality", "")).upper() == "CT" else "xray"
    info = {"dicom_modality": str(ds.get("Modality", "")), "rescale": [slope, intercept]}
    if modality == "ct" and values.ndim == 2:
        level, width = WINDOWS[window or "lung"]
        pixels = apply_window(values, level, width)
        info["window"] = window or "lung"
    else:
        center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
        voi = None
        if center is not None and width is not None and values.ndim == 2:
            center = float(center[0] if isinstance(center, pydicom.multival.MultiValue) else center)
            width = float(width[0] if isinstance(width, pydicom.multival.MultiValue) else width)
            voi = (center, width)
        if voi is not None and np.isfinite(voi).all():
            pixels = apply_window(values, voi[0], max(voi[1], 1.0))
        else:  # no VOI window, or a NaN / Inf one
            pixels = to_unit_gray(values, source)
        if str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1":
            pixels = 1.0 - pixels
    if pixels.ndim == 3:
        pixels = to_unit_gray(pixels, source)
    return LoadedImage(pixels=pixels.astype(np.float32), modality=modality, source=source, info=info)


def _is_dicom(path: Path) -> bool:
    if path.suffix.lower() in DICOM_SUFFIXES:
        return True
    try:
        with open(path, "rb") as f:
            head = f.read(132)
        return len(head) == 132 and head[128:132] == b"DICM"
    except OSError:
        return False


def read_raster(path: Path) -> np.ndarray:
    """PNG / JPEG / BMP / TIFF pixels as stored (8 or 16 bit, gray or colour, RGB order)."""
    import cv2

    source = str(path)
    data = np.fromfile(str(path), dtype=np.uint8)
    if data.size == 0:
        raise ValueError(f"{source}: empty file (0 bytes)")
    header = _raster_size(data)
    if header is not None:
        _check_size(header[0], header[1], source)
    image = cv2.imdecode(data, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if image is None and path.suffix.lower() in (".tif", ".tiff"):
        image = _read_tiff(path)
    if image is None:
        raise ValueError(f"{source}: not a readable image (supported: PNG, JPEG, BMP, TIFF, DICOM)")
    if image.ndim == 3 and image.shape[-1] in (3, 4):
        image = image[..., [2, 1, 0, *([3] if image.shape[-1] == 4 else [])]]  # OpenCV is BGR
    return image


def _read_tiff(path: Path) -> np.ndarray | None:
    try:
        import tifffile

        return tifffile.imread(str(path))
    except Exception:
        return None


def _raster_size(data: np.ndarray) -> tuple[int, int] | None:
    """(H, W) from the file's header, read before decoding so that a bomb is refused cheaply.

    PNG is parsed here; PIL parses JPEG, BMP and TIFF headers without decoding pixels. A
    header past PIL's own bomb limit reports (inf, inf); None if the header is unreadable.
    """
    head = data[:24].tobytes()
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 24:
        return int.from_bytes(head[20:24], "big"), int.from_bytes(head[16:20], "big")
    import io
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # PIL's bomb warning: the caller decides
            with Image.open(io.BytesIO(data.tobytes())) as im:
                w, h = im.size
        return h, w
    except Image.DecompressionBombError:
        return float("inf"), float("inf")  # type: ignore[return-value]
    except Exception:
        return None


def read_image(source, modality: str | None = None, window: str | None = None) -> LoadedImage:
    """Load ``source`` (path, array or PIL image) -> :class:`LoadedImage`.

    modality: "xray" | "ct" | None (from the DICOM Modality tag, else "xray").
    window: for CT DICOM, "lung" (default) or "mediastinum".
    """
    if modality not in (None, "xray", "ct"):
        raise ValueError(f"modality must be 'xray', 'ct' or None, got {modality!r}")
    if window not in (None, *WINDOWS):
        raise ValueError(f"window must be one of {', '.join(WINDOWS)}, got {window!r}")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.is_file():
            raise ValueError(f"{path}: no such file")
        if _is_dicom(path):
            loaded = read_dicom(path, window)
            if modality is not None:
                loaded.modality = modality
            return loaded
        pixels = to_unit_gray(read_raster(path), str(path))
        return LoadedImage(pixels=pixels, modality=modality or "xray", source=str(path))
    if isinstance(source, LoadedImage):  # already read (e.g. by the app): keep its scaling
        if modality is not None:
            source = LoadedImage(source.pixels, modality, source.source, dict(source.info))
        return source
    if hasattr(source, "convert") and hasattr(source, "size"):  # a PIL image
        source = np.asarray(source)
    if not isinstance(source, np.ndarray):
        raise ValueError(f"expected a path, a numpy array or a PIL image, got {type(source).__name__}")
    return LoadedImage(pixels=to_unit_gray(source), modality=modality or "xray")
