"""Hostile inputs: what a careless or malicious visitor can send the demo.

1. A corpus of bad files (empty, truncated PNG, text named .png, a 1x1 image, a PNG header that
   claims 30000x30000 pixels, 16-bit and NaN/Inf float TIFFs, DICOMs without pixel data, cut
   short, or with a NaN rescale slope / window) and bad prompts (100,000 characters, control
   characters, right-to-left text, emoji), each run through the reader, the Segment handler
   directly AND the ``/segment`` API of a real server on loopback. Each gives either a clear
   refusal (names the file and the problem; no server path, no traceback) or a valid result
   (a mask of the image's size). After the whole corpus the server still serves.
2. Privacy: uploads do not stay in the server's upload folder, and DICOM patient metadata never
   reaches a returned value, a returned file, a log record or the console.
3. Fuzzing :func:`ssa.imageio.read_image` with hypothesis: random bytes behind real magic numbers
   and mutated valid files either load into a valid image or raise ``ValueError`` naming the
   file (the only error its docstring promises).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssa.imageio import MAX_PIXELS, LoadedImage, read_image
from ssa.predictor import MAX_PROMPT_CHARS
from tests.demo_server import as_upload

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers"),  # gr.Info outside a request
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # gradio 6.31 + pandas 3
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
    # pydicom warns about every odd value in a damaged file (NaN slope, fuzzed bytes): expected here.
    pytest.mark.filterwarnings("ignore::UserWarning:pydicom"),
]

PROMPT = "Unilateral pulmonary infection, one infected area, lower left lung."
PATIENT_NAME, PATIENT_ID = "Doe^Jane^SECRET", "SECRET-ID-123"
SECRETS = (PATIENT_NAME, PATIENT_ID, "SECRET", "Jane")  # "Jane" / "SECRET": any formatting of the name
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# An absolute path (/tmp/..., /work/...) but not "8/16-bit" or "1/2": the slash follows no word char.
ABSOLUTE_PATH = re.compile(r"(?<![\w.])/[\w.-]+/")


# -- building hostile files ----------------------------------------------------------------------


def png_bytes(shape=(64, 80), dtype=np.uint8, seed: int = 0) -> bytes:
    """A random gray PNG (the seed makes each upload's bytes unique, for the privacy scans)."""
    high = 256 if dtype == np.uint8 else 4096
    pixels = np.random.default_rng(seed).integers(0, high, shape, dtype=dtype)
    ok, data = cv2.imencode(".png", pixels)
    assert ok
    return data.tobytes()


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A valid PNG header claiming ``width x height`` 8-bit gray pixels, with a few rows of data.

    The file is ~100 bytes; decoding it would need 900 MB. The reader must refuse it from the
    header, before any decoder allocates the image.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray, no interlace
    idat = zlib.compress(b"\0" * (width + 1) * 4)  # 4 rows (filter byte + zeros) compress to little
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def tiff_bytes(pixels: np.ndarray) -> bytes:
    """A TIFF of ``pixels`` as stored (tifffile writes uint16 and float32 with NaN/Inf as is)."""
    import tifffile

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, pixels)
    return buffer.getvalue()


def float_tiff_with_nan_inf() -> bytes:
    pixels = np.random.default_rng(1).random((40, 50)).astype(np.float32)
    pixels[0, :5] = np.nan
    pixels[1, :5] = np.inf
    pixels[2, :5] = -np.inf
    return tiff_bytes(pixels)


def dicom_bytes(pixels: np.ndarray | None = None, modality: str = "CR", **tags) -> bytes:
    """A DICOM file (proper file meta) with patient identifiers, and ``pixels`` as 12-bit
    MONOCHROME2 data; ``pixels`` None = no PixelData element at all. ``tags``: more elements."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # computed radiography
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.PatientName, ds.PatientID = PATIENT_NAME, PATIENT_ID
    ds.InstitutionName = "SECRET General Hospital"
    ds.Modality = modality
    if pixels is not None:
        ds.Rows, ds.Columns = pixels.shape
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
        ds.PixelData = pixels.astype(np.uint16).tobytes()
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def secret_dicom(**tags) -> bytes:
    return dicom_bytes(np.random.default_rng(2).integers(0, 4096, (48, 40)), **tags)


def truncated_dicom() -> bytes:
    """Cut inside the first file-meta element's value (preamble 128 + "DICM" + tag, VR and
    length 8 = 140 bytes, then 4 bytes of value): pydicom fails with struct / length errors."""
    return secret_dicom()[:141]


@dataclass(frozen=True)
class Case:
    """One hostile file: the name the user uploads, its bytes, and what must happen.

    error: a regex the refusal must match (None: a valid result); size: the mask's (H, W).
    """

    id: str
    name: str
    build: Callable[[], bytes]
    error: str | None = None
    size: tuple[int, int] | None = None


FILE_CASES = [
    Case("zero-bytes", "hostile-empty.png", lambda: b"", error=r"empty file \(0 bytes\)"),
    Case("truncated-png", "hostile-truncated.png", lambda: png_bytes(seed=3)[: len(png_bytes(seed=3)) // 2],
         error="not a readable image"),
    Case("text-named-png", "hostile-notes.png", lambda: b"Dear radiologist,\nthis is not an image.\n",
         error="not a readable image"),
    Case("one-pixel", "hostile-one-pixel.png", lambda: png_bytes((1, 1), seed=4), size=(1, 1)),
    Case("png-bomb-header", "hostile-bomb.png", png_bomb,
         error=rf"30000x30000 pixels is over the limit of {MAX_PIXELS:,} pixels"),
    Case("tiff-16-bit", "hostile-gray16.tif",
         lambda: tiff_bytes(np.random.default_rng(5).integers(0, 4096, (30, 20), dtype=np.uint16)),
         size=(30, 20)),
    Case("tiff-float-nan-inf", "hostile-float.tif", float_tiff_with_nan_inf, size=(40, 50)),
    Case("tiff-float-all-nan", "hostile-all-nan.tif", lambda: tiff_bytes(np.full((8, 8), np.nan, np.float32)),
         error=r"no finite pixel values"),
    Case("dicom-no-pixel-data", "hostile-no-pixels.dcm", lambda: dicom_bytes(None),
         error="DICOM file has no pixel data"),
    Case("dicom-truncated", "hostile-truncated.dcm", truncated_dicom, error="not a readable DICOM file"),
    # A rescale slope of NaN makes every pixel NaN (CT: before the window is applied).
    Case("dicom-nan-rescale", "hostile-nan-rescale.dcm", lambda: secret_dicom(Modality="CT", RescaleSlope="NaN"),
         error="rescale slope"),
    Case("dicom-nan-window", "hostile-nan-window.dcm", lambda: secret_dicom(WindowCenter="NaN", WindowWidth="400"),
         size=(48, 40)),  # a broken VOI window is ignored: percentile stretch instead
]

# (id, prompt, a notice the status must show). The image is a plain synthetic PNG.
# Spatial words are English only: RTL text is read as "no location", not as an error.
PROMPT_CASES = [
    ("100k-chars", "left lower lung " * 6_250, f"Prompt truncated to {MAX_PROMPT_CHARS:,} characters"),
    ("control-chars", "\x00\x07\x1b[31m lower left lung\r\n\x7f\u202e\x1b[0m", "left lung (lower)"),
    ("arabic", "عدوى رئوية في الجزء السفلي من الرئة اليسرى", "No location in the prompt"),
    ("hebrew", "זיהום ריאתי באונה התחתונה של הריאה השמאלית", "No location in the prompt"),
    ("emoji", "🫁🦠 lower left lung 😷👍🏽", "left lung (lower)"),
]
CONTROL_CHARS = "\x00\x07\x1b\r\x7f\u202e"  # none may come back: prompts are cleaned before use


# -- checking what comes back -------------------------------------------------------------------


def is_file(text: str) -> bool:
    """Whether a returned string names a file (a long one, such as the status, is no file name:
    ``Path.is_file`` raises OSError "File name too long" for it)."""
    try:
        return Path(text).is_file()
    except OSError:
        return False


def strings(value) -> Iterator[str]:
    """Every string inside a handler's or the API's return value (tables, captions, labels...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(key)
            yield from strings(item)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            yield from strings(item)
    elif isinstance(value, pd.DataFrame):
        yield from strings(list(value.columns))
        yield from strings(value.astype(str).values.tolist())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        yield from strings(vars(value))
    elif isinstance(value, gr.components.Component):
        yield from strings([getattr(value, "label", None), getattr(value, "value", None)])
    elif value is not None and not isinstance(value, np.ndarray):
        yield str(value)


def assert_clear_refusal(message: str, case: Case, hidden: list[Path]) -> None:
    """The message names the file and the problem, and shows no server path or traceback."""
    assert re.search(case.error, message), message
    assert case.name in message, message
    assert "Traceback" not in message and 'File "' not in message, message
    assert not ABSOLUTE_PATH.search(message), message
    assert not any(secret in message for secret in SECRETS), message
    for folder in hidden:
        assert str(folder) not in message, message


def read_or_refuse(path: Path) -> None:
    """read_image either returns a valid image or raises ValueError naming the file."""
    try:
        loaded = read_image(path)
    except ValueError as err:
        assert str(err).startswith(f"{path}: "), err
        return
    assert isinstance(loaded, LoadedImage) and loaded.modality in ("xray", "ct")
    pixels = loaded.pixels
    assert pixels.ndim == 2 and pixels.dtype == np.float32 and 0 < pixels.size <= MAX_PIXELS
    assert np.isfinite(pixels).all() and pixels.min() >= 0.0 and pixels.max() <= 1.0
    assert set(loaded.info) <= {"dicom_modality", "rescale", "window"}  # never patient metadata


def assert_mask(path: str, size: tuple[int, int]) -> None:
    mask = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    assert mask is not None and mask.shape == size and set(np.unique(mask)) <= {0, 255}


def files_holding(folder: Path, payloads: dict[str, bytes]) -> list[Path]:
    """Files under ``folder`` named like an upload, or (non-empty payloads) with its bytes."""
    contents = {data for data in payloads.values() if data}
    return [path for path in folder.rglob("*") if path.is_file()
            and (path.name in payloads or path.read_bytes() in contents)]


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sent() -> dict[str, bytes]:
    """Every file sent to the server by this module: name -> bytes (for the final scan)."""
    return {}


def api_segment(client, sent: dict[str, bytes], path: Path, prompt: str = PROMPT):
    from gradio_client import handle_file

    sent[path.name] = path.read_bytes()
    return client.predict(handle_file(str(path)), prompt, "auto", "lung", 0.5, api_name="/segment")


# -- 1. the corpus through the reader ------------------------------------------------------------


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_reader_hostile_file(tmp_path, case):
    """The reader's own contract: a ValueError naming the problem, or valid pixels of the right size."""
    path = tmp_path / case.name
    path.write_bytes(case.build())
    if case.error:
        with pytest.raises(ValueError, match=case.error):
            read_image(path)
    else:
        read_or_refuse(path)
        assert read_image(path).pixels.shape == case.size


# -- 1. the corpus through the handler -------------------------------------------------------------


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_handler_hostile_file(handlers, tmp_path, folders, case):
    path = tmp_path / case.name
    path.write_bytes(case.build())
    upload = as_upload(handlers, path)
    if case.error:
        with pytest.raises(gr.Error) as err:
            handlers.segment(upload, PROMPT, "auto", "lung", 0.5, None)
        assert_clear_refusal(err.value.message, case, [tmp_path, folders])
    else:
        out = handlers.segment(upload, PROMPT, "auto", "lung", 0.5, None)
        assert_mask(out[4], case.size)
        assert not any(ABSOLUTE_PATH.search(s) for s in strings(out[5]))
    assert not path.exists()  # read once, then deleted: refused or not


@pytest.mark.parametrize("prompt, notice", [c[1:] for c in PROMPT_CASES], ids=[c[0] for c in PROMPT_CASES])
def test_handler_hostile_prompt(handlers, tmp_path, prompt, notice):
    path = tmp_path / "cxr.png"
    path.write_bytes(png_bytes((64, 80), seed=6))
    out = handlers.segment(str(path), prompt, "xray", "lung", 0.5, None)
    assert_mask(out[4], (64, 80))
    assert notice in out[5]
    returned = "".join(strings(out))
    assert not set(CONTROL_CHARS) & set(returned)
    if len(prompt) > MAX_PROMPT_CHARS:
        assert prompt not in returned  # a 100k prompt is not echoed back whole


# -- 1. the corpus through the API of a running server ---------------------------------------------


@pytest.mark.parametrize("case", FILE_CASES, ids=lambda c: c.id)
def test_api_hostile_file(client, sent, tmp_path, folders, case):
    from gradio_client.exceptions import AppError

    path = tmp_path / case.name
    path.write_bytes(case.build())
    if case.error:
        with pytest.raises(AppError) as err:
            api_segment(client, sent, path)
        assert_clear_refusal(err.value.message, case, [tmp_path, folders])
    else:
        result = api_segment(client, sent, path)
        assert_mask(result[0], case.size)
        assert not ABSOLUTE_PATH.search(" ".join(strings(result[2])))


@pytest.mark.parametrize("case_id, prompt, notice", PROMPT_CASES, ids=[c[0] for c in PROMPT_CASES])
def test_api_hostile_prompt(client, sent, tmp_path, case_id, prompt, notice):
    path = tmp_path / f"prompt-{case_id}.png"
    path.write_bytes(png_bytes((64, 80), seed=len(sent)))  # unique bytes, for the final scan
    result = api_segment(client, sent, path, prompt)
    assert_mask(result[0], (64, 80))
    assert notice in " ".join(result[2]["notices"])
    assert not set(CONTROL_CHARS) & set("".join(strings(result)))


# -- 2. privacy ------------------------------------------------------------------------------------


def test_dicom_metadata_is_never_shown_or_logged_by_the_handler(handlers, tmp_path, caplog, capfd):
    data = secret_dicom()
    assert PATIENT_NAME.encode() in data and PATIENT_ID.encode() in data  # the test is not vacuous
    caplog.set_level(logging.DEBUG)
    for name in ("pydicom", "gradio", "ssa"):
        caplog.set_level(logging.DEBUG, logger=name)
    returned = []
    for name in ("load.dcm", "segment.dcm", "compare.dcm"):
        (tmp_path / name).write_bytes(data)
    returned.append(handlers.load(as_upload(handlers, tmp_path / "load.dcm"), "lung", None))
    returned.append(handlers.segment(as_upload(handlers, tmp_path / "segment.dcm"), PROMPT, "auto", "lung",
                                     0.5, None))
    returned.append(handlers.compare(as_upload(handlers, tmp_path / "compare.dcm"), "lower left lung",
                                     "lower right lung", "", "", "auto", "lung", 0.5, None))
    assert_mask(returned[1][4], (48, 40))
    texts = [*strings(returned), repr(returned)]
    out, err = capfd.readouterr()
    texts += [caplog.text, out, err]
    mask_files = [returned[1][4], *returned[2][5]]
    for secret in SECRETS:
        assert not any(secret in text for text in texts), secret
        assert not any(secret.encode() in Path(f).read_bytes() for f in mask_files), secret


def test_dicom_metadata_is_never_returned_or_logged_by_the_server(client, sent, folders, tmp_path,
                                                                  caplog, capfd):
    caplog.set_level(logging.DEBUG)
    for name in ("pydicom", "gradio", "ssa"):
        caplog.set_level(logging.DEBUG, logger=name)
    path = tmp_path / "chest.dcm"
    path.write_bytes(secret_dicom())
    result = api_segment(client, sent, path)
    assert_mask(result[0], (48, 40))
    out, err = capfd.readouterr()  # the server runs in this process: its console is captured here
    texts = [*strings(result), caplog.text, out, err]
    returned_files = [s for s in strings(result) if is_file(s)]
    assert result[0] in returned_files
    for secret in SECRETS:
        assert not any(secret in text for text in texts), secret
        for file in [*returned_files, *(p for p in folders.rglob("*") if p.is_file())]:
            assert secret.encode() not in Path(file).read_bytes(), (secret, file)


def test_upload_is_deleted_even_if_the_reader_crashes(handlers, tmp_path, monkeypatch):
    """A reader bug (an exception that is not the documented ValueError) must not leave the
    patient's file on the server: the upload is deleted whatever happens while reading it."""
    def crash(path, name=None):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr("ssa.webui.uploads.prepare_image", crash)
    upload = as_upload(handlers, tmp_path / "crash.png")
    Path(upload).write_bytes(png_bytes(seed=14))
    with pytest.raises(RuntimeError, match="a reader bug"):
        handlers.segment(upload, PROMPT, "auto", "lung", 0.5, None)
    assert not Path(upload).exists()


def test_uploads_do_not_stay_in_the_upload_folder(client, sent, folders, tmp_path):
    from gradio_client.exceptions import AppError

    before = {p for p in folders.rglob("*") if p.is_file()}
    payloads = {
        "privacy-good.png": png_bytes((50, 60), seed=11),
        "privacy-refused.png": b"not an image at all",
        "privacy-scan.dcm": secret_dicom(),
    }
    for name, data in payloads.items():
        (tmp_path / name).write_bytes(data)
        try:
            api_segment(client, sent, tmp_path / name)
        except AppError as err:
            assert name == "privacy-refused.png" and "not a readable image" in err.message
    new = {p for p in folders.rglob("*") if p.is_file()} - before
    assert new, "the requests wrote their result files into the cache folder"
    assert not files_holding(folders, payloads)


# -- after everything above, the server still serves, and no upload was kept -----------------------


def test_api_still_serves_after_the_corpus_and_keeps_no_upload(client, sent, folders, tmp_path):
    """Runs after the API tests above (pytest keeps file order) on the same module-scoped server."""
    assert len(sent) >= len(FILE_CASES) + len(PROMPT_CASES)  # the corpus went through this server
    path = tmp_path / "after-the-corpus.png"
    path.write_bytes(png_bytes((96, 128), seed=13))
    result = api_segment(client, sent, path, PROMPT)
    assert_mask(result[0], (96, 128))
    assert {"side": "left", "zones": ["lower"]} in result[2]["locations"]
    assert not files_holding(folders, sent)


# -- 3. fuzzing the image loader -------------------------------------------------------------------

MAGIC = {
    ".png": PNG_SIGNATURE,
    ".tif": b"II*\x00",
    ".tiff": b"MM\x00*",
    ".dcm": b"\0" * 128 + b"DICM",
    ".jpg": b"\xff\xd8\xff\xe0",
    ".bmp": b"BM",
    ".bin": b"",
}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def valid_files() -> dict[str, bytes]:
    """Small valid files to mutate: the fuzzer gets past the magic number and into the decoders."""
    return {
        ".png": png_bytes((12, 10), seed=20),
        ".tif": tiff_bytes(np.random.default_rng(21).integers(0, 4096, (9, 7), dtype=np.uint16)),
        ".dcm": dicom_bytes(np.random.default_rng(22).integers(0, 4096, (8, 6)), modality="CT"),
    }


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")  # module-scoped: hypothesis reruns the test body


@FUZZ
@given(suffix=st.sampled_from(sorted(MAGIC)), magic=st.sampled_from(sorted(MAGIC.values())),
       body=st.binary(max_size=600))
def test_fuzz_random_bytes_behind_magic_numbers(fuzz_dir, suffix, magic, body):
    path = fuzz_dir / f"random{suffix}"  # the suffix and the magic may disagree, as in real uploads
    path.write_bytes(magic + body)
    read_or_refuse(path)


@FUZZ
@given(kind=st.sampled_from([".png", ".tif", ".dcm"]), suffix=st.sampled_from([".png", ".tif", ".dcm", ".bin"]),
       data=st.data())
def test_fuzz_mutated_valid_files(valid_files, fuzz_dir, kind, suffix, data):
    original = bytearray(valid_files[kind])
    for _ in range(data.draw(st.integers(1, 8), label="mutations")):
        at = data.draw(st.integers(0, len(original) - 1), label="at")
        original[at] = data.draw(st.integers(0, 255), label="byte")
    cut = data.draw(st.integers(1, len(original)), label="keep")
    path = fuzz_dir / f"mutated{suffix}"
    path.write_bytes(bytes(original[:cut]))
    read_or_refuse(path)
