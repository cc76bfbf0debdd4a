"""Look and feel: a dark, reading-room theme (images read best on black), and its CSS.

No web fonts: the page must render offline (Spaces behind a proxy, air-gapped machines).
Gradio 6 takes ``theme``, ``css`` and ``js`` in ``launch()``: see :func:`launch_options`.
"""

from __future__ import annotations

import gradio as gr

FONT = ("Inter", "ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif")
PICTURE_MAX_HEIGHT = 640  # px: a result picture's frame is never taller (a long, narrow upload)
MONO = ("JetBrains Mono", "ui-monospace", "SFMono-Regular", "Menlo", "monospace")

# Reading rooms are dark; force the dark palette whatever the visitor's OS prefers.
FORCE_DARK_JS = """
() => {
  document.body.classList.add('dark');
  document.documentElement.style.colorScheme = 'dark';
}
"""

CSS = """
.gradio-container { max-width: 1480px !important; margin: 0 auto !important; }
footer { opacity: .55; }
.ssa-header { display: flex; align-items: center; justify-content: space-between; gap: 16px;
  padding: 18px 22px; border-radius: 14px; margin-bottom: 8px;
  background: linear-gradient(120deg, #0b1e2d 0%, #0f2f3f 55%, #12394a 100%);
  border: 1px solid #1f4d60; }
.ssa-title { display: flex; align-items: center; gap: 14px; }
.ssa-logo { font-size: 34px; color: #4fd1c5; line-height: 1; }
.ssa-header h1 { margin: 0 !important; font-size: 22px !important; font-weight: 650;
  letter-spacing: .2px; color: #e6f6f5 !important; }
.ssa-header p { margin: 4px 0 0 0 !important; color: #9fc3c9 !important; font-size: 13.5px; }
.ssa-pill { white-space: nowrap; font-size: 12.5px; color: #bfe7e3; padding: 6px 12px;
  border-radius: 999px; background: rgba(79, 209, 197, .12); border: 1px solid rgba(79, 209, 197, .35); }
.ssa-pill b { color: #e6fffb; font-family: MONO_FONTS; font-weight: 600; }
.ssa-banner { padding: 9px 14px; border-radius: 10px; font-size: 13.5px; margin-bottom: 6px;
  color: #ffe6b0; background: rgba(255, 170, 0, .10); border: 1px solid rgba(255, 170, 0, .45); }
.ssa-banner b { color: #ffc850; }
.ssa-card { border-radius: 12px !important; }
.ssa-section-title { margin: 2px 0 2px 2px !important; font-size: 12px !important;
  text-transform: uppercase; letter-spacing: .9px; color: #7fb3ba !important; font-weight: 600; }
.ssa-section-title .ssa-formats { margin-left: 8px; text-transform: none; letter-spacing: 0;
  font-weight: 400; color: #8aa3a8; }
.ssa-alignment .grid-wrap { padding-top: 40px !important; }  /* the label and button above the heatmaps */
.ssa-alignment .gallery-container:has(.preview) { min-height: 520px; }  /* one heatmap opened: large */
.ssa-upload td.download { min-width: 0 !important; width: auto !important; flex: 0 0 auto; }
.ssa-upload td.filename { min-width: 0; }  /* a narrow box shows the name cut, not the size alone */
.ssa-chips { gap: 6px !important; flex-wrap: wrap !important; }
.ssa-chips button { flex: 0 0 auto !important; min-width: 0 !important; padding: 3px 11px !important;
  border-radius: 999px !important; font-size: 12.5px !important; font-weight: 500 !important;
  background: rgba(79, 209, 197, .08) !important; border: 1px solid rgba(79, 209, 197, .35) !important;
  color: #bfe7e3 !important; }
.ssa-chips button:hover { background: rgba(79, 209, 197, .22) !important; }
.ssa-status { min-height: 48px; padding: 10px 14px !important; border-radius: 10px;
  background: rgba(255, 255, 255, .03); border: 1px solid rgba(255, 255, 255, .08); font-size: 13.5px; }
.ssa-status ul { margin: 0 !important; padding-left: 18px !important; }
.ssa-run { font-weight: 650 !important; letter-spacing: .3px; }
.ssa-table table { font-family: MONO_FONTS; font-size: 12.5px; }
.ssa-about { max-width: 980px; }
.ssa-about table { font-size: 14px; }
.ssa-about blockquote { border-left: 3px solid #ffaa00 !important; background: rgba(255, 170, 0, .08);
  padding: 8px 14px !important; border-radius: 6px; }
.ssa-figure { margin: 48px 0 0 0; text-align: center; }
.ssa-figure figcaption { color: #9fc3c9; font-size: 12.5px; margin-top: 8px; }
#seg-preview img, #cmp-preview img { object-fit: contain !important; width: 100% !important;
  height: 100% !important; }
/* The preview's label (file name and size) wraps short of the fullscreen button. */
#seg-preview [data-testid=block-label], #cmp-preview [data-testid=block-label] { max-width: calc(100% - 48px); }
/* Result pictures in their own aspect: the frame takes the picture's shape (no letterbox, no
   stretch), a very tall picture at most PICTURE_MAX_HEIGHT tall and centred; the overlay's
   layers (absolutely placed over the base picture) follow the base, whose box they fill. */
.ssa-picture .image-container { width: fit-content !important; max-width: 100%; margin: 0 auto; }
.ssa-picture .image-container img.base-image { width: auto !important; max-width: 100%;
  height: auto !important; max-height: PICTURE_MAX_HEIGHT; }
.ssa-picture .image-frame img { width: auto !important; max-width: 100%; height: auto !important;
  max-height: PICTURE_MAX_HEIGHT; object-fit: contain !important; }
/* The alignment heatmaps: whole (the picture's own aspect), each with its expression written in
   full under it, four a row; the gallery grows to show every row instead of scrolling. */
.ssa-alignment .grid-wrap { min-height: 0 !important; max-height: none !important; overflow-y: visible !important; }
.ssa-alignment .thumbnail-item { aspect-ratio: auto !important; height: auto !important; display: flex;
  flex-direction: column; }
.ssa-alignment .thumbnail-item > img { height: auto !important; object-fit: contain !important; }
.ssa-alignment .caption-label { position: static !important; max-width: none !important;
  white-space: normal !important; overflow: visible !important; opacity: 1 !important; border: none !important;
  border-radius: 0 !important; text-align: center !important; }
.ssa-hint { color: #8aa3a8 !important; font-size: 12.5px !important; }
/* A Segment click whose answer is late (page_js.BUSY_AFTER_MS: a queue ahead of it) marks the
   status panel; an answer in the usual tenth of a second never shows this, and nothing animates
   while the model runs. */
.ssa-busy::after { content: "Working: waiting for the model ..."; display: block; margin-top: 6px;
  color: #9fc3c9; font-size: 12.5px; animation: ssa-pulse 1.2s ease-in-out infinite; }
@keyframes ssa-pulse { 50% { opacity: .35; } }
""".replace("MONO_FONTS", ", ".join(f'"{f}"' if " " in f else f for f in MONO)).replace(
    "PICTURE_MAX_HEIGHT", f"{PICTURE_MAX_HEIGHT}px")


def theme() -> gr.themes.Base:
    """Slate neutrals, teal accents, system fonts."""
    return gr.themes.Soft(
        primary_hue="teal",
        secondary_hue="cyan",
        neutral_hue="slate",
        radius_size="md",
        font=list(FONT),
        font_mono=list(MONO),
    ).set(
        body_background_fill_dark="#070d12",
        background_fill_primary_dark="#0c151c",
        background_fill_secondary_dark="#101c25",
        block_background_fill_dark="#0e1a22",
        block_border_color_dark="#1d2f3a",
        block_label_background_fill_dark="#13242f",
        input_background_fill_dark="#0a141b",
        button_primary_background_fill_dark="linear-gradient(90deg, #0f9b8e, #14b8a6)",
        button_primary_background_fill_hover_dark="linear-gradient(90deg, #12b3a4, #2dd4bf)",
        button_primary_text_color_dark="#ffffff",
    )


def launch_options() -> dict:
    """``theme``, ``css`` and ``js`` for ``Blocks.launch`` (Gradio 6 takes them there)."""
    return {"theme": theme(), "css": CSS, "js": FORCE_DARK_JS}
