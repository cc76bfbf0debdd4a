"""The Gradio demo's parts: upload handling, event handlers, page content and style.

``app.py`` at the repository root assembles them into a ``gr.Blocks`` page. Importing this
package imports gradio; the analytics switch is set first so nothing phones home.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
