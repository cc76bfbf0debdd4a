#!/usr/bin/env bash
# Builds the shipped checkpoint end to end: train on synthetic X-ray + CT (report and
# referring modes), copy the best weights to checkpoints/ssa-demo, evaluate on fresh
# synthetic cases, and write the model card from those results.
# Usage: bash scripts/make_demo_checkpoint.sh        (about 50 min on 2 CPU cores)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
RUN=${RUN:-runs/demo}
DEST=checkpoints/ssa-demo
export HF_HUB_OFFLINE=1

# The one training command (also quoted in the model card).
$PY train.py --preset demo --dataset synthetic --modality mixed --mode mixed \
    --steps 2200 --batch-size 8 --lr 5e-4 --warmup 100 --eval-every 200 --val-size 64 \
    --seed 0 --threads 2 --out "$RUN"

mkdir -p "$DEST"
cp "$RUN/best/config.json" "$RUN/best/model.safetensors" "$DEST/"
mkdir -p "$DEST/eval"
for modality in xray ct; do
    for mode in report referring; do
        $PY -m ssa.evaluate --checkpoint "$DEST" --dataset synthetic --n 200 --seed 777 \
            --mode "$mode" --modality "$modality" --out "$DEST/eval/${modality}_${mode}.json"
    done
done
cp "$RUN/curves.png" "$DEST/eval/training_curves.png"
$PY scripts/write_model_card.py --checkpoint "$DEST" --run "$RUN"
