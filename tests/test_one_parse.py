"""One request reads its text once, and the page and the CLI compute findings on one mask."""

from __future__ import annotations

import cv2
import numpy as np

import ssa.expressions
import ssa.report
from ssa.analysis import Analyzer, prepare_image
from ssa.findings import findings_summary
from ssa.predictor import SSAPredictor

REPORT = ("FINDINGS: Left-sided PICC. Patchy opacity in the right lower lobe. No effusion on the left. "
          "IMPRESSION: Right basilar pneumonia.")


def test_a_request_reads_each_prompt_once(tiny_model, monkeypatch) -> None:
    calls: list[str] = []
    real = ssa.report.read_report

    def counting(text: str):
        calls.append(text)
        return real(text)

    # Every way to the reader: the expression splitter and parse_locations' lazy import.
    monkeypatch.setattr(ssa.expressions, "read_report", counting)
    monkeypatch.setattr(ssa.report, "read_report", counting)
    analyzer = Analyzer(SSAPredictor(tiny_model))
    image = np.random.default_rng(0).random((90, 120)).astype(np.float32)
    prepared = type("Prepared", (), {})  # the analyzer needs only these four of a PreparedImage
    prepared.image = lambda window=None: image
    prepared.modality, prepared.downscaled, prepared.original_size = "xray", False, image.shape
    results = analyzer.run(prepared, [REPORT, "lower left lung"])
    assert sorted(calls) == sorted([REPORT, "lower left lung"])  # once per prompt, nothing more
    first = results[0]
    assert [r.side for r in first.regions] == ["right"]  # the device and the negation set aside
    assert any("Set aside (device)" in n for n in first.notices)  # the notes use the same reading
    assert first.prediction.reading.text == REPORT


def test_a_downscaled_file_gets_one_mask_for_file_and_findings(tiny_model, tmp_path) -> None:
    path = tmp_path / "big.png"
    rng = np.random.default_rng(1)
    cv2.imwrite(str(path), (rng.random((1300, 1500)) * 255).astype(np.uint8))
    prepared = prepare_image(path)
    assert prepared.downscaled and prepared.original_size == (1300, 1500)
    # Threshold 0: every pixel is lesion, so any mask at another size would count differently.
    result = Analyzer(SSAPredictor(tiny_model)).run(prepared, ["lower left lung"], threshold=0.0)[0]
    assert result.mask.shape == (1300, 1500) and result.mask.all()
    # The page's findings table and the CLI's findings JSON count the pixels of that mask.
    table_pixels = sum(f.lesion_pixels for f in result.findings if f.zone == "whole")
    summary = findings_summary(result.mask, result.modality, tiny_model.config.convention,
                               tiny_model.config.lung_band, result.regions)
    assert summary["lesion_pixels"] == int(result.mask.sum()) == table_pixels
