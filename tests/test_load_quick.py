"""bench/load.py end to end, at toy counts: a real app.py subprocess on a tiny checkpoint.

Two clients, a handful of requests, a queue of 2 overfilled by 4 jobs: every request must
succeed, the overflow must be refused with a clear "queue is full" error (not a hang), and
the server must be gone afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import load
from tests.demo_server import save_tiny_checkpoint

pytestmark = pytest.mark.slow


def _running_with(marker: str) -> list[int]:
    """Pids whose command line mentions ``marker`` (the unique checkpoint path)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and marker in (entry / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def test_load_quick(tmp_path):
    checkpoint = save_tiny_checkpoint(tmp_path / "ssa-tiny-load")
    out = tmp_path / "results.json"
    rc = load.main(["--quick", "--checkpoint", str(checkpoint), "--out", str(out),
                    "--clients", "2", "--requests", "1", "--soak", "4", "--warmup", "2",
                    "--sample-every", "2", "--max-queue", "2", "--busy-extra", "4", "--timeout", "60"])
    r = json.loads(out.read_text())["load"]
    assert rc == (0 if r["pass"] else 1)
    assert r["load"]["requests"] == 2 and r["load"]["failures"] == 0, r["load"]["errors"]
    shared = r["load_shared_tls"]
    assert shared["shared_tls"] and shared["requests"] == 2 and shared["failures"] == 0, shared["errors"]
    assert r["soak"]["requests"] == 4 and r["soak"]["failures"] == 0, r["soak"]["errors"]
    assert [n for n, _ in r["soak"]["rss_samples"]] == [0, 2, 4]
    assert r["soak"]["rss_mb_end"] > 0
    busy = r["busy"]
    assert busy["submitted"] == 6 and busy["hung"] == 0 and busy["accepted_failed"] == 0, busy
    assert busy["accepted_ok"] + busy["refused"] == 6
    assert busy["refused"] >= 1, "6 jobs at once must overflow a queue of 2"
    assert list(busy["error_messages"]) == [busy["error_message"]]
    assert "queue is full" in busy["error_message"].lower()
    assert busy["time_to_error_s"]["max_s"] < 30, "a refusal must come back, not hang"
    assert r["targets"]["zero_failures"]["pass"]
    assert not _running_with(str(checkpoint)), "the server must be stopped"
