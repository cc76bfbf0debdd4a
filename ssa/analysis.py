"""One image + prompts -> masks, findings and plain-language notices (the demo's and CLI's core).

:func:`prepare_image` reads a file once into a small working copy (``uint8``, longer side at
most ``max_side``); :class:`Analyzer` runs the predictor on it under a lock, maps each mask
back to the original size and says what the user should know (no location in the prompt,
prompt truncated, image downscaled, CT zone words). The working copy is ``uint8`` because
that is what the model is trained on (synthetic cases and 8-bit PNG datasets); an ``uint8``
array goes through :func:`ssa.imageio.to_unit_gray` unchanged.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from ssa.expressions import ReadPrompt
from ssa.findings import ZoneFinding, lesion_findings
from ssa.imageio import WINDOWS, read_image
from ssa.model_thread import ModelThread, T
from ssa.overlay import resize_max, to_gray_u8
from ssa.predictor import MAX_PROMPT_CHARS, Prediction, SSAPredictor
from ssa.report import ReportReading, ReportSentence
from ssa.spatial import Region
from ssa.verdict import Verdict, judge

MAX_SIDE = 1024  # working resolution cap: the model sees 224 px; masks return at full size
MODALITY_NAMES = {"xray": "chest X-ray", "ct": "CT slice"}
MAX_READING_LINES = 12  # sentences listed in the report reading; the rest are counted
MAX_QUOTE_CHARS = 120
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


@dataclass
class PreparedImage:
    """A decoded image, ready for the predictor.

    pixels: window -> uint8 ``[h, w]`` working copy (key None for non-DICOM-CT images; "lung"
    and "mediastinum" for a CT DICOM). original_size: (H, W) of the file. modality: what the
    file says ("ct" from a DICOM tag, else "xray"). Holds no DICOM metadata.
    """

    name: str
    original_size: tuple[int, int]
    modality: str
    pixels: dict[str | None, np.ndarray]
    dicom: bool = False

    @property
    def windows(self) -> list[str]:
        """The CT windows available ([] unless a CT DICOM)."""
        return [w for w in self.pixels if w is not None]

    @property
    def work_size(self) -> tuple[int, int]:
        return tuple(next(iter(self.pixels.values())).shape)  # type: ignore[return-value]

    @property
    def downscaled(self) -> bool:
        return self.work_size != tuple(self.original_size)

    def image(self, window: str | None = None) -> np.ndarray:
        """The working copy for ``window`` (ignored unless a CT DICOM; default lung)."""
        if window in self.pixels:
            return self.pixels[window]
        if "lung" in self.pixels:
            return self.pixels["lung"]
        return self.pixels[None]

    def describe(self) -> str:
        """One line for the UI: name, size, modality source."""
        h, w = self.original_size
        kind = " · DICOM " + self.modality.upper() if self.dicom else ""
        return f"{self.name} · {w}×{h}{kind}"


def _rename(err: Exception, path: Path, name: str) -> ValueError:
    """The reader's message with the server-side path replaced by the user's file name."""
    return ValueError(str(err).replace(str(path), name))


def prepare_image(path: str | Path, name: str | None = None, max_side: int = MAX_SIDE) -> PreparedImage:
    """Read ``path`` (PNG, JPEG, BMP, TIFF, DICOM) into a :class:`PreparedImage`.

    Raises ValueError naming ``name`` (default: the file name) and the problem: unreadable,
    empty, over :data:`ssa.imageio.MAX_PIXELS`. A CT DICOM is read in every window.
    """
    path = Path(path)
    name = name or path.name
    try:
        first = read_image(path)
        windows: list[str | None] = [None]
        if "window" in first.info:
            windows = list(WINDOWS)
        pixels: dict[str | None, np.ndarray] = {}
        for window in windows:
            loaded = first if window in (None, first.info.get("window")) else read_image(path, window=window)
            pixels[window] = resize_max(to_gray_u8(loaded.pixels), max_side)
    except ValueError as err:
        raise _rename(err, path, name) from None
    return PreparedImage(
        name=name,
        original_size=tuple(first.pixels.shape),  # type: ignore[arg-type]
        modality=first.modality,
        pixels=pixels,
        dicom="dicom_modality" in first.info,
    )


@dataclass
class Analysis:
    """One prompt's result. prediction: at the working size; mask: bool at the ORIGINAL size."""

    text: str
    prediction: Prediction
    mask: np.ndarray
    modality: str
    regions: list[Region]
    findings: list[ZoneFinding]
    notices: list[str] = field(default_factory=list)
    verdict: Verdict | None = None  # found or not, and whether the outline agrees with the text
    model_seconds: float = 0.0  # the model's time for the whole request (all its prompts)
    # The image encoder's time for this image, and whether it ran before the request (on
    # upload, see Analyzer.encode, or for an earlier prompt): then model_seconds leaves it out.
    encode_seconds: float = 0.0
    encoded_before: bool = False


def describe_regions(regions: Sequence[Region]) -> str:
    """"left lung (lower), right lung (upper, middle)" style; "" for no regions."""
    order = {"upper": 0, "middle": 1, "lower": 2}
    parts = []
    for r in regions:
        zones = sorted(r.zones, key=order.__getitem__)
        zone_text = "all zones" if len(zones) == 3 else ", ".join(zones)
        parts.append(f"{r.side} lung ({zone_text})")
    return "; ".join(parts)


def _quote(text: str) -> str:
    """A sentence for a markdown note: one line, at most MAX_QUOTE_CHARS, markup escaped."""
    text = " ".join(text.split())
    if len(text) > MAX_QUOTE_CHARS:
        text = text[: MAX_QUOTE_CHARS - 1].rstrip() + "…"
    return "“" + _MARKDOWN_SPECIAL.sub(r"\\\1", text) + "”"


def _sentence_note(sentence: ReportSentence) -> str:
    """"Used: “…” → right lung (lower)" / "Set aside (device): “…”"."""
    if sentence.status != "used":
        why = sentence.reason or ""
        if sentence.section_kind == "history" and sentence.section:
            why += f", {sentence.section} section"
        return f"Set aside ({why}): {_quote(sentence.text)}"
    where = describe_regions(sentence.regions) or "a zone with no side: no constraint"
    note = f"Used{', hedged' if sentence.hedged else ''}: {_quote(sentence.text)} → {where}"
    if sentence.set_aside:
        note += "; not counted: " + ", ".join(f"{_quote(a.text)} ({a.reason})" for a in sentence.set_aside)
    return note


def reading_notes(reading: ReportReading) -> list[str]:
    """The report reading as one markdown note with a nested list: the sentences used for the
    guidance and those set aside, each with why. [] for a one-sentence prompt with nothing set
    aside (a caption or a typed phrase reads as it always did) and for a prompt with no place."""
    located = [s for s in reading.sentences if s.status != "no location"]
    if not located or (len(reading.sentences) < 2 and not reading.set_aside):
        return []
    n = len(reading.sentences)
    head = (f"Read as a report ({n} sentence{'s' if n > 1 else ''}): {len(reading.used)} used for the "
            f"guidance, {len(reading.set_aside)} set aside")
    quiet = n - len(located)
    head += f", {quiet} without a place:" if quiet else ":"
    lines = [_sentence_note(s) for s in located[:MAX_READING_LINES]]
    if len(located) > MAX_READING_LINES:
        lines.append(f"… {len(located) - MAX_READING_LINES} more sentences with a place, not listed.")
    return [head + "".join(f"\n  * {line}" for line in lines)]


def prompt_notices(prompt: ReadPrompt, modality: str, truncated: bool) -> list[str]:
    """What the UI should say about a prompt as the model read it (markdown lines)."""
    notes = []
    regions, reading = prompt.regions, prompt.reading
    if not prompt.text:
        notes.append("Empty prompt: the model segments what it sees, with **no spatial constraint**.")
    elif not regions and reading.set_aside:
        notes.append("No location of a finding in the prompt (the places it names are set aside, "
                     "see below): **no spatial constraint**.")
    elif not regions:
        notes.append("No location in the prompt: **no spatial constraint**.")
    else:
        notes.append(f"Location read from the prompt: **{describe_regions(regions)}**.")
        if modality == "ct" and any(len(r.zones) < 3 for r in regions):
            notes.append("On a CT slice, upper / middle / lower name the slice level: only the "
                         "side constrains the image.")
    notes += reading_notes(reading)
    if truncated:
        notes.append(f"Prompt truncated to {MAX_PROMPT_CHARS:,} characters.")
    return notes


def file_size_mask(pred: Prediction, size: tuple[int, int], threshold: float) -> np.ndarray:
    """The mask at the file's own ``size`` (H, W): the prediction's, or, for a downscaled
    working copy, its probabilities resized once and thresholded."""
    h, w = size
    if pred.probs.shape == (h, w):
        return pred.mask
    return cv2.resize(pred.probs, (w, h), interpolation=cv2.INTER_LINEAR) >= threshold


class Analyzer:
    """Runs a shared :class:`SSAPredictor` for many users, one request at a time.

    The predictor caches one image embedding; the analyzer remembers which image it holds
    so that new prompts on the same image skip the image encoder.
    """

    def __init__(self, predictor: SSAPredictor, model_thread: ModelThread | None = None) -> None:
        """model_thread: where the predictor runs (see :mod:`ssa.model_thread`: a server
        should load and run the model on one thread); None: on the calling thread."""
        self.predictor = predictor
        self.config = predictor.config
        self.model_thread = model_thread
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._encode_seconds = 0.0  # what encoding the held image took

    def _set_image(self, pixels: np.ndarray, modality: str) -> bool:
        """Encode ``pixels`` unless the predictor holds them already; True when it ran."""
        key = (hashlib.sha1(pixels.tobytes()).hexdigest(), pixels.shape, modality)
        if key == self._key:
            return False
        self._key = None  # a failure below must not leave a stale key
        started = time.perf_counter()
        self.predictor.set_image(pixels, modality=modality)
        self._encode_seconds = time.perf_counter() - started
        self._key = key
        return True

    def _on_model_thread(self, fn: Callable[[], T]) -> T:
        return fn() if self.model_thread is None else self.model_thread.run(fn)

    def encode(self, image: PreparedImage, modality: str | None = None, window: str | None = None) -> None:
        """Encode ``image`` now, so that a run on it pays only for its prompts: the demo calls
        this when a file is loaded, while the user is still typing (segment-anything's demos
        embed the image on upload for the same reason). modality None = the file's own."""
        pixels = image.image(window)
        with self._lock:
            self._on_model_thread(lambda: self._set_image(pixels, modality or image.modality))

    def _infer(self, pixels: np.ndarray, modality: str, texts: list[str], threshold: float) -> tuple[list, bool]:
        """The model's part of :meth:`run`: (predictions, whether the image was encoded now)."""
        def infer() -> tuple[list, bool]:
            encoded = self._set_image(pixels, modality)
            return self.predictor.predict_many(texts, threshold), encoded

        return self._on_model_thread(infer)

    def run(
        self,
        image: PreparedImage,
        texts: Sequence[str],
        modality: str | None = None,
        window: str | None = None,
        threshold: float = 0.5,
    ) -> list[Analysis]:
        """Segment each text in ``image``. modality None = the file's own."""
        if modality not in (None, "xray", "ct"):
            raise ValueError(f"modality must be 'xray', 'ct' or None, got {modality!r}")
        if not 0.0 <= float(threshold) <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        modality = modality or image.modality
        pixels = image.image(window)
        with self._lock:
            started = time.perf_counter()
            predictions, encoded_now = self._infer(pixels, modality, list(texts), float(threshold))
            seconds, encode_seconds = time.perf_counter() - started, self._encode_seconds
        results = []
        for pred in predictions:
            # The text was read once, by the model: its regions and reading travel with pred.
            regions = list(pred.regions)
            notices = prompt_notices(pred.reading, modality, pred.truncated)
            if image.downscaled:
                (h, w), (wh, ww) = image.original_size, image.work_size
                notices.append(f"Image downscaled from {w}×{h} to {ww}×{wh} px for analysis; "
                               "the mask file is at the original size.")
            mask = file_size_mask(pred, image.original_size, float(threshold))
            # On the mask the file gets, so the page's table and the CLI's JSON agree; measured
            # once, for the table and the verdict.
            findings = lesion_findings(mask, modality, self.config.convention, self.config.lung_band, regions)
            results.append(
                Analysis(
                    text=pred.text,
                    prediction=pred,
                    mask=mask,
                    modality=modality,
                    regions=regions,
                    findings=findings,
                    notices=notices,
                    verdict=judge(mask, regions, pred.score, pred.present, modality, self.config.convention,
                                  self.config.lung_band, findings=findings),
                    model_seconds=seconds,
                    encode_seconds=encode_seconds,
                    encoded_before=not encoded_now,
                )
            )
        return results
