"""Webhooks: what one enabled webhook costs ``insert_many`` of 1,000 ToDos, and deliveries per second.

In a temporary sites folder, ``docframe new-site`` creates two identical SQLite sites
(``insert_many_limit`` raised to the batch size): ``bench`` without webhooks and ``bench-hooked`` with
one enabled Webhook (``after_insert`` on ToDo, two data rows, signed with a secret). One ``docframe
serve --no-scheduler`` worker serves both (the scheduler is off so that only the measured work runs),
and a local receiver (a threaded ``http.server`` on 127.0.0.1 in this process, keep-alive, answering
200 at once) takes the deliveries. After a warm-up call on each, ``--runs`` rounds each measure one
``frappe.client.insert_many`` call of ``--docs`` ToDos on ``bench`` and one on ``bench-hooked``: the
wall time, and the server process's CPU time during the call (all its threads, from Linux's
schedstat). On the hooked site the call also writes the outbox (one ``Webhook Outbox`` row holding
what the 1,000 deliveries need of their documents) in its transaction and queues one delivery job,
which then runs in the server's thread pool, or, with ``--redis URL`` (``redis_url`` set on both
sites), in a ``docframe worker`` process started for the hooked site; the benchmark waits until the
receiver has all the deliveries and every log row says ``Success``, and reports deliveries per
second from the end of the call to that point.

Prints a markdown table on stdout (progress on stderr). Usage:
``.venv/bin/python bench/webhooks.py [--runs 5] [--docs 1000] [--redis redis://127.0.0.1:6379/0]
[--keep]``. Speed is reported, never asserted; the exit status is 1 when a check failed (a call not
200, deliveries missing or not ``Success``), 2 when the harness could not run.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
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


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by every thread of process ``pid`` (nanosecond counters of Linux's
    schedstat; 0 elsewhere)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[0])
        except (OSError, IndexError, ValueError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def timed_insert(
    client: httpx.Client, label: str, count: int, problems: list[str], pid: int = 0
) -> tuple[float, float]:
    """One insert_many call; its wall time and the server's CPU seconds during it."""
    body = batch(label, count)
    cpu = cpu_seconds(pid)
    start = time.perf_counter()
    response = client.post(METHOD, content=body, headers={"Content-Type": "application/json"})
    response.read()
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(pid) - cpu
    problem = check(response, count)
    if problem:
        problems.append(f"{label}: {problem}")
    return elapsed, cpu


def make_sites(sites: Path, count: int, hooked: str, redis_url: str | None) -> None:
    """Two identical SQLite sites: ``bench`` (no webhook) and ``hooked`` (one enabled webhook), both
    with ``redis_url`` when given."""
    create_site(sites, None, count)
    docframe(sites, "new-site", hooked, "--admin-password", PASSWORD)
    for name in (SITE, hooked):
        path = sites / name / "site_config.json"
        config = json.loads(path.read_text())
        config["insert_many_limit"] = count
        if redis_url:
            config["redis_url"] = redis_url
        path.write_text(json.dumps(config, indent=1) + "\n")


def start_worker(sites: Path, site: str, log: Path) -> subprocess.Popen[bytes]:
    """``docframe worker --site SITE`` (RQ, a forked work horse per job, as by default)."""
    with log.open("ab") as out:
        return subprocess.Popen([PYTHON, "-m", "docframe.cli.main", "--sites", str(sites), "worker", "--site", site],
                                stdout=out, stderr=subprocess.STDOUT)  # fmt: skip


def client_for(port: int, site: str) -> httpx.Client:
    """An Administrator client (API key) for ``site`` on the server."""
    client = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", timeout=300, headers={"X-Frappe-Site-Name": site}
    )
    client.headers["Authorization"] = api_key(client)
    return client


@dataclass
class Figures:
    """What the rounds measured."""

    off: list[float] = field(default_factory=list)  # seconds per call without the webhook
    on: list[float] = field(default_factory=list)  # with it
    cpu_off: list[float] = field(default_factory=list)  # server CPU seconds during the call
    cpu_on: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)  # deliveries per second
    problems: list[str] = field(default_factory=list)


def run(sites: Path, runs: int, count: int, redis_url: str | None) -> Figures:
    """Measure ``runs`` rounds."""
    hooked_site = f"bench-hooked-{secrets.token_hex(3)}" if redis_url else "bench-hooked"
    make_sites(sites, count, hooked_site, redis_url)
    receiver = Receiver()
    port = free_port()
    proc = serve(sites, port, sites / "serve.log")
    worker = start_worker(sites, hooked_site, sites / "worker.log") if redis_url else None
    got = Figures()
    problems = got.problems
    clients: list[httpx.Client] = []
    try:
        plain, hooked = client_for(port, SITE), client_for(port, hooked_site)
        clients += [plain, hooked]
        hook = {"name": "bench-hook", "webhook_doctype": "ToDo", "webhook_docevent": "after_insert",
                "request_url": receiver.url, "enabled": 1, "enable_security": 1, "webhook_secret": "bench-secret",
                "webhook_data": [{"fieldname": "name", "key": "name"}, {"fieldname": "description", "key": "d"}]}  # fmt: skip
        hooked.post("/api/v2/document/Webhook", json=hook).raise_for_status()
        timed_insert(plain, "warm-up", count, problems)
        timed_insert(hooked, "warm-up", count, problems)
        wait_delivered(hooked, receiver, count, problems, "warm-up")
        for index in range(runs):
            wall, cpu = timed_insert(plain, f"off {index}", count, problems, proc.pid)
            got.off.append(wall)
            got.cpu_off.append(cpu)
            done_before = receiver.count
            wall, cpu = timed_insert(hooked, f"on {index}", count, problems, proc.pid)
            got.on.append(wall)
            got.cpu_on.append(cpu)
            sent = time.perf_counter()
            wait_delivered(hooked, receiver, done_before + count, problems, f"on {index}")
            got.rates.append(count / (time.perf_counter() - sent))
            print(f"  round {index}: off {got.off[-1]:.3f} s ({got.cpu_off[-1]:.3f} s CPU), "
                  f"on {got.on[-1]:.3f} s ({got.cpu_on[-1]:.3f} s CPU), {got.rates[-1]:,.0f} deliveries/s",
                  file=sys.stderr)  # fmt: skip
    finally:
        for client in clients:
            client.close()
        if worker is not None:
            stop(worker)
        stop(proc)
        receiver.server.shutdown()
    return got


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
    parser.add_argument(
        "--redis", metavar="URL", help="set redis_url on both sites; a docframe worker delivers"
    )
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    sites = Path(tempfile.mkdtemp(prefix="dfwebhooks-"))
    try:
        got = run(sites, args.runs, args.docs, args.redis)
    except (subprocess.CalledProcessError, RuntimeError, httpx.HTTPError) as exc:
        print(f"the harness failed: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(sites, ignore_errors=True)
    median = statistics.median
    where = "a `docframe worker` (Redis)" if args.redis else "the server's job threads"
    print(f"| insert_many of {args.docs:,} ToDos (SQLite), deliveries by {where} | median s/call | min s | max s "
          "| server CPU s/call (median) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|")
    for label, wall, cpu in (
        ("no enabled webhook", got.off, got.cpu_off),
        ("one enabled webhook", got.on, got.cpu_on),
    ):
        print(f"| {label} | {median(wall):.3f} | {min(wall):.3f} | {max(wall):.3f} | {median(cpu):.3f} |")
    ratios = sorted(on / off for on, off in zip(got.on, got.off, strict=True))
    print(f"\nslower with the webhook: {median(got.on) / median(got.off) - 1:+.1%} (medians); per round "
          f"{median(ratios) - 1:+.1%} (min {ratios[0] - 1:+.1%}, max {ratios[-1] - 1:+.1%}); server CPU "
          f"{median(got.cpu_on) / median(got.cpu_off) - 1:+.1%}; deliveries/s to a local receiver: median "
          f"{median(got.rates):,.0f} (min {min(got.rates):,.0f}, max {max(got.rates):,.0f})")  # fmt: skip
    print("checks: " + ("; ".join(got.problems) if got.problems else "ok"))
    return 1 if got.problems else 0


if __name__ == "__main__":
    sys.exit(main())
