"""``bench/speed.py`` smoke test: ``--quick`` on the tiny preset writes every section.

Timings are not checked (any machine, any load): only that each number the report promises
is there, finite and positive, and that the plots are written.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

from bench import speed


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value) and value > 0


@pytest.mark.slow
def test_quick_tiny_run_writes_all_sections(tmp_path, keep_threads):
    out = tmp_path / "results.json"
    # One thread and one repeat: this checks the report's shape, and must not fight a
    # parallel test run for the cores.
    speed.main(["--quick", "--presets", "tiny", "--threads", "1", "--repeats", "1",
                "--out", str(out), "--plots", str(tmp_path)])
    results = json.loads(out.read_text())
    run = results["speed"]["cpu"]
    assert run["command"].startswith("python bench/speed.py --quick")
    assert run["threads"] == 1 and run["repeats"] == 1 and run["machine"]["cores"] >= 1

    tiny = run["predictor"]["tiny"]
    for cache in ("cold", "warm"):
        assert _positive(tiny[cache]["p50_ms"]) and tiny[cache]["p90_ms"] >= tiny[cache]["p50_ms"]
    reuse = run["prompt_reuse"]
    assert reuse["preset"] == "tiny"
    assert [r["prompts"] for r in reuse["rows"]] == list(speed.PROMPT_COUNTS)
    for row in reuse["rows"]:
        for cache in ("cold", "warm"):
            assert all(_positive(row[cache][k]) for k in ("full_ms", "shared_ms", "batched_ms", "shared_ratio"))
    assert reuse["rows"][0]["cold"]["shared_ratio"] == 1.0  # one prompt: the same work

    train = run["training"]["tiny"]
    assert train["batch"] == speed.TRAIN_BATCH and train["steps"] >= 1
    assert _positive(train["images_per_s"]) and train["peak_mib"] >= 0

    assert [r["batch"] for r in run["ot_share"]["rows"]] == [1, speed.TRAIN_BATCH]
    for row in run["ot_share"]["rows"]:
        for cache in ("cold", "warm"):
            assert _positive(row[cache]["forward_ms"]) and 0 < row[cache]["share"] < 1

    # Targets are listed but only judged on the demo model.
    assert set(run["targets"]) == set(speed.TARGETS)
    assert all(t["pass"] is None and t["limit"] > 0 for t in run["targets"].values())

    scale = results["scaling"]["cpu"]
    assert [r["image_size"] for r in scale["by_image_size"]] == list(speed.SCALING_SIZES)
    assert [r["prompts"] for r in scale["by_prompts"]] == list(speed.SCALING_PROMPTS)
    for row in scale["by_image_size"] + scale["by_prompts"]:
        assert _positive(row["p50_ms"]) and row["peak_mib"] >= 0
    for name in ("speed.png", "scaling.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
def test_cuda_without_cuda_says_so(tmp_path):
    with pytest.raises(SystemExit, match="CUDA is not available"):
        speed.main(["--device", "cuda", "--out", str(tmp_path / "r.json"), "--plots", str(tmp_path)])
    assert not (tmp_path / "r.json").exists()
