#!/usr/bin/env bash
# Which image encoder for the `demo` preset? Dice at equal CPU training time:
# ImageNet EfficientNet-Lite0 (offline weights) vs a random ConvNeXt of similar cost per step
# (transformers' ConvNeXt has no offline weights). Same data, same wall-clock budget, same
# evaluation; both runs side by side (one thread each) so that they share the machine's load.
# Constant learning rate after warm-up, since a time budget has no known last step.
# Usage: bash scripts/compare_demo_encoders.sh [SECONDS] [OUT]   (defaults: 300, runs/encoders)
set -euo pipefail
cd "$(dirname "$0")/.."
BUDGET=${1:-300}
OUT=${2:-runs/encoders}
PY=${PYTHON:-.venv/bin/python}
export HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
mkdir -p "$OUT"
COMMON=(--preset demo --dataset synthetic --modality mixed --mode mixed --batch-size 8 --lr 5e-4
        --warmup 25 --min-lr-ratio 1 --steps 1000000 --eval-every 1000000 --time-budget "$BUDGET"
        --val-size 16 --threads 1 --seed 0 --no-progress)
$PY train.py "${COMMON[@]}" --out "$OUT/efficientnet_lite0" > "$OUT/efficientnet_lite0.log" 2>&1 &
$PY train.py "${COMMON[@]}" --out "$OUT/convnext_random" \
    --set image_encoder=convnext image_weights=null 'convnext_hidden_sizes=[48,96,192,384]' 'convnext_depths=[2,2,6,2]' \
    > "$OUT/convnext_random.log" 2>&1 &
wait
for run in efficientnet_lite0 convnext_random; do
    for modality in xray ct; do
        $PY -m ssa.evaluate --checkpoint "$OUT/$run/last" --dataset synthetic --n 100 --seed 777 \
            --mode mixed --modality "$modality" --out "$OUT/$run/eval_$modality.json"
    done
    echo "$run: $(tail -n 1 "$OUT/$run/log.csv" | cut -d, -f1) steps"
done
