"""Dataset readers: QaTa-COV19 and MosMedData+ folder layouts, and bring-your-own CSV files.

Every reader returns a sorted list of :class:`Sample` (paths + text + modality) and touches no
pixels, so a broken dataset is reported in seconds, before training starts. Readers collect
*every* problem they find (missing images, missing masks, missing text rows, unreadable
workbooks, bad CSV columns) and raise them together in one :class:`DatasetError`: fixing a
9000-image dataset one error per run is not an option.

Layouts (detected from what exists under the data root; also in docs/design.md, "Data layouts"):

* LViT:       ``{Train,Val,Test}_Folder/{img/, labelcol/, *_text.xlsx}`` (QaTa and MosMed),
              optionally with LViT's downloaded ``Train_text_for_Covid19.xlsx``,
              ``Test_text_for_Covid19.xlsx`` and ``Train_ID.xlsx`` / ``Val_ID.xlsx``.
* raw Kaggle: ``{Train Set,Test Set}/{Images, Ground-truths}/`` + the LViT workbooks (QaTa).
* prompt:     GuideDecoder's ``{Train,Test}/{Images,GTs}/`` + ``prompt/{train,test}.csv``
              (QaTa and MosMed); the ``Image`` column names the mask in ``GTs/``, the image is
              that name without ``mask_``. With ``prompt/val.csv`` val is its rows; without it
              (as published) train is the first 80% of train.csv's rows, val the last 20%.
* SGSeg:      ``images/{train,valid,test}/{images,masks}/`` + ``prompts/annotation.json``
              (QaTa at 224 px, see :mod:`ssa.data.sgseg`).
* CSV:        ``image,mask,text[,modality][,split]`` with paths relative to the CSV file.

"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

import numpy as np

from ssa.data.masks import load_mask
from ssa.data.samples import (
    MAX_LISTED,
    DatasetError,
    ImageFolder,
    Sample,
    collect_samples,
    find_file,
    index_files,
    split_keys,
)
from ssa.data.sgseg import SGSEG_HINT, is_sgseg, read_sgseg
from ssa.data.tables import (
    IMAGE_EXTS,
    TextTable,
    add_table,
    cell,
    find_column,
    normalise_key,
    read_csv_rows,
)
from ssa.laterality import MODALITIES

# Re-exported: the readers' public names, wherever they are defined.
__all__ = [
    "IMAGE_EXTS", "MAX_LISTED", "MODALITIES", "SPLITS", "DatasetError", "Sample", "holdout_images",
    "load_mask", "normalise_key", "read_csv", "read_dataset", "read_mosmed", "read_qata",
]


SPLITS = ("train", "val", "test")




_LVIT_FOLDERS = {"train": "Train_Folder", "val": "Val_Folder", "test": "Test_Folder"}


_QATA_TEXT = {"train": "Train_text_for_Covid19.xlsx", "test": "Test_text_for_Covid19.xlsx"}


_ID_FILES = {"train": "Train_ID.xlsx", "val": "Val_ID.xlsx"}


_LVIT_HINT = (
    "LViT layout: Train_Folder/, Val_Folder/, Test_Folder/ with img/, labelcol/, *_text.xlsx"
)


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")


def _folder_texts(folder: Path, problems: list[str], required: bool) -> TextTable | None:
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
    texts = TextTable()
    for path in chosen:
        add_table(texts, path, problems)
    return texts


def _qata_lvit(root: Path, split: str, problems: list[str]) -> list[Sample]:
    folders = {s: root / name for s, name in _LVIT_FOLDERS.items()}
    own = ImageFolder(folders[split] / "img", folders[split] / "labelcol")
    trainval = [ImageFolder(folders[s] / "img", folders[s] / "labelcol") for s in ("train", "val")]
    id_dirs = [root, folders["train"], folders["val"]]
    id_files = {s: find_file(name, id_dirs) for s, name in _ID_FILES.items()}
    combined_name = _QATA_TEXT["test" if split == "test" else "train"]
    combined_dirs = [root, folders[split]] + ([] if split == "test" else id_dirs[1:])

    if split != "test" and any(id_files.values()):
        # Downloaded-files variant: the split files decide membership; the text comes from the
        # combined workbook (or, failing that, from both folders' own workbooks).
        texts = TextTable()
        combined = find_file(combined_name, combined_dirs)
        if combined:
            add_table(texts, combined, problems)
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
        keys, expected = split_keys(texts, id_files, split, problems)
        return collect_samples(keys, texts, trainval, "xray", problems, expected=expected)

    texts = _folder_texts(folders[split], problems, required=False)
    if texts is not None:
        return collect_samples(texts.texts, texts, [own], "xray", problems)
    # No workbook in the folder: the combined workbook holds this split's rows *and* (for
    # train/val) the other split's, so the folder's images decide membership.
    combined = find_file(combined_name, combined_dirs)
    if combined is None:
        problems.append(
            f"no text workbook: expected *_text.xlsx in {folders[split]} or {combined_name} in {root}"
        )
        return []
    texts = TextTable()
    add_table(texts, combined, problems)
    # Search this split's folder first, then its sibling: a row whose image is in neither is
    # reported once per split with both expected paths, and its mask is found wherever it is.
    search = [own] + ([] if split == "test" else [f for f in trainval if f.images != own.images])
    elsewhere = set().union(*(index_files(f.images) for f in search))
    mine = set(index_files(own.images))
    keys = [k for k in texts.seen if k in mine or k not in elsewhere]
    return collect_samples(keys, texts, search, "xray", problems, expected=texts.seen)


def _qata_kaggle(root: Path, split: str, problems: list[str]) -> list[Sample]:
    set_dir = root / ("Test Set" if split == "test" else "Train Set")
    folder = ImageFolder(set_dir / "Images", set_dir / "Ground-truths")
    name = _QATA_TEXT["test" if split == "test" else "train"]
    texts = TextTable()
    book = find_file(name, [root, set_dir, root / "Train Set", root / "Test Set"])
    if book is None:
        problems.append(f"text workbook not found: expected {root / name} or {set_dir / name}")
    else:
        add_table(texts, book, problems)
    if split == "test":
        return collect_samples(texts.texts, texts, [folder], "xray", problems)
    id_files = {s: find_file(n, [root, set_dir]) for s, n in _ID_FILES.items()}
    if not any(id_files.values()):
        if split == "val":
            problems.append(
                f"no val split in this layout: put LViT's Val_ID.xlsx (and Train_ID.xlsx) in {root}"
            )
            return []
        return collect_samples(texts.texts, texts, [folder], "xray", problems)
    keys, expected = split_keys(texts, id_files, split, problems)
    return collect_samples(keys, texts, [folder], "xray", problems, expected=expected)


# GuideDecoder's split of a prompt layout without val.csv: this share of train.csv's rows (the
# first ones, in file order) is train, the rest val.
_PROMPT_TRAIN_SHARE = 0.8


def _named_file(raw: str) -> str:
    """The file a prompt CSV's ``Image`` cell names: its base name (``.png`` added when it has
    no image extension)."""
    base = raw.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return base if base.lower().endswith(IMAGE_EXTS) else f"{base}.png"


def _prompt_split(texts: TextTable, split: str) -> list[str]:
    """GuideDecoder's train/val split of a train.csv: of its ``n`` rows (file order), the first
    ``int(0.8 * n)`` are train and the rest val. A key with rows on both sides stays in train,
    so no case is in two splits."""
    keys = [key for key, _ in texts.rows]
    cut = int(_PROMPT_TRAIN_SHARE * len(keys))
    train = list(dict.fromkeys(keys[:cut]))
    if split == "train":
        return train
    taken = set(train)
    return [key for key in dict.fromkeys(keys[cut:]) if key not in taken]


def _prompt_layout(root: Path, split: str, problems: list[str], modality: str = "xray") -> list[Sample]:
    """GuideDecoder's prompt layout (QaTa-COV19 ``modality="xray"``, MosMedData+ ``"ct"``).

    ``{Train,Test}/{Images,GTs}/`` + ``prompt/{train,test}.csv`` (columns Image, Description;
    also image,text / image,prompt). The ``Image`` cell names the mask in ``GTs/`` (QaTa:
    ``mask_<image name>``); the image in ``Images/`` is that name without ``mask_``. With a
    ``prompt/val.csv``, val is its rows (images in ``Train/`` or ``Val/``); without one (as
    GuideDecoder publishes it), train is the first 80% of train.csv's rows and val the last
    20% (:func:`_prompt_split`).
    """
    prompt = root / "prompt"
    val_csv = find_file("val.csv", [prompt])
    source = "train" if split == "val" and val_csv is None else split
    table = find_file(f"{source}.csv", [prompt])
    if table is None:
        problems.append(f"text file not found: expected {prompt / f'{source}.csv'}")
        return []
    texts = TextTable()
    add_table(texts, table, problems)
    names: dict[str, str] = {}
    for key, raw in texts.rows:
        names.setdefault(key, _named_file(raw))

    def folder(name: str) -> ImageFolder:
        return ImageFolder(root / name / "Images", root / name / "GTs", mask_names=names)

    if split == "test":
        return collect_samples(texts.texts, texts, [folder("Test")], modality, problems)
    # val images usually sit in Train/; an image is "without text" only if no CSV names it.
    folders = [folder(d) for d in ("Train", "Val") if d == "Train" or (root / d).is_dir()]
    if val_csv is None:
        return collect_samples(_prompt_split(texts, split), texts, folders, modality, problems)
    expected = set(texts.seen)
    other = find_file(f"{'val' if split == 'train' else 'train'}.csv", [prompt])
    if other is not None:
        extra = TextTable()
        add_table(extra, other, [])  # its own problems are reported when that split is read
        expected |= extra.seen
    return collect_samples(texts.texts, texts, folders, modality, problems, expected=expected)


def _is_lvit(root: Path) -> bool:
    return any((root / d).is_dir() for d in _LVIT_FOLDERS.values())


def _is_prompt(root: Path) -> bool:
    return (root / "prompt").is_dir() or (root / "Train" / "Images").is_dir()


_PROMPT_HINT = (
    "prompt layout (GuideDecoder's): Train/, Test/ with Images/, GTs/"
    " + prompt/{train,test}.csv (val.csv optional)"
)


# (layout name, does the root look like it, reader(root, split, problems), hint when none does)
_Layout = tuple[str, Callable[[Path], bool], Callable[[Path, str, list[str]], list[Sample]], str]


_QATA_LAYOUTS: tuple[_Layout, ...] = (
    ("LViT layout", _is_lvit, _qata_lvit, _LVIT_HINT),
    (
        "raw Kaggle layout",
        lambda r: (r / "Train Set").is_dir() or (r / "Test Set").is_dir(),
        _qata_kaggle,
        "raw Kaggle layout: 'Train Set/', 'Test Set/' with Images/, Ground-truths/"
        " + Train_text_for_Covid19.xlsx, Test_text_for_Covid19.xlsx",
    ),
    ("prompt layout", _is_prompt, _prompt_layout, _PROMPT_HINT),
    ("SGSeg layout", is_sgseg, read_sgseg, SGSEG_HINT),
)


def _mosmed_lvit(root: Path, split: str, problems: list[str]) -> list[Sample]:
    """MosMedData+ in LViT's layout: mask and image share their file name."""
    folder = root / _LVIT_FOLDERS[split]
    if not folder.is_dir():
        problems.append(f"split folder not found: {folder}")
        return []
    texts = _folder_texts(folder, problems, required=True)
    if texts is None:
        return []
    own = ImageFolder(folder / "img", folder / "labelcol", mask_prefix="")
    return collect_samples(texts.texts, texts, [own], "ct", problems)


_MOSMED_LAYOUTS: tuple[_Layout, ...] = (
    ("LViT layout", _is_lvit, _mosmed_lvit, _LVIT_HINT),
    ("prompt layout", _is_prompt, partial(_prompt_layout, modality="ct"), _PROMPT_HINT),
)


def _raise_if(title: str, split: str | None, problems: list[str]) -> None:
    """Raise one DatasetError for all ``problems`` (if any); the summary names the split."""
    if problems:
        n = len(problems)
        where = f" in the {split} split" if split else ""
        raise DatasetError(
            title, problems, summary=f"{title}: {n} problem{'' if n == 1 else 's'}{where}"
        )


def _read_layouts(
    dataset: str, layouts: Sequence[_Layout], root: str | Path, split: str
) -> list[Sample]:
    """``split`` of ``dataset`` read with the first of ``layouts`` that ``root`` looks like.

    Raises:
        DatasetError: no layout recognised (every hint listed), or the layout found has
            problems (all listed; the title names the layout).
    """
    _check_split(split)
    root = Path(root).expanduser().absolute()
    if not root.is_dir():
        raise DatasetError(f"{dataset} at {root}", [f"data root does not exist: {root}"])
    for name, matches, reader, _ in layouts:
        if matches(root):
            problems: list[str] = []
            samples = reader(root, split, problems)
            _raise_if(f"{dataset} ({name}) at {root}", split, problems)
            return sorted(samples, key=lambda s: s.key)
    looked = [f"looked for {hint}" for *_, hint in layouts]
    raise DatasetError(
        f"{dataset} at {root}", looked, summary=f"{dataset} at {root}: no known layout found"
    )


def read_qata(root: str | Path, split: str = "train") -> list[Sample]:
    """QaTa-COV19 chest X-rays (text from LViT) in any of the four known layouts (module
    docstring; the first one ``root`` looks like is read).

    Raises:
        DatasetError: no layout recognised, or the layout found has problems (all listed).
    """
    return _read_layouts("QaTa-COV19", _QATA_LAYOUTS, root, split)


def read_mosmed(root: str | Path, split: str = "train") -> list[Sample]:
    """MosMedData+ CT slices (modality "ct") in LViT's layout (``{Train,Val,Test}_Folder/``
    with ``img/``, ``labelcol/``, ``*_text.xlsx``; mask and image share their file name) or
    GuideDecoder's (``{Train,Test}/{Images,GTs}/`` + ``prompt/{train,test}.csv``; without a
    ``prompt/val.csv`` val is the last 20% of train.csv's rows, train the first 80%). LViT's
    layout is read when both are present.

    The texts' sides are as published (opposite to the patient's, see :mod:`ssa.data.ct_sets`);
    ``--text-convention auto`` converts them.

    Raises:
        DatasetError: no layout recognised (both looked for), or the layout found has problems
            (all listed).
    """
    return _read_layouts("MosMedData+", _MOSMED_LAYOUTS, root, split)


# Spellings accepted in a CSV's split column (lower-cased), e.g. SGSeg-style "valid".
_CSV_SPLITS = {"train": "train", "val": "val", "valid": "val", "validation": "val", "test": "test"}


def holdout_images(images: Sequence[Path], share: float = 0.1, seed: int = 0) -> set[Path]:
    """The seeded hold-out of ``images``: about ``share`` of the distinct images (at least 1
    when there are 2 or more, never all of them).

    Chosen over the sorted distinct paths, so the same set gives the same hold-out whatever
    the order (or repetition) of ``images``.
    """
    distinct = sorted(set(images))
    if len(distinct) < 2:
        return set()
    n = min(len(distinct) - 1, max(1, round(len(distinct) * share)))
    picked = np.random.default_rng(seed).choice(len(distinct), size=n, replace=False)
    return {distinct[i] for i in picked}


def read_csv(csv_path: str | Path, split: str | None = None) -> list[Sample]:
    """Bring-your-own CSV: columns ``image,mask,text``, optional ``modality`` (xray|ct) and
    ``split`` (train|val|test; valid/validation mean val).

    Every row is a sample (referring data has several texts per image). Relative paths are
    relative to the CSV's folder. The key is the image's normalised file name; when two
    different images share it, their paths (relative, no extension) are used; an image's 2nd,
    3rd ... row gets ``#2``, ``#3`` ... appended. Keys are given over the whole file, so a row
    keeps its key whichever split is read.

    ``split=None`` reads every row. With a split column, ``split`` selects its rows. Without
    one, "test" reads every row and "train" / "val" a seeded partition *by image*
    (:func:`holdout_images`: about a tenth of the images go to val, all rows of an image on
    the same side).

    Raises:
        DatasetError: problems anywhere in the file (all listed, whichever split is read).
        ValueError: ``split`` is not None nor one of train, val, test.
    """
    if split is not None:
        _check_split(split)
    path = Path(csv_path).expanduser().absolute()
    title = f"CSV dataset at {path}"
    problems: list[str] = []
    rows = read_csv_rows(path, problems) if path.is_file() else None
    if rows is None:
        raise DatasetError(title, problems or [f"CSV file not found: {path}"])
    head = [h.strip() for h in (rows[0] if rows else [])]
    cols = {
        c: find_column(head, names)
        for c, names in (
            ("image", ("image",)),
            ("mask", ("mask",)),
            ("text", ("text", "description", "prompt")),
            ("modality", ("modality",)),
            ("split", ("split",)),
        )
    }
    if None in (cols["image"], cols["mask"], cols["text"]):
        raise DatasetError(
            title,
            [f"{path}: needs columns image, mask, text (optional modality, split); found {head}"],
        )

    def resolve(value: str) -> Path:
        p = Path(value).expanduser()
        return p if p.is_absolute() else path.parent / p

    found: list[tuple[Path, Path, str, str, str | None]] = []  # image, mask, text, modality, split
    for line, row in enumerate(rows[1:], start=2):
        image_s, mask_s, text = (cell(row, cols[c]) for c in ("image", "mask", "text"))
        if not (image_s or mask_s or text):
            continue
        modality = (cell(row, cols["modality"]) if cols["modality"] is not None else "") or "xray"
        row_split = None
        bad = []
        if modality.lower() not in MODALITIES:
            bad.append(f"{path} row {line}: modality {modality!r} is not one of {MODALITIES}")
        if cols["split"] is not None:
            value = cell(row, cols["split"])
            row_split = _CSV_SPLITS.get(value.lower())
            if row_split is None:  # an empty cell too: a row in no split would vanish silently
                bad.append(f"{path} row {line}: split {value!r} is not one of {', '.join(SPLITS)}")
        if not text:
            bad.append(f"{path} row {line}: empty text")
        for what, value in (("image", image_s), ("mask", mask_s)):
            if not value:
                bad.append(f"{path} row {line}: empty {what} cell")
            elif not resolve(value).is_file():
                bad.append(f"{path} row {line}: missing {what} {resolve(value)}")
        problems += bad
        if not bad:
            found.append((resolve(image_s), resolve(mask_s), text, modality.lower(), row_split))
    _raise_if(title, None, problems)

    images = {image for image, *_ in found}
    names: dict[str, int] = {}
    for image in images:
        names[normalise_key(image.name)] = names.get(normalise_key(image.name), 0) + 1
    base: dict[Path, str] = {}
    for image in images:
        key = normalise_key(image.name)
        if names[key] > 1:
            rel = image.relative_to(path.parent) if image.is_relative_to(path.parent) else image
            key = rel.with_suffix("").as_posix()
        base[image] = key
    # An image's later rows get "#n"; skip an n whose key is already another image's name
    # (an image called "x#2.png"), so keys stay unique.
    taken = set(base.values())
    count: dict[Path, int] = {}
    keyed: list[tuple[Sample, str | None]] = []
    for image, mask, text, modality, row_split in found:
        count[image] = count.get(image, 0) + 1
        key = base[image]
        if count[image] > 1:
            n = count[image]
            while f"{key}#{n}" in taken:
                n += 1
            key = f"{key}#{n}"
            taken.add(key)
        sample = Sample(image=image, mask=mask, text=text, modality=modality, key=key)
        keyed.append((sample, row_split))

    if split is None:
        chosen = [s for s, _ in keyed]
    elif cols["split"] is not None:
        chosen = [s for s, row_split in keyed if row_split == split]
    elif split == "test":  # nothing held out for testing: a CSV without splits is one test set
        chosen = [s for s, _ in keyed]
    else:
        # By image, not by row: an image's other texts in train would leak its mask into val.
        val = holdout_images(list(images))
        chosen = [s for s, _ in keyed if (s.image in val) == (split == "val")]
    return sorted(chosen, key=lambda s: s.key)


def read_dataset(name: str, root: str | Path, split: str = "train") -> list[Sample]:
    """Dispatch on ``name`` ("qata" | "mosmed" | "csv"); for "csv" ``root`` is the CSV file
    (``split`` as in :func:`read_csv`)."""
    readers = {"qata": read_qata, "mosmed": read_mosmed}
    key = name.strip().lower()
    if key == "csv":
        return read_csv(root, split)
    if key not in readers:
        raise ValueError(f"unknown dataset {name!r}: expected one of qata, mosmed, csv")
    return readers[key](root, split)
