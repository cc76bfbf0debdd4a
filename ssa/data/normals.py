"""Normal (healthy) frontal chest X-rays: find them in a public set's own layout, split them.

:func:`read_normal_xrays` lists the image files only (no pixels are read), keeps the normals by
the set's own labelling and returns one split of them, sorted.

Layouts (detected from what exists under the root, searched at any depth):

* **class folders**: images in a folder named ``Normal`` / ``NORMAL`` (or in its ``images/``
  subfolder); sibling class folders (``COVID``, ``PNEUMONIA``, ``Tuberculosis`` ...) are
  abnormal and skipped. Covers the COVID-19 Radiography Database
  (``COVID-19_Radiography_Dataset/Normal/Normal-1.png``; ``Normal/images/`` in later releases),
  the TB Chest X-ray Database (``TB_Chest_Radiography_Database/Normal/``) and Kermany et al.'s
  ``chest_xray/{train,val,test}/NORMAL/IM-0115-0001.jpeg``.
* **Montgomery County / Shenzhen TB sets**: ``MCUCXR_0001_0.png`` / ``CHNCXR_0001_0.png`` (in
  ``CXR_png/``); the suffix ``_0`` is normal, ``_1`` tuberculosis.

Anything under a folder whose name contains "mask" is skipped: Montgomery's lung masks
(``ManualMask/leftMask/MCUCXR_0001_0.png``) carry the images' own names.

Children are left out where a set is known to mix them in: in the COVID-19 Radiography
Database's ``Normal/`` folder, ``Normal-63`` .. ``Normal-1403`` are Kermany et al.'s 1,341
paediatric normals (:data:`PAEDIATRIC`; found by matching every image of that block to one of
Kermany's ``train/NORMAL`` images at correlation >= 0.9999 on a 16 x 16 thumbnail, next best
outside the block 0.86; the database's metadata file puts them at 8852-10192, which the images
contradict). ``<root>/exclude.txt`` (optional): further image ids (file stems) to drop, one a
line, ``#`` comments.

Splits: 70 / 10 / 20 % (train / val / test) by a seeded SHA-256 of the *patient* id, so a
patient's images share a split, each image's split does not depend on which others exist, and
the test split stays held out for a given seed. Published splits are not used: one rule serves
every layout (and Kermany's published ``val`` holds 8 normals).

The copy on this machine, ``~/data/normals/covid19-radiography/``: the COVID-19 Radiography
Database, 2nd update (Qatar University, University of Dhaka and collaborators), from GitHub
``rtchanon/Machine-Learning-for-COVID-19-detection-from-chest-X-RAYS`` at commit 744af36,
``COVID-19_Radiography_Dataset/{Normal,COVID}/``. 10,192 normals, which that repository resized
in place to 224 x 224 RGB (grey in three channels; the database ships 299 x 299); 3,616 COVID-19
images (not used). 8,851 normals are adults from the RSNA Pneumonia Detection Challenge (NIH
ChestX-ray14 images), kept; the 1,341 paediatric ones are dropped (above).

Licence: the database's README states none; its normals come from the RSNA challenge (Kaggle
competition data; NIH ChestX-ray14 was released by the NIH Clinical Center without use
restrictions) and from Kermany et al. (CC BY 4.0). Credit the publishers ask for: cite
M.E.H. Chowdhury et al., "Can AI help in screening Viral and COVID-19 pneumonia?", IEEE Access 8
(2020) 132665-132676, and T. Rahman et al., "Exploring the Effect of Image Enhancement Techniques
on COVID-19 Detection using Chest X-ray Images", arXiv:2012.02238 (2020).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ssa.data.samples import DatasetError
from ssa.data.tables import IMAGE_EXTS

SPLITS = ("train", "val", "test")
# Share of patients in each split, as [low, high) of a patient's hash fraction.
SPLIT_BOUNDS = {"train": (0.0, 0.7), "val": (0.7, 0.8), "test": (0.8, 1.0)}
EXCLUDE_FILE = "exclude.txt"
# Paediatric images inside a set's normal folder, by the folder above it: (folder, ids).
PAEDIATRIC = (("COVID-19_Radiography_Dataset", frozenset(f"Normal-{i}" for i in range(63, 1404))),)

_NORMAL_DIR = "normal"
_TB_NAME = re.compile(r"^(?P<patient>(?:MCUCXR|CHNCXR)_\d+)_(?P<label>[01])$", re.IGNORECASE)
# Names that reveal a patient: Kermany "IM-0115-0001" / "NORMAL2-IM-1427-0001" (patient, image),
# NIH ChestX-ray14 "00000013_005" (patient, follow-up).
_PATIENT = (re.compile(r"^(.*IM-\d+)-\d+$", re.IGNORECASE), re.compile(r"^(\d{8})_\d{3}$"))

LAYOUT_HINTS = (
    "class folders: images in a folder named Normal or NORMAL (or its images/ subfolder), e.g. "
    "COVID-19_Radiography_Dataset/Normal/Normal-1.png or chest_xray/train/NORMAL/IM-0115-0001.jpeg",
    "Montgomery / Shenzhen: MCUCXR_0001_0.png or CHNCXR_0001_0.png (suffix _0 = normal), e.g. in "
    "CXR_png/",
)


def patient_id(path: Path) -> str:
    """The patient an image belongs to, from its name; the file stem when the name says none."""
    stem = path.stem
    tb = _TB_NAME.match(stem)
    if tb:
        return tb["patient"].upper()
    for pattern in _PATIENT:
        m = pattern.match(stem)
        if m:
            return m[1]
    return stem


def split_of(patient: str, seed: int = 0) -> str:
    """``"train"`` / ``"val"`` / ``"test"`` for a patient id (stable across machines and runs)."""
    digest = hashlib.sha256(f"{seed}:{patient}".encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return next(s for s, (lo, hi) in SPLIT_BOUNDS.items() if lo <= fraction < hi)


def _is_normal(rel: Path) -> bool:
    """Whether an image at ``rel`` (relative to the root) is normal by its set's labelling."""
    folders = [p.lower() for p in rel.parts[:-1]]
    if any("mask" in f for f in folders):
        return False
    tb = _TB_NAME.match(rel.stem)
    if tb:
        return tb["label"] == "0"
    if folders and folders[-1] == "images":  # Normal/images/ beside Normal/masks/
        folders = folders[:-1]
    return bool(folders) and folders[-1] == _NORMAL_DIR


def _excluded_ids(root: Path) -> set[str]:
    path = root / EXCLUDE_FILE
    if not path.is_file():
        return set()
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return {line for line in lines if line}


def _paediatric(path: Path) -> bool:
    return any(folder in path.parts and path.stem in ids for folder, ids in PAEDIATRIC)


def find_normal_xrays(root: str | Path) -> list[Path]:
    """Every normal image under ``root`` (all splits), sorted; raises when there are none."""
    root = Path(root).expanduser().absolute()
    title = f"normal chest X-rays at {root}"
    if not root.is_dir():
        raise DatasetError(title, [f"data root does not exist: {root}"])
    found = sorted(
        p
        for p in root.rglob("*")
        # "._x.png" files are macOS resource forks, not images.
        if p.suffix.lower() in IMAGE_EXTS
        and not p.name.startswith(".")
        and p.is_file()
        and _is_normal(p.relative_to(root))
    )
    excluded = _excluded_ids(root)
    kept = [p for p in found if p.stem not in excluded and not _paediatric(p)]
    if not kept:
        problems = [f"looked for {hint}" for hint in LAYOUT_HINTS]
        if found:
            problems.insert(
                0, f"all {len(found)} normal images are listed in {root / EXCLUDE_FILE}"
            )
        raise DatasetError(title, problems, summary=f"{title}: no normal images found")
    return kept


def read_normal_xrays(root: str | Path, split: str = "train", seed: int = 0) -> list[Path]:
    """The normal chest X-rays of one split (70/10/20 by seeded patient hash), sorted.

    Raises:
        ValueError: ``split`` is not one of :data:`SPLITS`.
        DatasetError: ``root`` is missing, or holds no normal image in a known layout.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return [p for p in find_normal_xrays(root) if split_of(patient_id(p), seed) == split]
