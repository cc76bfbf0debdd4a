"""One analysis as a JSON-ready record: what ``python -m ssa.predict`` writes beside each mask
(``<stem>_findings.json``) and what the demo's ``/segment`` API returns as ``findings``."""

from __future__ import annotations

from ssa.analysis import Analysis
from ssa.findings import findings_summary


def analysis_record(result: Analysis, threshold: float, convention: str, lung_band: tuple[float, float]) -> dict:
    """The text, where it was read to point, the presence decision, the verdict's sentences,
    the model's time, and the mask's findings (:func:`ssa.findings.findings_summary`: its
    size, lesion area per side and zone, which side it lies on)."""
    pred = result.prediction
    return {
        "text": result.text,
        "modality": result.modality,
        "threshold": threshold,
        "locations": [{"side": r.side, "zones": sorted(r.zones)} for r in result.regions],
        "notices": [n.replace("**", "") for n in result.notices],
        "presence": {"score": round(pred.score, 4), "present": pred.present, "source": pred.score_source},
        "verdict": result.verdict.sentences() if result.verdict is not None else [],
        "model_ms": round(1000 * result.model_seconds, 1),
        **findings_summary(result.mask, result.modality, convention, lung_band, result.regions),
    }
