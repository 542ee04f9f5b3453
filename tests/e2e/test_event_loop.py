"""The event loop stays free: slow requests run in request threads, so a quick one is answered first.

Against a real ``docframe serve`` process (one worker, default settings) on every backend: two
connections call a whitelisted method that keeps its unit of work busy (a read transaction open, a
query run, then blocking; a read, so SQLite's single writer lock is not what is tested) until the
test releases it; while both are held, a GET by name on a third
connection must complete. Ordering is asserted, not a timing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from docframe.db.provision import drop_database
from tests.conftest import api_key_for, free_port, make_site, stop_server

APP = "tests.e2e.slowapp"
#: Generous bound on waiting for a server-side step; the assertion is about order, not this time.
WAIT_SECONDS = 20.0


@contextmanager
def serve(sites_root: Path, site_name: str) -> Iterator[str]:
    """A ``docframe serve`` process (one worker) for ``site_name``; yields its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "serve", "--port", str(port), "--site", site_name],
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/api/method/ping", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                output = proc.stdout.read().decode() if proc.stdout else ""
                raise RuntimeError(f"docframe serve did not start: {output}")
            time.sleep(0.1)
        yield base
    finally:
        stop_server(proc)


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared: the held request did not start"
        time.sleep(0.01)


def test_get_by_name_is_answered_while_two_slow_requests_run(backend: str, tmp_path: Path) -> None:
    sites_root = tmp_path / "sites"
    sites_root.mkdir()
    (sites_root / "common_site_config.json").write_text("{}")
    site = make_site(sites_root, f"loop-{backend}.test", backend, {"apps": [APP]})
    auth = api_key_for(site)
    headers = {"Authorization": auth, "Accept": "application/json"}
    try:
        with serve(sites_root, site.name) as base:
            created = httpx.post(f"{base}/api/resource/ToDo", json={"description": "quick"}, headers=headers)
            assert created.status_code == 200, created.text
            name = created.json()["data"]["name"]
            hold = site.settings.site_path / "hold"
            finished: list[str] = []
            lock = threading.Lock()
            results: dict[str, httpx.Response] = {}

            def call(label: str, method: str, url: str, **kwargs: object) -> None:
                response = httpx.request(method, url, headers=headers, timeout=WAIT_SECONDS * 2, **kwargs)  # type: ignore[arg-type]
                with lock:
                    finished.append(label)
                    results[label] = response

            tokens = [secrets.token_hex(4) for _ in range(2)]
            slow = [
                threading.Thread(
                    target=call,
                    args=(f"slow-{t}", "GET", f"{base}/api/method/{APP}.api.hold"),
                    kwargs={"params": {"token": t}},
                )
                for t in tokens
            ]
            for thread in slow:
                thread.start()
            for token in tokens:  # both slow requests are inside their units of work now
                _wait_for(hold / f"{token}.started")
            call("quick", "GET", f"{base}/api/resource/ToDo/{name}")
            (hold / "release").touch()
            for thread in slow:
                thread.join(WAIT_SECONDS * 2)
            assert finished[0] == "quick", finished
            assert sorted(finished[1:]) == sorted(f"slow-{t}" for t in tokens)
            assert results["quick"].status_code == 200
            assert results["quick"].json()["data"]["description"] == "quick"
            for token in tokens:
                reply = results[f"slow-{token}"]
                assert reply.status_code == 200, reply.text
                assert reply.json()["message"] >= 1  # the held unit of work read the ToDo table
    finally:
        site.dispose()
        if backend != "sqlite":
            drop_database(site.settings.db_url)
