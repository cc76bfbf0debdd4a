#!/usr/bin/env bash
# Builds the shipped checkpoint end to end from real data:
#   1. start from the checkpoint shipped at commit 8f2a40c (itself 29 min of this recipe at
#      lr 3e-4 from ba4c9fe's, which has real QaTa-COV19 X-rays + synthetic CT and no presence
#      head, ~110 min on 2 cores; each made by its commit's version of this script);
#   2. train it on the real QaTa-COV19 train split (captions' sides converted to the patient's,
#      derived one-side referring cases), with 25% negative cases (wrong-side and empty-zone
#      texts on the same X-rays, real normal X-rays: ssa.data.negatives) that teach the
#      presence head to say no, 10% real CT slices (the COVID-19 CT segmentation set's train
#      split, pyradiomics' lung tumour CT) and 8% synthetic CT; select on `valid` (positives and
#      negatives);
#   3. calibrate the presence threshold on `valid` and store it in config.json;
#   4. evaluate once on the test splits: the 2,113 QaTa-COV19 test X-rays (report captions,
#      derived referring cases in QaTa's and in unseen phrasings, negatives with the held-out
#      normal X-rays), the 48 real CT test slices, and synthetic CT / X-ray cases; write the
#      model card from those results.
# Usage: bash scripts/make_demo_checkpoint.sh DATA_ROOT NORMALS_ROOT CT_ROOT [PYRADIOMICS_ROOT]
#   DATA_ROOT:    SGSeg's data/QaTa folder (images/, prompts/annotation.json)
#   NORMALS_ROOT: the COVID-19 Radiography Database (its Normal/ folder; ssa.data.normals)
#   CT_ROOT:      Inf-Net's Dataset/ parent (the COVID-19 CT segmentation set; ssa.data.ct_sets)
#   PYRADIOMICS_ROOT: optional, pyradiomics' source tree with data/lung{1,2}_{image,label}.nrrd
#   docs/training.md says where each comes from.   About 80 min on 2 CPU cores (55 min training).
#   STAGE=train bash scripts/make_demo_checkpoint.sh ...  trains into $RUN only (checkpoints/ untouched);
#   STAGE=eval bash scripts/make_demo_checkpoint.sh ...   then (or again) the steps after training.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: bash scripts/make_demo_checkpoint.sh DATA_ROOT NORMALS_ROOT CT_ROOT [PYRADIOMICS_ROOT]}
NORMALS=${2:?NORMALS_ROOT missing (the COVID-19 Radiography Database folder)}
CT=${3:?CT_ROOT missing (the COVID-19 CT segmentation set, Inf-Net layout)}
PYRADIOMICS=${4:-}
PY=${PYTHON:-.venv/bin/python}
RUN=${RUN:-runs/demo-v4}
DEST=checkpoints/ssa-demo
INIT_COMMIT=8f2a40c  # the first checkpoint with a presence head and real CT
export HF_HUB_OFFLINE=1
CT_DATA=("covid_semiseg=$CT")
if [ -n "$PYRADIOMICS" ]; then CT_DATA+=("pyradiomics_lung=$PYRADIOMICS"); fi

if [ "${STAGE:-all}" = all ] || [ "${STAGE:-all}" = train ]; then
    mkdir -p "$RUN/init"
    for f in config.json model.safetensors; do
        git show "$INIT_COMMIT:checkpoints/ssa-demo/$f" > "$RUN/init/$f"
    done
    # The one training command (also quoted in the model card).
    $PY train.py --preset demo --dataset qata --data-root "$DATA" --text-convention auto \
        --mode mixed --referring-share 0.3 --synthetic-share 0.08 --negative-share 0.25 --modality ct \
        --normals-root "$NORMALS" --ct-data "${CT_DATA[@]}" --ct-share 0.1 \
        --set outside_region=sides --set 'lung_band=[0.05,0.8]' \
        --init "$RUN/init" --steps 4500 --batch-size 8 --lr 1.5e-4 --warmup 100 \
        --eval-every 750 --val-size 300 --time-budget 3500 --seed 1 --threads 2 --out "$RUN"
fi

if [ "${STAGE:-all}" = train ]; then exit 0; fi

mkdir -p "$DEST/eval"
cp "$RUN/best/config.json" "$RUN/best/model.safetensors" "$DEST/"
$PY -m ssa.calibrate --checkpoint "$DEST" --dataset qata --data-root "$DATA" --normals-root "$NORMALS" \
    --split val --n 400 --write
EVAL=($PY -m ssa.evaluate --checkpoint "$DEST" --n 0)
for mode in report referring; do
    "${EVAL[@]}" --dataset qata --data-root "$DATA" --split test --mode "$mode" --out "$DEST/eval/qata_test_${mode}.json"
done
"${EVAL[@]}" --dataset qata --data-root "$DATA" --split test --mode referring --phrasing unseen \
    --out "$DEST/eval/qata_test_referring_unseen.json"
"${EVAL[@]}" --dataset qata --data-root "$DATA" --split test --mode negatives --normals-root "$NORMALS" \
    --out "$DEST/eval/qata_test_negatives.json"
for mode in report referring; do
    "${EVAL[@]}" --dataset covid_semiseg --data-root "$CT" --split test --mode "$mode" \
        --out "$DEST/eval/ct_covid_semiseg_test_${mode}.json"
done
"${EVAL[@]}" --dataset covid_semiseg --data-root "$CT" --split test --mode negatives --kinds wrong_side \
    --out "$DEST/eval/ct_covid_semiseg_test_negatives.json"
for modality in xray ct; do
    for mode in report referring; do
        $PY -m ssa.evaluate --checkpoint "$DEST" --dataset synthetic --n 200 --seed 777 \
            --mode "$mode" --modality "$modality" --out "$DEST/eval/${modality}_${mode}.json"
    done
done
cp "$RUN/curves.png" "$DEST/eval/training_curves.png"
cp "$RUN/log.csv" "$DEST/eval/training_log.csv"
$PY scripts/write_model_card.py --checkpoint "$DEST" --run "$RUN" --init-commit "$INIT_COMMIT"
