"""Timing and peak-memory helpers for the benchmarks (CPU and CUDA).

``Bench.time(fn)`` -> p50 / p90 / mean ms after warm-up calls (CUDA: synchronised, under bf16
autocast); ``with peak_memory(device) as mem: ...`` -> ``mem["peak_mib"]``.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch


@dataclass
class Bench:
    """How to time: device, autocast, repeat counts."""

    device: torch.device
    repeats: int
    warmup: int
    train_steps: int

    def sync(self) -> None:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def time(self, fn: Callable[[], Any], before: Callable[[], Any] | None = None,
             repeats: int | None = None) -> dict[str, float]:
        """p50 / p90 / mean in ms of ``fn`` after warm-up; ``before`` runs untimed before each call."""
        times = []
        for i in range(self.warmup + (repeats or self.repeats)):
            if before is not None:
                before()
            self.sync()
            start = time.perf_counter()
            with self.autocast():
                fn()
            self.sync()
            if i >= self.warmup:
                times.append(1000 * (time.perf_counter() - start))
        return stats(times)


def stats(times_ms: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(times_ms, dtype=np.float64)
    return {"p50_ms": float(np.median(arr)), "p90_ms": float(np.percentile(arr, 90)),
            "mean_ms": float(arr.mean()), "n": int(arr.size)}


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


@contextlib.contextmanager
def peak_memory(device: torch.device) -> Iterator[dict[str, float]]:
    """Yields a dict that holds ``peak_mib`` once the block ends: its peak memory growth.

    CUDA: ``torch.cuda.max_memory_allocated`` above what was allocated at entry (tensors only).
    CPU: growth of the process's resident set: the kernel's high-water mark (VmHWM) is reset
    at entry by writing "5" to /proc/self/clear_refs, so VmHWM at exit is the block's own
    peak; minus VmRSS at entry. It counts all the block made resident (activations, gradients,
    optimiser state, allocator slack), not only tensors, and misses memory the process already
    held, so callers run blocks smallest first and freed heap is handed back (malloc_trim)
    before entry. Where clear_refs is not writable, a thread samples VmRSS every 5 ms instead.
    """
    out: dict[str, float] = {}
    gc.collect()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        base = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        yield out
        torch.cuda.synchronize(device)
        out["peak_mib"] = (torch.cuda.max_memory_allocated(device) - base) / 2**20
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    base = _status_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        sampler = None
    except OSError:
        sampler = _RssSampler()
        sampler.start()
    try:
        yield out
    finally:
        peak = sampler.stop() if sampler is not None else _status_kib("VmHWM")
        out["peak_mib"] = max(0.0, (peak - base) / 1024)


class _RssSampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self._done = _status_kib("VmRSS"), threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.005):
            self.peak = max(self.peak, _status_kib("VmRSS"))

    def stop(self) -> int:
        self._done.set()
        self.join()
        return max(self.peak, _status_kib("VmRSS"))


