"""One case from (index, seed, modality, mode), and the indexable stream of them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ssa.data.synthetic.common import uniform
from ssa.data.synthetic.ct import ct_anatomy, ct_finish, ct_lesion_hu
from ssa.data.synthetic.lesions import Blob, place_lesions
from ssa.data.synthetic.plan import (
    MODES,
    PlannedLocation,
    make_text,
    plan_case,
)
from ssa.data.synthetic.xray import draw_markers, xray_anatomy, xray_finish
from ssa.laterality import CONVENTIONS, MODALITIES


@dataclass
class SyntheticCase:
    """One generated case. ``mask`` is what the text refers to; ``all_lesions`` everything drawn."""

    image: np.ndarray  # uint8 [H, W] grayscale
    mask: np.ndarray  # bool [H, W], the lesions the text refers to
    text: str
    modality: str  # "xray" | "ct"
    all_lesions: np.ndarray  # bool [H, W]; in referring mode a superset of mask
    info: dict = field(default_factory=dict)  # level, lesion list, lung source: for debugging


def _check(modality: str, mode: str, size: int, convention: str) -> None:
    if modality not in MODALITIES:
        raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    if int(size) < 32:
        raise ValueError(f"size must be >= 32, got {size!r}")


def _valid(blobs: Sequence[Blob], locs: Sequence[PlannedLocation], mode: str) -> bool:
    """Every location got a lesion; in referring mode lesions sit on both image halves and at
    least one of them is not named."""
    if any(not any(b.spec.loc == i for b in blobs) for i in range(len(locs))):
        return False
    return mode == "report" or (len({b.spec.side for b in blobs}) == 2 and any(b.spec.loc < 0 for b in blobs))


def make_case(index: int, seed: int = 0, modality: str = "xray", mode: str = "report", size: int = 256,
              convention: str = "radiological", lung_shapes: np.ndarray | None = None) -> SyntheticCase:
    """Generate case ``index`` of the stream ``seed``; deterministic in every argument.

    Args:
        modality: "xray" (frontal chest film) or "ct" (axial slice, lung window).
        mode: "report" (text names every lesion) or "referring" (text names a subset).
        size: output side in pixels (square).
        convention: "radiological" (patient left = image right) or "viewer" (mirrored).
        lung_shapes: bool [N, 128, 128] real lung outlines from
            :func:`ssa.data.lung_shapes.load_lung_shapes` (X-ray only); None = procedural.
    The plan (text, sides, zones, lesion kinds) does not depend on ``size`` or ``convention``;
    a "viewer" case is the radiological one mirrored, pixel for pixel (only burnt-in side
    markers are drawn after the mirror, so they stay readable and on the right side).
    """
    _check(modality, mode, size, convention)
    s = int(size)
    rng = np.random.default_rng([int(seed), int(index), MODALITIES.index(modality), MODES.index(mode)])
    for _ in range(8):  # a re-plan is rare (a location with no room for its lesion)
        locs, specs, level = plan_case(rng, modality, mode)
        anat = xray_anatomy(rng, s, lung_shapes) if modality == "xray" else ct_anatomy(rng, s, level or "middle")
        blobs = place_lesions(rng, specs, anat.lungs, anat.lung_soft, s, modality, anat.coords)
        if _valid(blobs, locs, mode):
            break
    else:
        raise RuntimeError(f"could not place lesions for case {index} (seed {seed})")
    for i, loc in enumerate(locs):
        loc.n = sum(b.spec.loc == i for b in blobs)
    text = make_text(locs, rng)
    mask = np.zeros((s, s), bool)
    every = np.zeros((s, s), bool)
    base = anat.base
    for blob in blobs:
        if modality == "xray":
            amp = uniform(rng, 0.3, 0.6) if blob.spec.kind == "ggo" else uniform(rng, 0.45, 0.75)
            base[blob.ys, blob.xs] += amp * anat.lesion_scale * blob.opacity
        else:
            ct_lesion_hu(rng, base, blob)
        every[blob.ys, blob.xs] |= blob.mask
        if blob.spec.loc >= 0:
            mask[blob.ys, blob.xs] |= blob.mask
    if modality == "xray":
        img = xray_finish(rng, base)
    else:
        img = ct_finish(rng, base)
    image = np.round(img * 255.0).astype(np.uint8)
    if convention == "viewer":
        image, mask, every = (np.ascontiguousarray(a[:, ::-1]) for a in (image, mask, every))
    if modality == "xray":
        draw_markers(rng, image, patient_left_on_right=convention == "radiological")
    info = dict(anat.info, mode=mode, locs=[(loc.side, loc.zones, loc.n) for loc in locs],
                lesions=[(b.spec.side, b.spec.zones, b.spec.kind, b.spec.loc >= 0) for b in blobs])
    return SyntheticCase(image, mask, text, modality, every, info)


class SyntheticSet:
    """A fixed-length, indexable stream of synthetic cases (generated on access, never stored).

    ``modality="mixed"`` alternates X-ray / CT by index; ``mode="mixed"`` alternates report /
    referring (every other pair of indices when the modality is mixed too, so each modality
    gets both modes). Real lung shapes are loaded once from the cache; when they were never
    fetched (``python -m ssa.data.lung_shapes``) procedural shapes are used, with one warning.
    """

    def __init__(self, n: int, seed: int = 0, modality: str = "xray", mode: str = "report", size: int = 256,
                 convention: str = "radiological", lung_shapes: np.ndarray | None = None,
                 cache_dir: Path | None = None) -> None:
        if int(n) < 0:
            raise ValueError(f"n must be >= 0, got {n!r}")
        if modality not in (*MODALITIES, "mixed"):
            raise ValueError(f"modality must be one of {(*MODALITIES, 'mixed')}, got {modality!r}")
        if mode not in (*MODES, "mixed"):
            raise ValueError(f"mode must be one of {(*MODES, 'mixed')}, got {mode!r}")
        _check(MODALITIES[0], MODES[0], size, convention)  # size and convention
        self.n, self.seed, self.modality, self.mode = int(n), int(seed), modality, mode
        self.size, self.convention = int(size), convention
        if lung_shapes is None and modality != "ct":
            from ssa.data.lung_shapes import load_lung_shapes

            lung_shapes = load_lung_shapes(cache_dir)
            if lung_shapes is None:
                warnings.warn("real lung shapes not cached (run `python -m ssa.data.lung_shapes`); "
                              "using procedural lung outlines", RuntimeWarning, stacklevel=2)
        self.lung_shapes = lung_shapes

    def __len__(self) -> int:
        return self.n

    def kind(self, i: int) -> tuple[str, str]:
        """(modality, mode) of case ``i``."""
        modality = MODALITIES[i % 2] if self.modality == "mixed" else self.modality
        step = i // 2 if self.modality == "mixed" else i
        mode = MODES[step % 2] if self.mode == "mixed" else self.mode
        return modality, mode

    def __getitem__(self, i: int) -> SyntheticCase:
        i = int(i)
        if i < 0:
            i += self.n
        if not 0 <= i < self.n:
            raise IndexError(f"index {i} out of range for {self.n} cases")
        modality, mode = self.kind(i)
        return make_case(i, self.seed, modality, mode, self.size, self.convention, self.lung_shapes)
