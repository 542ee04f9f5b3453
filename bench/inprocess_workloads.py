"""W1-W5 of ``bench/workloads.py`` in-process: CPU time per request of docframe and of the raw reference.

Both ASGI apps are called directly (no socket, no wrk) with the same requests ``workloads.py`` sends
(random names and offsets from one seed), on copies of the same 100,000-row databases. It prints
the CPU time of this process per request (all threads, ``time.process_time``), median of
``--reps`` rounds, and the ratio raw / docframe (what the throughput ratio would be on a core of
their own, minus the server's HTTP parsing, which both share). ``--profile W2`` runs that workload
under cProfile with the request threads run inline (so the profile sees the unit of work) and
prints the top functions and own time by file. ``bench/workloads.py`` stays the measure; this is for
finding where the time goes, and is much less sensitive to other load on the machine.

Usage: ``python bench/inprocess_workloads.py [--rows 100000] [--requests 2000] [--reps 3]
[--workloads W1,W2,W3,W4,W5] [--profile W2] [--cache DIR]``
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from inprocess import print_own_time_by_file  # noqa: E402
from workloads import (  # noqa: E402
    AUTH,
    SITE,
    build_docframe_site,
    build_raw_db,
    copy_site,
    count_path,
    list_path,
    make_rows,
)

Request = tuple[str, str, bytes]
CLOCK = time.thread_time if os.environ.get("BENCH_THREAD_TIME") else time.process_time


def requests_for(workload: str, rows: int, n: int, seed: int = 7) -> list[Request]:
    """``n`` requests of ``workload`` (method, path with query, body), as the wrk scripts make them."""
    rng = random.Random(seed)
    out: list[Request] = []
    for i in range(1, n + 1):
        name = f"TD-{rng.randint(1, rows):06d}"
        if workload == "W1":
            out.append(("GET", f"/api/resource/ToDo/{name}", b""))
        elif workload == "W2":
            out.append(("GET", f"{list_path()}&limit_start={rng.randint(0, 999)}", b""))
        elif workload == "W3":
            body = f'{{"description": "bench created {i}", "status": "Open", "priority": "Medium", "allocated_to": "Administrator"}}'
            out.append(("POST", "/api/resource/ToDo", body.encode()))
        elif workload == "W4":
            out.append(
                ("PUT", f"/api/resource/ToDo/{name}", f'{{"description": "bench updated {i}"}}'.encode())
            )
        else:
            out.append(("GET", count_path(), b""))
    return out


def scope_for(method: str, target: str, body: bytes) -> dict[str, Any]:
    path, _, query = target.partition("?")
    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", AUTH.encode()),
        (b"accept", b"application/json"),
        (b"content-type", b"application/json"),
    ]
    if body:
        headers.append((b"content-length", str(len(body)).encode()))
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": unquote(path), "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip


async def call(app: Any, req: Request) -> tuple[int, bytes]:
    method, target, body = req
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        else:
            chunks.append(message.get("body", b""))

    await app(scope_for(method, target, body), receive, send)
    return status, b"".join(chunks)


async def run_all(app: Any, reqs: list[Request]) -> float:
    """CPU seconds per request for ``reqs`` run one after another."""
    status, body = await call(app, reqs[0])
    if not 200 <= status < 300:
        raise SystemExit(f"status {status}: {body[:500]!r}")
    started = CLOCK()
    for req in reqs:
        status, body = await call(app, req)
        if not 200 <= status < 300:
            raise SystemExit(f"status {status}: {body[:500]!r}")
    return (CLOCK() - started) / len(reqs)


def inline_threads() -> None:
    """Run request threads' work inline (so cProfile, which follows one thread, sees it)."""
    from docframe.concurrency import RequestThreads

    async def run(self: Any, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    RequestThreads.run = run  # type: ignore[method-assign]


def prepare(cache: Path, rows: int) -> tuple[Path, Path]:
    raw_db, sites = cache / "raw.db", cache / "pristine-sites"
    if not (raw_db.exists() and sites.exists()):
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        print(f"building {rows} rows in {cache}...", file=sys.stderr)
        build_raw_db(raw_db, make_rows(rows))
        build_docframe_site(sites, raw_db)
    return raw_db, sites


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    parser.add_argument("--profile")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--dump", help="with --profile: also write the raw cProfile stats to this file")
    parser.add_argument("--no-raw", action="store_true")
    parser.add_argument("--inline", action="store_true", help="run request threads inline")
    parser.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "df-inproc-workloads"))
    args = parser.parse_args()
    raw_db, pristine = prepare(Path(args.cache) / str(args.rows), args.rows)
    os.environ.pop("DOCFRAME_SITE", None)
    import raw_app

    from docframe.app import create_app

    if args.inline or args.profile:
        inline_threads()
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory(prefix="df-inproc-") as tmp:
        work = Path(tmp)
        shutil.copy(raw_db, work / "raw.db")
        raw = raw_app.RawApp(str(work / "raw.db"))
        copy_site(pristine, work / "sites")
        app = create_app(work / "sites", SITE, forced_site=SITE)
        warm = requests_for("W1", args.rows, 200, seed=3)
        loop.run_until_complete(run_all(app, warm))
        if args.profile:
            reqs = requests_for(args.profile, args.rows, args.requests)
            loop.run_until_complete(run_all(app, reqs[:200]))
            profiler = cProfile.Profile(time.thread_time)  # CPU time: other load does not count
            profiler.enable()
            loop.run_until_complete(run_all(app, reqs))
            profiler.disable()
            stats = pstats.Stats(profiler)
            if args.dump:
                stats.dump_stats(args.dump)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print_own_time_by_file(stats, len(reqs), args.top)
            return
        for workload in args.workloads.split(","):
            ours, theirs = [], []
            for rep in range(args.reps):
                reqs = requests_for(workload, args.rows, args.requests, seed=7 + rep)
                if not args.no_raw:
                    theirs.append(loop.run_until_complete(run_all(raw, reqs)) * 1e6)
                ours.append(loop.run_until_complete(run_all(app, reqs)) * 1e6)
            line = f"{workload}: docframe {statistics.median(ours):7.1f} µs/req ({', '.join(f'{v:.0f}' for v in ours)})"
            if theirs:
                ref = statistics.median(theirs)
                line += f"  raw {ref:7.1f} ({', '.join(f'{v:.0f}' for v in theirs)})  raw/docframe {ref / statistics.median(ours):.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
