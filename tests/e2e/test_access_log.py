"""``docframe serve --access-log`` logs every request (issue 10, finding 10), with a real server process."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx

from docframe.sites import Site
from tests.conftest import start_server


def _serve(sites_root: Path, site: Site, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    return start_server(sites_root, site.name, *flags, output=subprocess.PIPE)


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
