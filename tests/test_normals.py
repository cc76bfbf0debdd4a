"""Normal chest X-ray reader: each published layout built for real (tiny PNG/JPEG) in tmp_path."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ssa.data.normals import SPLITS, find_normal_xrays, patient_id, read_normal_xrays
from ssa.data.samples import DatasetError


def image(path: Path, value: int = 128) -> Path:
    """Write a tiny grey image (PNG or JPEG by the name's extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((8, 8), value, np.uint8))
    return path


def covid_radiography(root: Path, n_normal: int = 40) -> set[Path]:
    """COVID-19 Radiography Database, 2nd update: class folders side by side."""
    base = root / "COVID-19_Radiography_Dataset"
    for i in range(1, 6):
        image(base / "COVID" / f"COVID-{i}.png")
    (base / "README.md.txt").write_text("COVID-19 CHEST X-RAY DATABASE")
    # Numbered past the database's paediatric block (Normal-63 .. 1403), which the reader drops.
    return {image(base / "Normal" / f"Normal-{i}.png") for i in range(2000, 2000 + n_normal)}


def covid_radiography_v4(root: Path) -> set[Path]:
    """Later releases: Normal/{images,masks}/ beside Lung_Opacity/, Viral Pneumonia/."""
    base = root / "COVID-19_Radiography_Dataset"
    for cls in ("COVID", "Lung_Opacity", "Viral Pneumonia"):
        image(base / cls / "images" / f"{cls}-1.png")
        image(base / cls / "masks" / f"{cls}-1.png", 255)
    for i in range(1, 4):
        image(base / "Normal" / "masks" / f"Normal-{i}.png", 255)
    return {image(base / "Normal" / "images" / f"Normal-{i}.png") for i in range(1, 4)}


def kermany(root: Path) -> set[Path]:
    """Kermany et al.'s chest_xray: {train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg."""
    base = root / "chest_xray"
    normals = set()
    for split, names in {
        "train": ["IM-0115-0001", "IM-0115-0002", "NORMAL2-IM-0372-0001"],
        "val": ["NORMAL2-IM-1427-0001"],
        "test": ["IM-0001-0001", "IM-0003-0001"],
    }.items():
        normals |= {image(base / split / "NORMAL" / f"{n}.jpeg") for n in names}
        image(base / split / "PNEUMONIA" / "person1_bacteria_1.jpeg")
        image(base / split / "PNEUMONIA" / "person1_virus_6.jpeg")
    (base / ".DS_Store").write_bytes(b"\0")
    image(base / "train" / "NORMAL" / "._IM-0115-0001.jpeg")  # macOS resource fork
    return normals


def tb_sets(root: Path) -> set[Path]:
    """Montgomery and Shenzhen: CXR_png/<ID>_<0|1>.png, Montgomery's masks under the same names."""
    mc, sz = root / "MontgomerySet", root / "ChinaSet_AllFiles"
    normals = {
        image(mc / "CXR_png" / "MCUCXR_0001_0.png"),
        image(mc / "CXR_png" / "MCUCXR_0002_0.png"),
    }
    image(mc / "CXR_png" / "MCUCXR_0104_1.png")
    for side in ("leftMask", "rightMask"):
        image(mc / "ManualMask" / side / "MCUCXR_0001_0.png", 255)
    (mc / "ClinicalReadings").mkdir()
    (mc / "ClinicalReadings" / "MCUCXR_0001_0.txt").write_text("Patient's Sex: F\nnormal")
    normals.add(image(sz / "CXR_png" / "CHNCXR_0001_0.png"))
    image(sz / "CXR_png" / "CHNCXR_0327_1.png")
    return normals


def all_splits(root: Path, seed: int = 0) -> dict[str, list[Path]]:
    return {s: read_normal_xrays(root, s, seed=seed) for s in SPLITS}


@pytest.mark.parametrize("build", [covid_radiography, covid_radiography_v4, kermany, tb_sets])
def test_finds_the_normals_and_only_them(tmp_path, build):
    normals = build(tmp_path)
    assert set(find_normal_xrays(tmp_path)) == normals  # abnormal, masks, non-images left out
    splits = all_splits(tmp_path)
    assert set().union(*splits.values()) == normals
    for paths in splits.values():
        assert paths == sorted(paths)
        assert all(p.is_absolute() for p in paths)


def test_layouts_mixed_under_one_root(tmp_path):
    normals = (
        covid_radiography(tmp_path / "a", 5) | kermany(tmp_path / "b") | tb_sets(tmp_path / "c")
    )
    assert set(find_normal_xrays(tmp_path)) == normals


def test_splits_are_disjoint_cover_all_and_deterministic(tmp_path):
    normals = covid_radiography(tmp_path, n_normal=200)
    splits = all_splits(tmp_path)
    sets = [set(splits[s]) for s in SPLITS]
    assert sum(len(s) for s in sets) == len(normals) == len(set().union(*sets))
    assert all(len(s) > 0 for s in sets)
    assert 100 < len(splits["train"]) < 180  # about 70 / 10 / 20 %
    assert all_splits(tmp_path) == splits
    assert all_splits(tmp_path, seed=1) != splits


def test_split_of_an_image_does_not_depend_on_the_others(tmp_path):
    covid_radiography(tmp_path, n_normal=50)
    test_before = read_normal_xrays(tmp_path, "test")
    image(tmp_path / "COVID-19_Radiography_Dataset" / "Normal" / "Normal-51.png")
    assert set(test_before) <= set(read_normal_xrays(tmp_path, "test"))


def test_a_patients_images_share_a_split(tmp_path):
    kermany(tmp_path)
    first = tmp_path / "chest_xray" / "train" / "NORMAL" / "IM-0115-0001.jpeg"
    second = first.with_name("IM-0115-0002.jpeg")
    assert patient_id(first) == patient_id(second) == "IM-0115"
    assert patient_id(first.with_name("NORMAL2-IM-1427-0001.jpeg")) == "NORMAL2-IM-1427"
    assert patient_id(Path("CHNCXR_0001_0.png")) == "CHNCXR_0001"
    assert patient_id(Path("Normal-7.png")) == "Normal-7"
    for seed in range(20):
        in_split = [s for s in SPLITS if first in read_normal_xrays(tmp_path, s, seed=seed)]
        assert len(in_split) == 1
        assert second in read_normal_xrays(tmp_path, in_split[0], seed=seed)


def test_exclude_file_drops_listed_ids(tmp_path):
    covid_radiography(tmp_path, n_normal=10)
    (tmp_path / "exclude.txt").write_text("# unwanted\nNormal-2002\nNormal-2003  # comment\n\n")
    stems = {p.stem for p in find_normal_xrays(tmp_path)}
    assert stems == {f"Normal-{i}" for i in range(2000, 2010)} - {"Normal-2002", "Normal-2003"}


def test_missing_root_is_a_clear_error(tmp_path):
    root = tmp_path / "nowhere"
    with pytest.raises(DatasetError, match="data root does not exist") as err:
        read_normal_xrays(root)
    assert str(root) in str(err.value)


@pytest.mark.parametrize("content", ["empty", "abnormal only"])
def test_root_without_normals_names_root_and_expected_layouts(tmp_path, content):
    if content == "abnormal only":
        image(tmp_path / "chest_xray" / "train" / "PNEUMONIA" / "person1_bacteria_1.jpeg")
        image(tmp_path / "CXR_png" / "CHNCXR_0327_1.png")
    with pytest.raises(DatasetError, match="no normal images found") as err:
        read_normal_xrays(tmp_path, "test")
    message = str(err.value)
    assert str(tmp_path) in message
    assert "NORMAL" in message and "CHNCXR_0001_0.png" in message


def test_all_excluded_is_an_error(tmp_path):
    covid_radiography(tmp_path, n_normal=2)
    (tmp_path / "exclude.txt").write_text("Normal-2000\nNormal-2001\n")
    with pytest.raises(DatasetError, match="all 2 normal images are listed"):
        read_normal_xrays(tmp_path)


def test_unknown_split_is_rejected(tmp_path):
    covid_radiography(tmp_path, n_normal=2)
    with pytest.raises(ValueError, match="split must be one of"):
        read_normal_xrays(tmp_path, "valid")


def test_the_radiography_databases_paediatric_block_is_left_out(tmp_path):
    # Normal-63 .. Normal-1403 of the COVID-19 Radiography Database are Kermany's children.
    folder = tmp_path / "COVID-19_Radiography_Dataset" / "Normal"
    kept = {image(folder / f"Normal-{i}.png") for i in (1, 62, 1404, 9000)}
    for i in (63, 700, 1403):
        image(folder / f"Normal-{i}.png")
    assert set(find_normal_xrays(tmp_path)) == kept
    # The same names elsewhere are not touched.
    other = image(tmp_path / "other_set" / "Normal" / "Normal-700.png")
    assert other in find_normal_xrays(tmp_path)
