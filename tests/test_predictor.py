"""SSAPredictor: any supported input -> masks at the original size."""

import cv2
import numpy as np
import pytest

import ssa
from ssa.imageio import read_image

TEXT = "Unilateral pulmonary infection, one infected area, lower left lung."


@pytest.fixture(scope="module")
def predictor(tiny_model):
    return ssa.SSAPredictor(tiny_model)


def _check(result, shape):
    assert result.mask.dtype == bool and result.mask.shape == shape
    assert result.probs.dtype == np.float32 and result.probs.shape == shape
    assert 0 <= result.probs.min() and result.probs.max() <= 1
    assert result.guidance.shape == shape
    for heat in result.alignment.values():
        assert heat.shape == shape and heat.dtype == np.float32


def test_16bit_png(predictor, tmp_path, rng):
    path = tmp_path / "cxr16.png"
    cv2.imwrite(str(path), rng.integers(0, 4096, (384, 512), dtype=np.uint16))
    assert read_image(path).pixels.max() == pytest.approx(1.0)
    predictor.set_image(path)
    _check(predictor.predict(TEXT), (384, 512))


def test_rgba_png(predictor, tmp_path, rng):
    path = tmp_path / "rgba.png"
    cv2.imwrite(str(path), rng.integers(0, 256, (97, 131, 4), dtype=np.uint8))
    predictor.set_image(path)
    _check(predictor.predict(TEXT), (97, 131))


@pytest.mark.parametrize(
    "array",
    [
        np.random.default_rng(1).random((100, 80), dtype=np.float32),
        np.random.default_rng(2).normal(0, 300, (70, 90)),
        np.random.default_rng(3).integers(0, 256, (60, 50, 3), dtype=np.uint8),
    ],
)
def test_arrays(predictor, array):
    predictor.set_image(array)
    _check(predictor.predict(TEXT), array.shape[:2])


def test_dicom_ct_small(predictor):
    from pydicom.data import get_testdata_file

    path = get_testdata_file("CT_small.dcm")
    predictor.set_image(path)
    assert predictor.modality == "ct"  # from the DICOM Modality tag
    _check(predictor.predict("lower left lung"), (128, 128))


def test_non_image_file_names_the_file(predictor, tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not an image")
    with pytest.raises(ValueError, match="notes.png"):
        predictor.set_image(path)


def test_alignment_has_one_heatmap_per_expression(predictor, rng):
    predictor.set_image(rng.random((64, 64)))
    res = predictor.predict("Bilateral pulmonary infection, two infected areas, upper left lung and lower right lung.")
    assert list(res.alignment) == [
        "Bilateral pulmonary infection", "two infected areas", "upper left lung", "lower right lung"
    ]


def test_many_prompts_match_single_prompts(predictor, rng):
    predictor.set_image(rng.random((80, 70)))
    texts = ["lower left lung", "upper right lung", ""]
    many = predictor.predict_many(texts)
    for text, res in zip(texts, many):
        np.testing.assert_allclose(predictor.predict(text).probs, res.probs, atol=1e-5)


def test_predict_before_set_image_is_an_error(tiny_model):
    with pytest.raises(RuntimeError, match="set_image"):
        ssa.SSAPredictor(tiny_model).predict(TEXT)


def test_long_prompt_is_truncated_and_said(predictor, rng):
    predictor.set_image(rng.random((64, 64)))
    res = predictor.predict("lower left lung " * 10_000)
    assert res.truncated and res.mask.shape == (64, 64)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    path = tmp_path / "bomb.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    with pytest.raises(ValueError, match=r"bomb.png: image of 30000x30000 pixels is over the limit"):
        read_image(path)


def test_loaded_image_passes_through_unchanged():
    from ssa.imageio import LoadedImage

    pixels = np.linspace(0.2, 0.4, 12, dtype=np.float32).reshape(3, 4)
    loaded = read_image(LoadedImage(pixels, "ct"))
    np.testing.assert_array_equal(loaded.pixels, pixels)  # no re-stretching
    assert read_image(loaded, modality="xray").modality == "xray"
