#!/usr/bin/env bash
# Builds the shipped checkpoint end to end from real QaTa-COV19 in the SGSeg layout:
#   1. start from the synthetic-data checkpoint shipped at commit 81b8b81 (X-ray + CT, report
#      and referring; made by that commit's version of this script, ~50 min on 2 cores);
#   2. train on the real train split (captions' sides converted to the patient's, derived
#      one-side referring cases, 15% synthetic CT so CT is not forgotten; the outside-region
#      penalty on the named sides only, and the zones' lung band fitted to QaTa's captions:
#      docs/training.md), select on `valid`;
#   3. evaluate once on the 2,113 test X-rays (report captions and derived referring cases)
#      and on synthetic CT / X-ray cases; write the model card from those results.
# Usage: bash scripts/make_demo_checkpoint.sh DATA_ROOT     (about 100 min on 2 CPU cores)
#   DATA_ROOT: SGSeg's data/QaTa folder (images/, prompts/annotation.json).
#   STAGE=eval bash scripts/make_demo_checkpoint.sh DATA_ROOT   re-runs steps after training.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: bash scripts/make_demo_checkpoint.sh DATA_ROOT (SGSeg data/QaTa folder)}
PY=${PYTHON:-.venv/bin/python}
RUN=${RUN:-runs/demo-qata}
DEST=checkpoints/ssa-demo
INIT_COMMIT=81b8b81  # the last synthetic-only demo checkpoint
export HF_HUB_OFFLINE=1

if [ "${STAGE:-all}" = all ]; then
    mkdir -p "$RUN/init"
    for f in config.json model.safetensors; do
        git show "$INIT_COMMIT:checkpoints/ssa-demo/$f" > "$RUN/init/$f"
    done
    # The one training command (also quoted in the model card).
    $PY train.py --preset demo --dataset qata --data-root "$DATA" --text-convention auto \
        --mode mixed --referring-share 0.3 --synthetic-share 0.15 --modality ct \
        --set outside_region=sides --set 'lung_band=[0.05,0.8]' \
        --init "$RUN/init" --steps 7000 --batch-size 8 --lr 5e-4 --warmup 100 \
        --eval-every 500 --val-size 200 --time-budget 6600 --seed 0 --threads 2 --out "$RUN"
fi

mkdir -p "$DEST/eval"
cp "$RUN/best/config.json" "$RUN/best/model.safetensors" "$DEST/"
for mode in report referring; do
    $PY -m ssa.evaluate --checkpoint "$DEST" --dataset qata --data-root "$DATA" --split test \
        --text-convention auto --mode "$mode" --n 0 --out "$DEST/eval/qata_test_${mode}.json"
done
for modality in xray ct; do
    for mode in report referring; do
        $PY -m ssa.evaluate --checkpoint "$DEST" --dataset synthetic --n 200 --seed 777 \
            --mode "$mode" --modality "$modality" --out "$DEST/eval/${modality}_${mode}.json"
    done
done
cp "$RUN/curves.png" "$DEST/eval/training_curves.png"
cp "$RUN/log.csv" "$DEST/eval/training_log.csv"
$PY scripts/write_model_card.py --checkpoint "$DEST" --run "$RUN" --init-commit "$INIT_COMMIT"
