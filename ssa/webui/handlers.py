"""The demo's event handlers: load an upload, Segment, Compare, the prompt chips, and the
examples' ground-truth outline.

Each public method is what one Gradio event calls; its parameters are the event's inputs
in order (their names are the API's parameter names) and it returns the outputs in order.

A user's mistake (a file that is not an image, no image, fewer than two prompts) is a
:class:`Refused`: a ``gr.Error`` whose message names the file and the problem, logged as one
warning line on the ``ssa.webui`` logger, without a traceback. The API endpoints raise it (the
client gets the message); the page's buttons (``segment_in_page``, ``compare_in_page``) put it
in the status panel instead and clear the result panels, so the page shows it once, where the
results go, with no toast and no "Error" badges. Anything else is a fault: it propagates, and
Gradio logs its traceback. The server keeps serving either way. Handlers never log or show
DICOM metadata.
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import gradio as gr
import numpy as np
from PIL import Image

from ssa.analysis import Analysis, Analyzer, describe_regions
from ssa.overlay import mask_overlay
from ssa.record import analysis_record
from ssa.webui import views
from ssa.webui.overlay_image import OverlayImage
from ssa.webui.uploads import (
    SessionImage,
    UploadJanitor,
    acquire,
    prompt_slug,
    write_mask_file,
    write_result_png,
)

MAX_COMPARE = 4
REFERENCE_INFO = ("The example's reference annotation (the data set's ground truth for the "
                  "example's own text), outlined in yellow on the overlay. The model never sees it.")
NO_REFERENCE_INFO = "Only the examples have a reference annotation; an uploaded image has none."
FILE_REFUSED = "Cannot use this file"  # the status title of a refused file, on upload and on run

log = logging.getLogger("ssa.webui")


class Refused(gr.Error):
    """A user's mistake, refused: shown to the user, logged as one line, never as a traceback.

    session: what the session should remember afterwards (a refused upload is remembered as
    refused: it was read once and deleted, and a second run must say the same thing again).
    """

    def __init__(self, message: str, title: str, what: str, session: SessionImage | None = None) -> None:
        super().__init__(message, title=title, print_exception=False)
        self.session = session
        log.warning("refused %s: %s", what, " ".join(message.split()))

    def status(self) -> str:
        """The status panel's markdown for this refusal."""
        return views.status_markdown([self.message], title=self.title)


def _modality(choice: str | None) -> str | None:
    """Radio value -> analyzer modality ("auto" / empty = the file's own)."""
    return choice if choice in ("xray", "ct") else None


class DemoHandlers:
    """Handlers bound to one model (through an :class:`Analyzer`) and one Blocks' uploads."""

    def __init__(self, analyzer: Analyzer, janitor: UploadJanitor | None = None,
                 references: dict[str, np.ndarray] | None = None) -> None:
        """references: example key -> ground-truth mask, bool [H, W] (see content.load_references)."""
        self.analyzer = analyzer
        self.janitor = janitor or UploadJanitor()
        self.references = references or {}
        self.convention = analyzer.config.convention
        self.lung_band = analyzer.config.lung_band

    # -- helpers -------------------------------------------------------------------------
    def _acquire(self, image: str | None, session: SessionImage | None):
        try:
            return acquire(image, session, self.janitor)
        except ValueError as err:
            message = str(err)
            if image:  # read (or gone) and refused: the session remembers why
                session = SessionImage(str(image), error=message)
            raise Refused(message, FILE_REFUSED, "upload" if image else "run", session) from None

    def _run(self, prepared, texts, modality, window, threshold, session) -> list[Analysis]:
        try:
            return self.analyzer.run(prepared, texts, _modality(modality), window, float(threshold))
        except ValueError as err:
            raise Refused(str(err), "Cannot run", "run", session) from None

    # -- events --------------------------------------------------------------------------
    def encode_loaded(self, session: SessionImage | None, modality: str | None, window: str) -> None:
        """After the load event, once the page shows the preview: encode the loaded image for the
        model while the user types the prompt, so that the Segment click pays only for the
        prompt (segment-anything's demos embed an image on upload for the same reason). With the
        modality the run will use: a DICOM's own (the load set the radio to it), else the radio's.
        Nothing to do for a refused file or no file."""
        if session is None or session.image is None:
            return
        prepared = session.image
        self.analyzer.encode(prepared, prepared.modality if prepared.dicom else _modality(modality), window)

    def load(self, image: str | None, window: str, session: SessionImage | None):
        """File changed: read it once, show it, set the modality from a DICOM tag.

        Returns (preview, modality radio, window radio, status markdown, session).
        """
        if not image:
            return gr.Image(value=None, label="Loaded image"), gr.skip(), gr.Radio(visible=False), "", None
        try:
            prepared, session = self._acquire(image, session)
        except Refused as refused:  # said once, in the status panel (no toast); logged as one line
            preview = gr.Image(value=None, label="Loaded image")
            return preview, gr.skip(), gr.Radio(visible=False), refused.status(), refused.session
        preview = gr.Image(value=views.display_base(prepared.image(window), self.convention),
                           label=prepared.describe())
        modality = gr.Radio(value=prepared.modality) if prepared.dicom else gr.skip()
        window_radio = gr.Radio(visible=bool(prepared.windows))
        status = views.status_markdown(views.image_status(prepared, window))
        return preview, modality, window_radio, status, session

    def preview(self, image: str | None, window: str, session: SessionImage | None):
        """The CT window changed: redraw the preview from the session (no re-read)."""
        if session is None or session.image is None or session.key != str(image):
            return gr.skip()
        return views.display_base(session.image.image(window), self.convention)

    def _segment_run(self, image: str | None, prompt: str, modality: str, window: str, threshold: float,
                     session: SessionImage | None):
        """Read (or reuse) the image and run the model: (prepared image, analysis, session)."""
        prepared, session = self._acquire(image, session)
        (result,) = self._run(prepared, [prompt or ""], modality, window, threshold, session)
        return prepared, result, session

    def _segment_status(self, result: Analysis) -> str:
        """The status panel: verdict, lesion summary, notices, the model's time."""
        return views.status_markdown(
            [*views.verdict_lines(result), views.lesion_summary(result, self.convention), *result.notices,
             views.timing_line(result)]
        )

    def segment(self, image: str | None, prompt: str, modality: str, window: str,
                threshold: float, session: SessionImage | None = None):
        """Segment what ``prompt`` describes in ``image``.

        Returns (overlay, guidance, alignment gallery, findings table, mask PNG path,
        status markdown, session).
        """
        prepared, result, session = self._segment_run(image, prompt, modality, window, threshold, session)
        pixels = prepared.image(window)
        return (
            views.annotated(pixels, result, self.convention),
            views.guidance_image(pixels, result, self.convention, self.lung_band),
            views.alignment_gallery(pixels, result),
            views.findings_table(result),
            write_mask_file(result.mask, prepared.name),
            self._segment_status(result),
            session,
        )

    def segment_files(self, image: str | None, prompt: str, modality: str, window: str, threshold: float,
                      session: SessionImage | None = None):
        """The ``/segment`` API: for one image and prompt, what ``python -m ssa.predict`` writes.

        Returns (mask PNG path: 0/255 at the file's own size; overlay PNG path: the analysed
        image with the lesion filled and outlined, the region the text names outlined, R/L
        markers; findings: dict, :func:`ssa.record.analysis_record`; session). Two files and a
        JSON value: every file costs an API client a download (gradio_client opens a new
        connection for each), so the pictures that explain the result are ``/explain``'s.
        """
        prepared, result, session = self._segment_run(image, prompt, modality, window, threshold, session)
        return (
            write_mask_file(result.mask, prepared.name),
            self._overlay_file(prepared.image(window), result, prepared.name, "overlay"),
            analysis_record(result, float(threshold), self.convention, self.lung_band),
            session,
        )

    def explain(self, image: str | None, prompt: str, modality: str, window: str, threshold: float,
                session: SessionImage | None = None):
        """The ``/explain`` API: the pictures behind a result, as the page shows them.

        Returns (guidance picture: the region the text points to over the image with the zone
        grid; alignment gallery: [(heatmap, expression)], where each expression's transport
        mass went; session).
        """
        prepared, result, session = self._segment_run(image, prompt, modality, window, threshold, session)
        pixels = prepared.image(window)
        return (views.guidance_image(pixels, result, self.convention, self.lung_band),
                views.alignment_gallery(pixels, result), session)

    def segment_in_page(self, image: str | None, prompt: str, modality: str, window: str,
                        threshold: float, reference: str | None = "", show_reference: bool = False,
                        session: SessionImage | None = None):
        """The Segment button, first step: what the user waits for.

        Returns (overlay, status markdown, session): the overlay with the example's ground-truth
        outline when ``show_reference`` is ticked and ``reference`` names an example that has
        one (no second request for it), and the status (verdict, lesion summary, the model's
        time). The session keeps the result for :meth:`segment_details`, which the page calls
        next (the event's ``.then``) for the guidance picture, the heatmaps, the findings table
        and the mask file: by the time it asks, the page is fetching the overlay's pictures,
        which then no longer wait behind the server drawing and encoding the others. A refusal
        goes to the status panel (the same words as on upload) and clears the overlay, instead
        of an error toast and an "Error" badge on every panel. Faults still raise.
        """
        try:
            prepared, result, session = self._segment_run(image, prompt, modality, window, threshold, session)
        except Refused as refused:
            if refused.session is not None:
                refused.session.details = ()  # the second step clears its panels too
            return None, refused.status(), refused.session
        overlay = views.annotated(prepared.image(window), result, self.convention)
        truth = self.references.get(reference or "") if show_reference else None
        if truth is not None:
            overlay = views.with_reference(overlay, views.reference_outline(truth, overlay[0].shape[:2]))
        session.details = (prepared, result, window)
        return overlay, self._segment_status(result), session

    def segment_details(self, session: SessionImage | None):
        """The Segment button, second step: the rest of :meth:`segment`'s outputs for the result
        the first step left in the session.

        Returns (guidance picture, alignment gallery, findings table, mask PNG path): cleared
        when the run was refused (or there is no image), ``gr.skip()`` for each when there is
        nothing new (a second click's first step came in between and this one was drawn).
        """
        details = None if session is None else session.details
        if session is None or details == ():
            return None, [], views.empty_findings(), None
        if details is None:
            return (gr.skip(),) * 4
        session.details = None  # drawn once; the session does not keep a result's arrays
        prepared, result, window = details
        pixels = prepared.image(window)
        return (views.guidance_image(pixels, result, self.convention, self.lung_band),
                views.alignment_gallery(pixels, result), views.findings_table(result),
                write_mask_file(result.mask, prepared.name))

    def segment_example(self, image: str, prompt: str, modality: str):
        """Segment with the defaults (lung window, threshold 0.5): what cached examples run."""
        return self.segment(image, prompt, modality, "lung", 0.5, None)[:-1]

    def _overlay_file(self, pixels: np.ndarray, result: Analysis, image_name: str, suffix: str) -> str:
        """The overlay PNG ``python -m ssa.predict`` writes (lesion filled and outlined, the region
        the text names outlined, R/L markers) of ``result`` on ``pixels``; returns its path."""
        pred = result.prediction
        return write_result_png(mask_overlay(pixels, pred.mask, pred.guidance, self.convention), image_name, suffix)

    def _compare_run(self, image: str | None, slots: list[str], modality: str, window: str, threshold: float,
                     session: SessionImage | None):
        """The prompts' slots that hold text, the image read (or reused) and its analyses:
        (used slot indices, prepared image, [Analysis per used slot], session)."""
        used = [i for i, p in enumerate(slots) if p and p.strip()]
        if len(used) < 2:
            raise Refused("Enter at least two prompts to compare.", "Compare", "compare", session)
        prepared, session = self._acquire(image, session)
        results = self._run(prepared, [slots[i] for i in used], modality, window, threshold, session)
        return used, prepared, results, session

    def compare_files(self, image: str | None, prompt_1: str, prompt_2: str, prompt_3: str,
                      prompt_4: str, modality: str, window: str, threshold: float,
                      session: SessionImage | None = None):
        """The ``/compare`` API: :meth:`segment_files` for two to four prompts on one image,
        encoded once.

        Returns (mask PNG paths, overlay PNG paths, findings records, session): one each per
        prompt box that holds text, in box order; files named ``compare_<box>_<prompt words>``
        (the overlay's with ``_overlay``), each record with its ``"box"`` (1-4).
        """
        used, prepared, results, session = self._compare_run(image, [prompt_1, prompt_2, prompt_3, prompt_4],
                                                             modality, window, threshold, session)
        pixels = prepared.image(window)
        masks, overlays, records = [], [], []
        for i, result in zip(used, results):
            stem = _compare_stem(i, result)
            masks.append(write_mask_file(result.mask, "", stem))
            overlays.append(self._overlay_file(pixels, result, "", f"{stem}_overlay"))
            records.append({"box": i + 1,
                            **analysis_record(result, float(threshold), self.convention, self.lung_band)})
        return masks, overlays, records, session

    def compare(self, image: str | None, prompt_1: str, prompt_2: str, prompt_3: str,
                prompt_4: str, modality: str, window: str, threshold: float,
                session: SessionImage | None = None):
        """Two to four prompts on one image, encoded once, side by side.

        Returns (overlay 1..4, comparison table, mask PNG paths, status markdown, session).
        Empty prompt boxes are skipped; their overlays are hidden.
        """
        used, prepared, results, session = self._compare_run(image, [prompt_1, prompt_2, prompt_3, prompt_4],
                                                             modality, window, threshold, session)
        pixels = prepared.image(window)
        overlays: list = [OverlayImage(value=None, visible=False) for _ in range(MAX_COMPARE)]
        masks = []
        for i, result in zip(used, results):
            overlays[i] = OverlayImage(
                value=views.annotated(pixels, result, self.convention, views.COMPARE_SIDE),
                label=f"Prompt {i + 1} · {describe_regions(result.regions) or 'no location'}",
                visible=True,
            )
            # Named after the prompt: four downloads must say which prompt each belongs to.
            masks.append(write_mask_file(result.mask, "", _compare_stem(i, result)))
        notes = []
        for i, result in zip(used, results):  # numbered by slot, as the overlays are
            notes += views.verdict_lines(result, f"Prompt {i + 1}: ")
            notes += [f"Prompt {i + 1}: {note}" for note in result.notices if "downscaled" not in note]
        notes += [note for note in results[0].notices if "downscaled" in note]
        notes.append(views.timing_line(results[0]))
        return (
            *overlays,
            views.compare_table(results, self.convention),
            masks,
            views.status_markdown(notes),
            session,
        )

    def compare_in_page(self, image: str | None, prompt_1: str, prompt_2: str, prompt_3: str,
                        prompt_4: str, modality: str, window: str, threshold: float,
                        session: SessionImage | None = None):
        """The Compare button: :meth:`compare`, with a refusal in the status panel and the
        result panels cleared (see :meth:`segment_in_page`)."""
        try:
            return self.compare(image, prompt_1, prompt_2, prompt_3, prompt_4, modality, window, threshold,
                                session)
        except Refused as refused:
            return (*[None] * MAX_COMPARE, views.empty_compare_table(), None, refused.status(),
                    refused.session)

    def reference_control(self, reference: str | None) -> gr.Checkbox:
        """The loaded image changed: the outline box is live for an example with a reference
        annotation, else unticked, greyed out and saying why."""
        if reference in self.references:
            return gr.Checkbox(interactive=True, info=REFERENCE_INFO)
        return gr.Checkbox(value=False, interactive=False, info=NO_REFERENCE_INFO)

    def show_reference(self, overlay: tuple[str, list[tuple[np.ndarray | str, str]]] | None,
                       reference: str | None, show: bool):
        """Draw (or take away) the example's ground-truth outline on the Segment overlay.

        overlay: the overlay as ``OverlayImage`` passes it in, (base image path, [(layer RGBA
        array, label)]): the shown result is redrawn from its own layers, so the model is not run
        again, and the base image file is sent back as it is (a JPEG decoded and encoded again at
        each toggle would lose a little more each time).
        Returns the new overlay value, or ``gr.skip()`` when there is nothing to change.
        """
        mask = self.references.get(reference or "") if show else None
        if not overlay or (mask is None and all(label != views.REFERENCE_LABEL for _, label in overlay[1])):
            return gr.skip()
        value = _read_annotated(overlay)
        if value is None:
            return gr.skip()
        base, layers, size = value
        outline = None if mask is None else views.reference_outline(mask, size)
        return views.with_reference((base, layers), outline)

    @staticmethod
    def append_phrase(prompt: str | None, phrase: str) -> str:
        """Add a location phrase to the prompt, comma-separated."""
        prompt = (prompt or "").rstrip()
        if not prompt:
            return phrase
        if prompt.endswith("."):
            prompt = prompt[:-1]
        sep = " " if prompt.endswith((",", ";")) else ", "
        return f"{prompt}{sep}{phrase}"


def _compare_stem(slot: int, result: Analysis) -> str:
    """A Compare file's name: its prompt box and words (four downloads must say which is which)."""
    return f"compare_{slot + 1}_{prompt_slug(result.text)}"


def _read_annotated(overlay: tuple[str, list[tuple[np.ndarray | str, str]]]
                    ) -> tuple[str, list[tuple[np.ndarray, str]], tuple[int, int]] | None:
    """An ``OverlayImage`` value as the page sends it back, read: (the base image's path,
    [(layer float32 [h, w] in [0, 1], label)], the base picture's (H, W)); None when a file
    cannot be read. A layer comes as its RGBA array (inline) or as a PNG file Gradio wrote.

    A layer's alpha is its value times 255, truncated; alpha / 255 stored again gives the same
    alpha for every value 0-255, so toggling the outline leaves the other layers as they were.
    """
    base_path, layers = overlay
    if not base_path or not Path(base_path).is_file():  # swept from the cache meanwhile
        return None
    try:
        with Image.open(base_path) as base:  # the header: the size the outline is drawn at
            width, height = base.size
    except (OSError, ValueError):
        return None
    read = []
    for layer, label in layers:
        rgba = layer if isinstance(layer, np.ndarray) else cv2.imread(str(layer), cv2.IMREAD_UNCHANGED)
        if rgba is None or rgba.ndim != 3 or rgba.shape[2] != 4:
            return None
        read.append((rgba[..., 3].astype(np.float32) / 255.0, label))
    return str(base_path), read, (height, width)
