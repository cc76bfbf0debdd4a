"""Dataset readers: QaTa-COV19 and MosMedData+ folder layouts, and bring-your-own CSV files.

Every reader returns a sorted list of :class:`Sample` (paths + text + modality) and touches no
pixels, so a broken dataset is reported in seconds, before training starts. Readers collect
*every* problem they find (missing images, missing masks, missing text rows, unreadable
workbooks, bad CSV columns) and raise them together in one :class:`DatasetError`: fixing a
9000-image dataset one error per run is not an option.

Layouts (detected from what exists under the data root, see DESIGN.md §4):

* LViT:       ``{Train,Val,Test}_Folder/{img/, labelcol/, *_text.xlsx}`` (QaTa and MosMed),
              optionally with LViT's downloaded ``Train_text_for_Covid19.xlsx``,
              ``Test_text_for_Covid19.xlsx`` and ``Train_ID.xlsx`` / ``Val_ID.xlsx``.
* raw Kaggle: ``{Train Set,Test Set}/{Images, Ground-truths}/`` + the LViT workbooks (QaTa).
* prompt:     ``{Train,Test}/{Images,GTs}/`` + ``prompt/{train,val,test}.csv`` (QaTa).
* CSV:        ``image,mask,text[,modality]`` with paths relative to the CSV file.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
SPLITS = ("train", "val", "test")
MODALITIES = ("xray", "ct")
MAX_LISTED = 50  # problems printed in a DatasetError message; `.problems` keeps them all

# Header aliases, lower-case. LViT workbooks say Image/Description; the prompt-layout CSVs of
# other repos say image/text or image/prompt.
_KEY_COLUMNS = ("image",)
_TEXT_COLUMNS = ("description", "text", "prompt")

_LVIT_FOLDERS = {"train": "Train_Folder", "val": "Val_Folder", "test": "Test_Folder"}
_QATA_TEXT = {"train": "Train_text_for_Covid19.xlsx", "test": "Test_text_for_Covid19.xlsx"}
_ID_FILES = {"train": "Train_ID.xlsx", "val": "Val_ID.xlsx"}
_LVIT_HINT = (
    "LViT layout: Train_Folder/, Val_Folder/, Test_Folder/ with img/, labelcol/, *_text.xlsx"
)


@dataclass(frozen=True)
class Sample:
    """One (image, mask, text) triple; paths are absolute, nothing is loaded."""

    image: Path
    mask: Path
    text: str
    modality: str  # "xray" | "ct"
    key: str  # normalised case name (e.g. "covid_1"), unique within a split


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


# --------------------------------------------------------------------------- small helpers


def _cell_text(value: object) -> str:
    """A spreadsheet / CSV cell as stripped text; None, NaN and "nan" become ""."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():  # Excel stores a numeric name like 17 as 17.0
            return str(int(value))
    text = str(value).strip()
    return "" if text.lower() == "nan" else text  # pandas round-trips a missing value as "nan"


def normalise_key(name: object) -> str:
    """Case key of a file name or workbook cell: no directory, no image extension, no ``mask_``.

    ``"labelcol/mask_covid_1.png"``, ``"mask_covid_1"``, ``"covid_1.png"`` and ``"covid_1"`` all
    give ``"covid_1"``. Only image extensions are stripped, so names with dots survive.
    """
    base = _cell_text(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, ext = base.rpartition(".")
    if dot and stem and f".{ext.lower()}" in IMAGE_EXTS:
        base = stem
    if base.lower().startswith("mask_"):
        base = base[len("mask_") :]
    return base


def _find(name: str, dirs: Iterable[Path]) -> Path | None:
    """First ``dir/name`` that exists, matching the name case-insensitively."""
    for d in dirs:
        if (d / name).is_file():
            return d / name
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file() and p.name.lower() == name.lower():
                    return p
    return None


def _index_files(folder: Path) -> dict[str, Path]:
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


def _column(header: Sequence[str], names: Sequence[str]) -> int | None:
    """Index of the first header cell (case-insensitive) among ``names``, else None."""
    lowered = [h.strip().lower() for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    return None


def _at(row: Sequence[object], i: int) -> str:
    return _cell_text(row[i]) if i < len(row) else ""


@dataclass
class _Texts:
    """Text rows of one split: ``texts`` holds the good rows (first wins on duplicates) and
    ``seen`` every key that has a row at all, so a row already reported as bad (empty
    description) is not reported a second time as "image without a text row"."""

    texts: dict[str, str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    sources: list[Path] = field(default_factory=list)

    def add_rows(
        self,
        source: Path,
        header: Sequence[object],
        rows: Iterable[tuple[int, Sequence[object]]],
        problems: list[str],
    ) -> None:
        """Add ``(line_number, row)`` pairs read from ``source`` below ``header``."""
        self.sources.append(source)
        head = [_cell_text(h) for h in header]
        ki, ti = _column(head, _KEY_COLUMNS), _column(head, _TEXT_COLUMNS)
        if ki is None or ti is None:
            problems.append(
                f"{source}: needs columns Image and Description (or image,text / image,prompt); found {head}"
            )
            return
        for line, row in rows:
            raw, text = _at(row, ki), _at(row, ti)
            if not raw and not text:
                continue  # blank rows are common at the end of hand-edited sheets
            if not raw:
                problems.append(f"{source} row {line}: empty Image cell (text {text[:40]!r})")
                continue
            key = normalise_key(raw)
            self.seen.add(key)
            if not text:
                problems.append(f"{source} row {line}: empty Description for {raw!r}")
                continue
            self.texts.setdefault(key, text)

    def describe(self) -> str:
        return ", ".join(str(s) for s in self.sources) or "no text file"


def _read_sheet(path: Path, problems: list[str]) -> list[tuple[object, ...]] | None:
    """All rows of the first sheet of an .xlsx file; None (and a problem) if unreadable."""
    try:
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            # Some writers store a wrong sheet size; read-only mode would trust it and truncate.
            sheet.reset_dimensions()
            return list(sheet.iter_rows(values_only=True))
        finally:
            book.close()
    except Exception as exc:  # a corrupt or non-xlsx file: report it with the others
        problems.append(f"unreadable workbook {path}: {type(exc).__name__}: {exc}")
        return None


def _read_csv_rows(path: Path, problems: list[str]) -> list[list[str]] | None:
    """All rows of a CSV file (BOM tolerated); None (and a problem) if unreadable."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return list(csv.reader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"unreadable CSV {path}: {type(exc).__name__}: {exc}")
        return None


def _add_table(texts: _Texts, path: Path, problems: list[str]) -> None:
    """Add the rows of a text workbook (.xlsx) or CSV file to ``texts``."""
    reader = _read_csv_rows if path.suffix.lower() == ".csv" else _read_sheet
    rows = reader(path, problems)
    if rows is None:
        return
    if not rows:
        problems.append(f"{path}: empty file (no header row)")
        return
    texts.add_rows(path, rows[0], enumerate(rows[1:], start=2), problems)


def _read_ids(path: Path, problems: list[str]) -> list[str]:
    """Keys in the first column of a split file (Train_ID.xlsx); its header may be any name.

    A first cell that looks like a file name is taken as data: some split files have no header.
    """
    rows = _read_sheet(path, problems) or []
    if rows and not (_cell_text(rows[0][0] if rows[0] else "").lower().endswith(IMAGE_EXTS)):
        rows = rows[1:]
    keys = (normalise_key(r[0]) for r in rows if r and _cell_text(r[0]))
    return list(dict.fromkeys(keys))  # ordered de-duplication


# --------------------------------------------------------------------------- matching


@dataclass
class _Folder:
    """Where a split's images and masks live, and how a missing mask should be named."""

    images: Path
    masks: Path
    mask_prefix: str = "mask_"


def _collect(
    keys: Iterable[str],
    texts: _Texts,
    folders: Sequence[_Folder],
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
        for k, p in _index_files(f.images).items():
            images.setdefault(k, p)
        for k, p in _index_files(f.masks).items():
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
            where = " or ".join(str(f.images / f"{key}.png") for f in folders)
            problems.append(f"missing image for {key!r}: expected {where}")
        if mask is None:
            where = " or ".join(str(f.masks / f"{f.mask_prefix}{key}.png") for f in folders)
            problems.append(f"missing mask for {key!r}: expected {where}")
        if text and image is not None and mask is not None:
            samples.append(Sample(image=image, mask=mask, text=text, modality=modality, key=key))

    known = texts.seen if expected is None else expected
    for key in sorted(set(images) - known):
        problems.append(f"image without a text row: {images[key]} (not in {texts.describe()})")
    return samples


def _split_keys(
    texts: _Texts, id_files: dict[str, Path | None], split: str, problems: list[str]
) -> tuple[list[str], set[str]]:
    """Keys of ``split`` ("train"/"val") from LViT's Train_ID / Val_ID files.

    With only one of the two files, the other split is the rest of the text workbook. Returns
    the split's keys and every key in either split (for the "image without text" check).
    """
    ids = {s: _read_ids(p, problems) if p else None for s, p in id_files.items()}
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


# --------------------------------------------------------------------------- layouts


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _folder_texts(folder: Path, problems: list[str], required: bool) -> _Texts | None:
    """Text rows of an LViT split folder (``*_text.xlsx``, else any ``*text*.xlsx``)."""
    if not folder.is_dir():
        return None
    # "~$Train_text.xlsx" is the lock file Excel leaves next to an open workbook.
    books = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$"))
    chosen = [p for p in books if p.stem.lower().endswith("_text")] or [
        p for p in books if "text" in p.name.lower()
    ]
    if not chosen:
        if required:
            problems.append(f"no text workbook (*_text.xlsx) in {folder}")
        return None
    texts = _Texts()
    for path in chosen:
        _add_table(texts, path, problems)
    return texts


def _qata_lvit(root: Path, split: str, problems: list[str]) -> list[Sample]:
    folders = {s: root / name for s, name in _LVIT_FOLDERS.items()}
    own = _Folder(folders[split] / "img", folders[split] / "labelcol")
    trainval = [_Folder(folders[s] / "img", folders[s] / "labelcol") for s in ("train", "val")]
    id_dirs = [root, folders["train"], folders["val"]]
    id_files = {s: _find(name, id_dirs) for s, name in _ID_FILES.items()}
    combined_name = _QATA_TEXT["test" if split == "test" else "train"]
    combined_dirs = [root, folders[split]] + ([] if split == "test" else id_dirs[1:])

    if split != "test" and any(id_files.values()):
        # Downloaded-files variant: the split files decide membership; the text comes from the
        # combined workbook (or, failing that, from both folders' own workbooks).
        texts = _Texts()
        combined = _find(combined_name, combined_dirs)
        if combined:
            _add_table(texts, combined, problems)
        else:
            for s in ("train", "val"):
                part = _folder_texts(folders[s], problems, required=False)
                if part:
                    texts.sources += part.sources
                    texts.seen |= part.seen
                    for k, v in part.texts.items():
                        texts.texts.setdefault(k, v)
            if not texts.sources:
                problems.append(
                    f"no text workbook: expected {combined_name} in {root} or *_text.xlsx in the split folders"
                )
        keys, expected = _split_keys(texts, id_files, split, problems)
        return _collect(keys, texts, trainval, "xray", problems, expected=expected)

    texts = _folder_texts(folders[split], problems, required=False)
    if texts is not None:
        return _collect(texts.texts, texts, [own], "xray", problems)
    # No workbook in the folder: the combined workbook holds this split's rows *and* (for
    # train/val) the other split's, so the folder's images decide membership.
    combined = _find(combined_name, combined_dirs)
    if combined is None:
        problems.append(
            f"no text workbook: expected *_text.xlsx in {folders[split]} or {combined_name} in {root}"
        )
        return []
    texts = _Texts()
    _add_table(texts, combined, problems)
    # Search this split's folder first, then its sibling: a row whose image is in neither is
    # reported once per split with both expected paths, and its mask is found wherever it is.
    search = [own] + ([] if split == "test" else [f for f in trainval if f.images != own.images])
    elsewhere = set().union(*(_index_files(f.images) for f in search))
    mine = set(_index_files(own.images))
    keys = [k for k in texts.seen if k in mine or k not in elsewhere]
    return _collect(keys, texts, search, "xray", problems, expected=texts.seen)


def _qata_kaggle(root: Path, split: str, problems: list[str]) -> list[Sample]:
    set_dir = root / ("Test Set" if split == "test" else "Train Set")
    folder = _Folder(set_dir / "Images", set_dir / "Ground-truths")
    name = _QATA_TEXT["test" if split == "test" else "train"]
    texts = _Texts()
    book = _find(name, [root, set_dir, root / "Train Set", root / "Test Set"])
    if book is None:
        problems.append(f"text workbook not found: expected {root / name} or {set_dir / name}")
    else:
        _add_table(texts, book, problems)
    if split == "test":
        return _collect(texts.texts, texts, [folder], "xray", problems)
    id_files = {s: _find(n, [root, set_dir]) for s, n in _ID_FILES.items()}
    if not any(id_files.values()):
        if split == "val":
            problems.append(
                f"no val split in this layout: put LViT's Val_ID.xlsx (and Train_ID.xlsx) in {root}"
            )
            return []
        return _collect(texts.texts, texts, [folder], "xray", problems)
    keys, expected = _split_keys(texts, id_files, split, problems)
    return _collect(keys, texts, [folder], "xray", problems, expected=expected)


def _qata_prompt(root: Path, split: str, problems: list[str]) -> list[Sample]:
    prompt = root / "prompt"
    table = _find(f"{split}.csv", [prompt])
    if table is None:
        what = "no val split in this layout" if split == "val" else "text file not found"
        problems.append(f"{what}: expected {prompt / f'{split}.csv'}")
        return []
    texts = _Texts()
    _add_table(texts, table, problems)
    if split == "test":
        folders = [_Folder(root / "Test" / "Images", root / "Test" / "GTs")]
        return _collect(texts.texts, texts, folders, "xray", problems)
    # val images usually sit in Train/; an image is "without text" only if no CSV names it.
    folders = [
        _Folder(root / d / "Images", root / d / "GTs")
        for d in ("Train", "Val")
        if d == "Train" or (root / d).is_dir()
    ]
    expected = set(texts.seen)
    for other in ("train", "val"):
        path = _find(f"{other}.csv", [prompt])
        if other != split and path is not None:
            extra = _Texts()
            _add_table(extra, path, [])  # its own problems are reported when that split is read
            expected |= extra.seen
    return _collect(texts.texts, texts, folders, "xray", problems, expected=expected)


_QATA_LAYOUTS = (
    (
        "LViT layout",
        lambda r: any((r / d).is_dir() for d in _LVIT_FOLDERS.values()),
        _qata_lvit,
        _LVIT_HINT,
    ),
    (
        "raw Kaggle layout",
        lambda r: (r / "Train Set").is_dir() or (r / "Test Set").is_dir(),
        _qata_kaggle,
        "raw Kaggle layout: 'Train Set/', 'Test Set/' with Images/, Ground-truths/"
        " + Train_text_for_Covid19.xlsx, Test_text_for_Covid19.xlsx",
    ),
    (
        "prompt layout",
        lambda r: (r / "prompt").is_dir() or (r / "Train" / "Images").is_dir(),
        _qata_prompt,
        "prompt layout: Train/, Test/ with Images/, GTs/ + prompt/{train,val,test}.csv",
    ),
)


def _raise_if(title: str, split: str | None, problems: list[str]) -> None:
    """Raise one DatasetError for all ``problems`` (if any); the summary names the split."""
    if problems:
        n = len(problems)
        where = f" in the {split} split" if split else ""
        raise DatasetError(
            title, problems, summary=f"{title}: {n} problem{'' if n == 1 else 's'}{where}"
        )


def read_qata(root: str | Path, split: str = "train") -> list[Sample]:
    """QaTa-COV19 chest X-rays (text from LViT) in any of the three known layouts.

    Raises:
        DatasetError: no layout recognised, or the layout found has problems (all listed).
    """
    _check_split(split)
    root = Path(root).expanduser().absolute()
    if not root.is_dir():
        raise DatasetError(f"QaTa-COV19 at {root}", [f"data root does not exist: {root}"])
    for name, matches, reader, _ in _QATA_LAYOUTS:
        if matches(root):
            problems: list[str] = []
            samples = reader(root, split, problems)
            _raise_if(f"QaTa-COV19 ({name}) at {root}", split, problems)
            return sorted(samples, key=lambda s: s.key)
    looked = [f"looked for {hint}" for *_, hint in _QATA_LAYOUTS]
    raise DatasetError(
        f"QaTa-COV19 at {root}", looked, summary=f"QaTa-COV19 at {root}: no known layout found"
    )


def read_mosmed(root: str | Path, split: str = "train") -> list[Sample]:
    """MosMedData+ CT slices in the LViT layout; mask and image share their file name."""
    _check_split(split)
    root = Path(root).expanduser().absolute()
    title = f"MosMedData+ (LViT layout) at {root}"
    if not root.is_dir():
        raise DatasetError(title, [f"data root does not exist: {root}"])
    if not any((root / d).is_dir() for d in _LVIT_FOLDERS.values()):
        summary = f"MosMedData+ at {root}: no known layout found"
        raise DatasetError(title, [f"looked for {_LVIT_HINT}"], summary=summary)
    folder = root / _LVIT_FOLDERS[split]
    problems: list[str] = []
    if not folder.is_dir():
        problems.append(f"split folder not found: {folder}")
        texts = None
    else:
        texts = _folder_texts(folder, problems, required=True)
    samples = []
    if texts is not None:
        own = _Folder(folder / "img", folder / "labelcol", mask_prefix="")
        samples = _collect(texts.texts, texts, [own], "ct", problems)
    _raise_if(title, split, problems)
    return sorted(samples, key=lambda s: s.key)


def read_csv(csv_path: str | Path) -> list[Sample]:
    """Bring-your-own CSV: columns ``image,mask,text`` and optional ``modality`` (xray|ct).

    Relative paths are relative to the CSV's folder. The key is the image's normalised file
    name; when two different images share it, their paths (relative, no extension) are used.
    """
    path = Path(csv_path).expanduser().absolute()
    title = f"CSV dataset at {path}"
    problems: list[str] = []
    rows = _read_csv_rows(path, problems) if path.is_file() else None
    if rows is None:
        raise DatasetError(title, problems or [f"CSV file not found: {path}"])
    head = [h.strip() for h in (rows[0] if rows else [])]
    cols = {
        c: _column(head, names)
        for c, names in (
            ("image", ("image",)),
            ("mask", ("mask",)),
            ("text", ("text", "description", "prompt")),
            ("modality", ("modality",)),
        )
    }
    if None in (cols["image"], cols["mask"], cols["text"]):
        raise DatasetError(
            title, [f"{path}: needs columns image, mask, text (optional modality); found {head}"]
        )

    def resolve(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else path.parent / p

    found: dict[Path, tuple[Path, str, str]] = {}  # image -> (mask, text, modality); first row wins
    for line, row in enumerate(rows[1:], start=2):
        image_s, mask_s, text = (_at(row, cols[c]) for c in ("image", "mask", "text"))
        if not (image_s or mask_s or text):
            continue
        modality = (_at(row, cols["modality"]) if cols["modality"] is not None else "") or "xray"
        bad = []
        if modality.lower() not in MODALITIES:
            bad.append(f"{path} row {line}: modality {modality!r} is not one of {MODALITIES}")
        if not text:
            bad.append(f"{path} row {line}: empty text")
        for what, value in (("image", image_s), ("mask", mask_s)):
            if not value:
                bad.append(f"{path} row {line}: empty {what} cell")
            elif not resolve(value).is_file():
                bad.append(f"{path} row {line}: missing {what} {resolve(value)}")
        problems += bad
        if not bad:
            found.setdefault(resolve(image_s), (resolve(mask_s), text, modality.lower()))
    _raise_if(title, None, problems)

    stems: dict[str, int] = {}
    for image in found:
        stems[normalise_key(image.name)] = stems.get(normalise_key(image.name), 0) + 1
    samples = []
    for image, (mask, text, modality) in found.items():
        key = normalise_key(image.name)
        if stems[key] > 1:
            rel = image.relative_to(path.parent) if image.is_relative_to(path.parent) else image
            key = rel.with_suffix("").as_posix()
        samples.append(Sample(image=image, mask=mask, text=text, modality=modality, key=key))
    return sorted(samples, key=lambda s: s.key)


def read_dataset(name: str, root: str | Path, split: str = "train") -> list[Sample]:
    """Dispatch on ``name`` ("qata" | "mosmed" | "csv"); for "csv" ``root`` is the CSV file."""
    readers = {"qata": read_qata, "mosmed": read_mosmed}
    key = name.strip().lower()
    if key == "csv":
        return read_csv(root)
    if key not in readers:
        raise ValueError(f"unknown dataset {name!r}: expected one of qata, mosmed, csv")
    return readers[key](root, split)


def load_mask(path: Path) -> np.ndarray:
    """Read a mask file as a bool HxW array.

    Accepts 8/16-bit (and float) gray, RGB and RGBA files holding 0/255, 0/1 or 0/65535. A
    pixel is foreground if any colour channel is above half the value range, where the range
    is 1, 255 or 65535 depending on the largest value present (so a 0/1 mask works in any
    dtype and faint JPEG noise on an empty mask does not). Alpha is used only when the
    colour channels are flat (a mask drawn as transparency).

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not a readable image.
    """
    import cv2

    # imdecode(fromfile) instead of imread: imread fails silently on non-ASCII paths on Windows.
    raw = np.fromfile(str(path), dtype=np.uint8)  # a missing file raises FileNotFoundError here
    try:
        arr = cv2.imdecode(raw, cv2.IMREAD_UNCHANGED) if raw.size else None
    except cv2.error:
        arr = None
    if arr is None:
        try:
            from PIL import Image

            with Image.open(path) as im:
                arr = np.asarray(im)
        except Exception as exc:
            raise ValueError(f"cannot read mask {path}: {exc}") from exc
    arr = np.asarray(arr)
    if arr.ndim == 3:
        channels = arr.shape[2]
        colour = arr[..., : 3 if channels >= 3 else 1]
        if channels in (2, 4):  # gray+alpha or colour+alpha
            alpha = arr[..., -1]
            if colour.min() == colour.max() and alpha.min() != alpha.max():
                colour = alpha[..., None]
        arr = colour
    peak = float(arr.max()) if arr.size else 0.0
    scale = 1.0 if peak <= 1 else 255.0 if peak <= 255 else 65535.0 if peak <= 65535 else peak
    fg = arr > scale / 2
    return fg.any(axis=2) if fg.ndim == 3 else fg
