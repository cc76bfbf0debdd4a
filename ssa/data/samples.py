"""A dataset case (:class:`Sample`), the error that lists every problem at once, and the
matching of a split's keys to text rows, image files and mask files.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ssa.data.tables import IMAGE_EXTS, TextTable, normalise_key, read_ids

MAX_LISTED = 50  # problems printed in a DatasetError message; `.problems` keeps them all


@dataclass(frozen=True)
class Sample:
    """One (image, mask, text) triple; paths are absolute, nothing is loaded.

    ``mask`` None: a negative case (:mod:`ssa.data.negatives`), its target an empty mask.
    """

    image: Path
    mask: Path | None
    text: str
    modality: str  # "xray" | "ct"
    key: str  # normalised case name (e.g. "covid_1"), unique within a split
    # A referring case derived from a two-sided one (ssa.data.referring): only the image half
    # "left" | "right" of the mask is kept, split at column ``midline`` x width.
    keep_half: str | None = None
    midline: float | None = None


class DatasetError(ValueError):
    """A dataset that cannot be read as a whole; lists every problem found, with paths.

    Attributes:
        title: what was read, e.g. ``"QaTa-COV19 (LViT layout) at /data/qata"``.
        problems: every problem, one line each (the message shows the first ``MAX_LISTED``).
    """

    def __init__(self, title: str, problems: Sequence[str], summary: str | None = None):
        self.title = title
        self.problems = list(problems)
        n = len(self.problems)
        lines = [summary or f"{title}: {n} problem{'' if n == 1 else 's'}"]
        lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
        if n > MAX_LISTED:
            lines.append(f"  ... and {n - MAX_LISTED} more")
        super().__init__("\n".join(lines))
        self._summary = summary

    # The custom __init__ signature breaks default pickling (DataLoader workers re-raise by pickling).
    def __reduce__(self):
        return (type(self), (self.title, self.problems, self._summary))


def find_file(name: str, dirs: Iterable[Path]) -> Path | None:
    """First ``dir/name`` that exists, matching the name case-insensitively."""
    for d in dirs:
        if (d / name).is_file():
            return d / name
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.name.lower() == name.lower():
                    return p
    return None


def index_files(folder: Path) -> dict[str, Path]:
    """``key -> path`` of the image files directly in ``folder`` ({} if it does not exist).

    On a key clash a ``mask_`` name wins over a bare one and ``.png`` over other extensions,
    so the result does not depend on the file system's listing order.
    """
    if not folder.is_dir():
        return {}
    files = [p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXTS and p.is_file()]
    files.sort(
        key=lambda p: (not p.name.lower().startswith("mask_"), p.suffix.lower() != ".png", p.name)
    )
    found: dict[str, Path] = {}
    for p in files:
        if not p.name.startswith("."):  # macOS "._x.png" resource forks are not images
            found.setdefault(normalise_key(p.name), p)
    return found


@dataclass
class ImageFolder:
    """Where a split's images and masks live, and how a missing image or mask should be named.

    ``mask_names``: ``key -> mask file name`` where a text table names the mask file (the
    ``Image`` column of GuideDecoder's CSVs; the image is that name without ``mask_``). Other
    keys are reported as ``{key}.png`` and ``{mask_prefix}{key}.png``.
    """

    images: Path
    masks: Path
    mask_prefix: str = "mask_"
    mask_names: Mapping[str, str] | None = None

    def expected_names(self, key: str) -> tuple[str, str]:
        """The file names a missing image and mask of ``key`` are reported under."""
        mask = (self.mask_names or {}).get(key)
        if mask is None:
            return f"{key}.png", f"{self.mask_prefix}{key}.png"
        return (mask[len("mask_") :] if mask.lower().startswith("mask_") else mask), mask


def collect_samples(
    keys: Iterable[str],
    texts: TextTable,
    folders: Sequence[ImageFolder],
    modality: str,
    problems: list[str],
    expected: set[str] | None = None,
) -> list[Sample]:
    """Match a split's keys to text, image and mask; report whatever is missing.

    Args:
        keys: the split's keys (text rows, or a split file's list).
        texts: the text rows; a key without a row is a problem.
        folders: folders searched in order for the key's image and mask.
        expected: keys that belong to *some* split of this text source; images in ``folders``
            outside it are reported as "without a text row". Default: ``texts.seen``.
    """
    images: dict[str, Path] = {}
    masks: dict[str, Path] = {}
    for f in folders:
        for k, p in index_files(f.images).items():
            images.setdefault(k, p)
        for k, p in index_files(f.masks).items():
            masks.setdefault(k, p)
    # One missing folder would otherwise surface only as thousands of "missing image" lines.
    for kind in ("images", "masks"):
        dirs = [getattr(f, kind) for f in folders]
        if dirs and not any(d.is_dir() for d in dirs):
            problems.append(f"{kind} folder not found: {' or '.join(map(str, dirs))}")

    samples = []
    for key in sorted(set(keys)):
        text = texts.texts.get(key)
        if key not in texts.seen:
            problems.append(f"no text row for {key!r} in {texts.describe()}")
        image, mask = images.get(key), masks.get(key)
        if image is None:
            where = " or ".join(str(f.images / f.expected_names(key)[0]) for f in folders)
            problems.append(f"missing image for {key!r}: expected {where}")
        if mask is None:
            where = " or ".join(str(f.masks / f.expected_names(key)[1]) for f in folders)
            problems.append(f"missing mask for {key!r}: expected {where}")
        if text and image is not None and mask is not None:
            samples.append(Sample(image=image, mask=mask, text=text, modality=modality, key=key))

    known = texts.seen if expected is None else expected
    for key in sorted(set(images) - known):
        problems.append(f"image without a text row: {images[key]} (not in {texts.describe()})")
    return samples


def split_keys(
    texts: TextTable, id_files: dict[str, Path | None], split: str, problems: list[str]
) -> tuple[list[str], set[str]]:
    """Keys of ``split`` ("train"/"val") from LViT's Train_ID / Val_ID files.

    With only one of the two files, the other split is the rest of the text workbook. Returns
    the split's keys and every key in either split (for the "image without text" check).
    """
    ids = {s: read_ids(p, problems) if p else None for s, p in id_files.items()}
    if ids["train"] is None:
        val = set(ids["val"] or ())
        ids["train"] = [k for k in texts.seen if k not in val]
    if ids["val"] is None:
        train = set(ids["train"])
        ids["val"] = [k for k in texts.seen if k not in train]
    listed = set(ids["train"]) | set(ids["val"])
    names = " nor ".join(str(p) for p in id_files.values() if p)
    for key in sorted(texts.seen - listed):
        problems.append(f"text row {key!r} of {texts.describe()} is in neither {names}")
    return ids[split], listed | texts.seen
