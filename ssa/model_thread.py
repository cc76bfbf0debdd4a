"""One thread for all of a server's model work: load, ``set_image``, ``predict``.

Why a thread of its own: PyTorch's CPU kernels run on an OpenMP team, and libgomp keeps one
team per thread that starts parallel work. A web server runs its handlers on whichever worker
thread is free, so each of them grows a team; once the process has more OpenMP threads than
cores, libgomp stops spinning between parallel regions and every one of the model's hundreds
of small kernels waits for its helpers to be woken. Measured on 2 cores (demo checkpoint, one
224-px X-ray, ``set_image`` + ``predict``): 33 ms on the thread that first ran the model, 74 ms
on any other thread, and 80 ms on both once two threads have run it; 72 ms on the first thread
with ``OMP_WAIT_POLICY=PASSIVE`` (no spinning), which is what the slow case looks like. Loading and running the
model on one thread keeps one team, whatever thread the server hands a request to.

    model_thread = ModelThread()
    predictor = model_thread.run(lambda: SSAPredictor(load_model(directory)))
    analyzer = Analyzer(predictor, model_thread)     # every model call runs on that thread
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")


class ModelThread:
    """A single worker thread; :meth:`run` calls a function on it and returns its result
    (or raises its exception) in the calling thread. Calls from many threads queue up and run
    one at a time, in order."""

    def __init__(self, name: str = "ssa-model") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._ident: int | None = None

    def run(self, fn: Callable[..., T], *args, **kwargs) -> T:
        if threading.get_ident() == self._ident:  # already on it (a nested call): no deadlock
            return fn(*args, **kwargs)
        return self._pool.submit(self._call, fn, args, kwargs).result()

    def _call(self, fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
        self._ident = threading.get_ident()
        return fn(*args, **kwargs)

    def close(self) -> None:
        """Let the thread finish what it holds, then end it."""
        self._pool.shutdown(wait=True)
