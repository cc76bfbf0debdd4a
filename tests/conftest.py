"""Test settings: offline, quiet, deterministic, sized for a 2-core machine."""

import os

# Before anything imports huggingface_hub / gradio: they read these at import time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def tiny_model():
    """One random tiny model shared by read-only tests (seeded: same weights every run)."""
    import ssa

    torch.manual_seed(0)
    return ssa.create_model("tiny").eval()
