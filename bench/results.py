"""One shared results file for every benchmark: ``bench/results/results.json``.

Each benchmark owns one top-level section ("sinkhorn", "ablation", "speed", "scaling",
"load", ...) and replaces only that section, atomically, so scripts can be rerun one at a
time. A section is stored per device kind (``cpu`` / ``cuda``) where a script runs on both.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ssa.files import atomic_write_bytes  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "results.json"


def machine() -> dict[str, Any]:
    """What the numbers were measured on (CPU model, cores, torch threads, GPU name)."""
    import torch

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def update_results(section: str, data: Any, path: Path = RESULTS, key: str | None = None) -> Path:
    """Replace ``results[section]`` (or ``results[section][key]``, e.g. key="cuda") atomically."""
    results = json.loads(path.read_text()) if path.exists() else {}
    if key is None:
        results[section] = data
    else:
        results.setdefault(section, {})[key] = data
    atomic_write_bytes(path, (json.dumps(results, indent=2, sort_keys=False) + "\n").encode())
    return path
