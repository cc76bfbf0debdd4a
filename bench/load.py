"""Load, soak and queue-overflow benchmark of the demo server, on loopback.

    python bench/load.py [--checkpoint checkpoints/ssa-demo] [--clients 32] [--requests 10]
                         [--soak 500] [--max-queue 32] [--port 0] [--quick]
                         [--out bench/results/results.json]

Starts ``app.py`` on the checkpoint as a subprocess on 127.0.0.1 (a free port unless
``--port``), with private Gradio folders and its log in a temp dir, and always stops it at the
end (errors, Ctrl-C and SIGTERM included). Every request goes to the named ``/segment``
endpoint with an example chest X-ray and its prompt (``examples/examples.json``); each client
is a ``gradio_client.Client`` of its own (its own session). Latency is client-side wall time:
upload, queue wait, model, and download of the result files. A request fails if it raises,
times out (``--timeout``), or returns a result whose image files do not decode whole.

1. load: ``--clients`` threads x ``--requests`` each, all at once: p50 / p95 / max latency,
   throughput, failures. Twice, side by side: with gradio_client's defaults, then with one
   TLS context shared by all calls (``bench.app_server.shared_tls_context``): by default each
   client builds a new one per file, 11 per request, about 0.2 s of CPU that the load
   generator takes from the server's 2 cores. Soak and busy use the shared context.
2. soak: ``--soak`` requests from ``--soak-clients`` clients; the server's resident memory
   (VmRSS of the process and its children, from /proc) every ``--sample-every`` requests.
   Growth = RSS at the end - RSS after ``--warmup`` requests. Sessions are reused on purpose:
   per-session state is bounded by design (``MAX_SESSIONS`` in app.py), and is not a leak.
3. busy: the server runs with ``--max-queue``; ``--max-queue + --busy-extra`` (16) jobs are
   submitted at once from 8 clients: accepted and refused jobs, the error the client gets,
   and the time from submit to that error.

Targets (exit status 1 if one is missed): no failed or hung request (load, soak, accepted busy
jobs); load throughput >= 4 requests/s (each client kind); RSS growth < 100 MB (MiB); at
least one busy job refused with "queue is full", each within 5 s. Results: section "load" of
``--out``, with the machine and the command line. ``--quick``: 4 clients x 2 requests, soak
30 (warm-up 10), queue 8: a smoke run (about 1.5 min with the demo checkpoint on 2 busy
cores). The default run sends ~1,200 requests: about 4 min on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.offline import go_offline  # noqa: E402

go_offline()

from bench.app_server import ServerError, free_port, log_tail, rss_mb, serve, shared_tls_context  # noqa: E402
from bench.results import RESULTS, machine, update_results  # noqa: E402

RSS_GROWTH_MB = 100.0  # target: soak growth after warm-up
THROUGHPUT_RPS = 4.0  # target: requests/s of the load phase
BUSY_ERROR_S = 5.0  # target: a refused job learns it within this
BUSY_CLIENTS = 8
COUNTS = {"clients": "load: concurrent clients", "requests": "load: requests per client",
          "soak": "soak: requests", "warmup": "soak: requests before the baseline RSS",
          "sample_every": "soak: requests between RSS samples",
          "max_queue": "the server's queue size, passed to app.py",
          "busy_extra": "busy: jobs submitted beyond the queue's size"}
DEFAULTS = {"clients": 32, "requests": 10, "soak": 500, "warmup": 50, "sample_every": 25, "max_queue": 32,
            "busy_extra": 16}
QUICK = {"clients": 4, "requests": 2, "soak": 30, "warmup": 10, "sample_every": 5, "max_queue": 8,
         "busy_extra": 16}


# -- requests -----------------------------------------------------------------------------------


def example_case() -> dict[str, str]:
    """The first example: a chest X-ray with lesions in both lungs, text naming one side."""
    case = json.loads((ROOT / "examples" / "examples.json").read_text())[0]
    return {"image": str(ROOT / "examples" / case["image"]), "text": case["text"],
            "modality": case["modality"]}


def make_clients(url: str, n: int, downloads: Path, shared_tls: bool = False) -> list:
    """``n`` clients, each with its own session. shared_tls: one TLS context for all their
    calls (see ``bench.app_server.shared_tls_context``), so that the clients, which share the
    server's 2 cores, do not spend 11 x 18 ms of CPU per request building new ones."""
    from gradio_client import Client

    options = {"ssl_verify": shared_tls_context()} if shared_tls else {}

    def connect(i: int):  # one download folder per client: identical results share a name
        return Client(url, verbose=False, download_files=downloads / f"c{i}", **options)

    with ThreadPoolExecutor(8) as pool:  # each fetches the app's config: overlap the waits
        return list(pool.map(connect, range(n)))


def submit(client, case: dict[str, str]):
    from gradio_client import handle_file

    return client.submit(handle_file(case["image"]), case["text"], case["modality"], "lung", 0.5,
                         api_name="/segment")


def check_result(result: Any) -> str | None:
    """None if the answer has its 3 outputs (mask, overlay, findings) and every image file in
    it decodes whole."""
    from PIL import Image

    if not isinstance(result, tuple | list) or len(result) != 3:
        return f"unexpected result: {type(result).__name__} of {len(result)} outputs"
    todo, paths = list(result), []
    while todo:
        item = todo.pop()
        if isinstance(item, dict | tuple | list):
            todo += item.values() if isinstance(item, dict) else item
        elif isinstance(item, str) and item.endswith((".png", ".webp", ".jpeg", ".jpg")) and os.path.isfile(item):
            paths.append(item)
    for path in paths:  # a file rewritten while it was served arrives short: decoding tells
        try:
            with Image.open(path) as image:
                image.load()
        except OSError as err:
            return f"unreadable result file {Path(path).name}: {err}"
    return None


def timed_request(client, case: dict[str, str], timeout: float) -> tuple[float, str | None]:
    """(seconds, None) or (seconds, error): one /segment call, bounded by ``timeout``."""
    t = time.perf_counter()
    job = submit(client, case)
    try:
        error = check_result(job.result(timeout=timeout))
    except FutureTimeout:
        job.cancel()
        error = f"hung: no answer within {timeout:.0f} s"
    except Exception as err:  # a failure is a figure here, not a crash
        error = f"{type(err).__name__}: {err}"
    return time.perf_counter() - t, error


def latency_stats(seconds: list[float]) -> dict[str, float | None]:
    if not seconds:
        return {"p50_s": None, "p95_s": None, "max_s": None}
    s = sorted(seconds)

    def rank(q: float) -> float:  # nearest rank: a latency some request really had
        return s[max(0, math.ceil(q * len(s)) - 1)]

    return {"p50_s": rank(0.5), "p95_s": rank(0.95), "max_s": s[-1]}


def run_requests(clients: list, total: int, case: dict, timeout: float, desc: str,
                 on_done=None) -> dict[str, Any]:
    """``total`` requests shared by one thread per client; ``on_done(n)`` after each answer."""
    lock, latencies, errors, counter = threading.Lock(), [], [], [0, 0]  # counter: taken, done

    def worker(client) -> None:
        while True:
            with lock:
                if counter[0] >= total:
                    return
                counter[0] += 1
            seconds, error = timed_request(client, case, timeout)
            with lock:
                (latencies if error is None else errors).append(seconds if error is None else error)
                counter[1] += 1
                bar.update()
                if on_done:
                    on_done(counter[1])

    with tqdm(total=total, desc=desc, unit="req", leave=False) as bar:
        threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        per_thread = -(-total // len(clients)) * (timeout + 30)  # every request is bounded
        for t in threads:
            t.join(max(1.0, t0 + per_thread - time.perf_counter()))
        wall = time.perf_counter() - t0
    hung = total - len(latencies) - len(errors)
    return {"requests": total, "failures": len(errors) + hung, "wall_s": wall,
            "throughput_rps": len(latencies) / wall, **latency_stats(latencies),
            "errors": dict(Counter(errors + ["hung thread"] * hung).most_common(5))}


# -- phases -------------------------------------------------------------------------------------


def run_load(url: str, case: dict, clients: int, requests: int, timeout: float, tmp: Path,
             shared_tls: bool = False) -> dict:
    name = "load, shared TLS" if shared_tls else "load"
    pool = make_clients(url, clients, tmp / ("load-shared-tls" if shared_tls else "load"), shared_tls)
    try:
        return {"clients": clients, "requests_per_client": requests, "shared_tls": shared_tls,
                **run_requests(pool, clients * requests, case, timeout, name)}
    finally:
        for c in pool:
            c.close()


def run_soak(url: str, pid: int, case: dict, args: argparse.Namespace, tmp: Path) -> dict:
    samples = [[0, round(rss_mb(pid), 1)]]
    warmup = min(args.warmup, args.soak)

    def sample(done: int) -> None:
        if done % args.sample_every == 0 or done in (warmup, args.soak):
            samples.append([done, round(rss_mb(pid), 1)])

    pool = make_clients(url, args.soak_clients, tmp / "soak", shared_tls=True)
    try:
        out = run_requests(pool, args.soak, case, args.timeout, "soak", sample)
    finally:
        for c in pool:
            c.close()
    at = dict(samples)
    rss_warm, rss_end = at.get(warmup, samples[0][1]), samples[-1][1]
    return {"clients": args.soak_clients, **out, "warmup_requests": warmup,
            "rss_mb_after_warmup": rss_warm, "rss_mb_end": rss_end,
            "rss_growth_mb": round(rss_end - rss_warm, 1), "rss_samples": samples}


def run_busy(url: str, case: dict, max_queue: int, extra: int, timeout: float, tmp: Path) -> dict:
    """Overfill the queue at once; every job must either finish or be refused, quickly."""
    from gradio_client.utils import QueueError

    n_jobs = max_queue + extra
    pool = make_clients(url, min(BUSY_CLIENTS, n_jobs), tmp / "busy", shared_tls=True)
    try:
        jobs, started, ended = [], [], {}
        for i in range(n_jobs):  # submit() returns at once: the upload and join run in threads
            started.append(time.perf_counter())
            jobs.append(submit(pool[i % len(pool)], case))
            jobs[-1].add_done_callback(lambda _f, i=i: ended.setdefault(i, time.perf_counter()))
        wait(jobs, timeout=timeout)
        time.sleep(0.2)  # done-callbacks run just after waiters wake
        done, refused, failed, hung = [], [], [], 0
        for i, job in enumerate(jobs):
            seconds = ended.get(i, time.perf_counter()) - started[i]
            if not job.done():
                hung += 1
                job.cancel()
            elif isinstance(job.exception(), QueueError):
                refused.append((str(job.exception()), seconds))
            elif job.exception() is not None:
                failed.append(f"{type(job.exception()).__name__}: {job.exception()}")
            elif (error := check_result(job.result())) is not None:
                failed.append(error)
            else:
                done.append(seconds)
    finally:
        for c in pool:
            c.close()
    messages = Counter(m for m, _ in refused)
    return {"max_queue": max_queue, "submitted": n_jobs, "clients": len(pool), "accepted_ok": len(done),
            "accepted_failed": len(failed), "refused": len(refused), "hung": hung,
            "error_message": messages.most_common(1)[0][0] if messages else None,
            "error_messages": dict(messages), "failures": dict(Counter(failed).most_common(5)),
            "time_to_error_s": latency_stats([s for _, s in refused]),
            "accepted_latency_s": latency_stats(done)}


# -- report -------------------------------------------------------------------------------------


def judge(load: dict, load_shared: dict, soak: dict, busy: dict) -> dict[str, dict]:
    failures = (load["failures"] + load_shared["failures"] + soak["failures"] + busy["accepted_failed"]
                + busy["hung"])
    message = (busy["error_message"] or "").lower()
    slowest = busy["time_to_error_s"]["max_s"]
    return {
        "zero_failures": {"target": 0, "value": failures, "pass": failures == 0},
        "throughput_rps": {"target": f">= {THROUGHPUT_RPS:g}", "value": round(load["throughput_rps"], 2),
                           "pass": load["throughput_rps"] >= THROUGHPUT_RPS},
        "throughput_rps_shared_tls": {"target": f">= {THROUGHPUT_RPS:g}",
                                      "value": round(load_shared["throughput_rps"], 2),
                                      "pass": load_shared["throughput_rps"] >= THROUGHPUT_RPS},
        "rss_growth_mb": {"target": f"< {RSS_GROWTH_MB:g}", "value": soak["rss_growth_mb"],
                          "pass": soak["rss_growth_mb"] < RSS_GROWTH_MB},
        "busy_error": {"target": f"'queue is full' within {BUSY_ERROR_S:g} s",
                       "value": busy["error_message"], "max_s": slowest,
                       "pass": busy["refused"] > 0 and "queue is full" in message
                       and len(busy["error_messages"]) == 1 and slowest < BUSY_ERROR_S},
    }


def _f(x: float | None, fmt: str = ".2f") -> str:
    return "-" if x is None else format(x, fmt)


def print_report(r: dict) -> None:
    print(f"\nSSA demo under load: {r['checkpoint']} · max queue {r['parameters']['max_queue']} · "
          f"server up in {r['server']['startup_s']:.1f} s, {r['server']['rss_mb_idle']:.0f} MB idle")
    print(f"{'phase':15} {'clients':>7} {'requests':>8} {'failed':>6} {'p50 s':>7} {'p95 s':>7} "
          f"{'max s':>7} {'req/s':>6}")
    for name in ("load", "load_shared_tls", "soak"):
        p = r[name]
        print(f"{name:15} {p['clients']:7d} {p['requests']:8d} {p['failures']:6d} {_f(p['p50_s']):>7} "
              f"{_f(p['p95_s']):>7} {_f(p['max_s']):>7} {_f(p['throughput_rps']):>6}")
        for error, n in p["errors"].items():
            print(f"{'':16}{n} x {error}")
    s, b = r["soak"], r["busy"]
    print(f"soak RSS: {s['rss_mb_after_warmup']:.1f} MB after {s['warmup_requests']} requests, "
          f"{s['rss_mb_end']:.1f} MB at the end: growth {s['rss_growth_mb']:+.1f} MB")
    print(f"busy: {b['submitted']} jobs at once from {b['clients']} clients: {b['accepted_ok']} done, "
          f"{b['accepted_failed']} failed, {b['hung']} hung, {b['refused']} refused in "
          f"{_f(b['time_to_error_s']['max_s'], '.3f')} s at most: {b['error_message']!r}")
    for error, n in b["failures"].items():
        print(f"       {n} x {error}")
    print(f"      accepted jobs took {_f(b['accepted_latency_s']['p50_s'])} s (p50), "
          f"{_f(b['accepted_latency_s']['max_s'])} s (max)")
    for name, t in r["targets"].items():
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {name}: {t['value']} (target {t['target']})")


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--checkpoint", default="checkpoints/ssa-demo", help="directory or hub repo id")
    for key, what in COUNTS.items():
        p.add_argument("--" + key.replace("_", "-"), type=int,
                       help=f"{what} (default {DEFAULTS[key]}; --quick: {QUICK[key]})")
    p.add_argument("--soak-clients", type=int, default=2, help="soak: concurrent clients (default 2)")
    p.add_argument("--port", type=int, default=0, help="server port (default 0: a free one)")
    p.add_argument("--timeout", type=float, default=300, help="bound on any one request, s (default 300)")
    p.add_argument("--quick", action="store_true", help="smoke run: small counts, small queue")
    p.add_argument("--out", type=Path, default=RESULTS, help="results file (section 'load')")
    args = p.parse_args(argv)
    for key, value in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if min(args.clients, args.requests, args.soak, args.soak_clients, args.sample_every, args.max_queue,
           args.busy_extra) < 1:
        p.error("counts must be at least 1")
    if max(args.clients, args.soak_clients) > args.max_queue:
        p.error("more clients than --max-queue: the load phase would be refused, not measured")
    return args


def run(args: argparse.Namespace, argv: list[str]) -> dict:
    checkpoint = Path(args.checkpoint)
    if not checkpoint.exists() and (ROOT / checkpoint).exists():
        checkpoint = ROOT / checkpoint
    checkpoint_arg = str(checkpoint.resolve()) if checkpoint.exists() else args.checkpoint
    case = example_case()
    with tempfile.TemporaryDirectory(prefix="ssa-load-", ignore_cleanup_errors=True) as tmp_name:
        tmp = Path(tmp_name)
        t0 = time.perf_counter()
        with serve(checkpoint_arg, args.port or free_port(), args.max_queue, tmp) as (proc, url):
            server = {"startup_s": time.perf_counter() - t0, "rss_mb_idle": rss_mb(proc.pid)}
            load = run_load(url, case, args.clients, args.requests, args.timeout, tmp)
            load_shared = run_load(url, case, args.clients, args.requests, args.timeout, tmp, shared_tls=True)
            server["rss_mb_after_load"] = rss_mb(proc.pid)
            soak = run_soak(url, proc.pid, case, args, tmp)
            busy = run_busy(url, case, args.max_queue, args.busy_extra, args.timeout, tmp)
            server["rss_mb_after_busy"] = rss_mb(proc.pid)
        targets = judge(load, load_shared, soak, busy)
        if not all(t["pass"] for t in targets.values()):  # the log goes with the temp dir
            server["log_tail"] = log_tail(tmp / "server.log", 30).splitlines()
    return {"benchmark": "load", "command": "python bench/load.py " + " ".join(argv),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "checkpoint": args.checkpoint, "example": Path(case["image"]).name, "prompt": case["text"],
            "parameters": {k: getattr(args, k) for k in (*DEFAULTS, "soak_clients", "timeout", "quick")},
            "server": server, "load": load, "load_shared_tls": load_shared, "soak": soak, "busy": busy,
            "targets": targets,
            "pass": all(t["pass"] for t in targets.values())}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    in_main = threading.current_thread() is threading.main_thread()
    # A plain `kill` must still stop the server: SystemExit runs the finally clauses.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143)) if in_main else None
    try:
        result = run(args, argv)
    except KeyboardInterrupt:
        print("\ninterrupted: server stopped, nothing written", file=sys.stderr)
        return 130
    except ServerError as err:
        print(f"bench/load.py: {err}", file=sys.stderr)
        return 2
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    print_report(result)
    print(f"wrote {update_results('load', result, path=args.out)}")
    return 0 if result["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
