"""SSA demo: text-guided lung lesion segmentation in the browser (Gradio).

    ssa-demo [--checkpoint DIR_OR_REPO] [--host 127.0.0.1] [--port 7860] [--max-queue 32] [--threads N]
    python app.py ...          (the same, from the repository; the Space's entry point)

The model loads once, at start. Tabs: Segment (one prompt, with guidance, alignment heatmaps
and findings; for an example, its ground-truth outline on request), Compare (2-4 prompts on
one image, encoded once), Examples (real QaTa-COV19 X-rays, synthetic CT), About. Named API
endpoints: ``/segment`` (mask, overlay, findings), ``/explain`` (guidance, heatmaps) and ``/compare``
(masks, overlays, findings per prompt; see the README for a gradio_client snippet).
Uploads are deleted from disk once read; result files live in Gradio's cache and are swept
by ``delete_cache``.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported

import gradio as gr  # noqa: E402
import torch  # noqa: E402

import ssa  # noqa: E402
from ssa.analysis import Analyzer  # noqa: E402
from ssa.checkpoint import resolve_checkpoint  # noqa: E402
from ssa.model_thread import ModelThread  # noqa: E402
from ssa.webui import content, gradio_fixes, page_js, style, views  # noqa: E402
from ssa.webui.handlers import MAX_COMPARE, NO_REFERENCE_INFO, DemoHandlers  # noqa: E402
from ssa.webui.overlay_image import OverlayImage  # noqa: E402
from ssa.webui.uploads import UploadJanitor  # noqa: E402
from ssa.webui.views import COLOR_MAP  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]  # the repository: checkpoints/ and examples/
DEFAULT_CHECKPOINT = "checkpoints/ssa-demo"
EXAMPLES_DIR = ROOT / "examples"
MODALITY_CHOICES = [("Auto", "auto"), ("Chest X-ray", "xray"), ("CT slice", "ct")]
WINDOW_CHOICES = [("Lung", "lung"), ("Mediastinum", "mediastinum")]
DELETE_CACHE = (300, 900)  # every 5 min, delete result files older than 15 min
QUEUE = {"default_concurrency_limit": 1, "max_size": 32}
MAX_FILE_SIZE = "200mb"
SESSION_TTL = 1800  # seconds a session keeps its working copy of the image after last use
MAX_SESSIONS = 200  # sessions held in memory (least recently used evicted): <= ~400 MB of images
# The display pictures (preview, overlay base, guidance, heatmaps) travel as JPEG: PNG took 18%
# of a request to encode (docs/benchmarks.md). Overlay layers stay PNG (they need alpha), and
# the mask files the user downloads are PNG, lossless.
DISPLAY_FORMAT = "jpeg"
HINT = "Upload an image (or pick one in **Examples**), describe the finding, then run."
FORMATS = "PNG · JPEG · BMP · TIFF (8/16-bit) · DICOM"  # what the upload box takes
PREVIEW_HEIGHT = 210  # the Segment tab's preview, beside the upload box
ALIGNMENT_COLUMNS = 4  # heatmaps a row in the alignment gallery (views.ALIGNMENT_SIDE px each)


def _appender(phrase: str) -> Callable[[str], str]:
    def append(prompt: str) -> str:
        return DemoHandlers.append_phrase(prompt, phrase)

    return append


def _image_inputs(prefix: str, side_by_side: bool = False) -> tuple:
    """Upload and preview for one tab, under an "Image" title: (file, preview, session state).

    side_by_side: the upload box and the preview share a row (Segment: the prompt and the
    Segment button then fit a laptop screen under them); else stacked.
    """
    gr.Markdown(f"Image <span class='ssa-formats'>{FORMATS}</span>", elem_classes="ssa-section-title")
    with gr.Row(equal_height=True) if side_by_side else contextlib.nullcontext():
        file = gr.File(label="Image file", elem_id=f"{prefix}-file", elem_classes="ssa-upload",
                       height=PREVIEW_HEIGHT - 40 if side_by_side else 110, min_width=160)
        preview = gr.Image(label="Loaded image", interactive=False, elem_id=f"{prefix}-preview",
                           height=PREVIEW_HEIGHT if side_by_side else 300, min_width=160,
                           buttons=["fullscreen"], format=DISPLAY_FORMAT)
    session = gr.State(None, time_to_live=SESSION_TTL)
    return file, preview, session


def _image_options(prefix: str) -> tuple:
    """The modality and (for a CT DICOM) the CT window of one tab's image: (modality, window)."""
    with gr.Row():
        modality = gr.Radio(MODALITY_CHOICES, value="auto", label="Modality", elem_id=f"{prefix}-modality",
                            info="Auto: from the DICOM header, else chest X-ray")
        window = gr.Radio(WINDOW_CHOICES, value="lung", label="CT window", visible=False,
                          elem_id=f"{prefix}-window")
    return modality, window


def _run_and_settings(prefix: str, action: str) -> tuple:
    """A tab's run button, then its settings: (button, modality, CT window, mask threshold)."""
    run = gr.Button(action, variant="primary", elem_id=f"{prefix}-run", elem_classes="ssa-run")
    gr.Markdown("Settings", elem_classes="ssa-section-title")
    modality, window = _image_options(prefix)
    threshold = gr.Slider(0.05, 0.95, value=0.5, step=0.05, label="Mask threshold", elem_id=f"{prefix}-threshold")
    return run, modality, window, threshold


def _wire_image(handlers: DemoHandlers, file, preview, modality, window, session, status,
                results: Sequence[tuple[gr.components.Component, object]]) -> None:
    """Load on upload, then, once the page shows the preview, encode the image for the model
    (while the user types); a refused file also clears the results shown for the previous image.

    results: (output component, its empty value) pairs.
    """
    def load(image: str | None, window_choice: str, state):
        out = handlers.load(image, window_choice, state)
        refused = out[-1] is not None and out[-1].error is not None
        return (*out, *[(empty if refused else gr.skip()) for _, empty in results])

    preview_id = f"#{preview.elem_id}"
    file.change(load, [file, window, session], [preview, modality, window, status, session, *[c for c, _ in results]],
                api_visibility="private", concurrency_id="model", js=page_js.pictures_noted(preview_id)
                ).then(handlers.encode_loaded, [session, modality, window], None, api_visibility="private",
                       concurrency_id="model", show_progress="hidden", js=page_js.after_pictures_drawn(preview_id))
    window.change(handlers.preview, [file, window, session], preview, api_visibility="private",
                  queue=False)


def _segment_tab(handlers: DemoHandlers) -> dict:
    # Left: what the user does, in order, with the Segment button on a laptop's first screen
    # (1440x1000) under the image and the prompt; the settings that rarely change come after it.
    # Right: the status (what was read, the verdict, or what is wrong with the file) above the
    # pictures, where the results appear.
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=340):
            file, preview, session = _image_inputs("seg", side_by_side=True)
            gr.Markdown("Prompt", elem_classes="ssa-section-title")
            prompt = gr.Textbox(label="Prompt", show_label=False, lines=3, max_lines=8, elem_id="seg-prompt",
                                placeholder="e.g. Unilateral pulmonary infection, one infected area, lower left lung.")
            with gr.Row(elem_classes="ssa-chips"):
                for chip in content.CHIPS:
                    gr.Button(chip, size="sm").click(_appender(chip), prompt, prompt, queue=False,
                                                     api_visibility="private")
            run, modality, window, threshold = _run_and_settings("seg", "Segment")
        with gr.Column(scale=7, min_width=480):
            status = gr.Markdown(HINT, label="Status", elem_id="seg-status", elem_classes="ssa-status")
            with gr.Row(equal_height=False):
                # No fixed height: the frame takes the picture's own aspect (a fixed-height frame
                # letterboxed it, and its label and buttons then sat over the picture's corners).
                overlay = OverlayImage(label="Overlay", color_map=COLOR_MAP, elem_id="seg-overlay",
                                       format=DISPLAY_FORMAT, elem_classes="ssa-picture")
                guidance = gr.Image(label="Guidance from the text", interactive=False, elem_id="seg-guidance",
                                    format=DISPLAY_FORMAT, elem_classes="ssa-picture")
            truth = gr.Checkbox(False, label="Show the ground-truth outline", interactive=False,
                                info=NO_REFERENCE_INFO, elem_id="seg-truth")
            findings = gr.Dataframe(views.empty_findings(),
                                    label="Findings: lesion area by lung zone (patient's sides)",
                                    interactive=False, elem_id="seg-findings", elem_classes="ssa-table")
            mask_file = gr.DownloadButton("⬇ Download mask (PNG, original size)", elem_id="seg-mask",
                                          variant="secondary", size="md")
            # Four heatmaps a row whatever their number (fit_columns=False: one expression is not
            # blown up to the whole width), each whole (contain) under its expression; the gallery
            # grows to show every row. A click opens one large.
            alignment = gr.Gallery(label="Alignment: where each expression's transport mass went",
                                   columns=ALIGNMENT_COLUMNS, fit_columns=False, height="auto",
                                   object_fit="contain", allow_preview=True, elem_id="seg-alignment",
                                   elem_classes="ssa-alignment", format=DISPLAY_FORMAT)
    # The loaded example's key ("" for an upload): which reference annotation, if any, applies.
    reference = gr.Textbox("", visible=False, label="Reference")
    _wire_image(handlers, file, preview, modality, window, session, status,
                [(overlay, None), (guidance, None), (alignment, []), (findings, views.empty_findings()),
                 (mask_file, None)])
    outputs = [overlay, guidance, alignment, findings, mask_file, status]
    inputs = [file, prompt, modality, window, threshold, session]
    # The page's button: the overlay and the status first (the example's outline drawn in the
    # same response), then, asked for by the page once they are in, the pictures beside them,
    # the table and the mask file (DemoHandlers.segment_in_page / segment_details). No Gradio
    # progress: its timer, drawn on the status panel while the model ran, took the cores the
    # model was running on (a click 20 ms slower on 2 cores); the status says "Working" only
    # when the answer is late (page_js.BUSY_AFTER_MS: a queue ahead of it).
    page_inputs = [file, prompt, modality, window, threshold, reference, truth, session]
    run.click(handlers.segment_in_page, page_inputs, [overlay, status, session], api_visibility="private",
              concurrency_id="model", concurrency_limit=1, show_progress="hidden",
              js=page_js.pictures_noted("#seg-overlay", busy="#seg-status")
              ).then(handlers.segment_details, session, [guidance, alignment, findings, mask_file],
                     api_visibility="private", queue=False, show_progress="hidden",
                     js=page_js.after_pictures_drawn("#seg-overlay", busy="#seg-status"))
    # The API (no button: triggers=[]): /segment answers with what `python -m ssa.predict` writes
    # (mask, overlay, findings; components never shown on the page), /explain with the guidance
    # picture and the heatmaps. Both raise a refused file or prompt.
    api_results = [gr.File(label="Mask", visible=False), gr.File(label="Overlay", visible=False),
                   gr.JSON(label="Findings", visible=False)]
    gr.on([], handlers.segment_files, inputs, [*api_results, session], api_name="segment", concurrency_id="model",
          concurrency_limit=1)
    gr.on([], handlers.explain, inputs, [guidance, alignment, session], api_name="explain", concurrency_id="model",
          concurrency_limit=1)
    outline = _wire_reference(handlers, file, reference, truth, overlay)
    return {"file": file, "prompt": prompt, "modality": modality, "outputs": outputs,
            "reference": reference, "outline": outline}


def _wire_reference(handlers: DemoHandlers, file, reference, truth, overlay) -> dict:
    """UI-only events of the ground-truth outline (private: no API endpoint, the model never
    runs). An upload or a cleared file forgets the example's reference; the box follows it;
    ticking it redraws the overlay. Returns the redraw as ``.then`` keyword arguments, for the
    events that put a new result on the overlay without it (a cached example)."""
    quiet = {"api_visibility": "private", "queue": False}
    for event in (file.upload, file.clear):
        event(lambda: "", None, reference, **quiet)
    reference.change(handlers.reference_control, reference, truth, **quiet)
    outline = {"fn": handlers.show_reference, "inputs": [overlay, reference, truth], "outputs": overlay,
               "show_progress": "hidden", **quiet}
    truth.change(**outline)
    return outline


def _compare_tab(handlers: DemoHandlers, examples: list[dict]) -> None:
    # As Segment: left, what the user does in order (image, prompts, the Compare button on a
    # laptop's first screen, then the settings); right, the status above the results. The
    # overlays sit two a row in the image's own aspect (no fixed-height frame letterboxing them).
    defaults = ["Unilateral pulmonary infection, one infected area, lower left lung.",
                "Unilateral pulmonary infection, one infected area, lower right lung.", "", ""]
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=340):
            file, preview, session = _image_inputs("cmp", side_by_side=True)
            gr.Markdown("Prompts: two to four", elem_classes="ssa-section-title")
            # No label above each box (the Compare button then fits a laptop's first screen); the
            # number is the box's order, and the overlays and the table are headed by it.
            prompts = [gr.Textbox(value=defaults[i], label=f"Prompt {i + 1}", show_label=False, lines=1,
                                  max_lines=4, elem_id=f"cmp-prompt-{i + 1}",
                                  placeholder=f"Prompt {i + 1}" + (" (optional)" if i >= 2 else ""))
                       for i in range(MAX_COMPARE)]
            run, modality, window, threshold = _run_and_settings("cmp", "Compare")
        with gr.Column(scale=7, min_width=480):
            status = gr.Markdown(HINT, label="Status", elem_id="cmp-status", elem_classes="ssa-status")
            overlays = []
            for row in range(MAX_COMPARE // 2):
                with gr.Row(equal_height=False):
                    overlays += [OverlayImage(label=f"Prompt {i + 1}", color_map=COLOR_MAP, visible=i < 2,
                                              elem_id=f"cmp-overlay-{i + 1}", format=DISPLAY_FORMAT,
                                              elem_classes="ssa-picture")
                                 for i in (2 * row, 2 * row + 1)]
            table = gr.Dataframe(views.empty_compare_table(), label="Where each mask lies",
                                 interactive=False, elem_id="cmp-table", elem_classes="ssa-table", wrap=True,
                                 column_widths=["4%", "30%", "16%", "8%", "10%", "9%", "9%", "14%"])
            masks = gr.File(label="Masks (PNG, original size)", file_count="multiple",
                            elem_id="cmp-masks", interactive=False)
    _wire_image(handlers, file, preview, modality, window, session, status,
                [*[(o, None) for o in overlays], (table, views.empty_compare_table()), (masks, None)])
    inputs, outputs = [file, *prompts, modality, window, threshold, session], [*overlays, table, masks, status, session]
    run.click(handlers.compare_in_page, inputs, outputs, api_visibility="private", concurrency_id="model",
              concurrency_limit=1, show_progress="minimal", show_progress_on=[status])
    # The API: what /segment gives, per prompt box that holds text (components never shown).
    api_results = [gr.File(label="Masks", file_count="multiple", visible=False),
                   gr.File(label="Overlays", file_count="multiple", visible=False),
                   gr.JSON(label="Findings", visible=False)]
    gr.on([], handlers.compare_files, inputs, [*api_results, session], api_name="compare", concurrency_id="model",
          concurrency_limit=1)
    rows = [[e["image"], e["image"], *(e["compare"] + ["", "", ""])[:3], e["modality"]]
            for e in examples if len(e["compare"]) >= 2]
    if rows:
        thumb = gr.Image(visible=False, label="Image")
        gr.Examples(rows, [thumb, file, *prompts[:3], modality], label="Cases where the location decides",
                    visible_columns=[0, 2, 3, 5], examples_per_page=6)


def _examples_tab(handlers: DemoHandlers, seg: dict, examples: list[dict], tabs: gr.Tabs) -> None:
    if not examples:
        gr.Markdown("No examples found (run `python examples/make_examples.py` and "
                    "`python examples/add_qata_examples.py --data-root DIR`).")
        return
    gr.Markdown("Real chest X-rays from the QaTa-COV19 test split first, then negative cases (a "
                "prompt naming the side without lesion, a healthy X-ray: the right answer is an "
                "empty mask), real CT slices, and synthetic CT slices. "
                "In the *referring* cases both lungs have lesions and the text names one side: the "
                "location in the words decides the mask. Click a row to open it in **Segment** "
                "(results are cached after the first run); there, *Show the ground-truth outline* "
                "draws the example's reference annotation. Sides are the patient's.",
                elem_classes="ssa-hint")
    gr.Markdown(content.examples_credits_markdown(examples), elem_classes="ssa-hint",
                elem_id="examples-credits")
    title = gr.Textbox(visible=False, label="Case")
    thumb = gr.Image(visible=False, label="Image")

    def run_example(_thumb: str, _title: str, image: str, prompt: str, modality: str, _reference: str):
        return handlers.segment_example(image, prompt, modality)

    ex = gr.Examples(
        [[e["image"], e["title"], e["image"], e["text"], e["modality"], e["key"]] for e in examples],
        [thumb, title, seg["file"], seg["prompt"], seg["modality"], seg["reference"]],
        outputs=seg["outputs"], fn=run_example, cache_examples=True, cache_mode="lazy",
        visible_columns=[0, 1, 3, 4], examples_per_page=12, label="Examples",
    )
    ex.cache_event.then(**seg["outline"])  # the cached result arrives without the outline
    ex.dataset.click(lambda: gr.Tabs(selected="segment"), None, tabs, queue=False,
                     api_visibility="private")


def build_demo(predictor: ssa.SSAPredictor, checkpoint_info: dict,
               examples_dir: str | Path = EXAMPLES_DIR,
               max_queue: int = QUEUE["max_size"],
               model_thread: ModelThread | None = None) -> gr.Blocks:
    """The whole page. ``predictor`` is shared by every visitor (one request at a time).

    max_queue: requests that may wait for the model; more are refused ("Queue is full").
    model_thread: the thread the predictor was built on, to run it on (see
    :mod:`ssa.model_thread`); None: a new one (the model then runs on a thread that did not
    build it, correct but slower).
    """
    gradio_fixes.apply()  # atomic image-cache writes: concurrent identical outputs
    janitor = UploadJanitor()
    examples = content.load_examples(examples_dir)
    analyzer = Analyzer(predictor, model_thread or ModelThread())
    handlers = DemoHandlers(analyzer, janitor, content.load_references(examples))
    with gr.Blocks(title="SSA · text-guided lung lesion segmentation", analytics_enabled=False,
                   delete_cache=DELETE_CACHE) as demo:
        gr.HTML(content.header_html(checkpoint_info))
        gr.HTML(content.banner_html(checkpoint_info))
        with gr.Tabs(selected="segment") as tabs:
            with gr.Tab("Segment", id="segment"):
                seg = _segment_tab(handlers)
            with gr.Tab("Compare", id="compare"):
                _compare_tab(handlers, examples)
            with gr.Tab("Examples", id="examples"):
                _examples_tab(handlers, seg, examples, tabs)
            with gr.Tab("About", id="about"):
                with gr.Row():
                    with gr.Column(scale=3):
                        gr.Markdown(content.about_markdown(checkpoint_info), elem_classes="ssa-about")
                    with gr.Column(scale=1, min_width=320):
                        gr.HTML(content.laterality_svg(checkpoint_info.get("convention", "radiological"),
                                                       tuple(checkpoint_info.get("lung_band", (0.1, 0.9)))))
    janitor.blocks = demo
    demo.queue(**{**QUEUE, "max_size": max_queue})
    gradio_fixes.calm_queue(demo)
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, **kwargs):
    """Start the server with the house style; ``kwargs`` go to ``Blocks.launch``."""
    options = dict(server_name=host, server_port=port, share=False, max_file_size=MAX_FILE_SIZE,
                   state_session_capacity=MAX_SESSIONS, ssr_mode=False, footer_links=["api"],
                   **style.launch_options())
    options.update(kwargs)
    return demo.launch(**options)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", default=os.environ.get("SSA_CHECKPOINT", DEFAULT_CHECKPOINT),
                        help="checkpoint directory or hub repo id (env SSA_CHECKPOINT; default %(default)s)")
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="interface to listen on (default %(default)s: this machine only)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
    parser.add_argument("--examples", default=str(EXAMPLES_DIR), help="examples folder (examples.json)")
    parser.add_argument("--max-queue", type=int, default=QUEUE["max_size"],
                        help="requests that may wait for the model; more are turned away with "
                             "'Queue is full' (default %(default)s)")
    parser.add_argument("--threads", type=int, default=0,
                        help="the model's CPU threads (default 0: PyTorch's own, one per core); "
                             "bench/browser.py --threads measures a choice")
    args = parser.parse_args(argv)
    if args.max_queue < 1:
        parser.error("--max-queue must be at least 1")
    if args.threads < 0:
        parser.error("--threads must be 0 (PyTorch's own) or more")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # Refusals of users' mistakes are one warning line each (ssa.webui); faults keep Gradio's traceback.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    checkpoint = Path(args.checkpoint)
    if not checkpoint.exists() and not checkpoint.is_absolute() and (ROOT / checkpoint).exists():
        checkpoint = ROOT / checkpoint  # the default, when started from another folder
    model_thread = ModelThread()  # the model is built and run on this one thread
    if args.threads:
        model_thread.run(torch.set_num_threads, args.threads)
    try:
        directory = resolve_checkpoint(checkpoint if checkpoint.exists() else args.checkpoint)
        predictor = model_thread.run(lambda: ssa.SSAPredictor(ssa.load_model(directory)))
    except (ssa.CheckpointError, OSError) as err:
        sys.exit(f"ssa-demo: cannot load checkpoint: {err}")
    info = content.checkpoint_info(directory, predictor.model)
    demo = build_demo(predictor, info, args.examples, args.max_queue, model_thread)
    # quiet: Gradio's own banner suggests share=True; this demo never creates a public link.
    _, url, _ = launch(demo, args.host, args.port, quiet=True, prevent_thread_lock=True)
    print(f"SSA demo on {url} (listening on {args.host} only; no public link is created). Ctrl+C stops it.",
          flush=True)
    demo.block_thread()


if __name__ == "__main__":
    main()
