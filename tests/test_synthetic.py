"""Synthetic data: determinism, the text <-> geometry contract, modes, previews, lung shapes.

The geometry checks are the contract the model's guidance relies on: sides are
the patient's, zones are thirds of rows 10%-90% on X-rays, CT zones name the slice level.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ssa.data.lung_shapes import fetch_lung_shapes, load_lung_shapes, normalise_mask
from ssa.data.synthetic import BAND, ZONES, SyntheticSet, main, make_case, render_preview
from ssa.laterality import side_columns
from ssa.spatial import parse_locations

LOC = r"(?:all|upper|middle|lower|upper middle|middle lower|upper middle lower) (?:left|right) lung"
TEXT_RE = re.compile(
    r"^(Unilateral|Bilateral) pulmonary infection, (one infected area|(two|three|four) infected areas), "
    rf"({LOC})(?: and ({LOC}))?\.$"
)
COUNTS = {"one": 1, "two": 2, "three": 3, "four": 4}
SIZE = 256
REAL_SHAPES = load_lung_shapes()  # None when `python -m ssa.data.lung_shapes` was never run


def count_of(text: str) -> int:
    m = TEXT_RE.match(text)
    assert m, text
    return COUNTS[m.group(2).split()[0]]


def components(mask: np.ndarray) -> list[np.ndarray]:
    """8-connected components of a bool mask, as bool masks."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    return [labels == k for k in range(1, n)]


def zone_rows(zones: frozenset[str], size: int) -> np.ndarray:
    """Bool [size]: rows whose centre lies in the named thirds of the fixed band (rows 10%-90%)."""
    top, third = BAND[0] * size, (BAND[1] - BAND[0]) * size / 3
    centre = np.arange(size) + 0.5
    rows = np.zeros(size, bool)
    for k, zone in enumerate(ZONES):
        if zone in zones:
            rows |= (centre >= top + k * third) & (centre < top + (k + 1) * third)
    return rows


def in_region(comp: np.ndarray, region, convention: str, modality: str) -> tuple[float, float]:
    """(fraction of ``comp`` in the region's side half, fraction in side half AND zone rows)."""
    half = np.zeros_like(comp)
    half[:, side_columns(region.side, comp.shape[1], convention)] = True
    side = (comp & half).sum() / comp.sum()
    if modality == "ct":
        return side, side
    rows = zone_rows(region.zones, comp.shape[0])[:, None]
    return side, (comp & half & rows).sum() / comp.sum()


def check_contract(case, convention: str) -> None:
    """Everything the text promises about ``case.mask`` (and the lesions it does not name)."""
    assert case.mask.any()
    assert not (case.mask & ~case.all_lesions).any()  # mask is a subset of all lesions
    regions = parse_locations(case.text)
    assert regions, case.text
    assert case.text.startswith("Bilateral" if len(regions) == 2 else "Unilateral")
    referred = components(case.mask)
    assert len(referred) == count_of(case.text), case.text
    covered = set()
    for comp in referred:
        fits = [(r.side, *in_region(comp, r, convention, case.modality)) for r in regions]
        side_ok = [f for f in fits if f[1] == 1.0]
        assert side_ok, f"lesion not entirely in a named side's half: {case.text}"
        assert side_ok[0][2] >= 0.9, f"only {side_ok[0][2]:.0%} in the named zone: {case.text}"
        covered.add(side_ok[0][0])
    assert covered == {r.side for r in regions}, "a named side has no lesion"
    if case.modality == "xray":  # every named zone holds some of the named lesions
        for r in regions:
            half = np.zeros_like(case.mask)
            half[:, side_columns(r.side, case.mask.shape[1], convention)] = True
            for zone in r.zones:
                rows = zone_rows(frozenset({zone}), case.mask.shape[0])[:, None]
                assert (case.mask & half & rows).any(), f"nothing in the {zone} {r.side} zone: {case.text}"
    for comp in components(case.all_lesions & ~case.mask):  # lesions the text does not name
        for r in regions:
            assert in_region(comp, r, convention, case.modality)[1] <= 0.1, case.text


@pytest.fixture(scope="module")
def xray_cases() -> dict[str, list]:
    """200 X-ray cases per convention (half report, half referring), generated once."""
    out = {}
    for convention in ("radiological", "viewer"):
        out[convention] = [make_case(i, 7, "xray", mode, SIZE, convention, REAL_SHAPES)
                           for mode in ("report", "referring") for i in range(100)]
    return out


@pytest.fixture(scope="module")
def ct_cases() -> list:
    return [make_case(i, 7, "ct", mode, SIZE) for mode in ("report", "referring") for i in range(60)]


# ----------------------------------------------------------------------------- basics


@pytest.mark.parametrize("modality", ["xray", "ct"])
@pytest.mark.parametrize("mode", ["report", "referring"])
def test_deterministic_and_typed(modality: str, mode: str) -> None:
    a = make_case(3, 11, modality, mode, 128)
    b = make_case(3, 11, modality, mode, 128)
    c = make_case(4, 11, modality, mode, 128)
    d = make_case(3, 12, modality, mode, 128)
    for x, y in ((a.image, b.image), (a.mask, b.mask), (a.all_lesions, b.all_lesions)):
        np.testing.assert_array_equal(x, y)
    assert a.text == b.text
    assert not np.array_equal(a.image, c.image) and not np.array_equal(a.image, d.image)
    assert a.image.dtype == np.uint8 and a.image.shape == (128, 128)
    assert a.mask.dtype == bool and a.mask.shape == (128, 128)
    assert a.all_lesions.dtype == bool and a.all_lesions.shape == (128, 128)
    assert a.modality == modality
    assert 20 < a.image.std() and a.image.min() < 40 and a.image.max() > 200  # a real dynamic range


@pytest.mark.parametrize("size", [32, 64, 224, 257])
def test_sizes(size: int) -> None:
    for modality in ("xray", "ct"):
        case = make_case(0, 0, modality, "referring", size)
        assert case.image.shape == case.mask.shape == (size, size)
        check_contract(case, "radiological")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        make_case(0, modality="mri")
    with pytest.raises(ValueError):
        make_case(0, mode="both")
    with pytest.raises(ValueError):
        make_case(0, convention="left")
    with pytest.raises(ValueError):
        SyntheticSet(4, modality="pet")


# ----------------------------------------------------------------------------- the contract


@pytest.mark.parametrize("convention", ["radiological", "viewer"])
def test_xray_text_matches_geometry(xray_cases, convention: str) -> None:
    """200 X-rays: every referred lesion 100% in the named side's half, >= 90% in the named
    zone thirds; counts match; unnamed lesions stay out of the named regions."""
    for case in xray_cases[convention]:
        assert TEXT_RE.match(case.text), case.text
        check_contract(case, convention)


def test_ct_text_matches_geometry(ct_cases) -> None:
    levels = set()
    for case in ct_cases:
        assert TEXT_RE.match(case.text), case.text
        check_contract(case, "radiological")
        level = case.info["level"]
        levels.add(level)
        for region in parse_locations(case.text):  # one slice, one level: every zone set holds it
            assert level in region.zones, (level, case.text)
    assert levels == set(ZONES)


def test_modes(xray_cases, ct_cases) -> None:
    cases = xray_cases["radiological"] + ct_cases
    one_sided = 0
    for case in cases:
        regions = parse_locations(case.text)
        if case.info["mode"] == "report":
            np.testing.assert_array_equal(case.mask, case.all_lesions)
            continue
        assert (case.all_lesions & ~case.mask).any(), "referring mode needs unnamed lesions"
        half = SIZE // 2
        assert case.all_lesions[:, :half].any() and case.all_lesions[:, half:].any()
        if len(regions) == 1:  # one side named: the other side has lesions too
            one_sided += 1
            other = side_columns("right" if regions[0].side == "left" else "left", SIZE, "radiological")
            assert case.all_lesions[:, other].any()
    assert one_sided > 0


def test_viewer_is_the_mirror(xray_cases) -> None:
    for rad, view in zip(xray_cases["radiological"][:40], xray_cases["viewer"][:40]):
        assert rad.text == view.text
        np.testing.assert_array_equal(rad.mask[:, ::-1], view.mask)
        np.testing.assert_array_equal(rad.all_lesions[:, ::-1], view.all_lesions)


def test_anatomy_agrees_with_convention() -> None:
    """The heart side is the patient's left: image right under the radiological convention."""
    rad = np.mean([make_case(i, 5, "xray", size=128).image[70:110].astype(float) for i in range(12)], 0)
    left, right = rad[:, 40:64].mean(), rad[:, 64:88].mean()
    assert right > left  # the heart brightens the image-right side of the lower mediastinum
    view = np.mean([make_case(i, 5, "xray", size=128, convention="viewer").image[70:110].astype(float)
                    for i in range(12)], 0)
    assert view[:, 40:64].mean() > view[:, 64:88].mean()


def test_variety(xray_cases) -> None:
    """Counts, sides, kinds, a few single small lesions, lung band ~10%-90% of the rows."""
    cases = xray_cases["radiological"]
    counts = {count_of(c.text) for c in cases}
    assert counts == {1, 2, 3, 4}
    assert {c.text.split()[0] for c in cases} == {"Unilateral", "Bilateral"}
    kinds = {kind for c in cases for (_, _, kind, _) in c.info["lesions"]}
    assert kinds == {"ggo", "consolidation"}
    report = [c for c in cases if c.info["mode"] == "report"]
    small = [c for c in report if count_of(c.text) == 1 and c.mask.sum() < 0.004 * SIZE * SIZE]
    assert 3 <= len(small) <= 30
    bands = np.array([c.info["lung_band"] for c in cases])
    assert abs(bands[:, 0].mean() - 0.1) < 0.03 and abs(bands[:, 1].mean() - 0.9) < 0.03
    assert bands[:, 0].min() > 0.02 and bands[:, 1].max() < 0.99
    assert len({c.info["lung_shape"] for c in cases}) > 50 or REAL_SHAPES is None


@settings(max_examples=20, deadline=None)
@given(index=st.integers(0, 10**9), seed=st.integers(0, 2**31 - 1), modality=st.sampled_from(["xray", "ct"]),
       mode=st.sampled_from(["report", "referring"]), convention=st.sampled_from(["radiological", "viewer"]))
def test_contract_property(index: int, seed: int, modality: str, mode: str, convention: str) -> None:
    case = make_case(index, seed, modality, mode, 96, convention)
    assert TEXT_RE.match(case.text), case.text
    check_contract(case, convention)


# ----------------------------------------------------------------------------- sets, preview, CLI


def test_set_indexing_and_mixing() -> None:
    ds = SyntheticSet(8, seed=1, modality="mixed", mode="mixed", size=64, lung_shapes=REAL_SHAPES)
    assert len(ds) == 8
    kinds = [ds.kind(i) for i in range(8)]
    assert {m for m, _ in kinds} == {"xray", "ct"}
    assert {k for k in kinds} == {("xray", "report"), ("ct", "report"), ("xray", "referring"), ("ct", "referring")}
    assert [ds[i].modality for i in range(4)] == ["xray", "ct", "xray", "ct"]
    np.testing.assert_array_equal(ds[-1].image, ds[7].image)
    with pytest.raises(IndexError):
        ds[8]
    assert len(list(ds)) == 8  # iteration stops at IndexError


def test_fallback_without_lung_shapes(tmp_path: Path) -> None:
    with pytest.warns(RuntimeWarning, match="lung shapes"):
        ds = SyntheticSet(3, modality="xray", size=96, cache_dir=tmp_path)
    assert ds.lung_shapes is None
    case = ds[0]
    assert case.info["lung_shape"] == "procedural"
    check_contract(case, "radiological")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # CT never needs lung shapes: no warning
        SyntheticSet(2, modality="ct", size=64, cache_dir=tmp_path)


def test_render_preview_and_cli(tmp_path: Path) -> None:
    cases = [make_case(i, 0, m, "referring", 96) for i, m in enumerate(["xray", "ct", "xray"])]
    out = tmp_path / "sub" / "preview.png"
    render_preview(cases, out, cols=2)
    img = cv2.imread(str(out))
    assert img is not None and img.shape[0] > 100 and img.shape[1] > 100
    assert not list(out.parent.glob(".*"))  # no temporary file left behind
    cli = tmp_path / "cli.png"
    assert main(["--preview", str(cli), "--n", "2", "--modality", "mixed", "--size", "64"]) == 0
    assert cv2.imread(str(cli)) is not None


# ----------------------------------------------------------------------------- lung shapes


def _mask_png(kind: str) -> bytes:
    """A raw lung mask as an annotator might save it (0/255, arbitrary size)."""
    m = np.zeros((300, 260), np.uint8)
    if kind in ("two", "one"):
        cv2.ellipse(m, (80, 150), (45, 110), 0, 0, 360, 255, -1)
    if kind == "two":
        cv2.ellipse(m, (185, 160), (40, 115), 0, 0, 360, 255, -1)
        cv2.circle(m, (80, 150), 10, 0, -1)  # a hole: filled by the normaliser
    return cv2.imencode(".png", m)[1].tobytes()


def _fake_wheel(path: Path) -> Path:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("semantic_masks_v7labs_lungs/", "")
        z.writestr("semantic_masks_v7labs_lungs/a.png", _mask_png("two"))
        z.writestr("semantic_masks_v7labs_lungs/b.png", _mask_png("one"))  # dropped
        z.writestr("semantic_masks_v7labs_lungs/c.png", _mask_png("empty"))  # dropped
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr("torchxrayvision/data/semantic_masks_v7labs_lungs.zip", inner.getvalue())
    return path


def test_fetch_lung_shapes_from_a_wheel(tmp_path: Path) -> None:
    wheel = _fake_wheel(tmp_path / "torchxrayvision-0-py3-none-any.whl")
    assert load_lung_shapes(tmp_path / "cache") is None
    path = fetch_lung_shapes(tmp_path / "cache", wheel=wheel)
    assert path.name == "lung_shapes.npz" and not list(path.parent.glob(".lung_shapes.*"))
    shapes = load_lung_shapes(tmp_path / "cache")
    assert shapes.shape == (1, 128, 128) and shapes.dtype == bool
    s = shapes[0]
    assert s[:, :64].any() and s[:, 64:].any()
    assert s.any(1)[0] and s.any(1)[-1]  # rows span the lung band
    assert s[75, 40]  # the hole was filled
    assert fetch_lung_shapes(tmp_path / "cache", wheel=tmp_path / "missing.whl") == path  # cached
    case = make_case(0, 0, "xray", lung_shapes=shapes, size=96)
    assert case.info["lung_shape"] == "real:0"
    check_contract(case, "radiological")


def test_normalise_rejects_non_lungs() -> None:
    assert normalise_mask(np.zeros((50, 60), np.uint8)) is None
    one = cv2.imdecode(np.frombuffer(_mask_png("one"), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert normalise_mask(one) is None


@pytest.mark.skipif(REAL_SHAPES is None, reason="real lung shapes not fetched")
def test_real_lung_shapes() -> None:
    assert REAL_SHAPES.shape[1:] == (128, 128) and len(REAL_SHAPES) >= 400
    left, right = REAL_SHAPES[:, :, :64].any((1, 2)), REAL_SHAPES[:, :, 64:].any((1, 2))
    assert left.all() and right.all()
