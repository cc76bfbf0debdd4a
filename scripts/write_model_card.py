"""Write checkpoints/ssa-demo/README.md (the model card, a Hugging Face Hub model card) from
the evaluation JSONs and the training run.

Every figure in the card is read from ``<checkpoint>/eval/*.json`` (written by the
``python -m ssa.evaluate`` commands the card quotes) or from the run's ``log.csv``,
``data.json`` and ``train_args.json``; those two are copied into ``eval/`` (as
``training_data.json`` and ``training_args.json``, the data root written as DATA_ROOT) for the
demo's banner. The folder can be uploaded to the Hub as a model
repository as it is and loaded by id (``SSA_CHECKPOINT=user/repo``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssa.files import atomic_write_bytes  # noqa: E402
from ssa.model_card import LICENSE_TEXT, TEMPLATE, training_summary  # noqa: E402

SYNTHETIC = [(m, mode) for m in ("xray", "ct") for mode in ("report", "referring")]


def _load(ckpt: Path, name: str) -> dict | None:
    path = ckpt / "eval" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _wsr(r: dict) -> str:
    """The wrong-side rate, with the ground truth's own rate under the same rule when known."""
    if r.get("wrong_side_rate") is None:
        return "n/a"
    truth = r.get("truth_wrong_side_rate")
    return f"{r['wrong_side_rate']:.3f}" + ("" if truth is None else f" (ground truth {truth:.3f})")


def _metric_yaml(name: str, value: float) -> str:
    return f"      - type: {name.split()[0].lower()}\n        name: {name}\n        value: {value:.4f}"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="checkpoints/ssa-demo")
    p.add_argument("--run", default="runs/demo-qata", help="the training run folder (train_args.json, log.csv, data.json)")
    p.add_argument("--init-commit", default=None,
                   help="the commit whose shipped checkpoint the run started from (--init), for the card")
    args = p.parse_args()
    ckpt, run = Path(args.checkpoint), Path(args.run)
    config = json.loads((ckpt / "config.json").read_text())
    train_args = json.loads((run / "train_args.json").read_text())
    data = json.loads((run / "data.json").read_text())
    log = list(csv.DictReader(open(run / "log.csv")))

    real_rows, real_cmds, metrics = [], [], []
    for mode in ("report", "referring"):
        r = _load(ckpt, f"qata_test_{mode}")
        if r is None:
            continue
        real_rows.append(f"| QaTa-COV19 test (real X-rays) | {mode} | {r['dice']:.3f} | {r['iou']:.3f} | {_wsr(r)} | "
                         f"{r['n']} ({r['n_one_side']}) |")
        real_cmds.append(f"python -m ssa.evaluate --checkpoint {ckpt} --dataset qata --data-root DATA_ROOT --split test "
                         f"--text-convention auto --mode {mode} --n 0 --out {ckpt}/eval/qata_test_{mode}.json")
        metrics += [_metric_yaml(f"Dice ({mode})", r["dice"]), _metric_yaml(f"IoU ({mode})", r["iou"])]
        if r.get("wrong_side_rate") is not None:
            metrics.append(_metric_yaml(f"Wrong-side rate ({mode})", r["wrong_side_rate"]))
    syn_rows, syn_cmds = [], []
    for modality, mode in SYNTHETIC:
        r = _load(ckpt, f"{modality}_{mode}")
        if r is None:
            continue
        syn_rows.append(f"| synthetic {modality} | {mode} | {r['dice']:.3f} | {r['iou']:.3f} | {_wsr(r)} | "
                        f"{r['n']} ({r['n_one_side']}) |")
        syn_cmds.append(f"python -m ssa.evaluate --checkpoint {ckpt} --dataset synthetic --n 200 --seed 777 "
                        f"--mode {mode} --modality {modality} --out {ckpt}/eval/{modality}_{mode}.json")

    conv = data["text_convention"]
    text = TEMPLATE.format(
        preset=config["preset"], image_size=config["image_size"], image_encoder=config["image_encoder"],
        ot_eps=config["ot_eps"], ot_iters=config["ot_iters"], convention=config["convention"],
        lung_band="{:g}-{:g}".format(*config.get("lung_band", (0.1, 0.9))),
        outside_region={"sides": "sides (its zones are not penalised: real captions' zones are unreliable)",
                        "zones": "sides and zones"}[config.get("outside_region", "zones")],
        size_mb=(ckpt / "model.safetensors").stat().st_size / 1e6,
        train_command="bash scripts/make_demo_checkpoint.sh DATA_ROOT   # DATA_ROOT: SGSeg's data/QaTa\n"
                      + "python train.py " + " ".join(_flags(train_args)),
        train_summary=training_summary(log, train_args),
        convention_line=data["text_convention_line"],
        agreement_viewer=100 * (conv["agreement"] or {}).get("viewer", float("nan")),
        n_compared=conv["n_compared"],
        train_cases=_counts(data["train_cases"]), val_cases=_counts(data["val_cases"]),
        shares=", ".join(f"{100 * v:.1f}% {k}" for k, v in data["shares"].items() if v > 0) + " cases",
        init_note=(f" Its starting point (`--init`) is the checkpoint shipped at commit {args.init_commit}."
                   if train_args.get("init") and args.init_commit else ""),
        real_rows="\n".join(real_rows), real_cmds="\n".join(real_cmds),
        syn_rows="\n".join(syn_rows), syn_cmds="\n".join(syn_cmds),
        metrics_yaml="\n".join(metrics),
    )
    # The run's own records travel with the weights (the demo's banner reads them); the data
    # root is this machine's path, so it is written as DATA_ROOT.
    for record, name in ((data, "training_data.json"), (train_args, "training_args.json")):
        record = {**record, "data_root": "DATA_ROOT"}
        atomic_write_bytes(ckpt / "eval" / name, (json.dumps(record, indent=2) + "\n").encode())
    atomic_write_bytes(ckpt / "README.md", text.encode())
    atomic_write_bytes(ckpt / "LICENSE.md", LICENSE_TEXT.encode())
    print(f"wrote {ckpt / 'README.md'} and {ckpt / 'LICENSE.md'}")


def _counts(counts: dict[str, int]) -> str:
    """``{"report": 5716, "synthetic": 100000}`` -> "5,716 report, 100,000 synthetic cases"."""
    return ", ".join(f"{v:,} {k}" for k, v in counts.items()) + " cases"


def _flags(train_args: dict) -> list[str]:
    """The run's non-default flags as they were given (the data root shown as DATA_ROOT)."""
    keys = ["preset", "dataset", "data_root", "text_convention", "mode", "referring_share", "synthetic_share",
            "modality", "init", "steps", "batch_size", "lr", "warmup", "eval_every", "val_size", "time_budget",
            "seed", "threads", "out"]
    out = []
    for k in keys:
        v = train_args.get(k)
        if v is None:
            continue
        out.append(f"--{k.replace('_', '-')} {'DATA_ROOT' if k == 'data_root' else v}")
    out += [f"--set '{pair}'" for pair in train_args.get("set") or []]
    return out


if __name__ == "__main__":
    main()
