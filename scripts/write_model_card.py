"""Write checkpoints/ssa-demo/README.md (the model card, a Hugging Face Hub model card) from
the evaluation JSONs and the training run.

Every figure in the card is read from ``<checkpoint>/eval/*.json`` (written by the
``python -m ssa.evaluate`` commands the card quotes), ``<checkpoint>/calibration.json``
(``python -m ssa.calibrate --write``), ``<checkpoint>/config.json`` or the run's ``log.csv``,
``data.json`` and ``train_args.json``; those two are copied into ``eval/`` (as
``training_data.json`` and ``training_args.json``, the data roots written as placeholders:
DATA_ROOT, NORMALS_ROOT, CT_ROOT ...) for the demo's banner. An evaluation JSON that is missing
leaves its rows out. The folder can be uploaded to the Hub as a model repository as it is and
loaded by id (``SSA_CHECKPOINT=user/repo``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssa.files import atomic_write_bytes  # noqa: E402
from ssa.model_card import (  # noqa: E402
    ROOT_PLACEHOLDERS,
    TEMPLATE,
    ct_root_placeholder,
    data_section,
    has_path,
    headline,
    license_text,
    limitations,
    negative_counts,
    terms_paragraph,
    training_summary,
    used_ct_sets,
)

QATA = "QaTa-COV19 test (real X-rays)"
CT = "COVID-19 CT segmentation test (real CT slices)"
# (eval JSON stem, data label, mode label, the evaluate flags after --checkpoint, model-index group)
POSITIVE = [
    ("qata_test_report", QATA, "report",
     "--dataset qata --data-root DATA_ROOT --split test --text-convention auto --mode report --n 0", "qata"),
    ("qata_test_referring", QATA, "referring",
     "--dataset qata --data-root DATA_ROOT --split test --text-convention auto --mode referring --n 0", "qata"),
    ("qata_test_referring_unseen", QATA, "referring, unseen phrasings",
     "--dataset qata --data-root DATA_ROOT --split test --text-convention auto --mode referring --phrasing unseen "
     "--n 0", "qata"),
    ("ct_covid_semiseg_test_report", CT, "report",
     "--dataset covid_semiseg --data-root CT_ROOT --split test --mode report --n 0", "ct"),
    ("ct_covid_semiseg_test_referring", CT, "referring",
     "--dataset covid_semiseg --data-root CT_ROOT --split test --mode referring --n 0", "ct"),
] + [(f"{m}_{mode}", f"synthetic {m}", mode,
      f"--dataset synthetic --n 200 --seed 777 --mode {mode} --modality {m}", None)
     for m in ("xray", "ct") for mode in ("report", "referring")]
KIND_NAMES = {"wrong_side": "wrong side (the side without a lesion)",
              "empty_zone": "empty zone (a lesion-free zone of a side with a lesion)",
              "healthy": "healthy (held-out normal X-rays, 3 fixed texts each)"}
KIND_METRIC = {"wrong_side": "wrong side", "empty_zone": "empty zone", "healthy": "healthy X-rays"}
NORMALS_TEST = "COVID-19 Radiography Database normals, held-out test split"


def _load(ckpt: Path, name: str) -> dict | None:
    path = ckpt / "eval" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _f(value, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _wsr(r: dict) -> str:
    """The wrong-side rate, with the ground truth's own rate under the same rule when known."""
    if r.get("wrong_side_rate") is None:
        return "n/a"
    truth = r.get("truth_wrong_side_rate")
    return f"{r['wrong_side_rate']:.3f}" + ("" if truth is None else f" (ground truth {truth:.3f})")


def _said_no(r: dict) -> str:
    """Share of the cases the presence decision emptied ("n/a" without a presence gate)."""
    if r.get("presence_threshold") is None:
        return "n/a"
    return f"{r.get('gated_rate') or 0.0:.3f}"


def _metric_yaml(name: str, value: float, kind: str) -> str:
    return f"      - type: {kind}\n        name: {json.dumps(name)}\n        value: {value:.4f}"


def _result_yaml(dataset_type: str, dataset_name: str, metrics: list[str]) -> str:
    return ("  - task:\n      type: image-segmentation\n      name: Text-guided lesion segmentation\n"
            f"    dataset:\n      type: {dataset_type}\n      name: {json.dumps(dataset_name)}\n      split: test\n"
            "    metrics:\n" + "\n".join(metrics))


def _positive_metrics(r: dict, label: str) -> list[str]:
    out = [_metric_yaml(f"Dice ({label})", r["dice"], "dice")]
    if r.get("pooled_dice") is not None:
        out.append(_metric_yaml(f"Pooled Dice ({label})", r["pooled_dice"], "pooled-dice"))
    out.append(_metric_yaml(f"IoU ({label})", r["iou"], "iou"))
    if r.get("wrong_side_rate") is not None:
        out.append(_metric_yaml(f"Wrong-side rate ({label})", r["wrong_side_rate"], "wrong-side-rate"))
    return out


def _kinds(r: dict) -> dict[str, dict]:
    return {k: v for k, v in (r.get("by_kind") or {}).items() if v and v.get("clean_rate") is not None}


def evaluation(ckpt: Path, image_size: int) -> tuple[str, str]:
    """(the card's Evaluation section, its model-index YAML) from the JSONs in ``ckpt/eval``."""
    found = {stem: _load(ckpt, stem) for stem, *_ in POSITIVE}
    rows, cmds, groups = [], [], {"qata": [], "ct": []}
    for stem, data, mode, flags, group in POSITIVE:
        r = found[stem]
        if r is None:
            continue
        rows.append(f"| {data} | {mode} | {r['dice']:.3f} | {_f(r.get('pooled_dice'))} | {r['iou']:.3f} | "
                    f"{_wsr(r)} | {_said_no(r)} | {r['n']} ({r['n_one_side']}) |")
        cmds.append(f"python -m ssa.evaluate --checkpoint {ckpt} {flags} --out {ckpt}/eval/{stem}.json")
        if group:
            groups[group] += _positive_metrics(r, mode if group == "qata" else f"real CT, {mode}")

    neg_rows, neg_cmds, neg_metrics, ct_neg_metrics = [], [], [], []
    qata_neg = _load(ckpt, "qata_test_negatives")
    if qata_neg is not None:
        kinds = _kinds(qata_neg)
        for kind, k in kinds.items():
            where = NORMALS_TEST if kind == "healthy" else "QaTa-COV19 test X-rays"
            neg_rows.append(f"| {where} | {KIND_NAMES.get(kind, kind)} | {k['n']} | {k['clean_rate']:.3f} | "
                            f"{100 * (k.get('painted_median') or 0.0):.2f}% |")
            neg_metrics.append(_metric_yaml(f"Clean rate ({KIND_METRIC.get(kind, kind)})", k["clean_rate"], "clean-rate"))
        if qata_neg.get("clean_rate") is not None and len(kinds) != 1:
            neg_rows.append(f"| all of the above | all kinds | {qata_neg.get('n_negative', qata_neg['n'])} | "
                            f"{qata_neg['clean_rate']:.3f} | {100 * (qata_neg.get('painted_median') or 0.0):.2f}% |")
            neg_metrics.insert(0, _metric_yaml("Clean rate (negatives, all kinds)", qata_neg["clean_rate"], "clean-rate"))
        normals = " --normals-root NORMALS_ROOT" if (has_path(qata_neg.get("normals_root")) or "healthy" in kinds) else ""
        neg_cmds.append(f"python -m ssa.evaluate --checkpoint {ckpt} --dataset qata --data-root DATA_ROOT --split test "
                        f"--text-convention auto --mode negatives{normals} --n 0 "
                        f"--out {ckpt}/eval/qata_test_negatives.json")
    ct_neg = _load(ckpt, "ct_covid_semiseg_test_negatives")
    if ct_neg is not None:
        k = _kinds(ct_neg).get("wrong_side") or ct_neg
        if k.get("clean_rate") is not None:
            neg_rows.append(f"| {CT} | {KIND_NAMES['wrong_side']} | {k.get('n_negative', k['n'])} | "
                            f"{k['clean_rate']:.3f} | {100 * (k.get('painted_median') or 0.0):.2f}% |")
            ct_neg_metrics.append(_metric_yaml("Clean rate (real CT, wrong side)", k["clean_rate"], "clean-rate"))
        neg_cmds.append(f"python -m ssa.evaluate --checkpoint {ckpt} --dataset covid_semiseg --data-root CT_ROOT "
                        f"--split test --mode negatives --kinds wrong_side --n 0 "
                        f"--out {ckpt}/eval/ct_covid_semiseg_test_negatives.json")

    results = []
    if groups["qata"]:
        results.append(_result_yaml("QaTa-COV19", "QaTa-COV19 test split (2,113 X-rays, LViT captions, sides "
                                    "converted to the patient's)", groups["qata"]))
    if neg_metrics:
        results.append(_result_yaml("QaTa-COV19", "QaTa-COV19 test X-rays asked about lesion-free places, and "
                                    "held-out normal X-rays (COVID-19 Radiography Database): negatives", neg_metrics))
    if groups["ct"] or ct_neg_metrics:
        results.append(_result_yaml("COVID-19-CT-segmentation", "COVID-19 CT segmentation dataset, Inf-Net's 48 "
                                    "test slices", groups["ct"] + ct_neg_metrics))
    model_index = ("model-index:\n- name: ssa-demo\n  results:\n" + "\n".join(results) + "\n") if results else ""

    parts = []
    if rows:
        shown = [(data, mode) for stem, data, mode, *_ in POSITIVE if found[stem] is not None]
        gated = any(r.get("presence_threshold") is not None for r in found.values() if r is not None)
        parts.append(POSITIVE_INTRO.format(image_size=image_size, gate=GATED if gated else "")
                     + _set_notes(shown))
        parts.append("| data | mode | Dice (per image) | Dice (pooled) | IoU | wrong-side rate | said no | "
                     "n (one-side texts) |\n|---|---|---|---|---|---|---|---|\n" + "\n".join(rows))
        parts.append("```\n" + "\n".join(cmds) + "\n```")
        parts.append(POSITIVE_NOTES)
    if neg_rows:
        parts.append(NEGATIVES_INTRO)
        parts.append("| data | kind | n | clean rate | median painted share |\n|---|---|---|---|---|\n"
                     + "\n".join(neg_rows))
        parts.append("```\n" + "\n".join(neg_cmds) + "\n```")
    parts.append(published(found))
    if not rows and not neg_rows:
        parts.insert(0, "No evaluation results are stored with this checkpoint (`eval/*.json`).")
    return "\n\n".join(parts), model_index


POSITIVE_INTRO = """\
Every test set was evaluated once{gate}. Metrics at the model's {image_size} px input (each image
resized to {image_size}×{image_size}), as LViT and GuideDecoder report theirs.

"""
GATED = (", with the presence decision applied as in the demo (a case the presence head calls absent is "
         "scored as an empty mask)")
QATA_MODES = {
    "report": "*report*: the caption as published (sides converted)",
    "referring": "*referring*: one-side cases derived from the two-sided test cases as for training, in QaTa's "
                 "caption template",
    "referring, unseen phrasings": "*referring, unseen phrasings*: the same cases in phrasings no run trains on "
                                   "(`ssa.data.referring.UNSEEN_TEMPLATES`)",
}
CT_NOTE = ("- *COVID-19 CT segmentation test*: Inf-Net's 48 test slices (never trained on), texts derived from "
           "their masks as for the training slices.")
SYNTHETIC_NOTE = "- *synthetic*: 200 unseen generated cases each (seed 777)."


def _set_notes(shown: list[tuple[str, str]]) -> str:
    """What each group of rows in the table is, said only for the rows that are there."""
    notes = []
    qata = [QATA_MODES[mode] for data, mode in shown if data == QATA]
    if qata:
        notes.append("- *QaTa-COV19 test*: the 2,113 test X-rays, sides converted as in training. " + "; ".join(qata)
                     + ".")
    if any(data == CT for data, _ in shown):
        notes.append(CT_NOTE)
    if any(data.startswith("synthetic") for data, _ in shown):
        notes.append(SYNTHETIC_NOTE)
    return "\n".join(notes)


POSITIVE_NOTES = """\
*Dice (per image)*: the mean over cases of each case's Dice (LViT's metric). *Dice (pooled)*:
2·|prediction ∩ truth| / (|prediction| + |truth|) summed over all pixels of all cases of the split
(torchmetrics-style micro Dice, as GuideDecoder, MMI-UNet, SGSeg and DD-CMD compute theirs); it
weighs large lesions more and is usually higher. *wrong-side rate*: among cases whose text names
exactly one side, the share whose predicted mask puts at least 10% of its pixels on the other
image half; "ground truth" is the same rule applied to the reference masks, the rate a perfect
prediction would have (a derived referring mask is cut at the patient's midline, which is not
always the image's centre). *said no*: the share of these (all positive) cases the presence
decision emptied."""

NEGATIVES_INTRO = """\
**Negatives** (the answer should be an empty mask): wrong-side and empty-zone texts derived from
the test masks as for training (QaTa's caption template), and the held-out normal X-rays each
asked 3 fixed texts (a bilateral caption naming every zone, "Is there any infection?", and a
one-side caption). *clean rate*: the share of cases with less than 0.5% of the image painted on
the image halves of the sides the text names (the whole image when it names both or none);
*median painted share*: that painted share's median."""


def published(found: dict[str, dict | None]) -> str:
    """Published results beside ours, each under the metric its code computes."""
    rows = []
    qata = found.get("qata_test_report")
    if qata is not None:
        per_image, pooled = f"{qata['dice']:.4f}", _f(qata.get("pooled_dice"), 4)
        rows += [
            f"| QaTa-COV19 test (2,113 X-rays) | LViT (Li et al., IEEE TMI 2023) | per-image mean Dice | 0.8366 | "
            f"{per_image} |",
            f"| QaTa-COV19 test | GuideDecoder | pooled Dice | 0.8978 | {pooled} |",
            f"| QaTa-COV19 test | DD-CMD | pooled Dice | 0.9146 | {pooled} |",
            f"| QaTa-COV19 test | SSA paper (Liao et al., arXiv 2512.22981) | Dice, metric not stated | 0.9165 | "
            f"{per_image} per image, {pooled} pooled |",
        ]
    ct = found.get("ct_covid_semiseg_test_report")
    if ct is not None:
        ours = f"{ct['dice']:.4f} (at {ct.get('image_size', 224)} px)"
        rows += [
            "| COVID-19 CT segmentation test (Inf-Net's 48 slices) | Inf-Net (Fan et al., IEEE TMI 2020) | "
            f"per-image mean Dice (their evaluation code, at 352 px) | 0.682 | {ours} |",
            "| COVID-19 CT segmentation test | Semi-Inf-Net (Fan et al., IEEE TMI 2020) | "
            f"per-image mean Dice (their evaluation code, at 352 px) | 0.739 | {ours} |",
        ]
    text = ""
    if rows:
        text = ("**Published results** on the same test sets, each beside ours under the metric its code "
                "computes (their numbers, not ours; trained on GPUs for far longer; ours are on the captions "
                "as published with their sides converted, i.e. the *report* rows above):\n\n"
                "| test set | method | metric | published | ours |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n")
    return text + ("MosMedData+ (published Dice: SSA paper 0.8037, LViT 0.7457, DD-CMD 0.8195) could not be "
                   "evaluated: its images could not be reached from our machines (see Training data).")


def presence_section(ckpt: Path, config: dict, calibration: dict | None) -> str:
    """The card's "Presence decision" section, from config.json and calibration.json."""
    if not config.get("presence_head"):
        return ("## Presence decision\n\nThis checkpoint has no presence head: it always outlines something where "
                "the text looks, even when nothing is there.")
    threshold = config.get("presence_threshold", 0.5)
    text = [
        "## Presence decision",
        "The model can say **no**. For each (image, text) pair a presence head gives one probability that what "
        "the text describes is in the image at all. It reads the decoder's last stride-4 features "
        "(text-conditioned, with the text's guidance region as an input), pooled inside the text's guidance "
        "region (mean and max), and the mean of the top 1% of the mask logits inside that region; it was trained "
        "with binary cross-entropy on whether the case's target mask is empty (the negatives above are its "
        f"\"no\" cases). Below the threshold **{threshold:.3f}** (`presence_threshold` in `config.json`) the "
        "demo returns an empty mask and says the finding was not found; the evaluation applies the same gate.",
    ]
    command = (f"python -m ssa.calibrate --checkpoint {ckpt} --data-root DATA_ROOT --normals-root NORMALS_ROOT "
               "--write")
    if calibration is None:
        text.append("No calibration record (`calibration.json`) is stored with this checkpoint; the threshold "
                    f"is calibrated by\n\n```\n{command}\n```")
        return "\n\n".join(text)
    chosen = calibration.get("chosen") or {}
    text.append(
        f"The threshold was calibrated on the QaTa-COV19 `{calibration.get('split', 'val')}` split "
        f"({calibration.get('n_positive', 'n/a')} positive cases: report captions and derived referring cases; "
        f"{calibration.get('n_negative', 'n/a')} negatives: wrong-side and empty-zone texts and the split's normal "
        "X-rays), ungated, as the threshold that maximises (mean positive Dice + clean rate) / 2 (a positive "
        "below it scores Dice 0, a negative below it is clean); outlining and saying no weigh the same. "
        "Recorded in `calibration.json`:")
    text.append(
        "| | |\n|---|---|\n"
        f"| ROC AUC of the presence head (present vs absent) | {_f(calibration.get('presence_auc'))} |\n"
        f"| ROC AUC of the weight-free rule (top 1% of mask probabilities in the region) | "
        f"{_f(calibration.get('rule_auc'))} |\n"
        f"| chosen threshold | {_f(chosen.get('threshold'))} |\n"
        f"| positives kept at it | {_pct(chosen.get('positives_kept'))} |\n"
        f"| mean Dice of the positives at it (emptied ones score 0) | {_f(chosen.get('dice_positive'))} |\n"
        f"| negatives clean at it | {_pct(chosen.get('clean_rate'))} |")
    text.append(f"```\n{command}\n```")
    return "\n\n".join(text)


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="checkpoints/ssa-demo")
    p.add_argument("--run", default="runs/demo-v3", help="the training run folder (train_args.json, log.csv, data.json)")
    p.add_argument("--init-commit", default=None,
                   help="the commit whose shipped checkpoint the run started from (--init), for the card")
    args = p.parse_args()
    ckpt, run = Path(args.checkpoint), Path(args.run)
    config = json.loads((ckpt / "config.json").read_text())
    calibration = json.loads((ckpt / "calibration.json").read_text()) if (ckpt / "calibration.json").exists() else None
    train_args = json.loads((run / "train_args.json").read_text())
    data = json.loads((run / "data.json").read_text())
    with open(run / "log.csv", newline="") as f:
        log = list(csv.DictReader(f))

    presence = bool(config.get("presence_head"))
    evaluation_text, model_index = evaluation(ckpt, config["image_size"])
    ct = used_ct_sets(data)
    datasets = ["QaTa-COV19"]
    if negative_counts(data).get("healthy"):
        datasets.append("COVID-19 Radiography Database (normal X-rays)")
    if "covid_semiseg" in ct:
        datasets.append("COVID-19 CT segmentation dataset (Inf-Net copy)")
    if "pyradiomics_lung" in ct:
        datasets.append("pyradiomics lung1/lung2 test data")
    text = TEMPLATE.format(
        datasets_yaml="\n".join(f"- {json.dumps(d)}" for d in datasets),
        extra_tags="- computed-tomography\n" if ct else "",
        model_index=model_index,
        headline=headline(data, presence),
        preset=config["preset"], image_size=config["image_size"], image_encoder=config["image_encoder"],
        ot_eps=config["ot_eps"], ot_iters=config["ot_iters"], convention=config["convention"],
        lung_band="{:g}-{:g}".format(*config.get("lung_band", (0.1, 0.9))),
        outside_region={"sides": "sides (its zones are not penalised: real captions' zones are unreliable)",
                        "zones": "sides and zones"}[config.get("outside_region", "zones")],
        presence_row=(f"a head on the decoder's features and mask logits inside the text's region: is what the text "
                      f"describes there? Below {config.get('presence_threshold', 0.5):.3f} (calibrated) the mask is "
                      "left empty (see *Presence decision*)" if presence else "none (the mask is always returned)"),
        size_mb=(ckpt / "model.safetensors").stat().st_size / 1e6,
        data_section=data_section(data),
        terms=terms_paragraph(data),
        train_command=train_command(train_args),
        train_summary=training_summary(log, train_args),
        init_note=(f" Its starting point (`--init`) is the checkpoint shipped at commit {args.init_commit}"
                   " (how that one was trained: its own model card, at that commit)."
                   if train_args.get("init") and args.init_commit else ""),
        presence_section=presence_section(ckpt, config, calibration),
        evaluation=evaluation_text,
        limitations=limitations(data, config["convention"], presence),
    )
    # The run's own records travel with the weights (the demo's banner reads them); the data
    # roots are this machine's paths, so they are written as placeholders.
    # The banner says where a continued run started (model_card._how_long).
    args_record = {**_placeholders(train_args),
                   **({"init_commit": args.init_commit} if train_args.get("init") and args.init_commit else {})}
    for record, name in ((_placeholders(data), "training_data.json"), (args_record, "training_args.json")):
        atomic_write_bytes(ckpt / "eval" / name, (json.dumps(record, indent=2) + "\n").encode())
    atomic_write_bytes(ckpt / "README.md", text.encode())
    atomic_write_bytes(ckpt / "LICENSE.md", license_text(data).encode())
    print(f"wrote {ckpt / 'README.md'} and {ckpt / 'LICENSE.md'}")


def _placeholders(record: dict) -> dict:
    """``record`` with its data roots written as placeholders (DATA_ROOT, NORMALS_ROOT, CT_ROOT ...)."""
    out = {**record, "data_root": "DATA_ROOT"}
    if has_path(record.get("normals_root")):
        out["normals_root"] = "NORMALS_ROOT"
    if record.get("ct_data"):
        out["ct_data"] = [_ct_spec(spec) for spec in record["ct_data"]]
    return out


def _ct_spec(spec: str) -> str:
    """``covid_semiseg=/home/x/ct`` -> ``covid_semiseg=CT_ROOT``."""
    name = spec.partition("=")[0]
    return f"{name}={ct_root_placeholder(name)}"


ROOT_HELP = {
    "DATA_ROOT": "SGSeg's data/QaTa (images/, prompts/annotation.json)",
    "NORMALS_ROOT": "the COVID-19 Radiography Database (its Normal/ folder)",
    "CT_ROOT": "the parent of Inf-Net's Dataset/ (the COVID-19 CT segmentation set)",
    "PYRADIOMICS_ROOT": "pyradiomics' source tree (data/lung{1,2}_{image,label}.nrrd)",
}


def train_command(train_args: dict) -> str:
    """The lines the card quotes under Training: the script that rebuilds the checkpoint, what
    each placeholder is, and the training command itself."""
    flags = _flags(train_args)
    roots = ["DATA_ROOT"]
    if has_path(train_args.get("normals_root")):
        roots.append("NORMALS_ROOT")
    roots += [ct_root_placeholder(spec.partition("=")[0]) for spec in train_args.get("ct_data") or []]
    lines = [f"bash scripts/make_demo_checkpoint.sh {' '.join(roots)}"]
    lines += [f"#   {root}: {ROOT_HELP.get(root, 'the ' + root.lower().replace('_root', '') + ' set')}" for root in roots]
    lines.append("# its training step:")
    return "\n".join(lines + ["python train.py " + " ".join(flags)])


def _flags(train_args: dict) -> list[str]:
    """The run's flags as they were given (the data roots shown as placeholders: DATA_ROOT,
    NORMALS_ROOT, CT_ROOT ...)."""
    keys = ["preset", "dataset", "data_root", "text_convention", "mode", "referring_share", "synthetic_share",
            "negative_share", "modality", "normals_root", "ct_data", "ct_share", "init", "steps", "batch_size", "lr",
            "warmup", "eval_every", "val_size", "time_budget", "seed", "threads", "out"]
    out = []
    for k in keys:
        v = train_args.get(k)
        if v is None or (k == "normals_root" and not has_path(v)):
            continue
        if k == "ct_data":
            if v:
                out.append("--ct-data " + " ".join(_ct_spec(spec) for spec in v))
            continue
        if k == "ct_share" and not train_args.get("ct_data"):
            continue
        out.append(f"--{k.replace('_', '-')} {ROOT_PLACEHOLDERS.get(k, v)}")
    out += [f"--set '{pair}'" for pair in train_args.get("set") or []]
    return out


if __name__ == "__main__":
    main()
