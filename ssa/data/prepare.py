"""Real cases ready for a model: read a split, put its texts in the model's convention, and
derive its referring cases. Shared by training and evaluation, so both see the same cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ssa.data.readers import Sample, read_dataset
from ssa.data.referring import PHRASINGS, derive_referring
from ssa.data.text_convention import ConventionDecision, apply_convention, decide_convention

MODES = ("report", "referring", "mixed")


@dataclass
class RealCases:
    """One split's cases: ``report`` (texts as published, sides converted) and ``referring``
    (derived one-side cases; empty in report mode), and the convention decision."""

    report: list[Sample]
    referring: list[Sample]
    decision: ConventionDecision
    split: str

    def for_mode(self, mode: str) -> list[Sample]:
        """The cases a ``mode`` evaluates on: report, referring, or both."""
        return {"report": self.report, "referring": self.referring, "mixed": self.report + self.referring}[mode]


def read_split(dataset: str, root: str | Path, split: str) -> list[Sample]:
    """One split of ``dataset``: a 2-D dataset's reader (:func:`ssa.data.readers.read_dataset`),
    or a real CT set (:data:`ssa.data.ct_sets.CT_SETS`, volumes sliced and cached)."""
    from ssa.data.ct_sets import CT_SETS, read_ct_set

    if dataset in CT_SETS:
        return read_ct_set(dataset, root, split)
    return read_dataset(dataset, root, split)


def subset(samples: list[Sample], n: int | None, seed: int) -> list[Sample]:
    """A seeded subset of ``n`` cases in their original order (all when ``n`` is falsy or too big)."""
    if not n or n >= len(samples):
        return list(samples)
    pick = np.random.default_rng(seed).choice(len(samples), n, replace=False)
    return [samples[i] for i in sorted(pick)]


def prepare_real_cases(
    dataset: str,
    root: str | Path,
    split: str,
    mode: str,
    text_convention: str,
    model_convention: str,
    decision: ConventionDecision | None = None,
    n: int | None = None,
    seed: int = 0,
    vary_text: bool = False,
    progress: bool = False,
    phrasing: str | None = None,
) -> RealCases:
    """Read ``split`` of ``dataset`` and prepare it for a ``model_convention`` model.

    Args:
        text_convention: "auto" | "radiological" | "viewer" (see :mod:`ssa.data.text_convention`).
        decision: reuse a decision made on another split (training decides on train and
            applies it to val); None decides on this split.
        n: a seeded subset of the split's report cases (before referring cases are derived).
        vary_text: referring texts in several phrasings (training) instead of one template.
        phrasing: evaluation's choice of referring phrasings, a key of
            :data:`ssa.data.referring.PHRASINGS` ("qata": QaTa's template, the default;
            "training": every training phrasing; "unseen": phrasings no run trains on).

    Raises:
        DatasetError: the split cannot be read (every problem listed).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    samples = read_split(dataset, root, split)
    if decision is None:
        decision = decide_convention(samples, text_convention, model_convention, progress=progress)
    samples = apply_convention(subset(samples, n, seed), decision)
    referring: list[Sample] = []
    if mode != "report":
        if phrasing is None:
            referring = derive_referring(samples, model_convention, vary_text=vary_text, seed=seed, progress=progress)
        else:
            referring = derive_referring(samples, model_convention, vary_text=True, seed=seed, progress=progress,
                                         templates=PHRASINGS[phrasing])
    return RealCases(report=samples, referring=referring, decision=decision, split=split)
