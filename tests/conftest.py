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


# -- the demo, shared by test_app.py and test_hostile_inputs.py (module-scoped: each module gets
# its own Gradio folders, handlers and loopback server; imports are lazy so other tests skip them)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """Gradio's upload / cache folder for this module's handlers and server."""
    from tests.demo_server import gradio_folders

    with gradio_folders(tmp_path_factory.mktemp("gradio")) as cache:
        yield cache


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    """The session's tiny model saved as a checkpoint directory."""
    from tests.demo_server import save_tiny_checkpoint

    return save_tiny_checkpoint(tmp_path_factory.mktemp("ckpt") / "ssa-tiny")


@pytest.fixture(scope="module")
def handlers(tiny_model, folders):
    """The demo's handlers on the tiny model, with a janitor that treats every path marked by
    :func:`tests.demo_server.as_upload` as an upload."""
    from types import SimpleNamespace

    import ssa
    from ssa.analysis import Analyzer
    from ssa.webui.handlers import DemoHandlers
    from ssa.webui.uploads import UploadJanitor

    blocks = SimpleNamespace(upload_file_set=set(), blocks={})
    return DemoHandlers(Analyzer(ssa.SSAPredictor(tiny_model)), UploadJanitor(blocks))


@pytest.fixture(scope="module")
def server(tiny_checkpoint, folders):
    """A real demo server on loopback: ``(demo, url)``."""
    from tests.demo_server import running_demo

    with running_demo(tiny_checkpoint) as (demo, url):
        yield demo, url


@pytest.fixture(scope="module")
def client(server):
    from gradio_client import Client

    return Client(server[1], verbose=False)


@pytest.fixture
def keep_threads():
    """For benchmarks' main(): they set torch's and OpenCV's thread counts for the process;
    put them back afterwards."""
    import cv2

    torch_threads, cv_threads = torch.get_num_threads(), cv2.getNumThreads()
    yield
    torch.set_num_threads(torch_threads)
    cv2.setNumThreads(cv_threads)
