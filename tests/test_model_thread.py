"""The demo runs its model on one thread: every set_image / predict of the analyzer goes there,
whatever thread the server hands the request to (see ssa/model_thread.py for why)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

from ssa.analysis import Analyzer, prepare_image
from ssa.model_thread import ModelThread
from ssa.predictor import SSAPredictor


def test_model_thread_runs_calls_in_order_and_passes_errors_back():
    worker = ModelThread()
    try:
        names = [worker.run(lambda: threading.current_thread().name) for _ in range(3)]
        assert len(set(names)) == 1 and names[0].startswith("ssa-model")
        assert worker.run(lambda: worker.run(lambda: 7)) == 7  # a nested call does not deadlock
        with pytest.raises(ValueError, match="bad"):
            worker.run(lambda: (_ for _ in ()).throw(ValueError("bad")))
        assert worker.run(lambda x, y=0: x + y, 2, y=3) == 5  # still serving after an error
    finally:
        worker.close()


def test_analyzer_runs_the_model_on_its_model_thread(tiny_model, tmp_path, monkeypatch):
    worker = ModelThread()
    predictor = worker.run(SSAPredictor, tiny_model)
    analyzer = Analyzer(predictor, worker)
    seen: list[str] = []
    for name in ("set_image", "predict_many"):
        real = getattr(predictor, name)

        def spy(*args, _real=real, **kwargs):
            seen.append(threading.current_thread().name)
            return _real(*args, **kwargs)

        monkeypatch.setattr(predictor, name, spy)
    path = tmp_path / "cxr.png"
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 256, (64, 80), dtype=np.uint8))
    image = prepare_image(path)
    with ThreadPoolExecutor(4, thread_name_prefix="server-worker") as pool:  # as Gradio's workers
        prompts = ["lower left lung", "upper right lung", "left lung", "right lung"]
        results = list(pool.map(lambda p: analyzer.run(image, [p], "xray"), prompts))
    assert all(r[0].mask.shape == (64, 80) for r in results)
    assert seen and all(name.startswith("ssa-model") for name in seen), seen
    assert len(seen) == 1 + len(prompts)  # the image embedded once, then one predict per request
    assert np.array_equal(results[2][0].mask, analyzer.run(image, ["left lung"], "xray")[0].mask)
    worker.close()
