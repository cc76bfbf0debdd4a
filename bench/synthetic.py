"""How long a synthetic case takes to make (they are made while training, between steps).

    python bench/synthetic.py [--n 20] [--size 224] [--out bench/results/results.json]

Per modality and mode: the median and p90 over ``--n`` cases after one warm-up, on real lung
shapes when ``python -m ssa.data.lung_shapes`` has fetched them (drawn lungs otherwise).
Writes the section ``synthetic`` of the results file.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import RESULTS, machine, update_results  # noqa: E402
from bench.timing import stats  # noqa: E402
from ssa.data.lung_shapes import load_lung_shapes  # noqa: E402
from ssa.data.synthetic import make_case  # noqa: E402


def time_cases(modality: str, mode: str, n: int, size: int, shapes) -> dict[str, float]:
    make_case(0, 0, modality, mode, size, lung_shapes=shapes)  # warm-up: caches, noise banks
    times = []
    for i in range(n):
        t = time.perf_counter()
        make_case(i + 1, 0, modality, mode, size, lung_shapes=shapes)
        times.append((time.perf_counter() - t) * 1000)
    return stats(times)


def main(argv: Sequence[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=20, help="cases timed per modality and mode")
    p.add_argument("--size", type=int, default=224)
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    shapes = load_lung_shapes()
    rows = {f"{modality}/{mode}": time_cases(modality, mode, args.n, args.size, shapes)
            for modality in ("xray", "ct") for mode in ("report", "referring")}
    print(f"synthetic case, {args.size} px ({'real' if shapes is not None else 'drawn'} lung shapes), ms:")
    for name, s in rows.items():
        print(f"  {name:16s} p50 {s['p50_ms']:6.1f}   p90 {s['p90_ms']:6.1f}")
    result = {"command": " ".join(["python bench/synthetic.py", *(argv or sys.argv[1:])]), "size": args.size,
              "real_lung_shapes": shapes is not None, "n": args.n, "ms": rows, "machine": machine()}
    update_results("synthetic", result, path=args.out)
    return result


if __name__ == "__main__":
    main()
