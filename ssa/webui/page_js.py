"""JavaScript the page runs around two events (Gradio's ``js=`` argument), to order the work of
a small machine's cores: what the user waits for first, the rest after it is on screen.

* Segment: the click notes the overlay's pictures; its ``.then`` (guidance, heatmaps, table,
  mask file) is sent once the new overlay is decoded and painted. The click shows no Gradio
  progress: a panel marked busy only if its answer is late (``BUSY_AFTER_MS``), unmarked when
  the answer is in.
* Upload: the load event notes the preview's pictures; its ``.then`` (the image encoded for the
  model) is sent once the new preview is painted.

Measured with ``bench/browser.py`` (2 cores, the browser on the same machine): fetching and
decoding the overlay's pictures had competed with the server drawing the rest, and Gradio's
progress timer on the status panel (drawn while the model ran, then taken away) cost a click
about 20 ms: the browser's work on it took the cores the model was running on.
"""

from __future__ import annotations

BUSY_AFTER_MS = 400  # a click's answer later than this (a queue ahead of it) marks its panel busy
BUSY_CLASS = "ssa-busy"  # style.py shows a marked panel's "Working" line


def pictures_noted(selector: str, busy: str | None = None) -> str:
    """An event's ``js``: note the pictures inside ``selector`` before the event runs (see
    :func:`after_pictures_drawn`) and, with ``busy`` (a selector), mark that element
    ``aria-busy`` (for assistive technology; nothing is drawn) and, if the answer is not in
    after ``BUSY_AFTER_MS``, ``BUSY_CLASS``; the inputs go on unchanged."""
    mark = "" if busy is None else f"""
  const busy = (window.__ssaBusy = window.__ssaBusy || {{}});
  document.querySelector({busy!r})?.setAttribute('aria-busy', 'true');
  clearTimeout(busy[{busy!r}]);
  busy[{busy!r}] = setTimeout(() => document.querySelector({busy!r})?.classList.add({BUSY_CLASS!r}),
                              {BUSY_AFTER_MS});"""
    return f"""(...args) => {{
  (window.__ssaPictures = window.__ssaPictures || {{}})[{selector!r}] =
    Array.from(document.querySelectorAll({selector + ' img'!r})).map((i) => i.src).join(' ');{mark}
  return args;
}}"""


def after_pictures_drawn(selector: str, busy: str | None = None) -> str:
    """A ``.then``'s ``js``: unmark ``busy`` (see :func:`pictures_noted`; the answer is in) and
    hold the request in the page until the new pictures inside ``selector`` are decoded and
    painted, so that on a small machine's cores fetching and decoding them no longer competes
    with the server's next work (the Segment button's guidance, heatmaps and table; the
    upload's encoding). It waits for the pictures noted by
    :func:`pictures_noted` to change (Gradio may redraw the panel empty first; a refused
    file leaves it empty and an identical result keeps them: at most 300 ms), then to be
    decoded (at most a second), then for a frame."""
    unmark = "" if busy is None else f"""
  clearTimeout((window.__ssaBusy || {{}})[{busy!r}]);
  document.querySelector({busy!r})?.classList.remove({BUSY_CLASS!r});
  document.querySelector({busy!r})?.removeAttribute('aria-busy');"""
    return f"""async (...args) => {{{unmark}
  const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const pictures = () => Array.from(document.querySelectorAll({selector + ' img'!r}));
  const before = (window.__ssaPictures || {{}})[{selector!r}];
  const started = performance.now();
  const changed = () => pictures().length > 0 && pictures().map((i) => i.src).join(' ') !== before;
  while (performance.now() - started < 300 && !changed()) await frame();
  const decoded = Promise.all(pictures().map((img) => img.decode().catch(() => null)));
  await Promise.race([decoded, new Promise((done) => setTimeout(done, 1000))]);
  await frame();
  return args;
}}"""

