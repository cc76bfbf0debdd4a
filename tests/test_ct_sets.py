"""Real-CT readers (ssa.data.ct_sets) on tiny generated fixtures in each published layout:
samples found, derived texts name the patient's side, radiological orientation from the
affine, splits disjoint by volume, every problem in one DatasetError."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ssa.data import ct_sets
from ssa.data.ct_sets import (
    DatasetError,
    derive_caption,
    hu_to_uint8,
    load_volume,
    mosmedplus_study,
    mosmedplus_study_splits,
    read_covid_semiseg,
    read_ct_set,
    read_ibsi_ct_phantom,
    read_mosmeddata,
    read_mosmedplus_texts,
    read_nrrd,
    read_pyradiomics_lung,
    split_groups,
    to_radiological,
)
from ssa.data.masks import load_mask
from ssa.spatial import Region, parse_locations

# Volumes are reoriented with nibabel (not in requirements.txt): their tests need it.
needs_nibabel = pytest.mark.skipif(importlib.util.find_spec("nibabel") is None, reason="needs nibabel")

LEFT_UPPER = "Unilateral pulmonary infection, one infected area, upper left lung."


# -- fixtures ---------------------------------------------------------------------------------


def chest_lps(left_lesion: bool = True, right_lesion: bool = False, lesion_slices=(2, 3)):
    """A tiny chest CT in HU and its mask, array axes (i, j, k) pointing to the patient's
    Left, Posterior, Superior (a DICOM-style "LPS" NIfTI): 40 x 32 x 6 voxels, body ellipse,
    two lungs, lesions in the anterior (upper) part of the requested lungs."""
    i, j = np.meshgrid(np.arange(40), np.arange(32), indexing="ij")
    body = ((i - 19.5) / 18) ** 2 + ((j - 15.5) / 14) ** 2 <= 1
    hu = np.where(body, 0.0, -1000.0).astype(np.float32)
    hu[7:18, 9:24] = -850.0  # patient's right lung: low i (i runs towards the patient's left)
    hu[22:33, 9:24] = -850.0  # patient's left lung
    volume = np.repeat(hu[:, :, None], 6, axis=2)
    mask = np.zeros(volume.shape, np.uint8)
    for k in lesion_slices:
        if left_lesion:
            mask[26:31, 9:13, k] = 1  # left lung, anterior (j runs towards posterior)
        if right_lesion:
            mask[9:14, 20:24, k] = 1  # right lung, posterior
    volume[mask > 0] = -100.0
    return volume, mask


LPS_AFFINE = np.array([[-1.0, 0, 0, 20], [0, -1.0, 0, 16], [0, 0, 2.0, -5], [0, 0, 0, 1]])


def save_nifti(path: Path, data: np.ndarray, affine: np.ndarray) -> Path:
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return path


def save_nrrd(path: Path, data: np.ndarray, spacing=(1.0, 1.0, 2.0), origin=(-20.0, -16.0, 0.0)) -> Path:
    """An LPS NRRD whose index axes point to the patient's Left, Posterior, Superior."""
    header = (
        "NRRD0004\n# tiny test volume\ntype: short\ndimension: 3\nspace: left-posterior-superior\n"
        f"sizes: {' '.join(str(s) for s in data.shape)}\n"
        f"space directions: ({spacing[0]},0,0) (0,{spacing[1]},0) (0,0,{spacing[2]})\n"
        "kinds: domain domain domain\nendian: little\nencoding: gzip\n"
        f"space origin: ({origin[0]},{origin[1]},{origin[2]})\n\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + gzip.compress(data.astype("<i2").tobytes(order="F")))
    return path


def write_image(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array.astype(np.uint8)).save(path)


def semiseg_case(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """A radiological 30 x 40 slice (anterior up, patient's left on the image right) and its
    mask: "left_lower" (one lesion, patient's left, lower third) or "bilateral"."""
    image = np.full((30, 40), 200, np.uint8)
    image[4:26, 4:18] = 40
    image[4:26, 22:36] = 40
    mask = np.zeros((30, 40), bool)
    if kind == "left_lower":
        mask[20:25, 25:32] = True
    else:
        mask[5:9, 25:32] = True  # patient's left, upper
        mask[20:25, 6:12] = True  # patient's right, lower
    image[mask] = 150
    return image, mask


def make_semiseg(root: Path, n_train: int = 10, n_test: int = 4) -> Path:
    """COVID-SemiSeg's published layout; files stored transposed, as Inf-Net published them."""
    folders = {
        "train": root / "Dataset" / "TrainingSet" / "LungInfection-Train" / "Doctor-label",
        "test": root / "Dataset" / "TestingSet" / "LungInfection-Test",
    }
    names = {"train": range(n_train), "test": range(100, 100 + n_test)}
    for split, folder in folders.items():
        for n in names[split]:
            image, mask = semiseg_case("left_lower" if n % 2 == 0 else "bilateral")
            write_image(folder / "Imgs" / f"{n}.jpg", image.T)
            write_image(folder / "GT" / f"{n}.png", mask.T.astype(np.uint8) * 255)
    return root


def make_mosmed(root: Path, n: int = 5) -> Path:
    """MosMedData COVID19_1110's layout with ``n`` annotated studies."""
    base = root / "COVID19_1110"
    for s in range(1, n + 1):
        volume, mask = chest_lps(left_lesion=s % 2 == 1, right_lesion=s % 2 == 0)
        save_nifti(base / "studies" / "CT-1" / f"study_{s:04d}.nii.gz", volume.astype(np.int16), LPS_AFFINE)
        save_nifti(base / "masks" / f"study_{s:04d}_mask.nii.gz", mask, LPS_AFFINE)
    return root


def study_of(key: str) -> str:
    return key.rsplit("_z", 1)[0]


# -- window, orientation, captions ------------------------------------------------------------


def test_lung_window_mapping_is_documented_w1500_l600():
    assert hu_to_uint8(np.array([-2000, -1350, -600, 150, 3000])).tolist() == [0, 0, 128, 255, 255]


@needs_nibabel
@pytest.mark.parametrize("flip", [False, True])
def test_orientation_from_the_affine_puts_patient_left_on_image_right_anterior_up(flip):
    volume, mask = chest_lps()
    affine = LPS_AFFINE
    if flip:  # the same anatomy stored RAS: index axes towards Right and Anterior
        volume, mask = volume[::-1, ::-1], mask[::-1, ::-1]
        affine = np.diag([1.0, 1.0, 2.0, 1.0])
    slices, _ = to_radiological(mask, affine)
    rows, cols = np.nonzero(slices[2])
    assert slices.shape == (6, 32, 40)
    assert cols.min() >= 20  # patient's left -> image right half
    assert rows.max() < 16  # anterior lesion -> top half
    assert derive_caption(slices[2], ct_sets.estimate_lungs(to_radiological(volume, affine)[0][2])) == LEFT_UPPER


def test_derived_captions_follow_qata_template_and_patient_sides():
    mask = np.zeros((30, 40), bool)
    mask[22:26, 26:30] = True  # image right = patient's left, lower third
    assert derive_caption(mask) == "Unilateral pulmonary infection, one infected area, lower left lung."
    mask[2:6, 6:10] = True  # image left = patient's right, upper third
    text = derive_caption(mask)
    assert text == "Bilateral pulmonary infection, two infected areas, lower left lung and upper right lung."
    assert set(parse_locations(text)) == {Region("left", frozenset({"lower"})), Region("right", frozenset({"upper"}))}
    # viewer convention: the same pixels are the other sides of the patient
    assert derive_caption(mask, convention="viewer").endswith("upper left lung and lower right lung.")
    assert derive_caption(np.zeros((8, 8), bool)) is None


def test_levels_are_thirds_of_the_lung_extent_not_of_the_image():
    mask = np.zeros((60, 40), bool)
    lungs = np.zeros((60, 40), bool)
    lungs[30:60, :] = True  # lungs only in the bottom half
    mask[33:36, 25:30] = True  # top third of the lungs, though in the image's middle third
    assert derive_caption(mask, lungs) == "Unilateral pulmonary infection, one infected area, upper left lung."


@needs_nibabel
def test_nrrd_reader_gives_ras_affine_and_fortran_ordered_data(tmp_path):
    volume, _ = chest_lps()
    path = save_nrrd(tmp_path / "v.nrrd", volume)
    data, affine = read_nrrd(path)
    assert data.shape == volume.shape and np.array_equal(data, volume.astype(np.int16))
    assert np.allclose(affine, [[-1, 0, 0, 20], [0, -1, 0, 16], [0, 0, 2, 0], [0, 0, 0, 1]])
    import nibabel as nib

    assert nib.aff2axcodes(affine) == ("L", "P", "S")
    assert np.array_equal(load_volume(path)[0], data)


# -- splits -----------------------------------------------------------------------------------


def test_split_groups_is_seeded_deterministic_and_whole():
    groups = [f"v{i}" for i in range(12)]
    a, b = split_groups(groups, seed=3), split_groups(reversed(groups), seed=3)
    assert a == b and set(a) == set(groups)
    assert {v for v in a.values()} == {"train", "val", "test"}
    assert split_groups(["only"]) == {"only": "test"}
    assert sorted(split_groups(["a", "b"]).values()) == ["test", "train"]


# -- COVID-SemiSeg (2-D, transposed published files) -------------------------------------------


def test_semiseg_samples_are_transposed_to_radiological_with_derived_texts(tmp_path):
    root = make_semiseg(tmp_path / "covid_semiseg")
    cache = tmp_path / "cache"
    split = {s: read_covid_semiseg(root, s, cache_dir=cache) for s in ("train", "val", "test")}
    assert [len(split[s]) for s in ("train", "val", "test")] == [9, 1, 4]
    assert not {x.key for x in split["train"]} & {x.key for x in split["val"]}
    for s in split["train"] + split["val"] + split["test"]:
        assert s.modality == "ct" and s.image.is_file() and s.mask.is_file()
        assert not s.image.is_relative_to(root)  # copies, not the published (transposed) files
        assert np.asarray(Image.open(s.image)).shape == (30, 40)
        n = int(s.key.split("_")[1])
        expected_image, expected_mask = semiseg_case("left_lower" if n % 2 == 0 else "bilateral")
        assert np.array_equal(load_mask(s.mask), expected_mask)
        if n % 2 == 0:
            assert s.text == "Unilateral pulmonary infection, one infected area, lower left lung."
        else:
            assert s.text == ("Bilateral pulmonary infection, two infected areas, "
                              "upper left lung and lower right lung.")
    assert read_covid_semiseg(root, "val", cache_dir=cache) == split["val"]  # cached, same answer


def test_semiseg_lists_every_problem(tmp_path):
    root = make_semiseg(tmp_path / "covid_semiseg", n_test=3)
    test_dir = root / "Dataset" / "TestingSet" / "LungInfection-Test"
    (test_dir / "GT" / "100.png").unlink()
    write_image(test_dir / "GT" / "999.png", np.zeros((4, 4)))
    with pytest.raises(DatasetError) as err:
        read_covid_semiseg(root, "test", cache_dir=tmp_path / "cache")
    text = "\n".join(err.value.problems)
    assert "missing mask for 100.jpg" in text and "999.png" in text


# -- NIfTI volumes: MosMedData layout ---------------------------------------------------------


@needs_nibabel
def test_mosmed_volumes_are_sliced_split_by_study_and_captioned_by_patient_side(tmp_path):
    root = make_mosmed(tmp_path / "mosmed")
    cache = tmp_path / "cache"
    split = {s: read_mosmeddata(root, s, cache_dir=cache) for s in ("train", "val", "test")}
    studies = {s: {study_of(x.key) for x in samples} for s, samples in split.items()}
    assert [len(studies[s]) for s in ("train", "val", "test")] == [3, 1, 1]
    assert not (studies["train"] & studies["val"] or studies["train"] & studies["test"]
                or studies["val"] & studies["test"])
    again = {s: read_mosmeddata(root, s, cache_dir=tmp_path / "other") for s in split}  # deterministic
    assert {s: [(x.key, x.text) for x in v] for s, v in again.items()} == {
        s: [(x.key, x.text) for x in v] for s, v in split.items()}
    everything = read_mosmeddata(root, None, cache_dir=cache)
    assert len(everything) == 5 * 2  # lesion slices only (2 per study)
    for s in everything:
        mask = load_mask(s.mask)
        rows, cols = np.nonzero(mask)
        image = np.asarray(Image.open(s.image))
        assert image.shape == mask.shape == (32, 40)  # midline already at the centre: no padding
        n = int(study_of(s.key).split("_")[1])
        if n % 2 == 1:  # lesion in the patient's left lung, anterior
            assert cols.min() >= 20 and rows.max() < 16
            assert s.text == LEFT_UPPER
        else:  # patient's right lung, posterior
            assert cols.max() < 20
            assert s.text == "Unilateral pulmonary infection, one infected area, lower right lung."
        assert image[rows, cols].min() == hu_to_uint8(np.array([-100.0]))[0]  # lung window applied


@needs_nibabel
def test_empty_slices_only_on_request(tmp_path):
    root = make_mosmed(tmp_path / "mosmed", n=3)
    samples = read_mosmeddata(root, None, cache_dir=tmp_path / "cache", include_empty=True)
    assert len(samples) == 3 * 6
    empty = [s for s in samples if not load_mask(s.mask).any()]
    assert len(empty) == 3 * 4 and {s.text for s in empty} == {"No pulmonary infection."}


@needs_nibabel
def test_midline_of_an_off_centre_patient_is_moved_to_the_image_centre(tmp_path):
    volume, mask = chest_lps()
    shifted = np.full((52, 32, 6), -1000.0, np.float32)  # 12 more columns of air on the patient's left
    shifted[:40] = volume
    shifted_mask = np.zeros(shifted.shape, np.uint8)
    shifted_mask[:40] = mask
    base = tmp_path / "mosmed" / "COVID19_1110"
    save_nifti(base / "studies" / "CT-1" / "study_0001.nii.gz", shifted.astype(np.int16), LPS_AFFINE)
    save_nifti(base / "masks" / "study_0001_mask.nii.gz", shifted_mask, LPS_AFFINE)
    (sample, _) = read_mosmeddata(tmp_path / "mosmed", None, cache_dir=tmp_path / "cache")
    image = np.asarray(Image.open(sample.image))
    assert image.shape == (32, 64)  # 12 columns of air added on the patient's right (image left)
    assert sample.text == LEFT_UPPER


@needs_nibabel
def test_cropped_volume_uses_the_scanner_isocentre_as_midline(tmp_path):
    """Like the IBSI phantom: only the patient's right hemithorax, the body cut by the crop."""
    volume, mask = chest_lps(left_lesion=False, right_lesion=True)
    base = tmp_path / "mosmed" / "COVID19_1110"
    save_nifti(base / "studies" / "CT-1" / "study_0001.nii.gz", volume[:20].astype(np.int16), LPS_AFFINE)
    save_nifti(base / "masks" / "study_0001_mask.nii.gz", mask[:20], LPS_AFFINE)
    samples = read_mosmeddata(tmp_path / "mosmed", None, cache_dir=tmp_path / "cache")
    assert len(samples) == 2
    for sample in samples:
        image, lesion = np.asarray(Image.open(sample.image)), load_mask(sample.mask)
        assert image.shape == (32, 41)  # x = 0 lies at column 20; 21 columns of air added on the right
        assert np.nonzero(lesion)[1].max() < 20
        assert sample.text == "Unilateral pulmonary infection, one infected area, lower right lung."


@needs_nibabel
def test_mosmed_missing_studies_are_all_reported(tmp_path):
    root = make_mosmed(tmp_path / "mosmed", n=3)
    for s in (1, 3):
        (root / "COVID19_1110" / "studies" / "CT-1" / f"study_{s:04d}.nii.gz").unlink()
    with pytest.raises(DatasetError) as err:
        read_mosmeddata(root, None, cache_dir=tmp_path / "cache")
    assert len(err.value.problems) == 2
    assert all("missing CT study" in p for p in err.value.problems)


# -- NRRD volumes (pyradiomics) and the single-volume IBSI phantom -----------------------------


@needs_nibabel
def test_pyradiomics_layout_two_volumes_one_train_one_test(tmp_path):
    data = tmp_path / "pyradiomics" / "data"
    for n, left in ((1, True), (2, False)):
        volume, mask = chest_lps(left_lesion=left, right_lesion=not left)
        save_nrrd(data / f"lung{n}_image.nrrd", volume)
        save_nrrd(data / f"lung{n}_label.nrrd", mask)
    cache = tmp_path / "cache"
    train = read_pyradiomics_lung(tmp_path / "pyradiomics", "train", cache_dir=cache)
    test = read_pyradiomics_lung(tmp_path / "pyradiomics", "test", cache_dir=cache)
    assert len(train) == len(test) == 2
    assert {study_of(s.key) for s in train} | {study_of(s.key) for s in test} == {"lung1", "lung2"}
    assert not {study_of(s.key) for s in train} & {study_of(s.key) for s in test}
    texts = {study_of(s.key): s.text for s in train + test}
    assert texts["lung1"] == "Unilateral pulmonary lesion, one lesion area, upper left lung."
    assert texts["lung2"] == "Unilateral pulmonary lesion, one lesion area, lower right lung."


@needs_nibabel
def test_ibsi_phantom_single_volume_is_the_test_split(tmp_path):
    volume, mask = chest_lps()
    base = tmp_path / "ibsi" / "ibsi_1_ct_radiomics_phantom" / "nifti"
    save_nifti(base / "image" / "phantom.nii.gz", volume, LPS_AFFINE)
    save_nifti(base / "mask" / "mask.nii.gz", mask, LPS_AFFINE)
    cache = tmp_path / "cache"
    assert read_ibsi_ct_phantom(tmp_path / "ibsi", "train", cache_dir=cache) == []
    test = read_ct_set("ibsi_ct_phantom", tmp_path / "ibsi", "test", cache_dir=cache)
    assert len(test) == 2 and {s.text for s in test} == {
        "Unilateral pulmonary lesion, one lesion area, upper left lung."}


# -- MosMedData+ texts (LViT layout, no images) ------------------------------------------------


def test_mosmedplus_texts_and_studies_in_several_splits(tmp_path):
    from openpyxl import Workbook

    rows = {
        "train": ["Jun_coronacases_case8_100.png", "Morozov_study_0295_11.png", "bjorke_1.png"],
        "val": ["Jun_coronacases_case8_120.png", "Morozov_study_0300_3.png"],
        "test": ["Morozov_study_0295_20.png", "bjorke_2.png"],
    }
    for split, keys in rows.items():
        folder = tmp_path / "mosmedplus" / f"{split.capitalize()}_Folder"
        folder.mkdir(parents=True)
        book = Workbook()
        book.active.append(["Image", "Description"])
        for key in keys:
            book.active.append([key, "Unilateral pulmonary infection, one infected area, lower left lung."])
        book.save(folder / f"{split.capitalize()}_text.xlsx")
    texts = read_mosmedplus_texts(tmp_path / "mosmedplus", "val")
    assert set(texts) == {"Jun_coronacases_case8_120", "Morozov_study_0300_3"}
    assert mosmedplus_study("Morozov_study_0295_11.png") == "Morozov_study_0295"
    assert mosmedplus_study("bjorke_1") == "bjorke_1"
    assert mosmedplus_study_splits(tmp_path / "mosmedplus") == {
        "Jun_coronacases_case8": ["train", "val"], "Morozov_study_0295": ["train", "test"]}


# -- a missing root ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ct_sets.CT_SETS))
def test_missing_root_is_one_clear_dataset_error(tmp_path, name):
    missing = tmp_path / "nowhere"
    with pytest.raises(DatasetError) as err:
        read_ct_set(name, missing, "test", **({} if name == "mosmedplus" else {"cache_dir": tmp_path / "c"}))
    assert str(missing) in str(err.value)
    assert "does not exist" in str(err.value)


def test_unknown_set_and_split_are_value_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown CT set"):
        read_ct_set("nope", tmp_path)
    with pytest.raises(ValueError, match="split must be"):
        read_mosmeddata(tmp_path, "training")
