"""QaTa-COV19 in the SGSeg repository's layout (224 px images, LViT captions in one JSON file).

Layout (``data/QaTa`` of the public SGSeg repository)::

    images/{train,valid,test}/images/<name>.png
    images/{train,valid,test}/masks/mask_<name>.png      0/255
    prompts/annotation.json    {"train"|"valid"|"test": [{"image_path": "mask_<name>.png",
                                "caption": "...", "pulmonary_infection": 1|2,
                                "infected_area": N, "pseudo_label": [6 zone flags]}, ...]}

Two quirks of the published copy are handled here:

* Many files exist twice, under an upper-case and a lower-case name with the same bytes
  (``sub-S08047_...png`` and ``sub-s08047_...png``); the annotation keys are lower case. Files
  are matched case-insensitively; a pair whose bytes differ is reported, never guessed.
* The captions name sides as the *viewer* sees them (measured with
  ``python -m ssa.data.check_laterality``); the reader returns them as published, and
  :mod:`ssa.data.text_convention` converts them.
"""

from __future__ import annotations

import json
from pathlib import Path

from ssa.data.samples import Sample
from ssa.data.tables import IMAGE_EXTS, normalise_key

# Our split names -> the SGSeg folder / JSON key.
SGSEG_SPLITS = {"train": "train", "val": "valid", "test": "test"}

SGSEG_HINT = (
    "SGSeg layout: images/{train,valid,test}/{images,masks}/ + prompts/annotation.json"
)


def is_sgseg(root: Path) -> bool:
    """True when ``root`` looks like SGSeg's ``data/QaTa`` folder."""
    return (root / "prompts" / "annotation.json").is_file() or (root / "images" / "train" / "images").is_dir()


def _same_bytes(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    return a.read_bytes() == b.read_bytes()


def index_case_insensitive(folder: Path, problems: list[str]) -> dict[str, Path]:
    """``lower-case key -> file`` of the images in ``folder``; case twins resolved once.

    When two names differ only in case, the lower-case one is kept if their bytes are equal;
    if they differ, both are reported and neither is used (which one is right is unknown).
    """
    if not folder.is_dir():
        return {}
    groups: dict[str, list[Path]] = {}
    for p in folder.iterdir():
        if p.is_file() and p.suffix.lower() in IMAGE_EXTS and not p.name.startswith("."):
            groups.setdefault(normalise_key(p.name).lower(), []).append(p)
    found: dict[str, Path] = {}
    for key, paths in groups.items():
        # Lower-case name first: it is the one the annotation file names.
        paths.sort(key=lambda p: (p.name != p.name.lower(), p.name))
        first = paths[0]
        twins = [p for p in paths[1:] if not _same_bytes(first, p)]
        if twins:
            names = ", ".join(p.name for p in [first, *twins])
            problems.append(f"files differing only in case hold different bytes in {folder}: {names}")
            continue
        found[key] = first
    return found


def _annotation_rows(path: Path, split_key: str, problems: list[str]) -> list[dict] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"unreadable annotation file {path}: {type(exc).__name__}: {exc}")
        return None
    if not isinstance(data, dict) or split_key not in data:
        keys = sorted(data) if isinstance(data, dict) else type(data).__name__
        problems.append(f"{path}: no {split_key!r} list (found {keys})")
        return None
    rows = data[split_key]
    if not isinstance(rows, list):
        problems.append(f"{path}: {split_key!r} is not a list")
        return None
    return rows


def read_sgseg(root: Path, split: str, problems: list[str]) -> list[Sample]:
    """The ``split`` ("train" | "val" | "test") of QaTa-COV19 in the SGSeg layout.

    Every problem (missing folder, file, caption; unreadable JSON; case twins with different
    bytes; an image without an annotation row) is appended to ``problems``.
    """
    folder = SGSEG_SPLITS[split]
    annotation = root / "prompts" / "annotation.json"
    image_dir, mask_dir = root / "images" / folder / "images", root / "images" / folder / "masks"
    for d in (image_dir, mask_dir):
        if not d.is_dir():
            problems.append(f"folder not found: {d}")
    if not annotation.is_file():
        problems.append(f"annotation file not found: {annotation}")
        return []
    rows = _annotation_rows(annotation, folder, problems)
    if rows is None:
        return []
    images = index_case_insensitive(image_dir, problems)
    masks = index_case_insensitive(mask_dir, problems)

    samples: list[Sample] = []
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"{annotation} [{folder!r}][{i}]"
        name = row.get("image_path") if isinstance(row, dict) else None
        caption = row.get("caption") if isinstance(row, dict) else None
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: no image_path")
            continue
        key = normalise_key(name).lower()
        if key in seen:
            problems.append(f"{where}: {name!r} is listed twice")
            continue
        seen.add(key)
        if not isinstance(caption, str) or not caption.strip():
            problems.append(f"{where}: empty caption for {name!r}")
        image, mask = images.get(key), masks.get(key)
        if image is None:
            problems.append(f"missing image for {key!r}: expected {image_dir / (key + '.png')}")
        if mask is None:
            problems.append(f"missing mask for {key!r}: expected {mask_dir / ('mask_' + key + '.png')}")
        if image is not None and mask is not None and isinstance(caption, str) and caption.strip():
            samples.append(Sample(image=image, mask=mask, text=caption.strip(), modality="xray", key=key))
    for key in sorted(set(images) - seen):
        problems.append(f"image without an annotation row: {images[key]} (not in {annotation} [{folder!r}])")
    return samples
