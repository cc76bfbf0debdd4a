"""The Gradio demo: handlers called directly (fast), then a real server on loopback driven
by gradio_client (named endpoints /segment and /compare, DICOM round trip, bad input)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from types import SimpleNamespace

import cv2
import gradio as gr
import numpy as np
import pytest

import app
import ssa
from ssa.analysis import Analyzer
from ssa.imageio import MAX_PIXELS
from ssa.predictor import MAX_PROMPT_CHARS
from ssa.webui import app as webui_app
from ssa.webui import content, overlay_image, views
from ssa.webui.handlers import DemoHandlers
from ssa.webui.overlay_image import OverlayData, OverlayImage
from ssa.webui.uploads import SessionImage
from tests.demo_server import (
    DEMO_CHECKPOINT,
    EXAMPLES,
    as_upload,
)

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning:gradio.helpers"),  # gr.Warning outside a request
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # gradio 6.31 + pandas 3
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

TEXT = "Bilateral pulmonary infection, two infected areas, lower left lung and upper right lung."
REFERRING = "qata_referring_left.png"  # a real X-ray, lesions in both lower zones, text names the left


def _png(path: Path, shape=(120, 160), dtype=np.uint8, seed=0) -> Path:
    rng = np.random.default_rng(seed)
    high = 256 if dtype == np.uint8 else 4096
    assert cv2.imwrite(str(path), rng.integers(0, high, shape, dtype=dtype))
    return path


# -- handlers, called directly -----------------------------------------------------------------


def test_segment_outputs(handlers, tmp_path):
    image = _png(tmp_path / "cxr.png", (120, 160))
    overlay, guidance, gallery, table, mask_path, status, session = handlers.segment(
        str(image), TEXT, "xray", "lung", 0.5, None)
    base, layers = overlay
    # Drawn at display size: a 160-px-wide image is shown 448 px wide (views.DISPLAY_MIN); the
    # layers stay at the image's own 120 x 160 (views.layer_size), which the page scales up.
    assert base.shape == (336, 448, 3) and [label for _, label in layers][0] == "Lesion (model)"
    assert all(layer.shape == (120, 160) for layer, _ in layers) and guidance.shape == (336, 448, 3)
    assert all(max(heat.shape[:2]) == views.ALIGNMENT_SIDE for heat, _ in gallery)
    assert [caption for _, caption in gallery] == [
        "Bilateral pulmonary infection", "two infected areas", "lower left lung", "upper right lung"]
    assert list(table["Side"]) == ["Right"] * 3 + ["Left"] * 3 + ["Right", "Left"]
    assert table["Named in prompt"].tolist().count("✓") == 4  # left lower, right upper, both sides
    mask = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
    assert mask.shape == (120, 160) and set(np.unique(mask)) <= {0, 255}
    assert "left lung (lower); right lung (upper)" in status
    assert isinstance(session, SessionImage) and session.image.original_size == (120, 160)


def test_segment_button_shows_the_overlay_first(handlers, tmp_path):
    """The page's Segment: the overlay and the status in the first step (what the user waits
    for); the guidance, heatmaps, findings table and mask file in the second, which the page
    asks for next, from the result the first left in the session (drawn once); together the same
    results as in one piece (what the cached examples run)."""
    image = _png(tmp_path / "cxr.png", (120, 160))
    overlay, status, session = handlers.segment_in_page(str(image), TEXT, "xray", "lung", 0.5, "", False, None)
    guidance, gallery, table, mask_path = handlers.segment_details(session)
    whole = handlers.segment(str(image), TEXT, "xray", "lung", 0.5, session)
    assert np.array_equal(overlay[0], whole[0][0]) and len(overlay[1]) == len(whole[0][1])
    assert np.array_equal(guidance, whole[1]) and [c for _, c in gallery] == [c for _, c in whole[2]]
    assert table.equals(whole[3]) and "left lung (lower)" in status
    assert np.array_equal(cv2.imread(mask_path, 0), cv2.imread(whole[4], 0))
    skip = type(gr.skip())
    assert all(isinstance(v, skip) for v in handlers.segment_details(session))  # drawn: nothing new
    # a refused file: the reason in the status panel, the overlay cleared, then the other panels
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    overlay, status, session = handlers.segment_in_page(str(bad), TEXT, "auto", "lung", 0.5, "", False, None)
    assert overlay is None and "not a readable image" in status
    guidance, gallery, table, mask_path = handlers.segment_details(session)
    assert (guidance, gallery, mask_path) == (None, [], None) and table.empty
    assert handlers.segment_details(None)[:2] == (None, [])  # no image at all


def test_upload_encodes_the_image_for_the_run(handlers, tmp_path, monkeypatch):
    """The load event shows the preview; its .then encodes the image (while the user types): the
    Segment click after it runs only the prompt, and its status says what the encoding took and
    when. A modality the load did not encode for is encoded by the run."""
    upload = as_upload(handlers, _png(tmp_path / "typed-while-encoding.png", seed=11))
    encodes = []
    real = handlers.analyzer.predictor.set_image
    monkeypatch.setattr(handlers.analyzer.predictor, "set_image", lambda *a, **k: encodes.append(k) or real(*a, **k))
    preview, _modality, _window, status, session = handlers.load(upload, "lung", None)
    assert encodes == [] and preview.value is not None and "typed-while-encoding.png" in status  # shown first
    handlers.encode_loaded(session, "auto", "lung")  # the load's .then, once the preview is painted
    assert [k["modality"] for k in encodes] == ["xray"]
    encodes.clear()
    _, status, session = handlers.segment_in_page(upload, "left lung", "auto", "lung", 0.5, "", False, session)
    assert encodes == [] and "encoding the image, done before this run)" in status
    _, status, _ = handlers.segment_in_page(upload, "left lung", "ct", "lung", 0.5, "", False, session)
    assert [k["modality"] for k in encodes] == ["ct"] and "done before this run" not in status


def test_overlay_layers_are_gradios_pixels_sent_inline(folders):
    """OverlayImage (the overlay panels) sends, faster, what gr.AnnotatedImage would: the same
    base picture file and, per layer, the same RGBA pixels (colour where the layer is above 0,
    alpha = value x 255 truncated) under the same labels, but each layer inside the answer as a
    PNG data URL (no file for the page to fetch); the page draws it with Gradio's own
    AnnotatedImage frontend. Sent back by the page, the layers arrive as those RGBA arrays."""
    rng = np.random.default_rng(5)
    base = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    lesion = (rng.random((60, 80)) > 0.7).astype(np.float32) * 0.7
    region = cv2.GaussianBlur((rng.random((60, 80)) > 0.5).astype(np.float32), (9, 9), 0) * 0.22
    layers = [(lesion, views.LESION_LABEL), (region, views.REGION_LABEL), (lesion > 0, "no colour given")]
    layers = [(np.asarray(layer, np.float32), label) for layer, label in layers]
    component = OverlayImage(color_map=views.COLOR_MAP, format="jpeg")
    ours = component.postprocess((base, layers))
    gradios = gr.AnnotatedImage(color_map=views.COLOR_MAP, format="jpeg").postprocess((base, layers))
    assert Path(ours.image.path).read_bytes() == Path(gradios.image.path).read_bytes()
    assert [a.label for a in ours.annotations] == [a.label for a in gradios.annotations]
    wire = ours.model_dump()
    assert all(a["image"]["url"].startswith("data:image/png;base64,") and "path" not in a["image"]
               for a in wire["annotations"])
    _, back = component.preprocess(OverlayData.model_validate(wire))
    for (rgba, _), b in zip(back, gradios.annotations, strict=True):
        assert np.array_equal(rgba, cv2.cvtColor(cv2.imread(b.image.path, cv2.IMREAD_UNCHANGED), cv2.COLOR_BGRA2RGBA))
    assert OverlayImage().get_block_name() == "annotatedimage"


def test_overlay_refuses_a_layer_it_did_not_send():
    """A layer sent back that is not a small RGBA PNG data URL is refused with a message."""
    png = overlay_image.encode_png(np.zeros((4, 4, 4), np.uint8))
    assert overlay_image.decode_inline(overlay_image.png_data_url(png)).shape == (4, 4, 4)
    gray = cv2.imencode(".png", np.zeros((4, 4), np.uint8))[1].tobytes()
    for url, words in [("/gradio_api/file=/etc/passwd", "data:image/png"),
                       ("data:image/png;base64,!!!", "does not decode"),
                       (overlay_image.png_data_url(gray), "RGBA"),
                       ("data:image/png;base64," + "A" * overlay_image.MAX_INLINE_CHARS, "larger")]:
        with pytest.raises(ValueError, match=words):
            overlay_image.decode_inline(url)


def test_upload_is_deleted_once_read_and_session_reuses_it(handlers, tmp_path):
    upload = as_upload(handlers, _png(tmp_path / "scan.png"))
    preview, _modality, _window, status, session = handlers.load(upload, "lung", None)
    assert not Path(upload).exists() and "scan.png" in status
    assert preview.value is not None
    out = handlers.segment(upload, "left lung", "auto", "lung", 0.5, session)  # same path: from session
    assert cv2.imread(out[4], cv2.IMREAD_UNCHANGED).shape == (120, 160)
    with pytest.raises(gr.Error, match="no longer on the server"):
        handlers.segment(upload, "left lung", "auto", "lung", 0.5, None)


def test_examples_and_other_files_are_never_deleted(handlers, tmp_path):
    plain = _png(tmp_path / "not_an_upload.png")
    handlers.segment(str(plain), "", "xray", "lung", 0.5, None)
    assert plain.exists()
    shared = as_upload(handlers, _png(tmp_path / "example_copy.png"))
    handlers.janitor.blocks.blocks = {1: SimpleNamespace(keep_in_cache={shared})}
    try:
        handlers.segment(shared, "", "xray", "lung", 0.5, None)
    finally:
        handlers.janitor.blocks.blocks = {}
    assert Path(shared).exists()


@pytest.mark.parametrize(
    "prompt, notice",
    [
        ("", "no spatial constraint"),
        ("Pulmonary infection, two infected areas.", "No location in the prompt"),
        ("left lower lung " * (MAX_PROMPT_CHARS // 10), f"truncated to {MAX_PROMPT_CHARS:,} characters"),
    ],
)
def test_prompt_notices(handlers, tmp_path, prompt, notice):
    status = handlers.segment(str(_png(tmp_path / "p.png")), prompt, "xray", "lung", 0.5, None)[5]
    assert notice in status


def test_ct_zone_words_are_explained(handlers, tmp_path):
    status = handlers.segment(str(_png(tmp_path / "ct.png")), "upper left lung", "ct", "lung", 0.5, None)[5]
    assert "only the side constrains" in status


@pytest.mark.parametrize(
    "name, write",
    [
        ("corrupt.png", lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n not really")),
        ("empty.png", lambda p: p.write_bytes(b"")),
        ("notes.txt", lambda p: p.write_text("hello")),
        ("broken.dcm", lambda p: p.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")),
    ],
)
def test_bad_files_give_a_clear_error_without_server_paths(handlers, tmp_path, name, write):
    path = tmp_path / name
    write(path)
    upload = as_upload(handlers, path)
    _, _, _, status, session = handlers.load(upload, "lung", None)
    assert "Cannot use this file" in status and name in status and str(tmp_path) not in status
    assert session.error and not Path(upload).exists()  # refused uploads are deleted too
    with pytest.raises(gr.Error) as err:
        handlers.segment(upload, TEXT, "xray", "lung", 0.5, session)
    assert name in str(err.value) and str(tmp_path) not in str(err.value)


def test_no_image_and_huge_image_are_refused(handlers, tmp_path, monkeypatch):
    with pytest.raises(gr.Error, match="Upload an image first"):
        handlers.segment(None, TEXT, "xray", "lung", 0.5, None)
    monkeypatch.setattr("ssa.imageio.MAX_PIXELS", 10_000)
    with pytest.raises(gr.Error, match="over the limit of 10,000 pixels"):
        handlers.segment(str(_png(tmp_path / "big.png", (101, 100))), TEXT, "xray", "lung", 0.5, None)
    assert MAX_PIXELS > 10_000


def test_large_image_is_analysed_downscaled_and_mask_is_full_size(handlers, tmp_path):
    image = _png(tmp_path / "large.png", (1300, 1700))
    out = handlers.segment(str(image), TEXT, "xray", "lung", 0.5, None)
    assert "downscaled from 1700×1300" in out[5]
    assert cv2.imread(out[4], cv2.IMREAD_UNCHANGED).shape == (1300, 1700)
    assert max(out[0][0].shape[:2]) == 640  # display copy


@pytest.mark.parametrize(
    "name, shape, dtype",
    [("gray16.tif", (90, 70), np.uint16), ("rgba.png", (50, 60, 4), np.uint8), ("rgb.bmp", (40, 30, 3), np.uint8),
     ("photo.jpg", (64, 64, 3), np.uint8), ("gray16.png", (33, 47), np.uint16)],
)
def test_formats_load(handlers, tmp_path, name, shape, dtype):
    path = _png(tmp_path / name, shape, dtype)
    _, _, window, status, session = handlers.load(str(path), "lung", None)
    assert session.image.original_size == shape[:2] and "Loaded" in status
    assert window.visible is False


def test_dicom_sets_modality_and_window(handlers):
    from pydicom.data import get_testdata_file

    path = get_testdata_file("CT_small.dcm")
    _, modality, window, status, session = handlers.load(path, "lung", None)
    assert modality.value == "ct" and window.visible is True
    assert "from the DICOM header" in status and "lung window" in status
    assert session.image.windows == ["lung", "mediastinum"]
    assert not np.array_equal(session.image.image("lung"), session.image.image("mediastinum"))
    lung, mediastinum = (handlers.preview(path, w, session) for w in ("lung", "mediastinum"))
    assert lung.shape == (448, 448, 3) and not np.array_equal(lung, mediastinum)  # window switch redraws
    assert Path(path).exists()  # not an upload: never deleted
    for banned in ("PatientName", "CompressedSamples", "Patient"):  # no metadata shown
        assert banned not in status


def test_compare_two_prompts(handlers, tmp_path):
    image = str(_png(tmp_path / "cmp.png", (96, 128)))
    out = handlers.compare(image, "lower left lung", "", "lower right lung", "", "xray", "lung", 0.5, None)
    overlays, table, masks, status = out[:4], out[4], out[5], out[6]
    assert [o.visible for o in overlays] == [True, False, True, False]
    assert overlays[2].label.startswith("Prompt 3 · right lung")
    assert list(table["Location read"]) == ["left lung (lower)", "right lung (lower)"]
    assert len(masks) == 2 and all(cv2.imread(m, 0).shape == (96, 128) for m in masks)
    # Each file says which prompt (slot and words) it belongs to.
    assert [Path(m).name for m in masks] == ["compare_1_lower-left-lung.png", "compare_3_lower-right-lung.png"]
    assert "Prompt 3:" in status and "Prompt 2:" not in status  # numbered by slot, as the overlays
    with pytest.raises(gr.Error, match="at least two prompts"):
        handlers.compare(image, "left lung", " ", "", "", "xray", "lung", 0.5, None)


def test_append_phrase():
    assert DemoHandlers.append_phrase("", "bilateral") == "bilateral"
    assert DemoHandlers.append_phrase("Pulmonary infection.", "left lower lung") == \
        "Pulmonary infection, left lower lung"
    assert DemoHandlers.append_phrase("opacity,", "lingula") == "opacity, lingula"


# -- the examples' ground-truth outline -----------------------------------------------------------


def _round_trip(value) -> tuple[str, list[tuple[np.ndarray, str]]]:
    """An overlay value as the browser sends it back: the panel's JSON, then its preprocessing."""
    component = OverlayImage(color_map=views.COLOR_MAP, format=webui_app.DISPLAY_FORMAT)
    return component.preprocess(OverlayData.model_validate(component.postprocess(value).model_dump()))


def _drawn_reference(overlay) -> np.ndarray:
    """bool [H, W] (the base picture's size): where the overlay shows the reference colour,
    fully opaque (each layer scaled onto the base, as the page does)."""
    rgb = tuple(int(views.COLOR_MAP[views.REFERENCE_LABEL][i:i + 2], 16) for i in (1, 3, 5))
    h, w = cv2.imread(overlay[0]).shape[:2]
    drawn = np.zeros((h, w), bool)
    for rgba, _label in overlay[1]:
        drawn |= cv2.resize(np.all(rgba == (*rgb, 255), axis=-1).view(np.uint8), (w, h),
                            interpolation=cv2.INTER_NEAREST) > 0
    return drawn


def _visible(rgba: np.ndarray) -> np.ndarray:
    """An overlay layer as it looks: RGBA [H, W, 4] with fully transparent pixels zeroed."""
    return np.where(rgba[..., 3:] > 0, rgba, 0)


@pytest.fixture(scope="module")
def example_result(handlers):
    """The Segment overlay of the real referring example, as the browser holds it, and its
    ground truth (bool [H, W] at the display size)."""
    entry = next(e for e in content.load_examples(EXAMPLES) if e["key"] == REFERRING)
    handlers.references = content.load_references([entry])
    overlay = handlers.segment_example(entry["image"], entry["text"], entry["modality"])[0]
    truth = cv2.resize(cv2.imread(entry["mask"], 0), overlay[0].shape[1::-1]) > 127
    return _round_trip(overlay), truth


def test_outline_is_drawn_on_the_mask_border_only_when_ticked(handlers, example_result, monkeypatch):
    files, truth = example_result
    monkeypatch.setattr(handlers.analyzer, "run", lambda *a, **k: pytest.fail("the model ran again"))
    assert not _drawn_reference(files).any()
    ticked = handlers.show_reference(files, REFERRING, True)
    labels = [label for _, label in ticked[1]]
    assert labels[-1] == views.REFERENCE_LABEL and labels[:-1] == [label for _, label in files[1]]
    drawn = _drawn_reference(_round_trip(ticked))
    gt = truth.astype(np.uint8)
    border = cv2.morphologyEx(gt, cv2.MORPH_GRADIENT, np.ones((7, 7), np.uint8)) > 0  # edge ± 3 px
    assert drawn.sum() > 200 and border[drawn].mean() >= 0.98  # on the border ...
    edge = truth & (cv2.erode(gt, np.ones((3, 3), np.uint8)) == 0)
    near = cv2.dilate(drawn.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert near[edge].mean() >= 0.95  # ... and all the way round
    shown = _round_trip(ticked)
    for (old, _), (new, _) in zip(files[1], shown[1]):  # the image and the model's layers: untouched
        assert np.array_equal(_visible(old), _visible(new))
    # The base picture is sent back as the same file: a JPEG decoded and encoded at each
    # toggle would drift.
    assert shown[0] == files[0] and np.array_equal(cv2.imread(files[0]), cv2.imread(shown[0]))
    unticked = handlers.show_reference(_round_trip(ticked), REFERRING, False)
    assert views.REFERENCE_LABEL not in [label for _, label in unticked[1]]
    assert not _drawn_reference(_round_trip(unticked)).any()


def test_segment_button_draws_the_ticked_outline_itself(handlers, example_result, monkeypatch):
    """Segment on an example with the outline box ticked: the outline comes with the overlay
    (no further request redraws it), and only when ticked."""
    entry = next(e for e in content.load_examples(EXAMPLES) if e["key"] == REFERRING)
    for show in (True, False):
        first = handlers.segment_in_page(entry["image"], entry["text"], entry["modality"], "lung", 0.5,
                                         REFERRING, show, None)
        labels = [label for _, label in first[0][1]]
        assert (labels[-1] == views.REFERENCE_LABEL) is show
        assert bool(_drawn_reference(_round_trip(first[0])).sum() > 200) == show
    upload = handlers.segment_in_page(entry["image"], entry["text"], entry["modality"], "lung", 0.5,
                                      "", True, None)  # an upload has no reference
    assert views.REFERENCE_LABEL not in [label for _, label in upload[0][1]]


def test_outline_needs_an_example_and_a_result(handlers, example_result):
    files, _ = example_result
    skip = type(gr.skip())
    assert isinstance(handlers.show_reference(files, REFERRING, False), skip)  # nothing to take away
    assert isinstance(handlers.show_reference(files, "", True), skip)  # an upload: no reference
    assert isinstance(handlers.show_reference(None, REFERRING, True), skip)  # no result yet
    on, off = handlers.reference_control(REFERRING), handlers.reference_control("")
    assert on.interactive is True and "reference annotation" in on.info
    assert off.interactive is False and off.value is False and "has none" in off.info


def test_content(tiny_checkpoint, tiny_model):
    info = content.checkpoint_info(tiny_checkpoint, tiny_model)
    assert info["preset"] == "tiny" and info["convention"] == "radiological"
    assert info["model_card"] == "A random tiny model for tests.\n\nIt segments nothing in particular."
    about = content.about_markdown(info)
    assert "not for clinical use" in content.banner_html(info) and "not a medical device" in about
    assert "image's **right** half" in about
    # No record of its training data: the banner and About say so instead of guessing.
    assert "does not record what it was trained on" in content.banner_html(info)
    assert "does not record what it was trained on" in about
    # The page names the checkpoint without the server's folders.
    assert str(Path(tiny_checkpoint).parent) not in about and info["path"] == Path(tiny_checkpoint).name
    snapshot = Path("/srv/cache/hub/models--someone--ssa-qata/snapshots/0123456789abcdef")
    assert content.shown_checkpoint(snapshot) == "someone/ssa-qata@0123456"
    assert content.shown_checkpoint(Path.cwd() / "checkpoints" / "ssa-demo") == "checkpoints/ssa-demo"
    examples = content.load_examples(EXAMPLES)
    assert {e["modality"] for e in examples} == {"xray", "ct"} and len(examples) >= 4
    assert any(len(e["compare"]) >= 2 for e in examples)
    assert content.load_examples(Path("/nonexistent")) == []
    references = content.load_references(examples)
    assert set(references) == {e["key"] for e in examples}
    assert all(m.dtype == bool for m in references.values())
    # empty for the negative examples only (a wrong-side prompt, a healthy X-ray): nothing to find
    assert {k for k, m in references.items() if not m.any()} == {
        e["key"] for e in examples if e["key"].startswith(("wrongside_", "normal_"))}
    credits = content.examples_credits_markdown(examples)
    assert credits.count("\n* ") == len({e["credit"] for e in examples}) - 1  # one line per credit
    for words in ("QaTa-COV19", "Synthetic", "COVID-19 Radiography Database", "Inf-Net"):
        assert words in credits, words


def test_cli_arguments(monkeypatch):
    monkeypatch.setenv("SSA_CHECKPOINT", "/some/where")
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    args = app.parse_args([])
    assert args.checkpoint == "/some/where" and args.host == "127.0.0.1" and args.port == 7860
    assert args.threads == 0 and app.parse_args(["--threads", "1"]).threads == 1
    with pytest.raises(SystemExit):
        app.parse_args(["--threads", "-1"])
    with pytest.raises(SystemExit, match="cannot load checkpoint"):
        app.main(["--checkpoint", "/nonexistent/dir"])


# -- a real server on loopback ------------------------------------------------------------------


def test_queue_looks_for_work_every_few_milliseconds_not_every_one(server):
    """Gradio's queue loop wakes every 1 ms by default, which slows the model's threads; the
    demo's wakes every ``gradio_fixes.QUEUE_POLL_S`` (5 ms)."""
    from ssa.webui import gradio_fixes

    demo, _url = server
    assert demo._queue.sleep_when_free == gradio_fixes.QUEUE_POLL_S == 0.005


def test_named_endpoints(client):
    info = client.view_api(return_format="dict", print_info=False)
    endpoints = info["named_endpoints"]
    assert {"/segment", "/explain", "/compare"} <= set(endpoints)
    assert not [name for name in endpoints if "reference" in name], "the outline is UI-only"
    for name in ("/segment", "/explain"):
        params = [p["parameter_name"] for p in endpoints[name]["parameters"]]
        assert params == ["image", "prompt", "modality", "window", "threshold"]
    params = [p["parameter_name"] for p in endpoints["/compare"]["parameters"]]
    assert params == ["image", "prompt_1", "prompt_2", "prompt_3", "prompt_4", "modality", "window", "threshold"]


def test_client_segment_and_compare(client, server, tmp_path, folders):
    from gradio_client import handle_file

    name = f"probe-{uuid.uuid4().hex[:8]}.png"
    image = _png(tmp_path / name, (100, 140), seed=3)
    mask_path, overlay_path, findings = client.predict(handle_file(str(image)), TEXT, "xray", "lung", 0.5,
                                                       api_name="/segment")
    mask = cv2.imread(mask_path, cv2.IMREAD_UNCHANGED)
    assert mask.shape == (100, 140)
    overlay = cv2.imread(overlay_path)
    assert overlay.shape == (100, 140, 3) and Path(overlay_path).name == Path(name).stem + "_overlay.png"
    # The findings are the CLI's record: what the text was read to say, the decision, the areas.
    assert {"side": "left", "zones": ["lower"]} in findings["locations"]
    assert findings["image_size"] == [100, 140] and findings["text"] == TEXT
    assert set(findings["presence"]) == {"score", "present", "source"} and findings["model_ms"] > 0
    assert findings["lesion_pixels"] == int((mask > 127).sum())
    assert not list(folders.rglob(name)), "the upload must not stay on the server"

    guidance, gallery = client.predict(handle_file(str(image)), TEXT, "xray", "lung", 0.5, api_name="/explain")
    assert cv2.imread(guidance) is not None
    assert [item["caption"] for item in gallery] and all(cv2.imread(item["image"]) is not None for item in gallery)

    masks, overlays, records = client.predict(handle_file(str(image)), "lower left lung", "", "lower right lung", "",
                                              "xray", "lung", 0.5, api_name="/compare")
    assert len(masks) == 2 and all(cv2.imread(m, 0).shape == (100, 140) for m in masks)
    assert [Path(m).name for m in masks] == ["compare_1_lower-left-lung.png", "compare_3_lower-right-lung.png"]
    assert [Path(o).name for o in overlays] == ["compare_1_lower-left-lung_overlay.png",
                                                "compare_3_lower-right-lung_overlay.png"]
    # The prompts reach the handler in their order, each record with its box.
    assert [(r["box"], r["locations"]) for r in records] == [(1, [{"side": "left", "zones": ["lower"]}]),
                                                             (3, [{"side": "right", "zones": ["lower"]}])]


def test_client_dicom_round_trip(client):
    from gradio_client import handle_file
    from pydicom.data import get_testdata_file

    result = client.predict(handle_file(get_testdata_file("CT_small.dcm")), "left lung", "auto", "lung",
                            0.5, api_name="/segment")
    assert cv2.imread(result[0], cv2.IMREAD_UNCHANGED).shape == (128, 128)
    findings = result[2]
    assert findings["modality"] == "ct" and [loc["side"] for loc in findings["locations"]] == ["left"]
    assert {z["zone"] for z in findings["zones"]} == {"whole"}  # CT: per side only


def test_server_survives_bad_input(client, tmp_path):
    from gradio_client import handle_file

    bad = tmp_path / "garbage.png"
    bad.write_bytes(b"garbage")
    with pytest.raises(Exception, match="garbage.png: not a readable image"):
        client.predict(handle_file(str(bad)), TEXT, "xray", "lung", 0.5, api_name="/segment")
    good = _png(tmp_path / "after.png", (64, 64))
    result = client.predict(handle_file(str(good)), "", "xray", "lung", 0.5, api_name="/segment")
    assert cv2.imread(result[0], cv2.IMREAD_UNCHANGED).shape == (64, 64)


def test_bad_upload_logs_one_line_and_a_fault_its_traceback(client, handlers, tmp_path, caplog, capfd,
                                                             monkeypatch):
    """The server's log: a user's mistake (a text file renamed .png) is one warning line naming
    the file, on upload (the page's load event) and on run (the /segment API), never a
    traceback; a fault (an unexpected exception) still logs its traceback."""
    import logging

    from gradio_client import handle_file
    from gradio_client.exceptions import AppError

    caplog.set_level(logging.DEBUG)
    message = "notes.png: not a readable image"
    capfd.readouterr()
    for step in ("upload", "run"):
        caplog.clear()
        bad = tmp_path / step / "notes.png"
        bad.parent.mkdir()
        bad.write_text("Patient notes, typed in a text editor and saved as .png\n")
        if step == "upload":
            status = handlers.load(as_upload(handlers, bad), "lung", None)[3]
            assert message in status
        else:
            with pytest.raises(AppError, match=message):
                client.predict(handle_file(str(bad)), TEXT, "xray", "lung", 0.5, api_name="/segment")
        out, err = capfd.readouterr()  # the server runs in this process: its console is captured here
        lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert [(r.name, r.levelname) for r in lines] == [("ssa.webui", "WARNING")], (step, caplog.text)
        assert lines[0].getMessage().startswith(f"refused upload: {message}") and lines[0].exc_info is None
        assert "\n" not in lines[0].getMessage()
        assert "Traceback" not in caplog.text + out + err, step

    def crash(path, name=None):
        raise RuntimeError("a reader bug")

    monkeypatch.setattr("ssa.webui.uploads.prepare_image", crash)
    with pytest.raises(AppError):
        client.predict(handle_file(str(_png(tmp_path / "fault.png", (32, 32)))), TEXT, "xray", "lung", 0.5,
                       api_name="/segment")
    _, err = capfd.readouterr()
    assert "Traceback" in err and "RuntimeError: a reader bug" in err
    assert not [r for r in caplog.records if r.name == "ssa.webui" and "reader bug" in r.getMessage()]


# -- the shipped checkpoint: the words move the mask ------------------------------------------------


def test_demo_checkpoint_compare_follows_the_named_side(folders):
    model = ssa.load_model(DEMO_CHECKPOINT)
    handlers = DemoHandlers(Analyzer(ssa.SSAPredictor(model)))
    entry = next(e for e in content.load_examples(EXAMPLES) if e["key"] == REFERRING)
    left, right = entry["compare"]
    assert "lower left lung" in left and "lower right lung" in right
    out = handlers.compare(entry["image"], left, right, "", "", "xray", "lung", 0.5, None)
    masks = [cv2.imread(m, 0) > 0 for m in out[5]]
    assert masks[0].any() and masks[1].any() and not np.array_equal(*masks)
    half = masks[0].shape[1] // 2  # radiological: the patient's left is the image's right half
    assert masks[0][:, half:].sum() >= 0.9 * masks[0].sum()
    assert masks[1][:, :half].sum() >= 0.9 * masks[1].sum()


def test_display_pictures_are_jpeg_at_quality_90_and_layers_png(tmp_path):
    import gradio.processing_utils as pu
    from PIL import Image

    from ssa.webui import gradio_fixes

    gradio_fixes.apply()
    rng = np.random.default_rng(0)
    picture = cv2.GaussianBlur(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8), (0, 0), 2)
    path = pu.save_pil_to_cache(Image.fromarray(picture), str(tmp_path), format="jpeg")
    assert path.endswith(".jpeg") and Path(path).read_bytes()[:2] == b"\xff\xd8"
    back = np.asarray(Image.open(path).convert("RGB")).astype(float)
    q75 = np.asarray(Image.open(_jpeg(picture, 75))).astype(float)
    assert np.abs(back - picture).mean() < 0.8 * np.abs(q75 - picture).mean()  # finer than PIL's default
    layer = Image.fromarray(np.dstack([picture, np.full((96, 96), 77, np.uint8)]), "RGBA")
    png = pu.save_pil_to_cache(layer, str(tmp_path), format="png")
    assert np.array_equal(np.asarray(Image.open(png)), np.asarray(layer))  # lossless, alpha kept


def _jpeg(picture: np.ndarray, quality: int):
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(picture).save(out, "JPEG", quality=quality)
    out.seek(0)
    return out


def test_image_cache_writes_are_atomic(tmp_path):
    # Gradio names cached images by content; rewriting the same image must replace the file
    # (a new inode) rather than truncate the one a concurrent download is reading.
    import gradio.processing_utils as pu
    from PIL import Image

    from ssa.webui import gradio_fixes

    gradio_fixes.apply()
    image = Image.fromarray(np.full((8, 8), 128, np.uint8))
    first = pu.save_pil_to_cache(image, str(tmp_path))
    with open(first, "rb") as reader:
        inode = os.fstat(reader.fileno()).st_ino
        second = pu.save_pil_to_cache(image, str(tmp_path))
        assert second == first and os.stat(second).st_ino != inode
        assert reader.read() == Path(second).read_bytes()  # the reader still has the whole file
    assert [p.name for p in Path(first).parent.iterdir()] == [Path(first).name]  # no temp left
