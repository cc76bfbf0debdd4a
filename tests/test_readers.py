"""Dataset readers: each layout the readers know built for real (PNGs, .xlsx) in tmp_path."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from openpyxl import Workbook

from ssa.data.readers import (
    MAX_LISTED,
    DatasetError,
    Sample,
    holdout_images,
    load_mask,
    normalise_key,
    read_csv,
    read_dataset,
    read_mosmed,
    read_qata,
)

TEXT = "Unilateral pulmonary infection, one infected area, lower left lung."


# --------------------------------------------------------------------------- fixture helpers


def png(path: Path, value: int = 255, shape: tuple[int, ...] = (8, 8), dtype=np.uint8) -> Path:
    """Write a tiny image whose right half is ``value`` (a lesion on the image's right)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arr = np.zeros(shape, dtype)
    arr[:, shape[1] // 2 :] = value
    assert cv2.imwrite(str(path), arr)
    return path


def xlsx(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    return path


def text_of(name: str) -> str:
    return f"Bilateral pulmonary infection, two infected areas, {name}."


def qata_lvit(root: Path) -> Path:
    """LViT layout; the workbook keys mix every spelling of the mask file name."""
    spellings = {
        "train": ["mask_covid_1.png", "covid_2", "mask_covid_3", "covid_4.png"],
        "val": ["mask_covid_5.png"],
        "test": ["mask_test_1.png", "test_2"],
    }
    for split, keys in spellings.items():
        folder = root / f"{split.capitalize()}_Folder"
        for raw in keys:
            name = normalise_key(raw)
            png(folder / "img" / f"{name}.png", 128)
            png(folder / "labelcol" / f"mask_{name}.png")
        xlsx(
            folder / f"{split.capitalize()}_text.xlsx",
            ["Image", "Description"],
            [[k, text_of(normalise_key(k))] for k in keys],
        )
    return root


def qata_downloaded(root: Path) -> Path:
    """LViT's downloaded files: combined workbooks at the root + Train_ID / Val_ID."""
    names = [f"covid_{i}" for i in range(1, 7)]
    for i, name in enumerate(names):
        folder = root / ("Val_Folder" if i == 5 else "Train_Folder")  # one val image lives apart
        png(folder / "img" / f"{name}.png", 100)
        png(folder / "labelcol" / f"mask_{name}.png")
    xlsx(
        root / "Train_text_for_Covid19.xlsx",
        ["Image", "Description"],
        [[f"mask_{n}.png", text_of(n)] for n in names],
    )
    xlsx(root / "Train_ID.xlsx", ["Image"], [[f"mask_{n}.png"] for n in names[:4]])
    xlsx(root / "Val_ID.xlsx", ["name"], [[n] for n in names[4:]])  # other header, no prefix
    png(root / "Test_Folder" / "img" / "t_1.png", 100)
    png(root / "Test_Folder" / "labelcol" / "mask_t_1.png")
    xlsx(
        root / "Test_Folder" / "Test_text_for_Covid19.xlsx",
        ["Image", "Description"],
        [["mask_t_1.png", TEXT]],
    )
    return root


def kaggle(root: Path, val_ids: bool = True) -> Path:
    for set_name, names in (("Train Set", ["a_1", "a_2", "a_3"]), ("Test Set", ["b_1"])):
        for n in names:
            png(root / set_name / "Images" / f"{n}.png", 90)
            png(root / set_name / "Ground-truths" / f"mask_{n}.png")
    xlsx(
        root / "Train_text_for_Covid19.xlsx",
        ["Image", "Description"],
        [[f"mask_a_{i}.png", text_of(f"a_{i}")] for i in (1, 2, 3)],
    )
    xlsx(
        root / "Test Set" / "Test_text_for_Covid19.xlsx",
        ["Image", "Description"],
        [["mask_b_1.png", TEXT]],
    )
    if val_ids:
        xlsx(root / "Val_ID.xlsx", ["Image"], [["mask_a_3.png"]])
    return root


def prompt_layout(root: Path) -> Path:
    for split, names in (("Train", ["p_1", "p_2", "p_3"]), ("Test", ["q_1"])):
        for i, n in enumerate(names):
            png(root / split / "Images" / f"{n}.png", 70)
            png(
                root / split / "GTs" / (f"mask_{n}.png" if i % 2 == 0 else f"{n}.png")
            )  # both spellings
    write_csv(
        root / "prompt" / "train.csv",
        ["Image", "Description"],
        [["mask_p_1.png", text_of("p_1")], ["mask_p_2.png", text_of("p_2")]],
    )
    write_csv(root / "prompt" / "val.csv", ["image", "Prompt"], [["p_3", text_of("p_3")]])
    write_csv(root / "prompt" / "test.csv", ["image", "text"], [["mask_q_1.png", TEXT]])
    return root


# GuideDecoder's published layout: train.csv's rows in this (unsorted) order, 7 rows so that
# int(0.8 * 7) = 5 train rows differs from round() or ceil() (6), and sorted order differs from
# file order in both halves.
GD_TRAIN = [
    "Jun_coronacases_case8_100",
    "Morozov_study_0297_12",
    "bjorke_3",
    "Jun_coronacases_case2_45",
    "Morozov_study_0255_3",
    "bjorke_1",  # the last two rows: val
    "Jun_radiopaedia_4_85",
]
GD_TEST = ["Morozov_study_0300_7", "bjorke_9"]


def guidedecoder(
    root: Path,
    train: list[str] = GD_TRAIN,
    test: list[str] = GD_TEST,
    prefix: str = "mask_",
    text=text_of,
) -> Path:
    """GuideDecoder's layout, no val.csv: the Image column names the GT file (``prefix`` +
    the image's name); the image is that name without ``mask_``."""
    for split, names in (("Train", train), ("Test", test)):
        for n in names:
            png(root / split / "Images" / f"{n}.png", 60)
            png(root / split / "GTs" / f"{prefix}{n}.png")
        write_csv(
            root / "prompt" / f"{split.lower()}.csv",
            ["Image", "Description"],
            [[f"{prefix}{n}.png", text(n)] for n in names],
        )
    return root


def mosmed(root: Path) -> Path:
    for split, names in (("Train", ["1_10", "1_11"]), ("Val", ["2_5"]), ("Test", ["3_1"])):
        folder = root / f"{split}_Folder"
        for n in names:
            png(folder / "img" / f"{n}.png", 60)
            mask = png(folder / "labelcol" / f"{n}.png", 0, (8, 8, 3))
            rgb = np.zeros((8, 8, 3), np.uint8)
            rgb[:, 4:, 2] = 255  # RGB mask, lesion in the red channel only (BGR order)
            assert cv2.imwrite(str(mask), rgb)
        xlsx(
            folder / f"{split}_text_MosMed.xlsx",
            ["Image", "Description"],
            [[f"{n}.png", text_of(n)] for n in names],
        )
    return root


# --------------------------------------------------------------------------- keys and masks


@pytest.mark.parametrize(
    "raw",
    [
        "mask_covid_1.png",
        "covid_1.png",
        "mask_covid_1",
        "covid_1",
        " covid_1.PNG ",
        "labelcol/mask_covid_1.png",
        r"C:\x\covid_1.jpg",
    ],
)
def test_normalise_key(raw: str) -> None:
    assert normalise_key(raw) == "covid_1"


def test_normalise_key_keeps_dots_and_numbers() -> None:
    assert normalise_key("sub-1.2_ses.png") == "sub-1.2_ses"
    assert normalise_key(17.0) == "17"


@pytest.mark.parametrize(
    ("dtype", "value", "shape"),
    [
        (np.uint8, 255, (8, 8)),
        (np.uint8, 1, (8, 8)),
        (np.uint16, 65535, (8, 8)),
        (np.uint16, 1, (8, 8)),
        (np.uint16, 255, (8, 8)),
        (np.uint8, 255, (8, 8, 3)),
    ],
)
def test_load_mask_binarises(tmp_path: Path, dtype, value: int, shape: tuple[int, ...]) -> None:
    mask = load_mask(png(tmp_path / "m.png", value, shape, dtype))
    assert mask.dtype == bool and mask.shape == (8, 8)
    assert mask[:, 4:].all() and not mask[:, :4].any()


def test_load_mask_collapses_colour_and_alpha(tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 3] = 255  # opaque everywhere: alpha must not make everything foreground
    rgba[2:4, 5:7, 1] = 200  # green only
    rgba[0, 0, :3] = 100  # below half the range: background
    assert cv2.imwrite(str(tmp_path / "a.png"), rgba)
    mask = load_mask(tmp_path / "a.png")
    assert mask.sum() == 4 and mask[2:4, 5:7].all()

    drawn_as_alpha = np.zeros((8, 8, 4), np.uint8)
    drawn_as_alpha[:, :2, 3] = 255
    assert cv2.imwrite(str(tmp_path / "b.png"), drawn_as_alpha)
    assert load_mask(tmp_path / "b.png").sum() == 16


def test_load_mask_unreadable(tmp_path: Path) -> None:
    (tmp_path / "x.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="x.png"):
        load_mask(tmp_path / "x.png")


# --------------------------------------------------------------------------- QaTa, LViT layout


def test_qata_lvit_folders(tmp_path: Path) -> None:
    root = qata_lvit(tmp_path / "qata")
    train = read_qata(root, "train")
    assert [s.key for s in train] == ["covid_1", "covid_2", "covid_3", "covid_4"]
    s = train[1]
    assert s == Sample(
        root / "Train_Folder/img/covid_2.png",
        root / "Train_Folder/labelcol/mask_covid_2.png",
        text_of("covid_2"),
        "xray",
        "covid_2",
    )
    assert all(x.image.is_absolute() and x.mask.is_file() for x in train)
    assert [s.key for s in read_qata(root, "val")] == ["covid_5"]
    assert [s.key for s in read_dataset("QaTa", root, "test")] == ["test_1", "test_2"]
    assert read_qata(str(root)) == train  # str root, default split, deterministic


def test_qata_lvit_bare_mask_names(tmp_path: Path) -> None:
    root = qata_lvit(tmp_path)
    old = root / "Val_Folder/labelcol/mask_covid_5.png"
    old.rename(old.with_name("covid_5.png"))
    assert read_qata(root, "val")[0].mask.name == "covid_5.png"


def test_qata_split_files(tmp_path: Path) -> None:
    root = qata_downloaded(tmp_path)
    train, val = read_qata(root, "train"), read_qata(root, "val")
    assert [s.key for s in train] == ["covid_1", "covid_2", "covid_3", "covid_4"]
    assert [s.key for s in val] == ["covid_5", "covid_6"]
    assert val[1].image == root / "Val_Folder/img/covid_6.png"
    assert val[0].text == text_of("covid_5")
    test = read_qata(root, "test")
    assert [(s.key, s.text) for s in test] == [("t_1", TEXT)]


def test_qata_split_files_only_val(tmp_path: Path) -> None:
    root = qata_downloaded(tmp_path)
    (root / "Train_ID.xlsx").unlink()  # train = the rest of the workbook
    assert [s.key for s in read_qata(root, "train")] == ["covid_1", "covid_2", "covid_3", "covid_4"]


def test_qata_combined_workbook_without_split_files(tmp_path: Path) -> None:
    """No split files and no per-folder workbook: the folder an image sits in decides."""
    root = qata_downloaded(tmp_path)
    for name in ("Train_ID.xlsx", "Val_ID.xlsx"):
        (root / name).unlink()
    assert [s.key for s in read_qata(root, "train")] == [f"covid_{i}" for i in range(1, 6)]
    assert [s.key for s in read_qata(root, "val")] == ["covid_6"]
    for path in (root / "Train_Folder/img/covid_2.png", root / "Val_Folder/img/covid_6.png"):
        path.unlink()  # now in neither folder: a missing image for both splits
    with pytest.raises(DatasetError) as info:
        read_qata(root, "val")
    assert [p.split(":")[0] for p in info.value.problems] == [
        "missing image for 'covid_2'",
        "missing image for 'covid_6'",
    ]


def test_split_file_without_header(tmp_path: Path) -> None:
    root = qata_downloaded(tmp_path)
    book = Workbook()
    for n in ("mask_covid_5.png", "mask_covid_6.png"):
        book.active.append([n])
    book.save(root / "Val_ID.xlsx")
    (root / "Train_ID.xlsx").unlink()
    assert [s.key for s in read_qata(root, "val")] == ["covid_5", "covid_6"]


def test_qata_lvit_reports_every_problem(tmp_path: Path) -> None:
    root = qata_lvit(tmp_path)
    train = root / "Train_Folder"
    (train / "img/covid_2.png").unlink()
    (train / "labelcol/mask_covid_3.png").unlink()
    png(train / "img/stray.png")
    xlsx(
        train / "Train_text.xlsx",
        ["Image", "Description"],
        [
            ["mask_covid_1.png", text_of("1")],
            ["covid_2", text_of("2")],
            ["mask_covid_3", text_of("3")],
            ["covid_4.png", None],
            ["mask_ghost.png", TEXT],
        ],
    )
    with pytest.raises(DatasetError) as info:
        read_qata(root, "train")
    err = info.value
    assert (
        str(err).splitlines()[0]
        == f"QaTa-COV19 (LViT layout) at {root}: 6 problems in the train split"
    )
    text = str(err)
    assert str(train / "img/covid_2.png") in text
    assert str(train / "labelcol/mask_covid_3.png") in text
    assert str(train / "img/ghost.png") in text  # text row without an image (nor mask)
    assert str(train / "labelcol/mask_ghost.png") in text
    assert f"image without a text row: {train / 'img/stray.png'}" in text
    assert "empty Description for 'covid_4.png'" in text
    assert len(err.problems) == 6


def test_qata_split_files_problems(tmp_path: Path) -> None:
    root = qata_downloaded(tmp_path)
    xlsx(root / "Val_ID.xlsx", ["name"], [["covid_5"], ["covid_6"], ["covid_99"]])
    (root / "Val_Folder/labelcol/mask_covid_6.png").unlink()
    with pytest.raises(DatasetError) as info:
        read_qata(root, "val")
    problems = info.value.problems
    assert any("no text row for 'covid_99'" in p for p in problems)
    assert any("missing image for 'covid_99'" in p for p in problems)
    assert any(str(root / "Val_Folder/labelcol/mask_covid_6.png") in p for p in problems)
    assert len(problems) == 4  # no text, no image, no mask for covid_99; no mask for covid_6


def test_unreadable_workbook_is_a_problem(tmp_path: Path) -> None:
    root = qata_lvit(tmp_path)
    (root / "Val_Folder/Val_text.xlsx").write_bytes(b"garbage")
    with pytest.raises(DatasetError, match="unreadable workbook .*Val_text.xlsx") as info:
        read_qata(root, "val")
    assert any("image without a text row" in p for p in info.value.problems)


# --------------------------------------------------------------------------- QaTa, other layouts


def test_kaggle_layout(tmp_path: Path) -> None:
    root = kaggle(tmp_path)
    assert [s.key for s in read_qata(root, "train")] == ["a_1", "a_2"]
    val = read_qata(root, "val")
    assert [s.key for s in val] == ["a_3"] and val[
        0
    ].mask == root / "Train Set/Ground-truths/mask_a_3.png"
    assert [s.text for s in read_qata(root, "test")] == [TEXT]


def test_kaggle_without_val_ids(tmp_path: Path) -> None:
    root = kaggle(tmp_path, val_ids=False)
    assert len(read_qata(root, "train")) == 3
    with pytest.raises(DatasetError, match="no val split in this layout"):
        read_qata(root, "val")


def test_kaggle_problems(tmp_path: Path) -> None:
    root = kaggle(tmp_path)
    for n in ("a_1", "a_2"):
        (root / f"Train Set/Ground-truths/mask_{n}.png").unlink()
    (root / "Test Set/Test_text_for_Covid19.xlsx").unlink()
    with pytest.raises(DatasetError) as info:
        read_qata(root, "train")
    assert str(info.value).startswith(f"QaTa-COV19 (raw Kaggle layout) at {root}: 2 problems")
    for n in ("a_1", "a_2"):
        assert str(root / f"Train Set/Ground-truths/mask_{n}.png") in str(info.value)
    with pytest.raises(DatasetError, match="Test_text_for_Covid19.xlsx"):
        read_qata(root, "test")


def test_prompt_layout(tmp_path: Path) -> None:
    root = prompt_layout(tmp_path)
    train = read_qata(root, "train")
    assert [s.key for s in train] == ["p_1", "p_2"]
    assert [s.mask.name for s in train] == ["mask_p_1.png", "p_2.png"]
    assert [(s.key, s.image.parent.parent.name) for s in read_qata(root, "val")] == [
        ("p_3", "Train")
    ]
    assert [s.text for s in read_qata(root, "test")] == [TEXT]
    (root / "prompt/val.csv").unlink()
    for split in ("train", "val"):
        with pytest.raises(DatasetError, match="image without a text row: .*p_3.png"):
            read_qata(root, split)  # p_3 now belongs to no CSV
    (root / "Train/Images/p_3.png").unlink()
    # No val.csv: GuideDecoder's split of train.csv's 2 rows, int(0.8 * 2) = 1 train row.
    assert [s.key for s in read_qata(root, "train")] == ["p_1"]
    assert [s.key for s in read_qata(root, "val")] == ["p_2"]


def test_prompt_bad_columns(tmp_path: Path) -> None:
    root = prompt_layout(tmp_path)
    write_csv(root / "prompt/test.csv", ["file", "caption"], [["q_1", TEXT]])
    with pytest.raises(
        DatasetError, match=r"needs columns Image and Description.*\['file', 'caption'\]"
    ) as info:
        read_qata(root, "test")
    assert any("image without a text row" in p for p in info.value.problems)


def test_no_known_layout(tmp_path: Path) -> None:
    (tmp_path / "something").mkdir()
    with pytest.raises(DatasetError, match="no known layout") as info:
        read_qata(tmp_path)
    assert len(info.value.problems) == 4 and "Train_Folder" in str(info.value) and "annotation.json" in str(info.value)
    with pytest.raises(DatasetError, match="does not exist"):
        read_qata(tmp_path / "nope")
    with pytest.raises(DatasetError, match="no known layout"):
        read_mosmed(tmp_path)
    with pytest.raises(ValueError, match="split"):
        read_qata(tmp_path, "dev")


def test_problem_list_is_capped(tmp_path: Path) -> None:
    root = qata_lvit(tmp_path)
    rows = [[f"mask_gone_{i}.png", TEXT] for i in range(MAX_LISTED + 10)]
    xlsx(root / "Val_Folder/Val_text.xlsx", ["Image", "Description"], [["covid_5", TEXT], *rows])
    with pytest.raises(DatasetError) as info:
        read_qata(root, "val")
    err = info.value
    assert len(err.problems) == 2 * (MAX_LISTED + 10)  # image and mask for each
    lines = str(err).splitlines()
    assert (
        len(lines) == 1 + MAX_LISTED + 1
        and lines[-1] == f"  ... and {len(err.problems) - MAX_LISTED} more"
    )


# --------------------------------------------------------------------------- MosMed and CSV


def test_mosmed(tmp_path: Path) -> None:
    root = mosmed(tmp_path)
    train = read_mosmed(root, "train")
    assert [s.key for s in train] == ["1_10", "1_11"]
    assert {s.modality for s in train} == {"ct"}
    assert train[0].mask == root / "Train_Folder/labelcol/1_10.png"
    assert load_mask(train[0].mask)[:, 4:].all() and not load_mask(train[0].mask)[:, :4].any()
    assert [s.key for s in read_dataset("mosmed", root, "test")] == ["3_1"]

    (root / "Val_Folder/labelcol/2_5.png").unlink()
    (root / "Val_Folder/img/2_5.png").unlink()
    with pytest.raises(DatasetError) as info:
        read_mosmed(root, "val")
    assert str(root / "Val_Folder/labelcol/2_5.png") in str(info.value)  # same name, no mask_
    assert str(root / "Val_Folder/img/2_5.png") in str(info.value)


@pytest.mark.parametrize("prefix", ["mask_", ""])
def test_mosmed_guidedecoder_layout(tmp_path: Path, prefix: str) -> None:
    """GuideDecoder's MosMedData+: train = train.csv's first int(0.8 * 7) = 5 rows in file
    order, val = the last 2, whether or not the Image column has the mask_ prefix."""
    root = guidedecoder(tmp_path / "mosmed", prefix=prefix)
    train, val, test = (read_mosmed(root, split) for split in ("train", "val", "test"))
    assert [s.key for s in train] == sorted(GD_TRAIN[:5])
    assert [s.key for s in val] == sorted(GD_TRAIN[5:]) == ["Jun_radiopaedia_4_85", "bjorke_1"]
    assert [s.key for s in test] == sorted(GD_TEST)
    assert {s.modality for s in train + val + test} == {"ct"}
    s = val[1]
    assert s == Sample(
        root / "Train/Images/bjorke_1.png",
        root / f"Train/GTs/{prefix}bjorke_1.png",
        text_of("bjorke_1"),
        "ct",
        "bjorke_1",
    )
    assert test[0].mask == root / f"Test/GTs/{prefix}Morozov_study_0300_7.png"
    # Every entry point to MosMedData+ reads the same cases.
    from ssa.data.ct_sets import read_ct_set

    assert read_dataset("mosmed", root, "val") == val == read_ct_set("mosmedplus", root, "val")


def test_mosmed_guidedecoder_split_is_by_row_position(tmp_path: Path) -> None:
    """10 rows in reverse-sorted order: the last 2 *rows* are val, not the last 2 keys."""
    names = [f"case_{i}" for i in range(9, -1, -1)]
    root = guidedecoder(tmp_path, train=names)
    assert [s.key for s in read_mosmed(root, "val")] == ["case_0", "case_1"]
    assert [s.key for s in read_mosmed(root, "train")] == [f"case_{i}" for i in range(2, 10)]
    # 11 rows, the last repeating the first: int(8.8) = 8 train rows; the repeated case stays
    # in train (never in two splits).
    rows = [[f"mask_{n}.png", text_of(n)] for n in [*names, names[0]]]
    write_csv(root / "prompt/train.csv", ["Image", "Description"], rows)
    assert [s.key for s in read_mosmed(root, "val")] == ["case_0", "case_1"]
    assert "case_9" in {s.key for s in read_mosmed(root, "train")}


def test_qata_prompt_layout_without_val_csv(tmp_path: Path) -> None:
    """QaTa as GuideDecoder publishes it (no val.csv): val is train.csv's last 20%."""
    names = [f"covid_{i}" for i in (7, 2, 9, 0, 5, 1, 8, 3, 6, 4)]
    root = guidedecoder(tmp_path, train=names, test=["test_1"])
    train, val = read_qata(root, "train"), read_qata(root, "val")
    assert [s.key for s in val] == ["covid_4", "covid_6"]
    assert [s.key for s in train] == sorted(names[:8])
    assert {s.modality for s in train + val} == {"xray"}
    assert val[0].mask == root / "Train/GTs/mask_covid_4.png"
    assert [s.key for s in read_qata(root, "test")] == ["test_1"]
    # A val.csv brings back today's behaviour: train.csv is all train, val.csv is val.
    write_csv(root / "prompt/val.csv", ["Image", "Description"], [["mask_covid_extra.png", TEXT]])
    png(root / "Train/Images/covid_extra.png"), png(root / "Train/GTs/mask_covid_extra.png")
    assert [s.key for s in read_qata(root, "train")] == sorted(names)
    assert [s.key for s in read_qata(root, "val")] == ["covid_extra"]


@pytest.mark.parametrize("prefix", ["mask_", ""])
def test_guidedecoder_problems_all_reported(tmp_path: Path, prefix: str) -> None:
    root = guidedecoder(tmp_path, prefix=prefix)
    gts, images = root / "Train/GTs", root / "Train/Images"
    (gts / f"{prefix}bjorke_3.png").unlink()  # a train row
    (images / "Morozov_study_0297_12.png").unlink()  # a train row
    (images / "bjorke_1.png").unlink()  # a val row: reported when val is read
    with pytest.raises(DatasetError) as info:
        read_mosmed(root, "train")
    err = info.value
    assert str(err).splitlines()[0] == f"MosMedData+ (prompt layout) at {root}: 2 problems in the train split"
    assert err.problems == [
        f"missing image for 'Morozov_study_0297_12': expected {images / 'Morozov_study_0297_12.png'}",
        f"missing mask for 'bjorke_3': expected {gts / f'{prefix}bjorke_3.png'}",  # as the CSV names it
    ]
    with pytest.raises(DatasetError) as info:
        read_mosmed(root, "val")
    assert info.value.problems == [f"missing image for 'bjorke_1': expected {images / 'bjorke_1.png'}"]

    # A CSV without the Description column: that, and every image it leaves without text.
    write_csv(root / "prompt/test.csv", ["Image", "Caption"], [[f"{prefix}{n}.png", TEXT] for n in GD_TEST])
    with pytest.raises(DatasetError) as info:
        read_mosmed(root, "test")
    problems = info.value.problems
    assert len(problems) == 3
    assert problems[0] == (
        f"{root / 'prompt/test.csv'}: needs columns Image and Description (or image,text /"
        " image,prompt); found ['Image', 'Caption']"
    )
    assert all(p.startswith("image without a text row: ") for p in problems[1:])
    (root / "prompt/train.csv").unlink()
    with pytest.raises(DatasetError, match=r"text file not found: expected .*prompt/train\.csv"):
        read_mosmed(root, "val")


def test_mosmed_layout_detection(tmp_path: Path) -> None:
    """LViT's and GuideDecoder's layouts are told apart by what exists; LViT's wins if both."""
    lvit, gd = mosmed(tmp_path / "lvit"), guidedecoder(tmp_path / "gd")
    assert [s.key for s in read_mosmed(lvit, "val")] == ["2_5"]
    assert [s.key for s in read_mosmed(gd, "val")] == ["Jun_radiopaedia_4_85", "bjorke_1"]
    (lvit / "Val_Folder/img/2_5.png").unlink()
    (gd / "Train/Images/bjorke_1.png").unlink()
    with pytest.raises(DatasetError, match=r"^MosMedData\+ \(LViT layout\)"):
        read_mosmed(lvit, "val")
    with pytest.raises(DatasetError, match=r"^MosMedData\+ \(prompt layout\)"):
        read_mosmed(gd, "val")
    # GuideDecoder's images without its prompt/ folder: still that layout, its CSV missing.
    (gd / "prompt/train.csv").unlink()
    (gd / "prompt/test.csv").unlink()
    (gd / "prompt").rmdir()
    with pytest.raises(DatasetError, match=r"prompt layout.*\n.*expected .*prompt/train\.csv"):
        read_mosmed(gd, "train")
    # Both layouts under one root: LViT's is read.
    both = guidedecoder(mosmed(tmp_path / "both"))
    assert [s.key for s in read_mosmed(both, "train")] == ["1_10", "1_11"]
    # Neither: both layouts are named in the one error.
    (tmp_path / "none/Images").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no known layout") as info:
        read_mosmed(tmp_path / "none")
    assert len(info.value.problems) == 2
    assert "Train_Folder" in info.value.problems[0] and "prompt/{train,test}.csv" in info.value.problems[1]


@pytest.mark.parametrize("dataset", ["mosmed", "mosmedplus"])
def test_mosmed_guidedecoder_text_convention(tmp_path: Path, dataset: str) -> None:
    """``--text-convention auto`` measures and converts GuideDecoder-layout MosMedData+ texts
    like LViT-layout ones (masks on the image right, texts naming that side: viewer)."""
    from ssa.data.prepare import prepare_real_cases

    one_side = "Unilateral pulmonary infection, one infected area, lower right lung."
    root = guidedecoder(tmp_path, text=lambda n: one_side)
    cases = prepare_real_cases(dataset, root, "train", "report", "auto", "radiological")
    assert cases.decision.texts == "viewer" and cases.decision.converted
    assert cases.decision.n_compared == 5
    assert {s.text for s in cases.report} == {one_side.replace("right", "left")}


def test_csv_reader(tmp_path: Path) -> None:
    png(tmp_path / "data/a/img1.png"), png(tmp_path / "data/a/m1.png")
    png(tmp_path / "data/b/img1.png"), png(tmp_path / "data/b/m1.png")
    absolute = png(tmp_path / "elsewhere/ct.png")
    path = write_csv(
        tmp_path / "data/list.csv",
        ["image", "mask", "text", "modality"],
        [
            ["a/img1.png", "a/m1.png", TEXT, ""],
            ["b/img1.png", "b/m1.png", TEXT, "XRAY"],
            [str(absolute), str(absolute), "CT text", "ct"],
            ["a/img1.png", "a/m1.png", "second text of a/img1", "xray"],
        ],
    )
    samples = read_dataset("csv", path, split="test")  # no split column: test is every row
    assert [(s.key, s.modality) for s in samples] == [
        ("a/img1", "xray"),
        ("a/img1#2", "xray"),
        ("b/img1", "xray"),
        ("ct", "ct"),
    ]
    assert samples[0].image == tmp_path / "data/a/img1.png" and samples[0].text == TEXT
    assert samples[1].image == samples[0].image and samples[1].text == "second text of a/img1"
    with pytest.raises(ValueError, match="split"):
        read_csv(path, "ignored")
    write_csv(path, ["image", "mask", "text"], [["a/img1.png", "a/m1.png", TEXT]])
    assert read_csv(path)[0].key == "img1" and read_csv(path)[0].modality == "xray"


def test_csv_reader_problems(tmp_path: Path) -> None:
    png(tmp_path / "i.png")
    path = write_csv(
        tmp_path / "list.csv",
        ["image", "mask", "text", "modality"],
        [
            ["i.png", "i.png", TEXT, "mri"],
            ["i.png", "gone.png", TEXT, "ct"],
            ["nothere.png", "i.png", "", "ct"],
        ],
    )
    with pytest.raises(DatasetError) as info:
        read_csv(path)
    err = info.value
    assert str(err).startswith(f"CSV dataset at {path}: 4 problems")
    assert "modality 'mri'" in str(err) and str(tmp_path / "gone.png") in str(err)
    assert str(tmp_path / "nothere.png") in str(err) and "row 4: empty text" in str(err)
    write_csv(path, ["img", "mask", "text"], [])
    with pytest.raises(DatasetError, match="needs columns image, mask, text"):
        read_csv(path)
    with pytest.raises(DatasetError, match="not found"):
        read_csv(tmp_path / "none.csv")
    with pytest.raises(ValueError, match="unknown dataset"):
        read_dataset("kvasir", tmp_path)


def test_csv_several_rows_per_image(tmp_path: Path) -> None:
    """Referring data: one image, several texts; every row is a sample with a unique key."""
    png(tmp_path / "x.png"), png(tmp_path / "mx.png"), png(tmp_path / "y.png")
    png(tmp_path / "x#2.png")  # an image whose own name is "x#2": keys must still not clash
    path = write_csv(
        tmp_path / "list.csv",
        ["image", "mask", "text"],
        [
            ["x.png", "mx.png", "left lung"],
            ["y.png", "mx.png", TEXT],
            ["x.png", "mx.png", "right lung"],
            ["x#2.png", "mx.png", "own image"],
            ["x.png", "mx.png", "both lungs"],
        ],
    )
    samples = read_csv(path)
    assert [(s.key, s.image.name, s.text) for s in samples] == [
        ("x", "x.png", "left lung"),
        ("x#2", "x#2.png", "own image"),
        ("x#3", "x.png", "right lung"),
        ("x#4", "x.png", "both lungs"),
        ("y", "y.png", TEXT),
    ]


def test_csv_split_column(tmp_path: Path) -> None:
    for n in ("a", "b", "c", "d", "m"):
        png(tmp_path / f"{n}.png")
    path = write_csv(
        tmp_path / "list.csv",
        ["image", "mask", "text", "Split"],
        [
            ["a.png", "m.png", "a text", "train"],
            ["a.png", "m.png", "a other text", "TRAIN"],
            ["b.png", "m.png", "b text", "valid"],
            ["c.png", "m.png", "c text", "Validation"],
            ["d.png", "m.png", "d text", "test"],
        ],
    )
    assert [s.key for s in read_csv(path, "train")] == ["a", "a#2"]
    assert [s.key for s in read_csv(path, "val")] == ["b", "c"]
    assert [s.key for s in read_csv(path, "test")] == ["d"]
    assert [s.key for s in read_csv(path)] == ["a", "a#2", "b", "c", "d"]

    write_csv(
        path,
        ["image", "mask", "text", "split"],
        [
            ["a.png", "m.png", "a text", "train"],
            ["b.png", "m.png", "b text", "dev"],
            ["c.png", "gone.png", "c text", "test"],
            ["d.png", "m.png", "d text", ""],
        ],
    )
    with pytest.raises(DatasetError) as info:
        read_csv(path, "train")  # problems in other splits' rows are reported too
    assert info.value.problems == [
        f"{path} row 3: split 'dev' is not one of train, val, test",
        f"{path} row 4: missing mask {tmp_path / 'gone.png'}",
        f"{path} row 5: split '' is not one of train, val, test",
    ]


def holdout_csv(root: Path, n_images: int = 20) -> Path:
    """CSV without a split column: ``n_images`` images, two texts each."""
    png(root / "m.png")
    rows = []
    for i in range(n_images):
        png(root / f"i{i:02d}.png")
        rows += [[f"i{i:02d}.png", "m.png", f"text {i}"], [f"i{i:02d}.png", "m.png", f"again {i}"]]
    return write_csv(root / "list.csv", ["image", "mask", "text"], rows)


def test_csv_holdout_without_split_column(tmp_path: Path) -> None:
    path = holdout_csv(tmp_path)
    everything = read_csv(path)
    train, val = read_csv(path, "train"), read_csv(path, "val")
    assert len(everything) == 40
    assert read_csv(path, "test") == everything
    assert {s.image for s in val} & {s.image for s in train} == set()  # no image leaks
    assert sorted(train + val, key=lambda s: s.key) == everything
    assert len({s.image for s in val}) == 2  # a tenth of 20 images
    assert len(val) == 4  # with both texts of each held-out image
    assert read_csv(path, "train") == train and read_csv(path, "val") == val
    assert {s.image for s in val} == holdout_images([s.image for s in everything])


def test_holdout_images() -> None:
    images = [Path(f"/d/{i}.png") for i in range(30)]
    held = holdout_images(images)
    assert len(held) == 3 and held <= set(images)
    assert holdout_images(images[::-1] + images) == held  # order and repeats do not matter
    assert holdout_images(images, seed=1) != held
    assert len(holdout_images(images[:2])) == 1  # at least one, never all
    assert len(holdout_images(images[:5], share=0.9)) == 4
    assert holdout_images(images[:1]) == set()


def test_read_dataset_passes_csv_split(tmp_path: Path) -> None:
    path = holdout_csv(tmp_path)
    val = read_dataset("csv", path, "val")
    assert val == read_csv(path, "val") and 0 < len(val) < len(read_csv(path))
    assert read_dataset("csv", path, "train") == read_csv(path, "train")


# --------------------------------------------------------------------------- laterality check


def laterality_fixture(root: Path) -> Path:
    """CSV dataset whose masks follow the radiological convention (patient left = image right)."""
    rows = []
    for i, (text, lesion_right) in enumerate(
        [
            ("Unilateral pulmonary infection, one infected area, lower left lung.", True),
            ("Unilateral pulmonary infection, one infected area, upper right lung.", False),
            ("Unilateral pulmonary infection, two infected areas, upper middle left lung.", True),
            ("Unilateral pulmonary infection, one infected area, middle right lung.", False),
            (
                "Bilateral pulmonary infection, two infected areas, all left lung and all right lung.",
                True,
            ),
        ]
    ):
        mask = np.zeros((16, 16), np.uint8)
        mask[4:12, 10:14] = 255
        if not lesion_right:
            mask = mask[:, ::-1].copy()
        cv2.imwrite(str(root / f"m{i}.png"), mask)
        cv2.imwrite(str(root / f"i{i}.png"), mask // 2)
        rows.append([f"i{i}.png", f"m{i}.png", text])
    return write_csv(root / "lat.csv", ["image", "mask", "text"], rows)


def test_laterality_report_and_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from ssa.data.check_laterality import laterality_report, main

    path = laterality_fixture(tmp_path)
    report = laterality_report(read_csv(path), progress=False)
    assert report["n_samples"] == 5 and report["n_unilateral"] == 4 and report["n_compared"] == 4
    assert report["agreement"] == {"radiological": 1.0, "viewer": 0.0}
    assert report["recommended"] == "radiological"

    out = tmp_path / "out/lat.json"
    assert (
        main(["--dataset", "csv", "--data-root", str(path), "--json", str(out), "--no-progress"])
        == 0
    )
    printed = capsys.readouterr().out
    assert (
        "radiological" in printed
        and "100.0%" in printed
        and "recommended convention: radiological" in printed
    )
    assert json.loads(out.read_text())["agreement"]["viewer"] == 0.0
    assert main(["--dataset", "qata", "--data-root", str(tmp_path / "missing")]) == 2
