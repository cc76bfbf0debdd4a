"""Report of ``bench/speed.py``: readable tables on stdout and the two plots.

``speed.png``: predictor p50 per preset (cold / warm) and training images/s.
``scaling.png``: log-log latency vs pixels and vs prompts on one image.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ssa.files import atomic_write_bytes


def _fmt(v: Any) -> str:
    return f"{v:9.1f}" if isinstance(v, float) else f"{v!s:>9}"


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    print(f"\n{title}")
    print(" | ".join(f"{h:>9}" for h in header))
    for row in rows:
        print(" | ".join(_fmt(v) for v in row))


def print_speed(result: dict[str, Any]) -> None:
    table("1. predictor latency, set_image + predict (ms)", ["preset", "size", "cold p50", "cold p90", "warm p50", "warm p90"],
          [[n, r["image_size"], r["cold"]["p50_ms"], r["cold"]["p90_ms"], r["warm"]["p50_ms"], r["warm"]["p90_ms"]]
           for n, r in result["predictor"].items()])
    for n, r in result["predictor"].items():
        print(f"   {n}: {r['source']}, {r['params_m']:.1f} M parameters")
    reuse = result["prompt_reuse"]
    table(f"2. prompt reuse on {reuse['preset']} (ms, ratio to one full prediction)",
          ["prompts", "cache", "N full", "shared", "ratio", "batched", "ratio"],
          [[r["prompts"], c, r[c]["full_ms"], r[c]["shared_ms"], r[c]["shared_ratio"], r[c]["batched_ms"],
            r[c]["batched_ratio"]] for r in reuse["rows"] for c in ("cold", "warm")])
    table("3. training (peak MiB: growth during the steps)", ["preset", "size", "batch", "step p50", "images/s", "peak MiB"],
          [[n, r["image_size"], r["batch"], r["step"]["p50_ms"], r["images_per_s"], r["peak_mib"]]
           for n, r in result["training"].items()])
    ot = result["ot_share"]
    table(f"4. OT alignment share of forward time on {ot['preset']}", ["batch", "cache", "fwd ms", "OT ms", "share %"],
          [[r["batch"], c, r[c]["forward_ms"], r[c]["ot_ms"], 100 * r[c]["share"]]
           for r in ot["rows"] for c in ("cold", "warm")])
    print("\ntargets")
    for name, t in result["targets"].items():
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[t["pass"]]
        value = "-" if t["value"] is None else f"{t['value']:.3g}"
        print(f"  {verdict:4}  {name}: {value} (limit {t['limit']:g}) - {t['what']}")


def print_scaling(result: dict[str, Any]) -> None:
    table(f"5a. {result['preset']} prediction vs image size (cold)", ["size", "p50 ms", "p90 ms", "peak MiB"],
          [[r["image_size"], r["p50_ms"], r["p90_ms"], r["peak_mib"]] for r in result["by_image_size"]])
    table(f"5b. {result['preset']} set_image + predict_many vs prompts (cold)", ["prompts", "p50 ms", "p90 ms", "peak MiB"],
          [[r["prompts"], r["p50_ms"], r["p90_ms"], r["peak_mib"]] for r in result["by_prompts"]])


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # no display on the benchmark machines
    import matplotlib.pyplot as plt

    return plt


def plot_scaling(result: dict[str, Any], path: Path) -> None:
    """Two log-log panels: latency vs pixels, latency vs prompts; dotted = linear growth."""
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    panels = ((axes[0], result["by_image_size"], "pixels", "image size (pixels, log)",
               [f"{r['image_size']}²" for r in result["by_image_size"]]),
              (axes[1], result["by_prompts"], "prompts", "prompts on one image (log)",
               [str(r["prompts"]) for r in result["by_prompts"]]))
    for ax, rows, key, label, ticks in panels:
        x = np.array([r[key] for r in rows], float)
        p50, p90 = np.array([r["p50_ms"] for r in rows]), np.array([r["p90_ms"] for r in rows])
        ax.loglog(x, p50, "o-", label="p50")
        ax.fill_between(x, p50, p90, alpha=0.25, label="p50 to p90")
        ax.loglog(x, p50[0] * x / x[0], "k:", lw=0.8, label="linear in x")
        for xi, yi, mib in zip(x, p50, [r["peak_mib"] for r in rows]):
            ax.annotate(f"{mib:.0f} MiB", (xi, yi), textcoords="offset points", xytext=(0, -12),
                        ha="center", fontsize=7, color="0.35")
        ax.set_xticks(x, ticks)
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_major_formatter(ScalarFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(label)
        ax.set_ylabel("latency (ms, log)")
        ax.grid(True, which="both", alpha=0.3)
        ax.margins(x=0.08, y=0.15)  # room for the memory labels under the points
        ax.legend(fontsize=7)
    axes[0].set_title(f"{result['preset']}: set_image + predict vs image size")
    axes[1].set_title(f"{result['preset']}: set_image + predict_many vs prompts")
    fig.tight_layout()
    _save(fig, path)


def plot_speed(result: dict[str, Any], path: Path) -> None:
    """Predictor p50 per preset (cold / warm), training images/s per preset (log scale)."""
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    names = list(result["predictor"])
    x = np.arange(len(names))
    for i, cache in enumerate(("cold", "warm")):
        bars = ax1.bar(x + (i - 0.5) * 0.4, [result["predictor"][n][cache]["p50_ms"] for n in names], 0.4,
                       label=cache)
        ax1.bar_label(bars, fmt="%.0f", fontsize=7)
    ax1.set_xticks(x, names)
    ax1.set_ylabel("p50 latency (ms)")
    ax1.set_title("set_image + predict, one prompt")
    ax1.legend(fontsize=7)
    train = result["training"]
    bars = ax2.bar(list(train), [train[n]["images_per_s"] for n in train], color="tab:green")
    ax2.bar_label(bars, labels=[f"{train[n]['images_per_s']:.3g}/s, {train[n]['peak_mib']:.0f} MiB" for n in train],
                  fontsize=7)
    ax2.set_yscale("log")  # tiny and paper differ by ~100x
    ax2.set_ylabel("images / s (log)")
    ax2.set_title(f"training, batch {next(iter(train.values()))['batch']} (label: peak memory growth)")
    fig.tight_layout()
    _save(fig, path)
