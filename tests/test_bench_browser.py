"""bench/browser.py end to end, at toy counts: the demo in this process on a tiny checkpoint,
headless Chromium clicking Segment.

Only the shape of the "browser" section is checked (any machine, any load, no timing
thresholds): the machine facts, both click series and the gradio_client requests are there
with their counts, each click's parts add up to its click-to-drawn time, the model ran in
each click (and encoded the image only where the image was new), every result picture was
new and the layers came inside the answer, the gradio_client floor (bench/client_floor.py) was
measured, the medians are the runs' medians and the ratios and targets are computed from them;
the timers and the file-name patch are gone afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from bench import browser
from tests.demo_server import save_tiny_checkpoint
from tests.test_browser import CHROMIUM

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:.*no_silent_downcasting"),  # gradio 6.31 + pandas 3
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

N = 2


def test_browser_bench_quick(tmp_path, keep_threads):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    import gradio.processing_utils as pu
    from gradio.blocks import Blocks

    from ssa.webui import overlay_image

    originals = (Blocks.process_api, pu.hash_bytes, overlay_image.png_data_url)
    checkpoint = save_tiny_checkpoint(tmp_path / "ssa-tiny-browser")
    out = tmp_path / "browser.json"
    rc = browser.main(["--checkpoint", str(checkpoint), "--n", str(N), "--warmup", "1", "--threads", "1",
                       "--out", str(out)])
    assert rc == 0
    r = json.loads(out.read_text())["browser"]

    m = r["machine"]
    assert m["cores"] >= 1 and m["threads"] == 1 and m["chromium"][0].isdigit() and m["playwright"]
    assert r["n"] == N and r["parts"] == list(browser.PARTS) and r["prompts"] == list(browser.PROMPTS)
    model = r["model_only"]
    assert set(model) == {"set_image + predict", "set_image", "predict"}
    assert all(s["n"] == N and s["p50_ms"] > 0 for s in model.values())

    assert list(r["browser"]) == ["new image", "same image"]
    for name, e in r["browser"].items():
        runs = e["runs"]
        assert e["n"] == N and len(runs) == N and set(e["parts"]) == set(browser.PARTS)
        prompts = [row["prompt"] for row in runs]
        assert set(prompts) <= set(browser.PROMPTS) and all(a != b for a, b in zip(prompts, prompts[1:]))
        for row in runs:
            total, parts = row["click_to_drawn_ms"], row["parts_ms"]
            assert total > 0 and set(parts) == set(browser.PARTS)
            assert sum(parts.values()) == pytest.approx(total, abs=0.01)
            slack = row["clock_error_ms"] + 1.0  # the two parts that cross clocks; the rest are spans
            assert all(v >= -slack for v in parts.values()), parts
            assert parts["model"] > 0 and row["server_process_api_ms"] > 0
            # The image is encoded when it is loaded (a new image) or was before (the same image).
            assert not row["set_image_ran"] and row.get("set_image_on_load", True)
            assert row["click_to_new_src_ms"] + row["new_src_to_loaded_ms"] + row["loaded_to_drawn_ms"] \
                == pytest.approx(total, abs=0.01)
            images = row["overlay_images"]
            assert images[0]["class"] == "base-image" and len(images) >= 2
            for image in images[1:]:  # the mask layers: new, inside the answer (data URLs)
                assert image["class"] == "mask" and image["new"] and image["inline"] and image["kib"] > 0
            assert images[0]["new"] == (name == "new image")
            assert row["requests"] > 0 and row["encoded"]
        assert e["click_to_drawn"]["p50_ms"] == pytest.approx(float(np.median([row["click_to_drawn_ms"]
                                                                                 for row in runs])))

    client = r["gradio_client"]["segment"]
    assert client["n"] == N and len(client["requests"]) == N
    assert client["end_to_end"]["p50_ms"] == pytest.approx(float(np.median([q["end_to_end_ms"]
                                                                              for q in client["requests"]])))
    assert all(q["parts_ms"]["model: predict_many"] > 0 for q in client["requests"])
    assert client["floor"]["end_to_end"]["n"] == N and client["floor"]["end_to_end"]["p50_ms"] > 0

    # The ratios are the measured medians' ratios, and the targets read them.
    full = model["set_image + predict"]["p50_ms"]
    expected = {
        "click_to_drawn, new image / model set_image + predict":
            r["browser"]["new image"]["click_to_drawn"]["p50_ms"] / full,
        "click_to_drawn, same image / model predict":
            r["browser"]["same image"]["click_to_drawn"]["p50_ms"] / model["predict"]["p50_ms"],
        "gradio_client /segment / model set_image + predict": client["end_to_end"]["p50_ms"] / full,
        "gradio_client floor / model set_image + predict": client["floor"]["end_to_end"]["p50_ms"] / full,
        "gradio_client /segment / floor": client["end_to_end"]["p50_ms"] / client["floor"]["end_to_end"]["p50_ms"],
    }
    assert r["ratios"] == pytest.approx(expected)
    targets = r["targets"]
    assert targets["click_to_drawn_vs_model"]["limit"] == 3.0
    assert targets["gradio_client_segment_vs_model"]["limit"] == 4.0
    assert targets["click_to_drawn_vs_model"]["value"] == pytest.approx(expected[
        "click_to_drawn, new image / model set_image + predict"])
    assert targets["gradio_client_segment_vs_model"]["value"] == pytest.approx(expected[
        "gradio_client /segment / model set_image + predict"])
    for t in targets.values():
        assert t["pass"] == (t["value"] <= t["limit"])

    # The timers and the file-name patch are taken off Gradio again.
    assert (Blocks.process_api, pu.hash_bytes, overlay_image.png_data_url) == originals
