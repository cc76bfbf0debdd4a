"""bench/client_floor.py end to end at a toy count: the floor app served in this process and
called through gradio_client from this process and from one of its own.

Only the shape is checked (no timing thresholds): both series are there with their counts, and
the floor's /segment answers what the demo's does (two files and a record).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import client_floor
from bench.app_server import free_port

pytestmark = pytest.mark.slow


def test_floor_answers_segments_outputs(tmp_path):
    mask, overlay = tmp_path / "mask.png", next(client_floor.copies(tmp_path / "images", 1))
    mask.write_bytes(overlay.read_bytes())
    record = {"presence_score": 0.25}
    with client_floor.serving((str(mask), str(overlay), record), free_port()) as url:
        from gradio_client import Client, handle_file

        client = Client(url, verbose=False, download_files=tmp_path / "downloads")
        try:
            got = client.predict(handle_file(str(overlay)), "a prompt", "auto", "lung", 0.5, api_name="/segment")
        finally:
            client.close()
    assert Path(got[0]).read_bytes() == mask.read_bytes() and Path(got[1]).read_bytes() == overlay.read_bytes()
    assert got[2] == record


def test_floor_bench_quick(tmp_path):
    out = tmp_path / "results.json"
    assert client_floor.main(["--n", "1", "--warmup", "0", "--out", str(out)]) == 0
    r = json.loads(out.read_text())["client_floor"]
    for name in ("client in this process", "client in its own process"):
        assert r[name]["n"] == 1 and r[name]["p50_ms"] > 0
    assert r["command"].startswith("python bench/client_floor.py") and r["machine"]["cores"] >= 1
