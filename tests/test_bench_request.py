"""bench/request.py end to end, at toy counts: the demo in this process on a tiny checkpoint.

Only the shape of the "request" section is checked (any machine, any load, no timing
thresholds): every part is there for every request, none is negative, the parts of a request
fit in its end-to-end time, the counts match, and the profile and the timers are gone after.
"""

from __future__ import annotations

import json

import pytest

from bench import request
from tests.demo_server import save_tiny_checkpoint

pytestmark = pytest.mark.slow

N = 2
TOLERANCE_MS = 1.0  # timer rounding between nested spans


def test_request_quick(tmp_path, keep_threads):
    import gradio.processing_utils as pu
    from gradio.blocks import Blocks
    from gradio_client.client import Endpoint

    checkpoint = save_tiny_checkpoint(tmp_path / "ssa-tiny-request")
    out, chart = tmp_path / "results.json", tmp_path / "request.png"
    originals = (Blocks.process_api, Endpoint._download_file)
    rc = request.main(["--quick", "--checkpoint", str(checkpoint), "--n", str(N), "--warmup", "1",
                       "--profile-n", "1", "--threads", "1", "--out", str(out), "--plot", str(chart)])
    assert rc == 0
    r = json.loads(out.read_text())["request"]
    assert r["parts"] == list(request.PARTS)
    assert r["model_only"]["n"] == N and r["model_only"]["p50_ms"] > 0
    # Each endpoint twice: gradio_client as it comes, and with one TLS context for all calls.
    assert list(r["endpoints"]) == ["segment", "compare", "segment, shared TLS context",
                                    "compare, shared TLS context"]
    for e in r["endpoints"].values():
        prompts = 1 if e["endpoint"] == "segment" else 4
        assert e["n"] == N and e["prompts"] == prompts and len(e["requests"]) == N
        assert set(e["parts"]) == set(request.PARTS) == set(e["share"])
        assert sum(e["share"].values()) == pytest.approx(1.0)
        for row in e["requests"]:
            parts = row["parts_ms"]
            assert set(parts) == set(request.PARTS)
            assert all(v >= 0 for v in parts.values()), parts
            assert sum(v for p, v in parts.items() if p != "other") <= row["end_to_end_ms"] + TOLERANCE_MS
            # The model and the pictures were really on the path being timed.
            assert parts["model: set_image"] > 0 and parts["model: predict_many"] > 0
            # The mask and overlay PNGs, per prompt, are written by the handler (not Gradio's encoder).
            assert parts["download"] > 0 and parts["mask file write"] > 0 and row["images_encoded"] == 0
            assert row["files_downloaded"] == 2 * prompts
        assert e["ratio_to_model_only"] > 0
        prof = r["profile"][e["endpoint"]]
        assert prof["requests"] == 1 and prof["top"], prof
    assert set(r["targets"]) == {"segment_vs_model_only", "compare_vs_segment",
                                 "segment_vs_model_only, shared TLS context",
                                 "compare_vs_segment, shared TLS context"}
    # The shared context is really used: no TLS context is built per file.
    shared = r["endpoints"]["segment, shared TLS context"]
    assert shared["client_tls_setup"]["p50_ms"] < r["endpoints"]["segment"]["client_tls_setup"]["p50_ms"]
    assert chart.stat().st_size > 0
    # The timers and the profiler are taken off Gradio again.
    assert (Blocks.process_api, Endpoint._download_file) == originals
    assert pu.save_pil_to_cache.__module__ == "ssa.webui.gradio_fixes"
