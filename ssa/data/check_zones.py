"""Where do a dataset's lesions lie relative to the sides and zones its texts name?

For every case whose text names a location, the mask's lesion mass is split three ways: on
the named sides and in the named zones (the guidance region), on the named sides but outside
those zones, and off the named sides. Zones are thirds of the ``lung_band`` rows (see
:func:`ssa.spatial.region_mask`); texts are first put in the model's side convention, as
training does (``--text-convention``).

    python -m ssa.data.check_zones --dataset qata --data-root DIR [--split train]
        [--band 0.1 0.9] [--fit] [--every N] [--json out.json]

``--fit`` also grid-searches the lung band that puts the most lesion mass inside the named
zones (tops 0-0.3, bottoms 0.6-0.95, steps of 0.05). On QaTa-COV19 the sides are reliable
and the zones are not, which is why the shipped checkpoint's outside-region penalty counts
only the sides (``SSAConfig.outside_region``).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from ssa.data.check_laterality import add_dataset_arguments, read_split
from ssa.data.readers import load_mask
from ssa.data.samples import Sample
from ssa.data.text_convention import apply_convention, decide_convention
from ssa.files import atomic_write_json
from ssa.laterality import side_columns
from ssa.spatial import Region, parse_locations, region_mask

FIT_TOPS = tuple(round(0.05 * i, 2) for i in range(7))  # 0.0 .. 0.3
FIT_BOTTOMS = tuple(round(0.6 + 0.05 * i, 2) for i in range(8))  # 0.6 .. 0.95


def located_cases(samples: Sequence[Sample], every: int = 1) -> list[tuple[np.ndarray, list[Region]]]:
    """(bool HxW mask, parsed regions) of every ``every``-th case with a location and a lesion."""
    cases = []
    for sample in samples[::every]:
        regions = parse_locations(sample.text)
        if not regions:
            continue
        mask = load_mask(sample.mask)
        if mask.any():
            cases.append((mask, regions))
    return cases


def zone_report(cases: Sequence[tuple[np.ndarray, list[Region]]], lung_band: tuple[float, float],
                convention: str) -> dict:
    """Mean share of each case's lesion mass inside the guidance region, off the named sides,
    and on the named sides but outside the named zones; plus the share of cases with over 10%
    of their lesion outside the region."""
    inside, off_side, off_zone = [], [], []
    for mask, regions in cases:
        m = mask.astype(np.float32)
        total = float(m.sum())
        region = region_mask(regions, m.shape, convention, "xray", lung_band)
        sides = np.zeros_like(m)  # the named sides' columns, every row
        for r in regions:
            sides[:, side_columns(r.side, m.shape[1], convention)] = 1.0
        inside.append(float((m * region).sum()) / total)
        off_side.append(float((m * (1 - sides)).sum()) / total)
        off_zone.append(float((m * sides * (1 - region)).sum()) / total)
    n = len(cases)

    def mean(values: list[float]) -> float | None:
        return float(np.mean(values)) if n else None

    return {
        "lung_band": list(lung_band),
        "n_cases": n,
        "inside_region": mean(inside),
        "off_named_sides": mean(off_side),
        "off_named_zones": mean(off_zone),
        "cases_over_10pct_outside": float(np.mean(np.array(inside) < 0.9)) if n else None,
    }


def fit_band(cases: Sequence[tuple[np.ndarray, list[Region]]], convention: str) -> dict:
    """The grid's lung band with the most lesion mass inside the named zones (its report)."""
    best: dict | None = None
    for top in FIT_TOPS:
        for bottom in FIT_BOTTOMS:
            report = zone_report(cases, (top, bottom), convention)
            if best is None or (report["inside_region"] or 0) > (best["inside_region"] or 0):
                best = report
    assert best is not None
    return best


def _line(r: dict) -> str:
    if not r["n_cases"]:
        return f"band {r['lung_band']}: no case names a location"
    return (f"band ({r['lung_band'][0]:.2f}, {r['lung_band'][1]:.2f}): lesion mass inside the named region "
            f"{100 * r['inside_region']:.1f}%, off the named sides {100 * r['off_named_sides']:.1f}%, "
            f"on them but off the named zones {100 * r['off_named_zones']:.1f}%; "
            f"cases with >10% outside: {100 * r['cases_over_10pct_outside']:.1f}% (of {r['n_cases']})")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (2 when the dataset cannot be read)."""
    parser = argparse.ArgumentParser(prog="python -m ssa.data.check_zones", description=__doc__.split("\n\n")[0])
    add_dataset_arguments(parser)
    parser.add_argument("--band", nargs=2, type=float, default=(0.1, 0.9), metavar=("TOP", "BOTTOM"),
                        help="lung band to measure (fractions of the height; default the synthetic data's 0.1 0.9)")
    parser.add_argument("--fit", action="store_true", help="also grid-search the best-fitting lung band")
    parser.add_argument("--every", type=int, default=1, help="use every N-th case (faster)")
    args = parser.parse_args(argv)

    samples = read_split(args)
    if samples is None:
        return 2
    decision = decide_convention(samples, args.text_convention, args.model_convention, progress=False)
    print(decision.describe())
    cases = located_cases(apply_convention(samples, decision), max(1, args.every))
    report = {"dataset": args.dataset, "split": args.split, "every": args.every,
              "measured": zone_report(cases, tuple(args.band), args.model_convention)}
    print(_line(report["measured"]))
    if args.fit:
        report["fitted"] = fit_band(cases, args.model_convention)
        print("best fit: " + _line(report["fitted"]))
    if args.json is not None:
        atomic_write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
