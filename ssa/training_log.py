"""The training log: a CSV that a resumed run continues without duplicate steps, optional
TensorBoard, and a PNG of the curves."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ssa.files import atomic_write_bytes

COLUMNS = [
    "step", "lr", "loss", "dice", "bce", "outside", "plan", "presence", "images_per_s",
    "val_dice", "val_iou", "val_wrong_side_rate", "val_dice_positive", "val_pooled_dice", "val_clean_rate",
]
# Validation figures the loop logs when the validation set has them (negatives: clean_rate).
VAL_KEYS = ("dice", "iou", "wrong_side_rate", "dice_positive", "pooled_dice", "clean_rate")


class TrainingLog:
    """Appends rows to ``out/log.csv``. On resume at step S, rows after S (written by the
    interrupted run after its last checkpoint) are dropped first, so each step appears once."""

    def __init__(self, out: Path, resume_step: int = 0, tensorboard: bool = False) -> None:
        self.path = out / "log.csv"
        rows = []
        if resume_step and self.path.exists():
            with open(self.path, newline="") as f:
                rows = [r for r in csv.DictReader(f) if r.get("step") and int(r["step"]) <= resume_step]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_bytes(self.path, buf.getvalue().encode())
        self._file = open(self.path, "a", newline="")
        self._writer = csv.DictWriter(self._file, fieldnames=COLUMNS, extrasaction="ignore")
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self._tb = SummaryWriter(str(out / "tensorboard"))
            except ImportError:
                print("warning: --tensorboard needs the tensorboard package (pip install tensorboard); skipped")

    def write(self, row: dict) -> None:
        clean = {k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()}
        self._writer.writerow(clean)
        self._file.flush()
        if self._tb is not None:
            for k, v in row.items():
                if k != "step" and isinstance(v, (int, float)):
                    self._tb.add_scalar(k, v, row["step"])

    def close(self) -> None:
        self._file.close()
        if self._tb is not None:
            self._tb.close()


def read_log(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def plot_curves(log_csv: Path, png: Path) -> None:
    """Training loss (left) and validation Dice / IoU / wrong-side rate (right) vs step."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = read_log(log_csv)

    def series(key: str) -> tuple[list[int], list[float]]:
        pts = [(int(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "", "nan")]
        return [p[0] for p in pts], [p[1] for p in pts]

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.plot(*series("loss"), label="loss")
    for key in ("dice", "bce", "outside", "plan", "presence"):
        xs, ys = series(key)
        if xs:
            ax1.plot(xs, ys, label=key, alpha=0.6, lw=0.8)
    ax1.set_xlabel("step")
    ax1.set_title("training loss")
    ax1.legend(fontsize=7)
    for key, label in (("val_dice", "Dice (all cases)"), ("val_dice_positive", "Dice (lesion cases)"),
                       ("val_iou", "IoU"), ("val_wrong_side_rate", "wrong-side rate"),
                       ("val_clean_rate", "clean rate (negatives)")):
        xs, ys = series(key)
        if xs:
            ax2.plot(xs, ys, marker="o", ms=3, label=label)
    ax2.set_ylim(0, 1)
    ax2.set_xlabel("step")
    ax2.set_title("validation")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    atomic_write_bytes(png, buf.getvalue())
