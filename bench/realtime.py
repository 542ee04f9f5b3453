"""Realtime benchmark: event latency with 1,000 idle sockets, memory per socket, and the cost of
realtime on writes (W3, create).

One fresh SQLite site served by ``docframe serve`` (one worker, pinned to CPU 0), whose
``socketio_port`` is served by its sibling process ``docframe realtime`` (fed through the relay,
no Redis; pinned to CPU 1); the load and the sockets run in this process, pinned to CPU 1.
Measures:

1. **memory**: the sibling's RSS before and after 1,000 idle Socket.IO connections (WebSocket
   transport, session cookie, the site namespace) on the ``socketio_port``, per 1,000 sockets;
2. **latency** with those 1,000 sockets connected: a python-socketio client subscribed to one
   document (``doc_subscribe``) updates it over HTTP, one write at a time, and times the
   ``doc_update``. Two figures: from sending the write (an upper bound: it includes the whole
   request) and from receiving its response (the event is published right after the commit, before
   the response is written, so this one is often negative and is clamped at 0);
3. **W3 create throughput** (``POST /api/resource/ToDo``, 16 keep-alive connections) with no
   sockets, with 100 sockets subscribed to other documents' rooms, and with 100 sockets subscribed
   to the ToDo list (each create is then sent to all 100): the write worker's CPU per create and,
   apart, the sibling's. The same runs with the sockets on the main port's ``/socket.io`` (served
   by the write worker itself) for comparison (``--skip-inprocess`` to skip them);
4. the relay's **send cost**: CPU of one ``Sender.send`` of a create's two envelopes to one
   receiver, in this process.

Usage: ``.venv/bin/python bench/realtime.py [--sockets 1000] [--updates 300] [--duration 8]``.
Speed is reported, never asserted. Needs ``taskset`` for pinning (``--no-pin`` otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import os
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import socketio

ROOT = Path(__file__).resolve().parent.parent
SITE = "bench-rt.localhost"
PASSWORD = "bench-admin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


_PROFILED = """
import cProfile, signal, sys, time
from docframe.cli.main import cli
out = sys.argv.pop(1)
profiler = cProfile.Profile(time.thread_time)  # CPU of the event loop thread only
def stop(*_args):
    profiler.disable()
    profiler.dump_stats(out)
    raise SystemExit(0)
signal.signal(signal.SIGTERM, stop)
profiler.enable()
cli.main(args=sys.argv[1:], prog_name="docframe")
"""


def pin(cpu: int | None) -> list[str]:
    return ["taskset", "-c", str(cpu)] if cpu is not None and shutil.which("taskset") else []


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    base: str
    socket_port: int
    sid: str
    sites: Path
    #: The session the W3 runs' sockets connect with (Administrator's unless ``--socket-user``).
    socket_sid: str = ""
    #: The pid of the process serving ``socket_port`` (the sibling, or ``docframe realtime`` apart).
    socket_pid: int = 0
    #: Where the sibling runs (a CPU number, or "unpinned").
    socket_cpu: str = "unpinned"


def sibling_of(pid: int, timeout: float = 30) -> int:
    """The ``docframe realtime`` child of a ``docframe serve``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                try:
                    if b"realtime" in Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0"):
                        return int(child)
                except FileNotFoundError:
                    continue
        time.sleep(0.1)
    raise RuntimeError("docframe serve started no docframe realtime")


@contextmanager
def serving(
    work: Path,
    cpu: int | None,
    *,
    apart_cpu: int | None = None,
    redis_url: str | None = None,
    socket_user: bool = False,
    profile: str | None = None,
) -> Iterator[Server]:
    """A fresh site served by ``docframe serve``; with ``redis_url``, Socket.IO by ``docframe realtime``."""
    sites = work / "sites"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    cli = [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites)]
    # Under cProfile, the stats are written when uvicorn re-raises the SIGTERM below at its exit.
    profiled = [sys.executable, "-c", _PROFILED, str(profile), "--sites", str(sites)] if profile else cli
    subprocess.run([*cli, "new-site", SITE, "--admin-password", PASSWORD], env=env, check=True,
                   capture_output=True)  # fmt: skip
    if redis_url:
        config_path = sites / SITE / "site_config.json"
        config = orjson.loads(config_path.read_bytes())
        config.update(
            redis_url=redis_url, realtime_channel=f"bench-{os.getpid()}", session_prefix=f"b{os.getpid()}"
        )
        config_path.write_bytes(orjson.dumps(config))
    port, socket_port = free_port(), free_port()
    log = (work / "serve.log").open("wb")
    serve_cli = profiled
    if redis_url:
        argv = [*pin(cpu), *serve_cli, "serve", "--port", str(port), "--no-socketio-port", "--site", SITE]
    else:
        argv = [
            *pin(cpu),
            *serve_cli,
            "serve",
            "--port",
            str(port),
            "--socketio-port",
            str(socket_port),
            "--site",
            SITE,
        ]
    procs = [subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)]
    if redis_url:
        procs.append(subprocess.Popen([*pin(apart_cpu), *cli, "realtime", "--port", str(socket_port), "--site", SITE],
                                      env=env, stdout=log, stderr=subprocess.STDOUT))  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/method/ping", timeout=1).status_code == 200 and (
                    httpx.get(
                        f"http://127.0.0.1:{socket_port}/socket.io/?EIO=4&transport=polling", timeout=1
                    ).status_code
                    == 200
                ):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError((work / "serve.log").read_text())
            time.sleep(0.2)
        login = httpx.post(f"{base}/api/method/login", data={"usr": "Administrator", "pwd": PASSWORD})
        login.raise_for_status()
        admin_sid = str(login.cookies["sid"])
        socket_sid = admin_sid
        if socket_user:
            # A System Manager who is not Administrator: every event is then permission-checked.
            email = "bench-user@example.com"
            made = httpx.post(f"{base}/api/resource/User", cookies={"sid": admin_sid}, json={
                "email": email, "first_name": "Bench", "new_password": "Bench-pass-42!",
                "roles": [{"role": "System Manager"}],
            })  # fmt: skip
            made.raise_for_status()
            user_login = httpx.post(f"{base}/api/method/login", data={"usr": email, "pwd": "Bench-pass-42!"})
            user_login.raise_for_status()
            socket_sid = str(user_login.cookies["sid"])
        socket_pid = procs[1].pid if redis_url else sibling_of(procs[0].pid)
        socket_cpu = "unpinned"
        if not redis_url and apart_cpu is not None and shutil.which("taskset"):
            os.sched_setaffinity(socket_pid, {apart_cpu})
            socket_cpu = str(apart_cpu)
        elif redis_url and apart_cpu is not None and shutil.which("taskset"):
            socket_cpu = str(apart_cpu)
        yield Server(procs[0], base, socket_port, admin_sid, sites, socket_sid, socket_pid, socket_cpu)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=15)


#: The extension header the sockets send (``--no-deflate-offer`` empties it).
OFFER_DEFLATE = ["Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"]


# -- a minimal WebSocket client: thousands of idle sockets cost the client little -----------------


def _frame(text: str) -> bytes:
    payload = text.encode()
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x81, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x81, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 0x80 | 127, size)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + mask + masked


async def _read_frame(reader: asyncio.StreamReader, inflate: Any = None) -> str:
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        (size,) = struct.unpack("!H", await reader.readexactly(2))
    elif size == 127:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    data = await reader.readexactly(size)
    if first & 0x0F == 0x8:
        raise ConnectionError("closed by the server")
    if first & 0x40 and inflate is not None:  # per-message deflate
        data = inflate.decompress(data + b"\x00\x00\xff\xff")
    return data.decode(errors="replace")


class RawSocket:
    """One Socket.IO connection in the site namespace, over a hand-made WebSocket."""

    #: Whether the last connection opened had per-message deflate accepted by the server.
    deflated = False

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, inflate: Any = None
    ) -> None:
        self.reader, self.writer, self.inflate = reader, writer, inflate
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, sid: str) -> RawSocket:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write((
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            f"Sec-WebSocket-Version: 13\r\nCookie: sid={sid}\r\nOrigin: http://127.0.0.1:8000\r\n"
            # Offered as browsers offer it; whether the server takes it changes its cost per frame.
            f"{OFFER_DEFLATE[0]}\r\n"
        ).encode())  # fmt: skip
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        inflate = zlib.decompressobj(-15) if b"permessage-deflate" in head.lower() else None
        RawSocket.deflated = inflate is not None
        await _read_frame(reader, inflate)  # Engine.IO open
        writer.write(_frame(f"40/{SITE},"))
        reply = await _read_frame(reader, inflate)
        if not reply.startswith(f"40/{SITE},"):
            raise ConnectionError(reply)
        return cls(reader, writer, inflate)

    def send(self, event: str, *args: object) -> None:
        self.writer.write(_frame(f"42/{SITE}," + orjson.dumps([event, *args]).decode()))

    def idle(self) -> None:
        """Answer the server's pings in the background (an idle client)."""

        async def loop() -> None:
            try:
                while True:
                    if await _read_frame(self.reader, self.inflate) == "2":
                        self.writer.write(_frame("3"))
            except (ConnectionError, asyncio.IncompleteReadError):
                return

        self.task = asyncio.ensure_future(loop())

    def drain(self) -> None:
        """Read and drop whatever arrives (a subscribed client that keeps up with its events)."""

        async def loop() -> None:
            while await self.reader.read(1 << 16):
                pass

        self.task = asyncio.ensure_future(loop())

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
        self.writer.close()


async def open_many(count: int, port: int, sid: str) -> list[RawSocket]:
    socks: list[RawSocket] = []
    for start in range(0, count, 100):
        socks += await asyncio.gather(*(RawSocket.open(port, sid) for _ in range(min(100, count - start))))
    return socks


# -- measurements -----------------------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def latency(server: Server, updates: int) -> dict[str, float]:
    client = socketio.AsyncClient(reconnection=False)
    got: asyncio.Queue[tuple[float, dict[str, str]]] = asyncio.Queue()
    client.on("doc_update", lambda data: got.put_nowait((time.perf_counter(), data)), namespace=f"/{SITE}")
    await client.connect(f"http://127.0.0.1:{server.socket_port}", namespaces=[f"/{SITE}"],
                         headers={"Cookie": f"sid={server.sid}"}, transports=["websocket"])  # fmt: skip
    async with httpx.AsyncClient(base_url=server.base, cookies={"sid": server.sid}, timeout=30) as http:
        name = (await http.post("/api/resource/ToDo", json={"description": "watched"})).json()["data"]["name"]
        await client.call("doc_subscribe", ("ToDo", name), namespace=f"/{SITE}")
        from_send, from_response = [], []
        for i in range(updates):
            sent = time.perf_counter()
            response = await http.put(f"/api/resource/ToDo/{name}", json={"description": f"v{i}"})
            answered = time.perf_counter()
            response.raise_for_status()
            arrived, _data = await asyncio.wait_for(got.get(), timeout=10)
            from_send.append((arrived - sent) * 1000)
            from_response.append(max(0.0, arrived - answered) * 1000)
    await client.disconnect()
    return {
        "p50_from_send_ms": percentile(from_send, 50), "p99_from_send_ms": percentile(from_send, 99),
        "p50_after_response_ms": percentile(from_response, 50),
        "p99_after_response_ms": percentile(from_response, 99),
        "mean_from_send_ms": statistics.fmean(from_send),
    }  # fmt: skip


async def creates(
    server: Server, seconds: float, connections: int = 16, rate: float | None = None
) -> tuple[float, float, float]:
    """W3: ``POST /api/resource/ToDo`` on keep-alive connections, as fast as they go or at ``rate``/s.

    Returns requests per second, the write worker's CPU time per request (µs) and the Socket.IO
    process's (the sibling's) CPU time per request, µs. The CPU figures, which a crowded
    machine blurs much less than the rate. At a fixed rate the sockets' reader (this process)
    keeps up even on a crowded machine, so the server's cost per recipient is not inflated by
    full socket buffers.
    """
    body = b'{"description": "Benchmark task"}'
    request = (
        f"POST /api/resource/ToDo HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: sid={server.sid}\r\n"
        f"Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    port = int(server.base.rsplit(":", 1)[1])
    done = 0
    failures = 0
    stop_at = 0.0
    slot = 0
    paced_from = 0.0

    async def worker() -> None:
        nonlocal done, failures, slot
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < stop_at:
            if rate:
                due = paced_from + slot / rate
                slot += 1
                if due > time.perf_counter():
                    await asyncio.sleep(due - time.perf_counter())
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            if head.startswith(b"HTTP/1.1 200"):
                done += 1
            else:
                failures += 1
        writer.close()

    paced_from = time.perf_counter()
    stop_at = paced_from + 1.0  # warm-up
    await asyncio.gather(*(worker() for _ in range(connections)))
    done = failures = slot = 0
    cpu_before = cpu_seconds(server.proc.pid)
    socket_cpu_before = cpu_seconds(server.socket_pid)
    started = paced_from = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.5)  # let the last events go out: their cost belongs to these writes
    cpu = cpu_seconds(server.proc.pid) - cpu_before
    socket_cpu = cpu_seconds(server.socket_pid) - socket_cpu_before
    if failures:
        print(f"  ({failures} non-200 responses)", file=sys.stderr)
    return done / elapsed, cpu * 1_000_000 / max(done, 1), socket_cpu * 1_000_000 / max(done, 1)


async def main_async(args: argparse.Namespace, server: Server) -> dict[str, object]:
    results: dict[str, object] = {}
    if not args.skip_latency:
        await memory_and_latency(args, server, results)
    await w3(args, server, results)
    if not args.skip_inprocess:
        # The former default: the sockets on the main port's /socket.io, served by the write worker.
        port = int(server.base.rsplit(":", 1)[1])
        await w3(args, server, results, "w3_create_sockets_in_the_worker", port=port)
    results["relay_send"] = relay_send_cost()
    print(f"relay_send: {results['relay_send']}", file=sys.stderr)
    return results


def relay_send_cost(count: int = 20_000) -> dict[str, float]:
    """CPU of one ``Sender.send`` of a create's two envelopes to one receiver (read by a thread)."""
    import threading

    sys.path.insert(0, str(ROOT / "src"))
    from docframe.realtime import relay

    envelopes = [
        {"event": "doc_update", "message": {"doctype": "ToDo", "name": "0arb9hb9j9",
         "modified": "2026-12-06 03:06:12.123456"}, "room": "doc:ToDo/0arb9hb9j9",
         "namespace": SITE, "doc": ["ToDo", "0arb9hb9j9"]},
        {"event": "list_update", "message": {"doctype": "ToDo", "name": "0arb9hb9j9",
         "user": "Administrator"}, "room": "doctype:ToDo", "namespace": SITE, "doc": ["ToDo", "0arb9hb9j9"]},
    ]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="df-relay-") as tmp:
        folder = Path(tmp) / "relay"
        receiver = relay.Receiver(folder)
        got = [0]

        def read() -> None:
            while got[0] < count:
                for conn in receiver.accept():
                    conn.setblocking(True)
                    while got[0] < count:
                        conn.recv(1 << 16)
                        got[0] += 1
                time.sleep(0.001)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        sender = relay.Sender()
        sender.send(folder, envelopes)
        got[0] = 0
        sent = 0
        cpu = 0.0
        for _batch in range(count // 100):  # in batches the reader catches up with: none dropped
            started = time.thread_time()
            for _ in range(100):
                sent += sender.send(folder, envelopes)
            cpu += time.thread_time() - started
            while got[0] < sent:
                time.sleep(0.0002)
        reader.join(timeout=10)
        receiver.close()
    return {"us_per_transaction": round(cpu * 1_000_000 / count, 2), "delivered": sent / count}


async def memory_and_latency(args: argparse.Namespace, server: Server, results: dict[str, object]) -> None:
    gc.collect()
    await asyncio.sleep(1)
    # Start the sibling's Socket.IO server (and its relay socket) before the baseline.
    await (await RawSocket.open(server.socket_port, server.sid)).close()
    await asyncio.sleep(1)
    before = rss_mib(server.socket_pid)
    results["worker_rss_mib"] = round(rss_mib(server.proc.pid), 1)
    idle = await open_many(args.sockets, server.socket_port, server.sid)
    for sock in idle:
        sock.idle()
    await asyncio.sleep(3)
    after = rss_mib(server.socket_pid)
    results["sibling_rss_before_mib"], results["sibling_rss_after_mib"] = round(before, 1), round(after, 1)
    results["mib_per_1000_sockets"] = round((after - before) * 1000 / args.sockets, 1)
    print(f"memory: {results['mib_per_1000_sockets']} MiB per 1,000 idle sockets", file=sys.stderr)
    results["latency"] = await latency(server, args.updates)
    print(f"latency: {results['latency']}", file=sys.stderr)
    for sock in idle:
        await sock.close()
    await asyncio.sleep(2)


async def w3(
    args: argparse.Namespace,
    server: Server,
    results: dict[str, object],
    key: str = "w3_create",
    only: tuple[str, ...] = ("none", "100 on other documents", "100 on the ToDo list"),
    port: int | None = None,
) -> None:
    """W3 with no sockets and with 100 sockets on ``port`` (default: the ``socketio_port``)."""
    port = port or server.socket_port
    async with httpx.AsyncClient(base_url=server.base, cookies={"sid": server.sid}) as http:
        others = [(await http.post("/api/resource/ToDo", json={"description": "x"})).json()["data"]["name"]
                  for _ in range(100)]  # fmt: skip
    runs: dict[str, list[tuple[float, float, float]]] = {
        "none": [], "100 on other documents": [], "100 on the ToDo list": [],
    }  # fmt: skip
    runs = {name: values for name, values in runs.items() if name in only}
    for _round in range(args.rounds):
        runs["none"].append(await creates(server, args.duration, rate=args.rate))
        if "100 on other documents" in runs:
            socks = await open_many(100, port, server.socket_sid)
            for sock, name in zip(socks, others, strict=True):
                sock.send("doc_subscribe", "ToDo", name)
                sock.drain()
            await asyncio.sleep(1)
            runs["100 on other documents"].append(await creates(server, args.duration, rate=args.rate))
            for sock in socks:
                await sock.close()
        socks = await open_many(100, port, server.socket_sid)
        for sock in socks:
            sock.send("doctype_subscribe", "ToDo")
            sock.drain()
        await asyncio.sleep(1)
        runs["100 on the ToDo list"].append(await creates(server, args.duration, rate=args.rate))
        for sock in socks:
            await sock.close()
        await asyncio.sleep(1)
    base = statistics.median(rate for rate, _cpu, _sib in runs["none"])
    base_cpu = statistics.median(cpu for _rate, cpu, _sib in runs["none"])
    summary: dict[str, object] = {
        name: {
            "req_s": round(statistics.median(rate for rate, _cpu, _sib in values), 1),
            "runs": [round(rate) for rate, _cpu, _sib in values],
            "vs_none": round(statistics.median(rate for rate, _cpu, _sib in values) / base, 3),
            "server_cpu_us_per_create": round(statistics.median(cpu for _rate, cpu, _sib in values)),
            "cpu_runs": [round(cpu) for _rate, cpu, _sib in values],
            "cpu_vs_none": round(statistics.median(cpu for _rate, cpu, _sib in values) / base_cpu, 3),
            "socketio_process_cpu_us_per_create": round(statistics.median(sib for _r, _c, sib in values)),
        }
        for name, values in runs.items()
    }
    summary["sockets_on"] = "socketio_port" if port == server.socket_port else "main port (the worker)"
    summary["socketio_process_cpu"] = server.socket_cpu
    summary["sockets_per_message_deflate"] = RawSocket.deflated
    results[key] = summary
    print(f"{key}: {results[key]}", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=300)
    parser.add_argument("--duration", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--skip-latency", action="store_true", help="Only the W3 runs.")
    parser.add_argument("--skip-inprocess", action="store_true",
                        help="No W3 runs with the sockets on the main port (in the write worker).")  # fmt: skip
    parser.add_argument("--socket-user", action="store_true",
                        help="W3's sockets log in as a System Manager, not Administrator (every event "
                             "is then checked against that user's rights).")  # fmt: skip
    parser.add_argument("--no-deflate-offer", action="store_true",
                        help="The sockets do not offer per-message deflate (browsers do).")  # fmt: skip
    parser.add_argument("--rate", type=float, default=None,
                        help="W3 at this many creates per second instead of as fast as possible.")  # fmt: skip
    parser.add_argument(
        "--profile", metavar="FILE", help="Run the in-process server under cProfile (stats to FILE)."
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/5",
                        help="Redis for the run with docframe realtime apart ('' to skip it).")  # fmt: skip
    args = parser.parse_args()
    if args.no_deflate_offer:
        OFFER_DEFLATE[0] = ""
    server_cpu, client_cpu = (None, None) if args.no_pin else (0, 1)
    if client_cpu is not None and shutil.which("taskset"):
        os.sched_setaffinity(0, {client_cpu})
    with (
        tempfile.TemporaryDirectory(prefix="df-rt-bench-") as tmp,
        serving(
            Path(tmp), server_cpu, apart_cpu=client_cpu, socket_user=args.socket_user, profile=args.profile
        ) as server,
    ):
        results = asyncio.run(main_async(args, server))
    if args.redis:
        # The fan-out moved off the write worker: docframe realtime on the other CPU, events via Redis.
        with (
            tempfile.TemporaryDirectory(prefix="df-rt-bench-") as tmp,
            serving(
                Path(tmp),
                server_cpu,
                apart_cpu=client_cpu,
                redis_url=args.redis,
                socket_user=args.socket_user,
            ) as server,
        ):
            asyncio.run(
                w3(args, server, results, "w3_create_realtime_apart", ("none", "100 on the ToDo list"))
            )
    print(orjson.dumps(results, option=orjson.OPT_INDENT_2).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
