"""Webhooks: what one enabled webhook costs ``insert_many`` of 1,000 ToDos, and deliveries per second.

In a temporary sites folder, ``docframe new-site`` creates two identical SQLite sites
(``insert_many_limit`` raised to the batch size): ``bench`` without webhooks and ``bench-hooked`` with
one enabled Webhook (``after_insert`` on ToDo, two data rows, signed with a secret). One ``docframe
serve --no-scheduler`` worker serves both (the scheduler is off so that only the measured work runs),
and a local receiver (a threaded ``http.server`` on 127.0.0.1 in this process, keep-alive, answering
200 at once) takes the deliveries. After a warm-up call on each, ``--runs`` rounds each measure one
``frappe.client.insert_many`` call of ``--docs`` ToDos on ``bench`` and one on ``bench-hooked``. On
the hooked site the call also writes the outbox (one ``Webhook Outbox`` row holding the 1,000
deliveries) in its transaction and queues one delivery job, which then runs in the server's thread
pool; the benchmark waits until the receiver has all the deliveries and every log row says
``Success``, and reports deliveries per second from the end of the call to that point.

Prints a markdown table on stdout (progress on stderr). Usage:
``.venv/bin/python bench/webhooks.py [--runs 5] [--docs 1000] [--keep]``. Speed is reported, never
asserted; the exit status is 1 when a check failed (a call not 200, deliveries missing or not
``Success``), 2 when the harness could not run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from insert_many import METHOD, PASSWORD, SITE, api_key, batch, check, create_site
from workers import docframe, free_port, stop

PYTHON = sys.executable


class Receiver:
    """Counts POSTs; answers 200 with a tiny body."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real receiver would offer
            disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stall

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.count += 1
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def serve(sites: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``docframe serve --no-scheduler`` (one worker, every site of the folder: the header picks it), waited for."""
    with log.open("ab") as out:
        proc = subprocess.Popen([PYTHON, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--port", str(port),
                                 "--workers", "1", "--no-scheduler"], stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            ping = httpx.get(
                f"http://127.0.0.1:{port}/api/method/ping", headers={"X-Frappe-Site-Name": SITE}, timeout=1
            )
            if ping.status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"docframe serve did not start:\n{log.read_text()[-2000:]}")


def successes(client: httpx.Client) -> int:
    """How many Webhook Request Log rows say Success."""
    response = client.get("/api/method/frappe.client.get_count",
                          params={"doctype": "Webhook Request Log", "filters": '{"status": "Success"}'})  # fmt: skip
    return int(response.json()["message"])


def timed_insert(client: httpx.Client, label: str, count: int, problems: list[str]) -> float:
    """One insert_many call; its wall time."""
    body = batch(label, count)
    start = time.perf_counter()
    response = client.post(METHOD, content=body, headers={"Content-Type": "application/json"})
    response.read()
    elapsed = time.perf_counter() - start
    problem = check(response, count)
    if problem:
        problems.append(f"{label}: {problem}")
    return elapsed


HOOKED = "bench-hooked"


def make_sites(sites: Path, count: int) -> None:
    """Two identical SQLite sites: ``bench`` (no webhook) and ``bench-hooked`` (one enabled webhook)."""
    create_site(sites, None, count)
    docframe(sites, "new-site", HOOKED, "--admin-password", PASSWORD)
    path = sites / HOOKED / "site_config.json"
    config = json.loads(path.read_text())
    config["insert_many_limit"] = count
    path.write_text(json.dumps(config, indent=1) + "\n")


def client_for(port: int, site: str) -> httpx.Client:
    """An Administrator client (API key) for ``site`` on the server."""
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=300, headers={"X-Frappe-Site-Name": site}
    )
    client.headers["Authorization"] = api_key(client)
    return client


def run(sites: Path, runs: int, count: int) -> tuple[list[float], list[float], list[float], list[str]]:
    """(seconds without webhook, seconds with, deliveries/s, problems)."""
    make_sites(sites, count)
    receiver = Receiver()
    port = free_port()
    proc = serve(sites, port, sites / "serve.log")
    off: list[float] = []
    on: list[float] = []
    rates: list[float] = []
    problems: list[str] = []
    clients: list[httpx.Client] = []
    try:
        plain, hooked = client_for(port, SITE), client_for(port, HOOKED)
        clients += [plain, hooked]
        hook = {"name": "bench-hook", "webhook_doctype": "ToDo", "webhook_docevent": "after_insert",
                "request_url": receiver.url, "enabled": 1, "enable_security": 1, "webhook_secret": "bench-secret",
                "webhook_data": [{"fieldname": "name", "key": "name"}, {"fieldname": "description", "key": "d"}]}  # fmt: skip
        hooked.post("/api/v2/document/Webhook", json=hook).raise_for_status()
        timed_insert(plain, "warm-up", count, problems)
        timed_insert(hooked, "warm-up", count, problems)
        wait_delivered(hooked, receiver, count, problems, "warm-up")
        for index in range(runs):
            off.append(timed_insert(plain, f"off {index}", count, problems))
            done_before = receiver.count
            on.append(timed_insert(hooked, f"on {index}", count, problems))
            sent = time.perf_counter()
            wait_delivered(hooked, receiver, done_before + count, problems, f"on {index}")
            rates.append(count / (time.perf_counter() - sent))
            print(f"  round {index}: off {off[-1]:.3f} s, on {on[-1]:.3f} s, {rates[-1]:,.0f} deliveries/s",
                  file=sys.stderr)  # fmt: skip
    finally:
        for client in clients:
            client.close()
        stop(proc)
        receiver.server.shutdown()
    return off, on, rates, problems


def wait_delivered(
    client: httpx.Client, receiver: Receiver, total: int, problems: list[str], label: str
) -> None:
    """Wait until the receiver has ``total`` requests and as many log rows say Success."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and (receiver.count < total or successes(client) < total):
        time.sleep(0.05)
    if receiver.count != total or successes(client) != total:
        problems.append(f"{label}: {receiver.count} received, {successes(client)} Success, not {total}")


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    sites = Path(tempfile.mkdtemp(prefix="dfwebhooks-"))
    try:
        off, on, rates, problems = run(sites, args.runs, args.docs)
    except (subprocess.CalledProcessError, RuntimeError, httpx.HTTPError) as exc:
        print(f"the harness failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(sites, ignore_errors=True)
    slower = statistics.median(on) / statistics.median(off) - 1
    print(f"| insert_many of {args.docs:,} ToDos (SQLite) | median s/call | min s | max s |")
    print("|---|---:|---:|---:|")
    print(f"| no enabled webhook | {statistics.median(off):.3f} | {min(off):.3f} | {max(off):.3f} |")
    print(f"| one enabled webhook | {statistics.median(on):.3f} | {min(on):.3f} | {max(on):.3f} |")
    print(f"\nslower with the webhook: {slower:+.1%} (median); deliveries/s to a local receiver: "
          f"median {statistics.median(rates):,.0f} (min {min(rates):,.0f}, max {max(rates):,.0f})")  # fmt: skip
    print("checks: " + ("; ".join(problems) if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
