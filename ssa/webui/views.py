"""Turn analyses into what the page shows: display images, tables and status markdown.

Pure functions of numpy arrays and :class:`ssa.analysis.Analysis`, no gradio, so they are
tested without a server. Display images are drawn at the size the page shows them (see
:func:`display_size`), the alignment heatmaps at thumbnail size (``ALIGNMENT_SIDE``): every
pixel drawn is a pixel Gradio encodes and the browser downloads.
"""

from __future__ import annotations

import cv2
import numpy as np
import pandas as pd

from ssa.analysis import MODALITY_NAMES, Analysis, PreparedImage, describe_regions
from ssa.findings import WHOLE, dominant_side, side_fractions
from ssa.imageio import WINDOWS
from ssa.overlay import guidance_view, heatmap_overlay, orientation_markers, to_rgb

# The overlay's frame takes the picture's aspect, about 375 CSS px wide on a 1440-px screen (at
# most 640 px tall): 448 px fills it at a screen pixel or more per image pixel (and is exactly
# 2x a 224-px QaTa X-ray); larger images keep their own size up to 640 px, for screens with more
# pixels than CSS px.
DISPLAY_MIN, DISPLAY_MAX = 448, 640
ALIGNMENT_SIDE = 320  # the gallery shows 4 per row (~180 px each); its preview ~440 px
COMPARE_SIDE = 448  # the Compare overlays: two a row, each about as wide as half the results column
LESION_LABEL = "Lesion (model)"
REGION_LABEL = "Region named in the prompt"
REFERENCE_LABEL = "Reference annotation (ground truth)"
# Reference in yellow: apart from the lesion's red and the region's blue.
COLOR_MAP = {LESION_LABEL: "#ff453a", REGION_LABEL: "#0a84ff", REFERENCE_LABEL: "#ffd60a"}
REFERENCE_STROKE = 2  # px at the display size
FINDINGS_COLUMNS = ["Side", "Zone", "Lesion (% of zone)", "Share of lesion (%)", "Named in prompt"]
COMPARE_COLUMNS = ["#", "Prompt", "Location read", "Presence score", "Lesion (% of image)", "Patient right (%)",
                   "Patient left (%)", "Mask lies"]


def display_size(size: tuple[int, int], side: int | None = None) -> tuple[int, int]:
    """(H, W) of the pictures of an image of ``size`` (H, W): the longer side is the image's own,
    brought into [``DISPLAY_MIN``, ``DISPLAY_MAX``], or exactly ``side`` when given. All pictures
    of one result share this size, so side-by-side views line up whatever the upload's size."""
    h, w = (int(v) for v in size)
    longer = max(h, w, 1)
    target = side if side is not None else min(DISPLAY_MAX, max(DISPLAY_MIN, longer))
    scale = target / longer
    return max(1, round(h * scale)), max(1, round(w * scale))


def _display(a: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    h, w = size
    if a.shape[:2] == (h, w):
        return a
    if nearest:
        interp = cv2.INTER_NEAREST
    else:
        interp = cv2.INTER_AREA if h < a.shape[0] else cv2.INTER_LINEAR
    return cv2.resize(a, (w, h), interpolation=interp)


def display_gray(pixels: np.ndarray, side: int | None = None) -> np.ndarray:
    """The working image at the display size, or with longer side ``side`` (uint8 gray)."""
    return _display(pixels, display_size(pixels.shape[:2], side))


def display_base(pixels: np.ndarray, convention: str, side: int | None = None) -> np.ndarray:
    """The working image as display RGB with R/L markers (longer side ``side`` when given)."""
    return orientation_markers(to_rgb(display_gray(pixels, side)), convention)


def layer_size(image_size: tuple[int, int], display: tuple[int, int]) -> tuple[int, int]:
    """(H, W) of an overlay layer for a working image of ``image_size``: the image's own size
    when it is no larger than the ``display`` size (a 224-px X-ray's mask holds no more detail
    at 448 px; the page scales the layer onto the picture), else the display size."""
    return image_size if max(image_size) <= max(display) else display


def annotated(pixels: np.ndarray, analysis: Analysis, convention: str, side: int | None = None) -> tuple:
    """``OverlayImage`` value: (base RGB, [(lesion alpha, label), (region alpha, label)]), the
    base at the display size, or with longer side ``side`` (the Compare tab's ``COMPARE_SIDE``),
    the layers at :func:`layer_size` (the base's aspect)."""
    base = display_base(pixels, convention, side)
    size = layer_size(pixels.shape[:2], base.shape[:2])
    pred = analysis.prediction
    lesion = _display(pred.mask.astype(np.uint8), size, nearest=True).astype(np.float32) * 0.7
    layers = [(lesion, LESION_LABEL)]
    guidance = pred.guidance
    if float(guidance.min()) < 1.0:  # a constrained prompt: show where it points, faintly
        layers.append((_display(guidance, size) * 0.22, REGION_LABEL))
    return base, layers


def reference_outline(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The contour of a ground-truth mask (bool [h, w]) at display ``size`` (H, W).

    Returns float32 [H, W]: 1 on the outline (``REFERENCE_STROKE`` px wide), 0 elsewhere.
    The mask is scaled up smoothly and thresholded before ``cv2.findContours``, so a 224-px
    annotation gets a smooth line rather than 3-px stairs; holes are outlined too.
    """
    smooth = _display(mask.astype(np.float32), size)
    contours, _ = cv2.findContours((smooth >= 0.5).astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    ring = np.zeros(size, np.uint8)
    cv2.drawContours(ring, contours, -1, 1, REFERENCE_STROKE)
    return ring.astype(np.float32)


def with_reference(value: tuple[np.ndarray | str, list], outline: np.ndarray | None
                   ) -> tuple[np.ndarray | str, list]:
    """An ``annotated`` value with the reference layer replaced: ``outline`` (float [H, W]) added
    as the last layer, or, when None, any reference layer removed. The base (an RGB array or an
    image file's path) and the other layers stay."""
    base, layers = value
    kept = [(layer, label) for layer, label in layers if label != REFERENCE_LABEL]
    return base, kept + ([(outline, REFERENCE_LABEL)] if outline is not None else [])


def guidance_image(pixels: np.ndarray, analysis: Analysis, convention: str,
                   lung_band: tuple[float, float]) -> np.ndarray:
    """The guidance mask the text produced, over the image with the zone grid."""
    small = display_gray(pixels)
    g = _display(analysis.prediction.guidance, small.shape[:2])
    return guidance_view(small, g, analysis.modality, convention, lung_band)


def alignment_gallery(pixels: np.ndarray, analysis: Analysis) -> list[tuple[np.ndarray, str]]:
    """One heatmap per expression: where its optimal-transport mass went. Caption = expression.
    Thumbnails, ``ALIGNMENT_SIDE`` px on the longer side."""
    small = display_gray(pixels, ALIGNMENT_SIDE)
    return [
        (heatmap_overlay(small, _display(heat, small.shape[:2])), expr)
        for expr, heat in analysis.prediction.alignment.items()
    ]


def empty_findings() -> pd.DataFrame:
    """The findings table with no rows (nothing analysed, or the request refused)."""
    return pd.DataFrame(columns=FINDINGS_COLUMNS)


def empty_compare_table() -> pd.DataFrame:
    """The comparison table with no rows."""
    return pd.DataFrame(columns=COMPARE_COLUMNS)


def findings_table(analysis: Analysis) -> pd.DataFrame:
    """Lesion area per side and zone, as the findings table shows it. A zone the prompt names
    that holds nothing is marked "✓ empty"."""
    total = sum(f.lesion_pixels for f in analysis.findings if f.zone == WHOLE)
    empty = set(analysis.verdict.empty_named) if analysis.verdict is not None else set()
    whole_name = "Whole slice half" if analysis.modality == "ct" else "Whole side"
    rows = []
    for f in analysis.findings:
        share = 100.0 * f.lesion_pixels / total if total else 0.0
        rows.append([
            f.side.capitalize(),
            whole_name if f.zone == WHOLE else f.zone.capitalize(),
            round(f.percent_of_zone, 1),
            round(share, 1),
            ("✓ empty" if (f.side, f.zone) in empty else "✓") if f.named else "",
        ])
    return pd.DataFrame(rows, columns=FINDINGS_COLUMNS)


def _side_words(side: str) -> str:
    return {"left": "patient's left", "right": "patient's right", "both": "both sides",
            "none": "no lesion"}[side]


def verdict_lines(analysis: Analysis, prefix: str = "") -> list[str]:
    """The verdict's sentences as status lines, the headline in bold; a contradiction between
    the outline and the text gets a warning sign."""
    if analysis.verdict is None:
        return []
    v = analysis.verdict
    lines = [f"{prefix}**{v.headline}**"]
    lines += [f"{prefix}{'⚠ ' if not v.agrees and 'names' in note else ''}{note}" for note in v.notes]
    return lines


def timing_line(analysis: Analysis) -> str:
    """"Model time 41 ms." (the model's time in this request), and when the image had been
    encoded before it (on upload, or for an earlier prompt), what that took:
    "Model time 23 ms (+ 20 ms encoding the image, done before this run)." """
    line = f"Model time {1000 * analysis.model_seconds:.0f} ms"
    if analysis.encoded_before:
        line += f" (+ {1000 * analysis.encode_seconds:.0f} ms encoding the image, done before this run)"
    return line + "."


def lesion_summary(analysis: Analysis, convention: str) -> str:
    """"Lesion 3.1 % of the image · 96 % on the patient's left" (one markdown line)."""
    mask = analysis.prediction.mask
    if not mask.any():
        return "**No lesion** outlined."
    fractions = side_fractions(mask, convention)
    side = max(fractions, key=fractions.__getitem__)
    return (f"**Lesion** {100.0 * mask.mean():.1f} % of the image · "
            f"{100.0 * fractions[side]:.0f} % on the patient's {side}")


def image_status(image: PreparedImage, window: str | None) -> list[str]:
    """Lines about the loaded image: size, where the modality came from, window, downscaling."""
    lines = [f"Loaded **{image.describe()}**."]
    if image.dicom:
        lines.append(f"Modality **{MODALITY_NAMES[image.modality]}** from the DICOM header.")
        if image.windows:
            w = window if window in WINDOWS else "lung"
            level, width = WINDOWS[w]
            lines.append(f"CT {w} window (level {level:g} HU, width {width:g} HU).")
    if image.downscaled:
        (h, w), (wh, ww) = image.original_size, image.work_size
        lines.append(f"Large image: analysed at {ww}×{wh} px; masks are returned at {w}×{h} px.")
    return lines


def status_markdown(lines: list[str], title: str | None = None) -> str:
    """Bullet list markdown, with an optional bold title line.

    "*" bullets, not "-": Gradio's example cache stores outputs in a CSV and prefixes a value
    that starts with "-" with a quote (CSV-injection guard), which would show on the page.
    """
    body = "\n".join(f"* {line}" for line in lines)
    return f"**{title}**\n\n{body}" if title else body


def compare_table(analyses: list[Analysis], convention: str) -> pd.DataFrame:
    """One row per prompt: where its mask lies."""
    rows = []
    for i, a in enumerate(analyses, start=1):
        mask = a.prediction.mask
        fr = side_fractions(mask, convention)
        rows.append([
            i,
            a.text or "(empty)",
            describe_regions(a.regions) or "none: no constraint",
            round(a.prediction.score, 2),
            round(100.0 * float(mask.mean()), 2),
            round(100.0 * fr["right"], 1),
            round(100.0 * fr["left"], 1),
            _side_words(dominant_side(mask, convention)) if a.prediction.present else "not found",
        ])
    return pd.DataFrame(rows, columns=COMPARE_COLUMNS)
