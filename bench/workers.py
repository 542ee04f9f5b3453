"""Worker scaling and operational overhead on PostgreSQL (+ Redis), measured with wrk.

Runs, in one invocation and on one freshly created PostgreSQL site:

* GET one document by name (token auth) with ``docframe serve --workers 1, 2, 4`` and Redis;
* one worker without Redis, with Redis, with the site-wide rate limiter on, and with the API request
  log on, each reported as a ratio to the one-worker Redis run.

Usage: ``.venv/bin/python bench/workers.py [--duration 5] [--connections 32]``. Needs wrk, PostgreSQL
on 127.0.0.1:5432 and Redis on 127.0.0.1:6379. Speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass(frozen=True)
class Setup:
    """One server configuration to measure."""

    name: str
    workers: int
    redis: bool = True
    rate_limit: bool = False
    request_log: bool = False


SETUPS = (
    Setup("1 worker, Redis", 1),
    Setup("2 workers, Redis", 2),
    Setup("4 workers, Redis", 4),
    Setup("1 worker, no Redis", 1, redis=False),
    Setup("1 worker, Redis, rate limit on", 1, rate_limit=True),
    Setup("1 worker, Redis, request log on", 1, request_log=True),
)


def docframe(sites: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the docframe CLI."""
    return subprocess.run([PYTHON, "-m", "docframe.cli.main", "--sites", str(sites), *args],
                          capture_output=True, text=True, timeout=300, check=True)  # fmt: skip


def make_site(sites: Path) -> tuple[str, str, str]:
    """Create a PostgreSQL site with one ToDo and an Administrator API key; returns (site, doc, auth)."""
    db = f"dfbench_{secrets.token_hex(4)}"
    docframe(
        sites,
        "new-site",
        "bench",
        "--admin-password",
        "bench",
        "--db-url",
        f"postgresql://postgres@127.0.0.1/{db}",
    )
    port = free_port()
    proc = serve(sites, 1, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            client.post("/api/method/login", json={"usr": "Administrator", "pwd": "bench"})
            keys = client.post(
                "/api/method/frappe.core.doctype.user.user.generate_keys", json={"user": "Administrator"}
            ).json()["message"]
            doc = client.post("/api/resource/ToDo", json={"description": "bench"}).json()["data"]["name"]
    finally:
        stop(proc)
    return "bench", doc, f"token {keys['api_key']}:{keys['api_secret']}"


def configure(sites: Path, setup: Setup) -> None:
    """Write the site config for ``setup``."""
    path = sites / "bench" / "site_config.json"
    config = json.loads(path.read_text())
    config.pop("redis_url", None)
    config.pop("rate_limit", None)
    if setup.redis:
        config["redis_url"] = "redis://127.0.0.1:6379/5"
    if setup.rate_limit:
        config["rate_limit"] = {"limit": 1_000_000, "window": 3600}
    path.write_text(json.dumps(config))


def free_port() -> int:
    """An unused local port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(sites: Path, workers: int, port: int) -> subprocess.Popen[bytes]:
    """Start ``docframe serve`` and wait until it answers."""
    proc = subprocess.Popen([PYTHON, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--port", str(port),
                             "--workers", str(workers)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/method/ping", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("docframe serve did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def set_request_log(port: int, auth: str, on: bool) -> None:
    """Turn System Settings ``log_api_requests`` on or off."""
    response = httpx.put(f"http://127.0.0.1:{port}/api/resource/System Settings/System Settings",
                         json={"log_api_requests": int(on)}, headers={"Authorization": auth})  # fmt: skip
    response.raise_for_status()


def wrk(url: str, auth: str, duration: int, connections: int) -> tuple[float, int]:
    """Requests per second and non-2xx count of one wrk run."""
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "-H", f"Authorization: {auth}", url],
                         capture_output=True, text=True, timeout=duration + 60, check=True).stdout  # fmt: skip
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, int(bad.group(1)) if bad else 0


def main() -> int:
    """Run every setup and print a markdown table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    sites = Path(tempfile.mkdtemp(prefix="dfworkers-"))
    site, doc, auth = make_site(sites)
    results: list[tuple[Setup, float, int]] = []
    for setup in SETUPS:
        configure(sites, setup)
        port = free_port()
        proc = serve(sites, setup.workers, port)
        try:
            set_request_log(port, auth, setup.request_log)
            url = f"http://127.0.0.1:{port}/api/resource/ToDo/{doc}"
            wrk(url, auth, 1, args.connections)  # warm-up
            rate, bad = wrk(url, auth, args.duration, args.connections)
        finally:
            set_request_log(port, auth, False) if setup.request_log else None
            stop(proc)
        results.append((setup, rate, bad))
        print(f"  {setup.name:36} {rate:9.1f} req/s  non-2xx {bad}", file=sys.stderr)
    base = results[0][1]
    print("| setup | req/s | ratio to 1 worker + Redis | non-2xx |")
    print("|---|---:|---:|---:|")
    for setup, rate, bad in results:
        print(f"| {setup.name} | {rate:,.0f} | {rate / base:.2f} | {bad} |")
    from docframe.db.provision import drop_database

    drop_database(json.loads((sites / site / "site_config.json").read_text())["db_url"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
