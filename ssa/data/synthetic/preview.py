"""A contact sheet of cases for review: ``python -m ssa.data.synthetic --preview samples.png``."""

from __future__ import annotations

import argparse
import io
import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ssa.data.synthetic.cases import SyntheticCase, SyntheticSet
from ssa.data.synthetic.plan import MODES
from ssa.files import atomic_write_bytes
from ssa.laterality import CONVENTIONS, MODALITIES


def render_preview(cases: Sequence[SyntheticCase], path: Path, cols: int = 4) -> None:
    """Contact sheet PNG: each image with its mask outlined in red, lesions the text does not
    refer to in dashed yellow, and the text as a wrapped title. Written atomically."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    cols = max(1, min(int(cols), len(cases) or 1))
    rows = max(1, -(-len(cases) // cols))
    fig = Figure(figsize=(3.2 * cols, 3.75 * rows), dpi=100)
    FigureCanvasAgg(fig)
    for k, case in enumerate(cases):
        ax = fig.add_subplot(rows, cols, k + 1)
        ax.imshow(case.image, cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        if case.mask.any():
            ax.contour(case.mask.astype(np.float32), levels=[0.5], colors="red", linewidths=0.8)
        other = case.all_lesions & ~case.mask
        if other.any():
            ax.contour(other.astype(np.float32), levels=[0.5], colors="yellow", linewidths=0.8,
                       linestyles="--")
        ax.set_title(textwrap.fill(f"[{case.modality}] {case.text}", 44), fontsize=6.5)
        ax.set_axis_off()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Render a preview sheet of synthetic cases.")
    p.add_argument("--preview", type=Path, required=True, help="output PNG")
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--modality", default="xray", choices=[*MODALITIES, "mixed"])
    p.add_argument("--mode", default="report", choices=[*MODES, "mixed"])
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--convention", default="radiological", choices=list(CONVENTIONS))
    p.add_argument("--cols", type=int, default=4)
    args = p.parse_args(argv)
    ds = SyntheticSet(args.n, args.seed, args.modality, args.mode, args.size, args.convention)
    render_preview([ds[i] for i in range(len(ds))], args.preview, args.cols)
    print(f"wrote {args.preview} ({len(ds)} cases)")
    return 0
