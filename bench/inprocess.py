"""In-process profile of docframe's request path: the ASGI app called directly, no socket, no wrk.

Creates the same seeded SQLite site as ``bench/run.py``, then calls the app with hand-built ASGI
scopes for each scenario and prints the mean wall time per request (µs). With ``--profile NAME`` it
runs that scenario under cProfile and prints the top functions by cumulative and by own time.
Use it to see where a request's time goes; ``bench/run.py`` stays the measure of throughput.

Usage: ``.venv/bin/python bench/inprocess.py [--requests 3000] [--profile get_by_name] [--rows 10000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ADMINISTRATOR, SCENARIOS, SITE_NAME, USERS, create_docframe_site, make_rows

from docframe.app import create_app


def print_own_time_by_file(stats: pstats.Stats, requests: int, top: int) -> None:
    """Print the profile's own time summed per source file, as a share and in µs per request."""
    by_file: dict[str, float] = {}
    for (filename, _line, _func), row in stats.stats.items():  # type: ignore[attr-defined]
        key = filename.split("site-packages/")[-1].split("/src/")[-1]
        by_file[key] = by_file.get(key, 0.0) + row[2]
    total = sum(by_file.values())
    print("own time by file (share of profiled time):")
    for key, seconds in sorted(by_file.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {seconds / total:6.1%}  {seconds / requests * 1e6:7.1f} µs/request  {key}")


def scope_for(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """A minimal HTTP ASGI scope as uvicorn builds it."""
    raw_path, _, query = path.partition("?")
    from urllib.parse import unquote

    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


async def call(app: Any, scope: dict[str, Any], body: bytes) -> int:
    """Run one request through ``app``; return its status."""
    sent = False
    status = 0

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

    await app(scope, receive, send)
    return status


async def run_scenario(
    app: Any, name: str, auth: dict[str, str], rows: list[dict[str, Any]], n: int
) -> float:
    scenario = next(s for s in SCENARIOS if s.name == name)
    path = scenario.path.format(read_doc=rows[len(rows) // 2]["name"], update_doc=rows[1]["name"])
    headers = {"host": "127.0.0.1:8000", "accept": "*/*"}
    if scenario.user:
        headers["authorization"] = auth[scenario.user]
    body = b""
    if scenario.body is not None:
        body = json.dumps(scenario.body).encode()
        headers["content-type"] = "application/json"
        headers["content-length"] = str(len(body))
    scope = scope_for(scenario.method, path, headers)
    status = await call(app, dict(scope), body)
    if not 200 <= status < 300:
        raise SystemExit(f"{name}: status {status}")
    for _ in range(50):
        await call(app, dict(scope), body)
    started = time.perf_counter()
    for _ in range(n):
        await call(app, dict(scope), body)
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--scenarios", default="ping,get_by_name,list_filtered,count,update,create")
    parser.add_argument("--profile", help="scenario to run under cProfile")
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    with tempfile.TemporaryDirectory(prefix="docframe-inproc-") as tmp:
        sites = Path(tmp) / "sites"
        auth = create_docframe_site(sites, rows, [ADMINISTRATOR, *USERS])
        app = create_app(sites, SITE_NAME)
        loop = asyncio.new_event_loop()
        if args.profile:
            loop.run_until_complete(run_scenario(app, args.profile, auth, rows, 200))
            profiler = cProfile.Profile()
            profiler.enable()
            loop.run_until_complete(run_scenario(app, args.profile, auth, rows, args.requests))
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(args.top)
            stats.sort_stats("tottime").print_stats(args.top)
            print_own_time_by_file(stats, args.requests, args.top)
            return
        for name in args.scenarios.split(","):
            us = loop.run_until_complete(run_scenario(app, name, auth, rows, args.requests))
            print(f"{name:16s} {us:8.1f} µs/request")


if __name__ == "__main__":
    main()
