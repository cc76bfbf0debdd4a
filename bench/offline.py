"""Run a benchmark offline and quiet: no hub downloads, no Gradio analytics.

Imported first by the benchmark scripts that serve the demo (before anything that imports
gradio, transformers or huggingface_hub reads the environment); a value already set by the
user wins.
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",  # the client phones home otherwise
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def go_offline() -> None:
    """Set each of ``OFFLINE_ENV`` unless the environment already has it."""
    for key, value in OFFLINE_ENV.items():
        os.environ.setdefault(key, value)
