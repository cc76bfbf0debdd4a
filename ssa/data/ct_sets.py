"""Real CT lung-lesion sets, each read in its published layout into :class:`Sample` records.

What each reader reads (local copies under ``~/data/ct/``; none of it is in this repository):

* ``covid_semiseg`` -- COVID-SemiSeg's labelled part (Fan et al., Inf-Net, IEEE TMI 2020): 98
  of the 100 axial slices of the "COVID-19 CT segmentation dataset" (medicalsegmentation.com,
  Italian Society of Medical and Interventional Radiology), each cropped to its lungs (158-507
  px wide, 153-456 px high once transposed), 8-bit JPEG images of unknown window and 0/255 PNG
  infection masks. Published split: 50 train ("Doctor-label"), 48 test. Layout::

      Dataset/TrainingSet/LungInfection-Train/Doctor-label/{Imgs/N.jpg, GT/N.png}
      Dataset/TestingSet/LungInfection-Test/{Imgs/N.jpg, GT/N.png}

  The files are stored **transposed** (anterior at the image left, the patient's left at the
  image bottom; checked on heart, aorta, liver and stomach); the reader writes transposed
  copies, which are in the radiological convention. Which patient a slice comes from is not
  published, so "val" (a seeded tenth of the train slices) cannot be kept patient-disjoint.
  Non-commercial use only (Inf-Net's licence).
* ``pyradiomics_lung`` -- pyradiomics' test cases ``lung1`` / ``lung2`` (``data/lungN_image.nrrd``
  + ``data/lungN_label.nrrd``): two chest CT volumes in HU (512 x 512 x 48 / 61, 5 mm slices)
  with one lung-tumour label each. Shipped in the pyradiomics source distribution (BSD-3);
  the repository does not say where the scans come from.
* ``ibsi_ct_phantom`` -- the IBSI "CT radiomics phantom" (``ibsi_1_ct_radiomics_phantom/nifti/
  {image/phantom.nii.gz, mask/mask.nii.gz}``): a lung-cancer patient's chest CT (HU, cropped to
  204 x 201 x 60 around the right hemithorax, 0.98 mm x 3 mm) with its GTV mask. CC BY-NC 3.0;
  cite Lambin et al. 2017 and CancerData doi:10.17195/candat.2016.08.1.
* ``mosmeddata`` -- MosMedData COVID19_1110 (``studies/CT-*/study_NNNN.nii.gz`` +
  ``masks/study_NNNN_mask.nii.gz``). Only the 50 masks (study_0255..0304) could be fetched; the
  CT studies were not (each is over the 4 MiB fetch limit), so this reader reports them
  missing until they are put in place.
* ``mosmedplus`` -- MosMedData+ in LViT's or GuideDecoder's layout
  (:func:`ssa.data.readers.read_mosmed`). Only LViT's text workbooks were found
  (``JIAQILITech/VT-MFLV``), no images. Their sides are not the patient's: on the 785 Morozov
  slices, every one-side caption (238) names the side opposite to the patient side of its
  MosMed mask (NIfTI affine, radiological display). LViT's split also puts slices of one study
  in several splits (:func:`mosmedplus_study_splits`, which reads LViT's workbooks only).

**Volumes** (NIfTI via nibabel, NRRD via :func:`read_nrrd`; :mod:`ssa.data.ct_volumes`) are reoriented from their affine so
that rows run anterior -> posterior and columns from the patient's right to the patient's left
(radiological: the patient's left on the image right, anterior up), sliced axially, put in a
lung window (level -600, width 1500 HU: -1350 HU and below -> 0, +150 HU and above -> 255,
linear in between, rounded: :func:`hu_to_uint8`), padded with air so the patient's midline is
the image's centre column (the project's sides are image halves), and written as PNGs to a
cache folder so that :class:`Sample` can point at files. Only slices with lesion pixels are
kept unless ``include_empty=True``. Splits are by volume (never one volume in two splits),
seeded and deterministic (:func:`split_groups`).

**Texts** of every set here except MosMedData+ are *derived from the masks* (nobody wrote
them; :mod:`ssa.data.ct_captions`): QaTa-COV19's caption template, e.g. "Unilateral pulmonary infection, one infected area,
lower left lung." (:func:`derive_caption`). Sides are the patient's; levels are thirds of the
lung's vertical extent in the image (for an axial slice: anterior / middle / posterior), one
per lesion by its centroid; the count is the number of (side, level) cells, as in QaTa.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ssa.data.ct_captions import DERIVED_NOTE, derive_caption, empty_caption
from ssa.data.ct_volumes import (
    AIR_HU,
    centre_padding,
    estimate_lungs,
    hu_to_uint8,
    load_volume,
    read_nrrd,
    to_radiological,
    volume_midline,
)
from ssa.data.masks import load_mask
from ssa.data.samples import DatasetError, Sample
from ssa.data.tables import TextTable, add_table
from ssa.files import atomic_write_json, write_png
from ssa.imageio import LUNG_WINDOW

__all__ = [
    "CT_SETS", "DERIVED_NOTE", "DatasetError", "Sample", "VolumePair", "derive_caption", "empty_caption", "estimate_lungs",
    "hu_to_uint8", "load_volume", "mosmedplus_study", "mosmedplus_study_splits", "read_covid_semiseg",
    "read_ct_set", "read_ibsi_ct_phantom", "read_mosmeddata", "read_mosmedplus", "read_mosmedplus_texts",
    "default_cache_dir", "read_nrrd", "read_pyradiomics_lung", "read_volume_pairs", "split_groups", "to_radiological",
]

SPLITS = ("train", "val", "test")

CACHE_VERSION = 1  # bump when what the cache holds changes


# -- splits -----------------------------------------------------------------------------------


def split_groups(groups: Iterable[str], seed: int = 0, val_share: float = 0.1,
                 test_share: float = 0.1) -> dict[str, str]:
    """``group -> split`` for whole groups (volumes, studies), seeded and deterministic.

    The sorted distinct groups are shuffled with ``seed``; the first ``round(n * test_share)``
    go to test, the next ``round(n * val_share)`` to val, the rest to train. From 3 groups on,
    test and val get at least one each (train keeps at least one); 2 groups: one train, one
    test; 1 group: test (a single volume is an evaluation case).
    """
    ids = sorted(set(groups))
    n = len(ids)
    if n == 0:
        return {}
    if n == 1:
        return {ids[0]: "test"}
    if n == 2:
        n_test, n_val = 1, 0
    else:
        n_test = max(1, round(n * test_share))
        n_val = max(1, round(n * val_share))
        while n_test + n_val > n - 1:
            if n_val > 1:
                n_val -= 1
            else:
                n_test -= 1
    order = np.random.default_rng(seed).permutation(n)
    out = {}
    for rank, i in enumerate(order):
        out[ids[i]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return out


def _check_split(split: str | None) -> None:
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS} or None (all), got {split!r}")


def _raise_if(title: str, split: str | None, problems: list[str]) -> None:
    if problems:
        n = len(problems)
        where = f" in the {split} split" if split else ""
        raise DatasetError(title, problems, summary=f"{title}: {n} problem{'' if n == 1 else 's'}{where}")


def _root(root: str | os.PathLike, title: str) -> Path:
    path = Path(root).expanduser().absolute()
    if not path.is_dir():
        raise DatasetError(f"{title} at {path}", [f"data root does not exist: {path}"])
    return path


def default_cache_dir(set_name: str, root: Path) -> Path:
    """``$SSA_CT_CACHE`` (default ``~/.cache/ssa/ct``) / ``<set>-<hash of the root path>``."""
    base = Path(os.environ.get("SSA_CT_CACHE", "~/.cache/ssa/ct")).expanduser()
    return base / f"{set_name}-{hashlib.sha1(str(root).encode()).hexdigest()[:10]}"


def _source_stamp(paths: Sequence[Path]) -> list[list]:
    return [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in paths]


def _cached(manifest: Path, params: dict) -> list[dict] | None:
    """The cached slice rows when ``manifest`` was written with ``params`` and its files exist."""
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("params") != params:
        return None
    rows = data.get("slices")
    if not isinstance(rows, list):
        return None
    folder = manifest.parent
    for row in rows:
        if not ((folder / row["image"]).is_file() and (folder / row["mask"]).is_file()):
            return None
    return rows


def _samples(folder: Path, rows: Sequence[dict]) -> list[Sample]:
    return [Sample(image=folder / r["image"], mask=folder / r["mask"], text=r["text"], modality="ct", key=r["key"])
            for r in rows]


# -- volume sets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class VolumePair:
    """One CT volume (HU) and its lesion mask, in files; ``volume_id`` names its slices."""

    volume_id: str
    image: Path
    mask: Path


def _slice_volume(pair: VolumePair, folder: Path, params: dict) -> list[dict]:
    """Write the pair's kept slices as PNGs under ``folder``; return their manifest rows."""
    image, image_affine = load_volume(pair.image)
    mask, mask_affine = load_volume(pair.mask)
    if image.shape != mask.shape:
        raise ValueError(f"image {image.shape} and mask {mask.shape} differ in shape")
    if not np.allclose(image_affine, mask_affine, atol=1e-3 * max(1.0, float(np.abs(image_affine).max()))):
        raise ValueError("image and mask affines differ")
    hu, affine = to_radiological(np.asarray(image, np.float32), image_affine)
    labels = params["mask_labels"]
    mask_data = np.asarray(mask)
    lesion, _ = to_radiological(np.isin(mask_data, labels) if labels else mask_data > 0, mask_affine)
    with_lesion = [k for k in range(lesion.shape[0]) if lesion[k].any()]
    keep = list(range(lesion.shape[0])) if params["include_empty"] else with_lesion
    midline, how = volume_midline(hu, affine, with_lesion or keep)
    pad_left, pad_right = centre_padding(hu.shape[2], midline)
    rows = []
    for k in keep:
        h = np.pad(hu[k], ((0, 0), (pad_left, pad_right)), constant_values=AIR_HU)
        m = np.pad(lesion[k], ((0, 0), (pad_left, pad_right)), constant_values=False)
        mid = midline + pad_left
        text = derive_caption(m, estimate_lungs(h), mid, finding=params["finding"], adjective=params["adjective"])
        key = f"{pair.volume_id}_z{k:03d}"
        write_png(folder / "img" / f"{key}.png", hu_to_uint8(h, *params["window"]), durable=False)
        write_png(folder / "mask" / f"{key}.png", m.astype(np.uint8) * 255, durable=False)
        rows.append({"key": key, "image": f"img/{key}.png", "mask": f"mask/{key}.png",
                     "text": text or empty_caption(params["finding"]), "midline": how})
    return rows


def read_volume_pairs(
    pairs: Sequence[VolumePair],
    title: str,
    split: str | None,
    cache_dir: Path,
    *,
    seed: int = 0,
    include_empty: bool = False,
    assignment: Mapping[str, str] | None = None,
    finding: str = "infection",
    adjective: str = "infected",
    mask_labels: Sequence[int] | None = None,
    window: tuple[float, float] = LUNG_WINDOW,
    problems: list[str] | None = None,
) -> list[Sample]:
    """Axial slices of the volumes in ``split`` (None: all) as cached PNGs with derived texts.

    Volumes go to splits whole: ``assignment`` (``volume_id -> split``) where given, else
    :func:`split_groups` with ``seed``. ``mask_labels``: mask values that count as lesion
    (default: any non-zero value). Raises DatasetError listing every volume that fails.
    """
    _check_split(split)
    own = problems is None
    problems = [] if problems is None else problems
    splits = dict(assignment) if assignment is not None else split_groups((p.volume_id for p in pairs), seed)
    params = {"version": CACHE_VERSION, "include_empty": include_empty, "finding": finding, "adjective": adjective,
              "mask_labels": sorted(int(v) for v in mask_labels) if mask_labels else None,
              "window": [float(window[0]), float(window[1])]}
    samples: list[Sample] = []
    for pair in pairs:
        if split is not None and splits.get(pair.volume_id) != split:
            continue
        folder = cache_dir / pair.volume_id
        stamped = {**params, "sources": _source_stamp([pair.image, pair.mask])}
        rows = _cached(folder / "manifest.json", stamped)
        if rows is None:
            try:
                rows = _slice_volume(pair, folder, params)
            except Exception as exc:  # nibabel, gzip, zlib, numpy: report it with the others
                problems.append(f"cannot read volume {pair.volume_id!r} ({pair.image}, {pair.mask}): "
                                f"{type(exc).__name__}: {exc}")
                continue
            atomic_write_json(folder / "manifest.json", {"params": stamped, "slices": rows})
        samples += _samples(folder, rows)
    if own:
        _raise_if(title, split, problems)
    return sorted(samples, key=lambda s: s.key)


def read_pyradiomics_lung(root: str | os.PathLike, split: str | None = None, *, cache_dir: str | os.PathLike | None = None,
                          seed: int = 0, include_empty: bool = False,
                          assignment: Mapping[str, str] | None = None) -> list[Sample]:
    """pyradiomics' lung tumour test cases: ``root/data/lungN_image.nrrd`` + ``lungN_label.nrrd``.

    Texts are derived ("Unilateral pulmonary lesion, one lesion area, ... lung."). Two volumes:
    by default one goes to train and one to test (:func:`split_groups`).
    """
    title = "pyradiomics lung test cases"
    _check_split(split)
    root = _root(root, title)
    data = root / "data" if (root / "data").is_dir() else root
    problems: list[str] = []
    pairs = []
    for image in sorted(data.glob("lung*_image.nrrd")):
        label = image.with_name(image.name.replace("_image.nrrd", "_label.nrrd"))
        if not label.is_file():
            problems.append(f"missing label for {image}: expected {label}")
            continue
        pairs.append(VolumePair(image.name[: -len("_image.nrrd")], image, label))
    if not pairs and not problems:
        problems.append(f"no lungN_image.nrrd / lungN_label.nrrd pairs in {data}")
    cache = Path(cache_dir) if cache_dir else default_cache_dir("pyradiomics_lung", root)
    samples = read_volume_pairs(pairs, title, split, cache, seed=seed, include_empty=include_empty,
                                assignment=assignment, finding="lesion", adjective="lesion", problems=problems)
    _raise_if(f"{title} at {root}", split, problems)
    return samples


def read_ibsi_ct_phantom(root: str | os.PathLike, split: str | None = None, *, cache_dir: str | os.PathLike | None = None,
                         include_empty: bool = False, assignment: Mapping[str, str] | None = None) -> list[Sample]:
    """The IBSI CT radiomics phantom (a lung-cancer patient's CT with its GTV mask):
    ``root/[ibsi_1_ct_radiomics_phantom/]nifti/{image/phantom.nii.gz, mask/mask.nii.gz}``.

    One volume, so by default it is the test split (``split="train"`` / ``"val"`` give []).
    Texts are derived. The volume is cropped to the right hemithorax; its midline is the
    scanner's x = 0 and the slices are padded to put it at the image centre.
    """
    title = "IBSI CT radiomics phantom"
    _check_split(split)
    root = _root(root, title)
    base = root / "ibsi_1_ct_radiomics_phantom" if (root / "ibsi_1_ct_radiomics_phantom").is_dir() else root
    image, mask = base / "nifti" / "image" / "phantom.nii.gz", base / "nifti" / "mask" / "mask.nii.gz"
    problems = [f"missing {p}" for p in (image, mask) if not p.is_file()]
    pairs = [] if problems else [VolumePair("ibsi_ct_phantom", image, mask)]
    cache = Path(cache_dir) if cache_dir else default_cache_dir("ibsi_ct_phantom", root)
    samples = read_volume_pairs(pairs, title, split, cache, include_empty=include_empty, assignment=assignment,
                                finding="lesion", adjective="lesion", problems=problems)
    _raise_if(f"{title} at {root}", split, problems)
    return samples


def read_mosmeddata(root: str | os.PathLike, split: str | None = None, *, cache_dir: str | os.PathLike | None = None,
                    seed: int = 0, include_empty: bool = False,
                    assignment: Mapping[str, str] | None = None) -> list[Sample]:
    """MosMedData COVID19_1110's annotated studies: ``masks/study_NNNN_mask.nii.gz`` with
    ``studies/CT-*/study_NNNN.nii.gz``; ``root`` is the COVID19_1110 folder (or its parent).

    Splits by study (:func:`split_groups`, seeded). Texts are derived. A mask whose study is
    missing is a problem (all are listed in one DatasetError).
    """
    title = "MosMedData COVID19_1110"
    _check_split(split)
    root = _root(root, title)
    base = root / "COVID19_1110" if (root / "COVID19_1110").is_dir() else root
    problems: list[str] = []
    masks = sorted((base / "masks").glob("study_*_mask.nii*"))
    if not masks:
        problems.append(f"no masks/study_NNNN_mask.nii.gz in {base}")
    studies = {p.name.split(".")[0]: p for p in base.glob("studies/CT-*/study_*.nii*")}
    pairs = []
    for mask in masks:
        study = mask.name.split("_mask")[0]
        image = studies.get(study)
        if image is None:
            problems.append(f"missing CT study for {mask.name}: expected {base / 'studies' / 'CT-1' / (study + '.nii.gz')}")
            continue
        pairs.append(VolumePair(study, image, mask))
    cache = Path(cache_dir) if cache_dir else default_cache_dir("mosmeddata", root)
    samples = read_volume_pairs(pairs, title, split, cache, seed=seed, include_empty=include_empty,
                                assignment=assignment, problems=problems)
    _raise_if(f"{title} at {root}", split, problems)
    return samples


# -- COVID-SemiSeg (Inf-Net), 2-D slices --------------------------------------------------------

_SEMISEG = {
    "train": ("Dataset", "TrainingSet", "LungInfection-Train", "Doctor-label"),
    "test": ("Dataset", "TestingSet", "LungInfection-Test"),
}
_SEMISEG_HINT = ("COVID-SemiSeg layout: Dataset/TrainingSet/LungInfection-Train/Doctor-label/{Imgs,GT}/ and "
                 "Dataset/TestingSet/LungInfection-Test/{Imgs,GT}/")


def _semiseg_pairs(folder: Path, problems: list[str]) -> dict[str, tuple[Path, Path]]:
    images = {p.stem: p for p in (folder / "Imgs").glob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")}
    masks = {p.stem: p for p in (folder / "GT").glob("*.png")}
    for sub in ("Imgs", "GT"):
        if not (folder / sub).is_dir():
            problems.append(f"folder not found: {folder / sub}")
    for stem in sorted(set(images) - set(masks)):
        problems.append(f"missing mask for {images[stem].name}: expected {folder / 'GT' / (stem + '.png')}")
    for stem in sorted(set(masks) - set(images)):
        problems.append(f"mask without an image: {masks[stem]}")
    return {stem: (images[stem], masks[stem]) for stem in sorted(set(images) & set(masks))}


def read_covid_semiseg(root: str | os.PathLike, split: str = "train", *, cache_dir: str | os.PathLike | None = None,
                       val_share: float = 0.1, seed: int = 0) -> list[Sample]:
    """COVID-SemiSeg's doctor-labelled slices (Inf-Net): train 50 (less "val"), test 48.

    ``root`` holds ``Dataset/`` (or is it). Images and masks are transposed into the
    radiological convention and written as PNGs to the cache (the published files are
    transposed, see the module docstring); texts are derived from the masks, with the whole
    (lung-cropped) image height as the lung extent. "val" is a seeded ``val_share`` of the
    train slices; the source patients are unknown, so it is not patient-disjoint.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    title = "COVID-SemiSeg (Inf-Net layout)"
    root = _root(root, title)
    base = root.parent if root.name == "Dataset" and not (root / "Dataset").is_dir() else root
    folder = base.joinpath(*_SEMISEG["test" if split == "test" else "train"])
    problems: list[str] = []
    if not (base / "Dataset").is_dir():
        raise DatasetError(f"{title} at {root}", [f"looked for {_SEMISEG_HINT}"],
                           summary=f"{title} at {root}: no known layout found")
    pairs = _semiseg_pairs(folder, problems)
    if split != "test" and pairs:
        stems = sorted(pairs, key=lambda s: (len(s), s))
        n_val = min(len(stems) - 1, max(1, round(len(stems) * val_share))) if len(stems) > 1 else 0
        val = {stems[i] for i in np.random.default_rng(seed).choice(len(stems), n_val, replace=False)}
        pairs = {s: p for s, p in pairs.items() if (s in val) == (split == "val")}
    cache = (Path(cache_dir) if cache_dir else default_cache_dir("covid_semiseg", base)) / ("test" if split == "test" else "train")
    samples = []
    for stem, (image_path, mask_path) in sorted(pairs.items()):
        key = f"semiseg_{stem}"
        out_image, out_mask = cache / "img" / f"{key}.png", cache / "mask" / f"{key}.png"
        meta = cache / "text" / f"{key}.json"
        stamp = {"version": CACHE_VERSION, "sources": _source_stamp([image_path, mask_path])}
        try:
            cached = json.loads(meta.read_text(encoding="utf-8")) if meta.is_file() else None
        except (OSError, ValueError):
            cached = None
        if cached and cached.get("stamp") == stamp and out_image.is_file() and out_mask.is_file():
            text = cached["text"]
        else:
            try:
                from PIL import Image

                with Image.open(image_path) as im:
                    gray = np.asarray(im.convert("L")).T
                lesion = load_mask(mask_path).T
            except (OSError, ValueError) as exc:
                problems.append(f"unreadable {image_path} / {mask_path}: {type(exc).__name__}: {exc}")
                continue
            if gray.shape != lesion.shape:
                problems.append(f"image {image_path} {gray.shape[::-1]} and mask {mask_path} {lesion.shape[::-1]} differ in size")
                continue
            text = derive_caption(lesion) or empty_caption()
            write_png(out_image, np.ascontiguousarray(gray), durable=False)
            write_png(out_mask, np.ascontiguousarray(lesion).astype(np.uint8) * 255, durable=False)
            atomic_write_json(meta, {"stamp": stamp, "text": text})
        samples.append(Sample(image=out_image, mask=out_mask, text=text, modality="ct", key=key))
    _raise_if(f"{title} at {root}", split, problems)
    return sorted(samples, key=lambda s: s.key)


# -- MosMedData+ (LViT layout): texts and the studies behind the slice names --------------------

_LVIT_FOLDERS = {"train": "Train_Folder", "val": "Val_Folder", "test": "Test_Folder"}


def mosmedplus_study(key: str) -> str:
    """The source volume of a MosMedData+ slice name: ``Jun_coronacases_case8_100`` ->
    ``Jun_coronacases_case8``, ``Morozov_study_0297_12`` -> ``Morozov_study_0297``. MedSeg's
    ``bjorke_N`` slices have no published patient and give ``bjorke_N`` itself."""
    stem = Path(str(key)).stem if str(key).lower().endswith(".png") else str(key)
    if stem.startswith("bjorke_"):
        return stem
    head, sep, tail = stem.rpartition("_")
    return head if sep and tail.isdigit() else stem


def read_mosmedplus_texts(root: str | os.PathLike, split: str = "train") -> dict[str, str]:
    """``slice key -> text`` from a MosMedData+ LViT split folder's ``*_text.xlsx`` (no images
    needed). The sides in these texts are not the patient's (see the module docstring)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    title = "MosMedData+ texts (LViT layout)"
    root = _root(root, title)
    folder = root / _LVIT_FOLDERS[split]
    books = sorted(p for p in folder.glob("*.xlsx") if not p.name.startswith("~$"))
    problems = [] if books else [f"no text workbook (*_text.xlsx) in {folder}"]
    texts = TextTable()
    for book in books:
        add_table(texts, book, problems)
    _raise_if(f"{title} at {root}", split, problems)
    return dict(texts.texts)


def mosmedplus_study_splits(root: str | os.PathLike) -> dict[str, list[str]]:
    """Studies whose slices LViT's MosMedData+ split puts in more than one split:
    ``study -> sorted splits`` (from the text workbooks; images are not needed)."""
    seen: dict[str, set[str]] = {}
    for split in SPLITS:
        for key in read_mosmedplus_texts(root, split):
            seen.setdefault(mosmedplus_study(key), set()).add(split)
    return {study: sorted(splits, key=SPLITS.index) for study, splits in sorted(seen.items()) if len(splits) > 1}


def read_mosmedplus(root: str | os.PathLike, split: str = "train") -> list[Sample]:
    """MosMedData+ slices with their texts as published, in LViT's or GuideDecoder's layout:
    :func:`ssa.data.readers.read_mosmed`.

    The texts name the sides opposite to the patient's; convert them before training
    (``--text-convention auto`` measures it). LViT's split is not study-disjoint
    (:func:`mosmedplus_study_splits`)."""
    from ssa.data.readers import read_mosmed

    return read_mosmed(root, split)


# -- one entry point --------------------------------------------------------------------------

CT_SETS = {
    "covid_semiseg": read_covid_semiseg,
    "pyradiomics_lung": read_pyradiomics_lung,
    "ibsi_ct_phantom": read_ibsi_ct_phantom,
    "mosmeddata": read_mosmeddata,
    "mosmedplus": read_mosmedplus,
}


def read_ct_set(name: str, root: str | os.PathLike, split: str | None = "train", **options) -> list[Sample]:
    """``CT_SETS[name](root, split, **options)``."""
    if name not in CT_SETS:
        raise ValueError(f"unknown CT set {name!r}; known: {', '.join(CT_SETS)}")
    return CT_SETS[name](root, split, **options)
