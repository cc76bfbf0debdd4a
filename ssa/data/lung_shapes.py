"""Real lung-field shapes for the synthetic chest X-ray generator.

The ``torchxrayvision`` wheel ships ``torchxrayvision/data/semantic_masks_v7labs_lungs.zip``:
517 lung masks (0/255 PNG/JPEG, any size) drawn on COVID-19 chest X-rays. We never import
torchxrayvision (it needs torchvision); we only read that zip out of the wheel, once, and
cache a small normalised copy::

    python -m ssa.data.lung_shapes            # pip-downloads the wheel, writes .cache/lung_shapes.npz

Normalised frame (what :func:`load_lung_shapes` returns, bool ``[N, 128, 128]``):

* rows 0..127 span the lung band, from the top of the higher apex to the lowest lung point;
* columns are centred on the mediastinal midline (column 64 is the gap between the lungs),
  so the image-left lung lies in columns ``< 64`` and the image-right lung in ``>= 64``;
* orientation is that of a PA film read radiologically: the image-right lung is the
  patient's left (the smaller one, notched by the heart).

Masks that are empty (82 of 517 are), hold a single lung, or whose two lungs do not sit on
either side of a midline are dropped; 435 remain (torchxrayvision 1.5.7).
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import cv2
import numpy as np

SHAPE = 128
FILE_NAME = "lung_shapes.npz"
WHEEL_MEMBER = "semantic_masks_v7labs_lungs.zip"  # basename inside the wheel's data folder
WHEEL_VERSION = "1.5.7"  # pinned: the synthetic data (and so the demo checkpoint) depends on these masks


def default_cache_dir() -> Path:
    """``$SSA_CACHE`` if set, else ``<repo>/.cache`` (repo = the folder holding ``ssa/``)."""
    env = os.environ.get("SSA_CACHE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / ".cache"


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """Fill interior holes: annotators sometimes leave lesions or the hilum out of the lung."""
    padded = np.pad(mask.astype(np.uint8), 1)
    flood = padded.copy()
    cv2.floodFill(flood, None, (0, 0), 1)  # flood the outside from a padded corner
    holes = flood == 0
    return (padded.astype(bool) | holes)[1:-1, 1:-1]


def normalise_mask(raw: np.ndarray, size: int = SHAPE) -> np.ndarray | None:
    """One raw 0/255 lung mask -> bool ``[size, size]`` in the normalised frame, or None.

    Keeps the two largest components (the lungs), fills their holes, crops rows to the lung
    band and columns symmetrically around the midline, resizes with ``INTER_AREA`` and
    re-thresholds. Returns None when the mask does not hold two lungs side by side.
    """
    if raw.ndim == 3:
        raw = raw.max(axis=2)
    fg = (raw > 127).astype(np.uint8)
    # Work at <= 512 px: the masks are up to 4300 px and we only need 128 px.
    scale = 512.0 / max(fg.shape)
    if scale < 1.0:
        fg = cv2.resize(fg, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(fg, connectivity=8)
    if n < 3:
        return None
    order = np.argsort(stats[1:, cv2.CC_STAT_AREA])[::-1] + 1
    a, b = order[0], order[1]
    if stats[b, cv2.CC_STAT_AREA] < 0.2 * stats[a, cv2.CC_STAT_AREA]:
        return None  # one lung plus debris: not a two-lung shape
    left_id, right_id = (a, b) if cents[a, 0] < cents[b, 0] else (b, a)
    left = _fill_holes(labels == left_id)
    right = _fill_holes(labels == right_id)
    # Midline: median over rows where both lungs exist of the gap centre between them.
    rows = np.flatnonzero(left.any(1) & right.any(1))
    if rows.size < 10:
        return None
    w = fg.shape[1]
    l_max = w - 1 - np.argmax(left[rows, ::-1], axis=1)
    r_min = np.argmax(right[rows], axis=1)
    mid = float(np.median((l_max + r_min) / 2.0))
    both = left | right
    ys, xs = np.nonzero(both)
    top, bottom = int(ys.min()), int(ys.max()) + 1
    half = max(mid - xs.min(), xs.max() + 1 - mid)
    if half <= 0 or bottom - top < 16:
        return None
    # Crop [top, bottom) x [mid - half, mid + half) by an affine map straight to size x size
    # (with zero padding where the window leaves the image), one lung at a time so that each
    # stays in its own half even after resampling.
    out = np.zeros((size, size), dtype=bool)
    sx, sy = size / (2.0 * half), size / float(bottom - top)
    m = np.array([[sx, 0.0, -(mid - half) * sx], [0.0, sy, -top * sy]], dtype=np.float64)
    for lung, cols in ((left, slice(0, size // 2)), (right, slice(size // 2, size))):
        area = _area_warp(lung, m, size, sx, sy)
        out[:, cols] = area[:, cols] > 0.5
    if out[:, : size // 2].sum() < 0.05 * size * size or out[:, size // 2 :].sum() < 0.05 * size * size:
        return None
    return out


def _area_warp(mask: np.ndarray, m: np.ndarray, size: int, sx: float, sy: float) -> np.ndarray:
    """Area-averaged affine crop: blur by the shrink factor, then sample (INTER_AREA's effect)."""
    img = mask.astype(np.float32)
    shrink = max(1.0 / sx, 1.0 / sy)
    if shrink > 1.5:
        img = cv2.resize(img, None, fx=1.0 / shrink, fy=1.0 / shrink, interpolation=cv2.INTER_AREA)
        m = m.copy()
        m[:, :2] *= shrink  # the map now reads from the shrunken image
    return cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_LINEAR, borderValue=0.0)


def shapes_from_zip(data: bytes, size: int = SHAPE) -> tuple[np.ndarray, list[str]]:
    """Decode every image of the inner mask zip; return kept shapes ``[N, size, size]`` and names."""
    shapes, names = [], []
    with zipfile.ZipFile(io.BytesIO(data)) as inner:
        for name in sorted(inner.namelist()):
            if name.endswith("/"):
                continue
            raw = cv2.imdecode(np.frombuffer(inner.read(name), np.uint8), cv2.IMREAD_GRAYSCALE)
            if raw is None:
                continue
            shape = normalise_mask(raw, size)
            if shape is not None:
                shapes.append(shape)
                names.append(Path(name).name)
    if not shapes:
        raise ValueError("no usable two-lung masks in the archive")
    return np.stack(shapes), names


def _read_wheel(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        members = [n for n in whl.namelist() if n.endswith(WHEEL_MEMBER)]
        if not members:
            raise FileNotFoundError(f"{WHEEL_MEMBER} not found in {wheel}")
        return whl.read(members[0])


def _download_wheel(dest: Path) -> Path:
    """``pip download --no-deps torchxrayvision`` into ``dest``; needs a package index."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", f"torchxrayvision=={WHEEL_VERSION}", "-d", str(dest)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wheels = sorted(dest.glob("torchxrayvision-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip download left no torchxrayvision wheel in {dest}")
    return wheels[-1]


def fetch_lung_shapes(cache_dir: Path | None = None, wheel: Path | None = None) -> Path:
    """Make sure ``<cache_dir>/lung_shapes.npz`` exists and return its path.

    Args:
        cache_dir: where the npz goes; default :func:`default_cache_dir`.
        wheel: a torchxrayvision wheel already on disk; default: ``pip download`` one into a
            temporary folder (a package index must be reachable; this is a setup step).
    The npz holds ``bits`` (``np.packbits`` of the bool shapes), ``shape`` and ``names``; it
    is written to a temporary file and renamed, so readers never see half a file.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = cache_dir / FILE_NAME
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        data = _read_wheel(Path(wheel) if wheel is not None else _download_wheel(Path(tmp)))
    shapes, names = shapes_from_zip(data)
    fd, tmp_path = tempfile.mkstemp(dir=cache_dir, prefix=".lung_shapes.", suffix=".npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, bits=np.packbits(shapes, axis=None),
                                shape=np.array(shapes.shape), names=np.array(names))
        os.chmod(tmp_path, 0o644)  # mkstemp makes 0600; the cache is shared by every user of the repo
        os.replace(tmp_path, target)
    except BaseException:
        Path(tmp_path).unlink(missing_ok=True)
        raise
    return target


def load_lung_shapes(cache_dir: Path | None = None) -> np.ndarray | None:
    """The cached shapes as bool ``[N, 128, 128]`` (frame in the module doc), or None if not fetched."""
    path = (Path(cache_dir) if cache_dir is not None else default_cache_dir()) / FILE_NAME
    if not path.exists():
        return None
    with np.load(path) as npz:
        shape = tuple(int(v) for v in npz["shape"])
        bits = np.unpackbits(npz["bits"], count=int(np.prod(shape)))
    return bits.reshape(shape).astype(bool)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch and cache real lung shapes.")
    parser.add_argument("--cache-dir", type=Path, default=None)
    parser.add_argument("--wheel", type=Path, default=None, help="use this torchxrayvision wheel")
    args = parser.parse_args(argv)
    path = fetch_lung_shapes(args.cache_dir, args.wheel)
    shapes = load_lung_shapes(path.parent)
    print(f"{0 if shapes is None else len(shapes)} lung shapes in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
