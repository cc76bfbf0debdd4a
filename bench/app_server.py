"""The demo as a subprocess on loopback, for benchmarks: start, wait, stop; its memory.

    with serve(checkpoint, free_port(), max_queue=32, workdir=tmp) as (proc, url):
        ...  # drive ``url`` with gradio_client; rss_mb(proc.pid) reads its memory

The server gets private Gradio folders and cwd under ``workdir`` (nothing lands in the repo
or the shared /tmp/gradio), its stdout and stderr go to ``workdir/server.log``, and it runs
in a session of its own so that stopping it (SIGTERM, then SIGKILL) takes its children too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_tls_context():
    """One ``ssl.SSLContext`` for every call of a ``gradio_client.Client`` (``ssl_verify=``).

    gradio_client makes a new httpx client for the upload, the request and each result file,
    and httpx builds a new TLS context for each (it loads the CA bundle: about 18 ms of CPU)
    unless it is handed one: ``ssl_verify`` is passed on to httpx as ``verify=``. The shared
    context verifies certificates as the default does (same CA bundle)."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """VmRSS of ``pid`` and all its descendants, in MiB (from /proc: no psutil)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    total_kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        with contextlib.suppress(OSError):  # exited between listing and reading
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
    return total_kb / 1024


class ServerError(RuntimeError):
    """app.py did not come up (its log's tail is in the message)."""


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ServerError(f"app.py exited with {proc.returncode}:\n{log_tail(log)}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        time.sleep(0.5)
    raise ServerError(f"app.py did not answer at {url} within {timeout:.0f} s:\n{log_tail(log)}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (its own session), SIGKILL if it lingers."""
    for sig, grace in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)


@contextlib.contextmanager
def serve(checkpoint: str, port: int, max_queue: int, workdir: Path,
          timeout: float = 180) -> Iterator[tuple[subprocess.Popen, str]]:
    """Run app.py on 127.0.0.1:port until the block exits: (process, url)."""
    # Private Gradio folders and cwd: nothing lands in the repo or the shared /tmp/gradio.
    env = {**os.environ, "GRADIO_TEMP_DIR": str(workdir / "gradio"), "PYTHONUNBUFFERED": "1",
           "GRADIO_EXAMPLES_CACHE": str(workdir / "examples-cache"), "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "TOKENIZERS_PARALLELISM": "false"}
    cmd = [sys.executable, str(ROOT / "app.py"), "--checkpoint", checkpoint, "--host", "127.0.0.1",
           "--port", str(port), "--max-queue", str(max_queue)]
    log = workdir / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_ready(proc, url, log, timeout)
        yield proc, url
    finally:
        _stop(proc)
