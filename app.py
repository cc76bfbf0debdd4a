"""The SSA demo (Gradio): ``python app.py [--checkpoint DIR_OR_REPO] [--host] [--port]``.

A thin entry point, so the repository runs as a Hugging Face Space (``app_file: app.py``); the
demo itself is :mod:`ssa.webui.app` (also installed as ``ssa-demo``).
"""

from ssa.webui.app import build_demo, launch, main, parse_args

__all__ = ["build_demo", "launch", "main", "parse_args"]

if __name__ == "__main__":
    main()
