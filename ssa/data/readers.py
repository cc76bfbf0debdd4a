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

from pathlib import Path

from ssa.data.masks import load_mask
from ssa.data.samples import (
    MAX_LISTED,
    DatasetError,
    Sample,
    _collect,
    _find,
    _Folder,
    _index_files,
    _split_keys,
)
from ssa.data.tables import (
    IMAGE_EXTS,
    _add_table,
    _at,
    _column,
    _read_csv_rows,
    _Texts,
    normalise_key,
)

# Re-exported: the readers' public names, wherever they are defined.
__all__ = [
    "IMAGE_EXTS", "MAX_LISTED", "MODALITIES", "SPLITS", "DatasetError", "Sample", "load_mask", "normalise_key",
    "read_csv", "read_dataset", "read_mosmed", "read_qata",
]


SPLITS = ("train", "val", "test")


MODALITIES = ("xray", "ct")


_LVIT_FOLDERS = {"train": "Train_Folder", "val": "Val_Folder", "test": "Test_Folder"}


_QATA_TEXT = {"train": "Train_text_for_Covid19.xlsx", "test": "Test_text_for_Covid19.xlsx"}


_ID_FILES = {"train": "Train_ID.xlsx", "val": "Val_ID.xlsx"}


_LVIT_HINT = (
    "LViT layout: Train_Folder/, Val_Folder/, Test_Folder/ with img/, labelcol/, *_text.xlsx"
)


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
