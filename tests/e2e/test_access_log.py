"""``docframe serve --access-log`` logs every request (issue 10, finding 10), with a real server process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from docframe.sites import Site
from tests.conftest import free_port


def _serve(sites_root: Path, site: Site, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "serve", "--port", str(port),
         "--site", site.name, *flags],
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/method/ping", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(proc.stdout.read().decode() if proc.stdout else "server did not start")


def _output(proc: subprocess.Popen[bytes]) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out.decode(errors="replace")


def test_access_log_lists_each_request(sqlite_site: Site, sites_root: Path) -> None:
    proc, base = _serve(sites_root, sqlite_site, "--access-log")
    try:
        assert httpx.get(f"{base}/api/resource/ToDo?marker=one").status_code == 403
        assert httpx.get(f"{base}/files/missing-{os.getpid()}.txt").status_code == 404
        httpx.post(f"{base}/api/method/login", data={"usr": "nobody@example.com", "pwd": "x"})
    finally:
        out = _output(proc)
    assert '"GET /api/resource/ToDo?marker=one HTTP/1.1" 403' in out, out
    assert f'"GET /files/missing-{os.getpid()}.txt HTTP/1.1" 404' in out, out
    assert '"POST /api/method/login HTTP/1.1" 401' in out, out
    assert "127.0.0.1" in out


def test_no_access_log_by_default(sqlite_site: Site, sites_root: Path) -> None:
    proc, base = _serve(sites_root, sqlite_site)
    try:
        httpx.get(f"{base}/api/resource/ToDo?marker=two")
    finally:
        out = _output(proc)
    assert "marker=two" not in out
