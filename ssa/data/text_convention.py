"""Which side convention a dataset's texts use, and converting them to the model's.

A text says "left lung"; its mask lies on one image half. Under the *radiological*
convention the patient's left is the image's right; under the *viewer* convention the side
named is the image half it appears on (QaTa-COV19's LViT captions, measured). A model is
trained in one convention (``SSAConfig.convention``); texts in the other are converted by
swapping their sides (:func:`ssa.spatial.swap_sides`) before training or evaluating.

``--text-convention auto`` measures the split's masks (:func:`laterality_report`, from
:mod:`ssa.data.side_agreement`) and decides; ``radiological`` / ``viewer`` state it without
measuring.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from ssa.data.samples import Sample
from ssa.data.side_agreement import laterality_report
from ssa.laterality import CONVENTIONS
from ssa.spatial import swap_sides

TEXT_CONVENTIONS = ("auto", *CONVENTIONS)


@dataclass(frozen=True)
class ConventionDecision:
    """What ``--text-convention`` decided for one split (saved with runs and evaluations).

    Attributes:
        requested: "auto" | "radiological" | "viewer" (the flag's value).
        texts: the convention the texts follow (measured for "auto").
        model: the model's convention.
        converted: True when the texts' sides were swapped into the model's convention.
        agreement: measured share of one-side texts whose mask lies where each convention
            says (None when not measured or nothing to compare).
        n_compared: one-side texts whose mask halves were compared.
        note: one line saying why, for logs and model cards.
    """

    requested: str
    texts: str
    model: str
    converted: bool
    agreement: dict[str, float | None] | None = None
    n_compared: int = 0
    note: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        """One line: what the texts follow, whether they were converted, and the evidence."""
        action = f"sides swapped into the model's {self.model} convention" if self.converted else "used as they are"
        line = f"text convention: {self.texts} ({self.requested}); {action}"
        if self.agreement:
            shares = ", ".join(f"{c} {100 * v:.1f}%" for c, v in self.agreement.items() if v is not None)
            line += f"; measured on {self.n_compared} one-side texts: {shares}"
        return line + (f"; {self.note}" if self.note else "")


def decide_convention(
    samples: Sequence[Sample], requested: str, model_convention: str, progress: bool = False
) -> ConventionDecision:
    """Decide the texts' convention for ``samples`` and whether to convert them.

    ``auto`` reads every mask of a one-side text (seconds for QaTa's 5,716 training cases).
    With no evidence either way (no one-side text, or a tie) the texts are assumed to follow
    the model's convention and the note says so.
    """
    if requested not in TEXT_CONVENTIONS:
        raise ValueError(f"text convention must be one of {TEXT_CONVENTIONS}, got {requested!r}")
    if model_convention not in CONVENTIONS:
        raise ValueError(f"model convention must be one of {CONVENTIONS}, got {model_convention!r}")
    if requested != "auto":
        return decide_from_report(None, requested, model_convention)
    return decide_from_report(laterality_report(samples, progress=progress), requested, model_convention)


def decide_from_report(report: dict | None, requested: str, model_convention: str) -> ConventionDecision:
    """The decision ``requested`` makes given a :func:`laterality_report` (None: not measured)."""
    if requested != "auto" or report is None:
        return ConventionDecision(requested, requested, model_convention, requested != model_convention,
                                  note="stated, not measured")
    measured = report["recommended"]
    note = ""
    if measured is None:
        measured = model_convention
        note = "no evidence either way (no one-side text with a one-sided mask): assumed the model's"
    return ConventionDecision("auto", measured, model_convention, measured != model_convention,
                              agreement=report["agreement"], n_compared=report["n_compared"], note=note)


def apply_convention(samples: Sequence[Sample], decision: ConventionDecision) -> list[Sample]:
    """``samples`` with their texts in the model's convention (sides swapped when needed)."""
    if not decision.converted:
        return list(samples)
    return [dataclasses.replace(s, text=swap_sides(s.text)) for s in samples]
