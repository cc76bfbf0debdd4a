"""Which left/right convention do a dataset's masks follow?

For every row whose text names exactly one side ("... lower left lung."), compare the mask's
mass in the image's left and right halves with the side named, under both conventions:

* ``radiological``: the patient's left is the image's right (SSAConfig's default);
* ``viewer``: the patient's left is the image's left (as LViT's template figures draw it).

A convention the annotations follow agrees on nearly every row; the other on nearly none.

    python -m ssa.data.check_laterality --dataset qata --data-root DIR [--split train] [--json out.json]
        [--text-convention auto|radiological|viewer] [--model-convention radiological|viewer]

It also says what ``--text-convention`` would do for a model of ``--model-convention``: with
``auto``, the measured convention decides; with a stated one, a contradiction is flagged.
The measuring is :mod:`ssa.data.side_agreement` (its names are re-exported here), the
decision :mod:`ssa.data.text_convention`; this module is the command line on top of both.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ssa.data.readers import DatasetError, Sample, read_dataset
from ssa.data.side_agreement import MAX_EXAMPLES, format_report, half_masses, laterality_report
from ssa.data.text_convention import decide_from_report
from ssa.files import atomic_write_json
from ssa.laterality import CONVENTIONS

__all__ = [
    "MAX_EXAMPLES",
    "add_dataset_arguments",
    "format_report",
    "half_masses",
    "laterality_report",
    "main",
    "read_split",
]


def add_dataset_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags every dataset check shares: which split of which dataset, whose conventions,
    and where to write the JSON report."""
    parser.add_argument("--dataset", required=True, choices=("qata", "mosmed", "csv"))
    parser.add_argument(
        "--data-root",
        required=True,
        type=Path,
        help="dataset folder (the CSV file for --dataset csv)",
    )
    parser.add_argument("--split", default="train", choices=("train", "val", "test"))
    parser.add_argument("--text-convention", default="auto", choices=("auto", *CONVENTIONS),
                        help="the texts' convention: measured (auto) or stated (checked against the masks)")
    parser.add_argument("--model-convention", default="radiological", choices=CONVENTIONS,
                        help="the convention of the model the texts are for")
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")


def read_split(args: argparse.Namespace) -> list[Sample] | None:
    """The split the flags name; None (after printing every problem to stderr) when it cannot be read."""
    try:
        return read_dataset(args.dataset, args.data_root, args.split)
    except DatasetError as exc:
        print(exc, file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status (2 when the dataset cannot be read)."""
    parser = argparse.ArgumentParser(
        prog="python -m ssa.data.check_laterality", description=__doc__.split("\n\n")[0]
    )
    add_dataset_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)

    samples = read_split(args)
    if samples is None:
        return 2
    report = laterality_report(samples, progress=not args.no_progress)
    report.update(dataset=args.dataset, data_root=str(args.data_root), split=args.split)
    print(f"laterality check: {args.dataset} {args.split} at {args.data_root}")
    print(format_report(report))
    decision = decide_from_report(report, args.text_convention, args.model_convention)
    report["decision"] = decision.to_dict()
    print(decision.describe())
    measured = report["recommended"]
    if args.text_convention != "auto" and measured not in (None, args.text_convention):
        print(f"warning: the masks follow {measured}, not the stated {args.text_convention}: "
              "the texts would be converted the wrong way", file=sys.stderr)
    if args.json is not None:
        atomic_write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
