"""The page's words: header, safety banner, About tab, and the examples list."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ssa.analysis import MODALITY_NAMES
from ssa.model_card import training_data_sentence

DISCLAIMER = ("Research demo. It is not a medical device and must not be used for diagnosis or any "
              "clinical decision.")
CHIPS = ("left lower lung", "right lower lung", "left upper lung", "right upper lung",
         "middle left lung", "middle right lung", "bilateral", "both lower lobes", "lingula",
         "right middle lobe", "perihilar", "bibasilar")


def shown_checkpoint(path: str | Path) -> str:
    """How the page names a checkpoint without showing the server's folders: a hub snapshot as
    ``owner/repo@revision``, a folder inside the working directory relative to it, any other
    folder by its name."""
    directory = Path(path).resolve()
    parts = directory.parts
    if len(parts) >= 3 and parts[-2] == "snapshots" and parts[-3].startswith("models--"):
        return parts[-3].removeprefix("models--").replace("--", "/", 1) + "@" + parts[-1][:7]
    try:
        return str(directory.relative_to(Path.cwd().resolve()))
    except ValueError:
        return directory.name


def checkpoint_info(path: str | Path, model: Any) -> dict:
    """What the About tab shows of the loaded checkpoint (no weights, only facts)."""
    cfg = model.config
    directory = Path(path)
    readme = directory / "README.md"
    n_params = sum(p.numel() for p in model.parameters())
    return {
        "path": shown_checkpoint(path),
        "preset": cfg.preset,
        "image_size": cfg.image_size,
        "image_encoder": cfg.image_encoder + (f" ({cfg.image_weights})" if cfg.image_weights else ""),
        "text_encoder": cfg.text_weights or f"random BERT ({cfg.text_layers} layers)",
        "alignment": "symmetric optimal transport" if cfg.use_ot else "cross-attention",
        "use_text": cfg.use_text,
        "use_guidance": cfg.use_guidance,
        "presence": (f"presence head, threshold {cfg.presence_threshold:g} (calibrated on validation)"
                     if cfg.presence_head else "none: the score shown is the mask's own top probabilities"),
        "convention": cfg.convention,
        "lung_band": list(cfg.lung_band),
        "parameters": int(n_params),
        # Read from the checkpoint's own record, so the banner is true for any checkpoint.
        "trained_on": training_data_sentence(directory),
        "model_card": model_card_summary(readme.read_text(errors="replace")) if readme.is_file() else "",
    }


def model_card_summary(text: str, paragraphs: int = 2) -> str:
    """The first ``paragraphs`` prose paragraphs of a model card (front matter, headings,
    tables, code and images left out)."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    found = []
    for block in re.split(r"\n\s*\n", text):
        block = block.strip()
        if not block or block.startswith(("#", "|", "!", "<", "-", "*", ">")):
            continue
        found.append(" ".join(block.split()))
        if len(found) == paragraphs:
            break
    return "\n\n".join(found)


def header_html(info: dict) -> str:
    """Title bar with the checkpoint pill."""
    pill = html.escape(f"{info.get('preset', '?')} · {Path(str(info.get('path', ''))).name}")
    return f"""
<div class="ssa-header">
  <div class="ssa-title">
    <span class="ssa-logo">◐</span>
    <div>
      <h1>SSA · text-guided lung lesion segmentation</h1>
      <p>Describe a finding, with its location, in words; the model outlines it.
         Spatial-aware symmetric alignment (our reading of arXiv 2512.22981).</p>
    </div>
  </div>
  <div class="ssa-pill" title="loaded checkpoint">checkpoint <b>{pill}</b></div>
</div>"""


def banner_html(info: dict) -> str:
    """The not-for-clinical-use banner shown above every tab, with what the model was trained on."""
    trained_on = html.escape(info.get("trained_on") or "")
    return ('<div class="ssa-banner" role="note"><b>⚠ Research demo, not for clinical use.</b> '
            f"{trained_on} Not a medical device; no diagnosis or clinical decision may rest on it.</div>")


def about_markdown(info: dict) -> str:
    """The About tab: checkpoint, model card summary, laterality convention, disclaimer."""
    left_half = "right" if info.get("convention") == "radiological" else "left"
    band = info.get("lung_band", [0.1, 0.9])
    card = info.get("model_card") or "_This checkpoint has no model card (README.md)._"
    params = info.get("parameters", 0)
    return f"""
## About this demo

> **{DISCLAIMER}**
>
> **Training data.** {info.get('trained_on', '')} See the model card below and the project's
> `checkpoints/ssa-demo/README.md` for provenance, the side conversion and the results.

### Loaded checkpoint

| Setting | Value |
|---|---|
| Path | `{info.get('path', '?')}` |
| Preset | `{info.get('preset', '?')}` |
| Input size | {info.get('image_size', '?')} px |
| Image encoder | {info.get('image_encoder', '?')} |
| Text encoder | {info.get('text_encoder', '?')} |
| Alignment | {info.get('alignment', '?')} |
| Spatial guidance | {'on' if info.get('use_guidance', True) else 'off (ablation)'} |
| Presence decision | {info.get('presence', '?')} |
| Parameters | {params / 1e6:.1f} M (frozen text encoder included) |

### Model card

{card}

### Left and right

Sides in prompts are the **patient's** sides. This checkpoint uses the
**{info.get('convention', 'radiological')}** convention: the patient's left is on the
image's **{left_half}** half. The markers **R** and **L** on every picture show it.

On a frontal chest X-ray, *upper / middle / lower* are the thirds of the lung band (rows
{band[0]:.0%}–{band[1]:.0%} of the image height; the grid on the guidance picture). On an
axial CT slice the vertical axis is front-to-back and *upper / lower* name the slice level,
so only the side constrains the image there.

### How it works

The prompt is split into expressions (diagnostic, descriptive, locational). Location words
become a **guidance mask**; image regions and expressions are matched by **symmetric
optimal transport** (the heatmaps show where each expression's mass went); a decoder turns
both into the mask. The findings table measures the mask on the same zone grid.
A **presence decision** reads the same features inside the text's region and scores whether
what the text describes is in the image at all: below the threshold the mask is emptied and
the page says "No lesion found where the text says (score …)". When an outline lies mostly off
the side or zones the text names, or a named zone holds nothing, the status says so too.
Everything beyond the paper's abstract is our design.
"""


def load_examples(directory: str | Path) -> list[dict]:
    """``examples.json`` entries whose image exists, with absolute image paths, in file order.

    Each entry: key (the image's file name), image, text, modality ("xray" | "ct"), title,
    compare (prompts), mask (absolute path of the ground truth of ``text``, "" when absent),
    source and credit. A missing or unreadable list gives [] (the demo runs without examples).
    """
    directory = Path(directory)
    index = directory / "examples.json"
    try:
        entries = json.loads(index.read_text())
    except (OSError, ValueError):
        return []
    examples = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or "image" not in entry:
            continue
        image = directory / str(entry["image"])
        if not image.is_file():
            continue
        mask = directory / str(entry.get("mask", ""))
        modality = entry.get("modality", "xray")
        examples.append({
            "key": image.name,
            "image": str(image.resolve()),
            "text": str(entry.get("text", "")),
            "modality": modality if modality in MODALITY_NAMES else "xray",
            "title": str(entry.get("title", image.stem)),
            "compare": [str(t) for t in entry.get("compare", [])][:4],
            "mask": str(mask.resolve()) if entry.get("mask") and mask.is_file() else "",
            "source": str(entry.get("source", "")),
            "credit": str(entry.get("credit", "")),
        })
    return examples


def load_references(examples: list[dict]) -> dict[str, np.ndarray]:
    """Example key -> its ground-truth mask, bool [H, W] at the image's size (examples with
    a readable mask only). Read once, at start: the outline then costs no disk read."""
    references = {}
    for e in examples:
        mask = cv2.imread(e["mask"], cv2.IMREAD_GRAYSCALE) if e.get("mask") else None
        if mask is not None:
            references[e["key"]] = mask > 127
    return references


def examples_credits_markdown(examples: list[dict]) -> str:
    """One line per distinct credit of the listed examples, in order of first use."""
    credits = list(dict.fromkeys(e["credit"] for e in examples if e.get("credit")))
    return "\n".join(f"* {html.escape(c, quote=False)}" for c in credits)


def laterality_svg(convention: str = "radiological", lung_band: tuple[float, float] = (0.1, 0.9)) -> str:
    """A small figure of the zone grid: which image half is which patient side, and the thirds."""
    w, h, x0, y0 = 200, 240, 70, 20
    left_half, right_half = ("R", "L") if convention == "radiological" else ("L", "R")
    names = {"R": "patient's right", "L": "patient's left"}
    top, bottom = y0 + lung_band[0] * h, y0 + lung_band[1] * h
    third = (bottom - top) / 3
    lines = "".join(
        f'<line x1="{x0}" x2="{x0 + w}" y1="{top + k * third:.1f}" y2="{top + k * third:.1f}" '
        f'stroke="#5b7a86" stroke-dasharray="4 3"/>' for k in range(4)
    )
    zones = "".join(
        f'<text x="{x0 - 8}" y="{top + (k + 0.5) * third + 4:.1f}" text-anchor="end" fill="#9fc3c9" '
        f'font-size="12">{z}</text>' for k, z in enumerate(("upper", "middle", "lower"))
    )
    halves = "".join(
        f'<text x="{x0 + (k + 0.5) * w / 2:.0f}" y="{y0 + h + 18}" text-anchor="middle" fill="#cfe9e6" '
        f'font-size="12">{names[m]}</text><text x="{x0 + (k + 0.5) * w / 2:.0f}" y="{y0 + 16}" '
        f'text-anchor="middle" fill="#ffffff" font-size="15" font-weight="700">{m}</text>'
        for k, m in enumerate((left_half, right_half))
    )
    return f"""
<figure class="ssa-figure">
<svg viewBox="0 0 {x0 + w + 20} {y0 + h + 30}" width="300" role="img"
     aria-label="zone grid: image halves are the patient's sides, lung band in thirds">
  <rect x="{x0}" y="{y0}" width="{w}" height="{h}" rx="6" fill="#0b141a" stroke="#2b4654"/>
  <rect x="{x0 + w / 2 if convention == 'radiological' else x0}" y="{top:.1f}" width="{w / 2}" height="{third:.1f}" fill="#0a84ff" opacity=".28"
        transform="translate(0 {2 * third:.1f})"/>
  <line x1="{x0 + w / 2}" x2="{x0 + w / 2}" y1="{y0}" y2="{y0 + h}" stroke="#9fb4bd"/>
  {lines}{zones}{halves}
</svg>
<figcaption>The grid of guidance and findings. Shaded: what
<i>"left lower lung"</i> selects under the {html.escape(convention)} convention.</figcaption>
</figure>"""
