"""The Gradio demo's parts: upload handling, event handlers, page content and style.

``ssa.webui.app`` assembles them into a ``gr.Blocks`` page (run by ``app.py`` at the repository
root and by ``ssa-demo``). Importing this package imports gradio; the analytics switch is set
first so nothing phones home.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
