"""Bad input on the wire and a bounded soak: malformed packets never take the worker or other
sockets down, and thousands of connects and disconnects leave no sockets, rooms or memory behind."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import websockets

from tests.realtime.conftest import PASSWORD, RealtimeServer, connect, login, new_user, run

GARBAGE: list[str | bytes] = [
    "4",
    "40",
    "4{",
    "42/rt.test,[",
    "42/rt.test,{}",
    '42/rt.test,["doc_subscribe",{"$":1},[null]]',
    '42/rt.test,[{"not":"an event name"}]',
    '42/rt.test,123["ping"]',
    '45-/rt.test,["doc_open",{"_placeholder":true,"num":7}]',
    "43/rt.test,999[]",
    "41/rt.test,",
    "9999999",
    b"\x00\xff\xfe binary junk",
    "42/rt.test," + '["doctype_subscribe","' + "x" * 200_000 + '"]',
]


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_malformed_packets_do_not_hurt_other_sockets(rt: RealtimeServer) -> None:
    user = new_user(rt)
    sid = login(rt.base, user, PASSWORD)
    ws_url = f"ws://127.0.0.1:{rt.socket_port}/socket.io/?EIO=4&transport=websocket"

    async def scenario() -> None:
        bystander = await connect(rt.socket_url, rt.namespace, sid=sid)
        await bystander.emit("doctype_subscribe", "ToDo")
        for frame in GARBAGE:
            try:
                async with websockets.connect(ws_url, additional_headers={"Cookie": f"sid={sid}"}) as ws:
                    await ws.recv()  # the Engine.IO open packet
                    await ws.send("40/rt.test,")
                    await ws.send(frame)
                    await ws.send("2")  # an Engine.IO ping: the connection may or may not survive
                    await asyncio.wait_for(ws.recv(), timeout=2)
            except (websockets.ConnectionClosed, TimeoutError):
                pass
            await bystander.settle()
        assert bystander.client.connected
        name = rt.admin.post(
            "/api/resource/ToDo", json={"description": "after garbage", "allocated_to": user}
        ).json()["data"]["name"]
        assert await bystander.wait_for("list_update", lambda d: d["name"] == name)
        await bystander.close()

    run(scenario())


def test_soak_connects_and_disconnects_leave_nothing_behind(rt: RealtimeServer) -> None:
    user = new_user(rt)
    sid = login(rt.base, user, PASSWORD)
    name = rt.admin.post("/api/resource/ToDo", json={"description": "soak", "allocated_to": user}).json()[
        "data"
    ]["name"]

    def stats() -> dict[str, int]:
        return dict(rt.admin.get("/api/method/docframe.methods.realtime.stats").json()["message"])

    async def cycle(count: int, batch: int = 50) -> None:
        for start in range(0, count, batch):
            socks = await asyncio.gather(
                # The main port's /socket.io: the worker, whose counters and RSS are read below.
                *(connect(rt.base, rt.namespace, sid=sid) for _ in range(batch))
            )
            for i, sock in enumerate(socks):
                await sock.emit("doctype_subscribe", "ToDo")
                await sock.emit("doc_subscribe", "ToDo", name)
                await sock.emit("doc_open", "ToDo", name)
                await sock.emit("task_subscribe", f"{start + i}-{secrets.token_hex(2)}")
            await asyncio.gather(*(sock.settle() for sock in socks))
            await asyncio.gather(*(sock.close() for sock in socks))

    async def settled(baseline: dict[str, int]) -> dict[str, int]:
        deadline = time.monotonic() + 20
        now = stats()
        while time.monotonic() < deadline and now["sockets"] > baseline["sockets"]:
            await asyncio.sleep(0.2)
            now = stats()
        return now

    async def scenario() -> None:
        baseline = stats()
        await cycle(200)  # warm-up: caches, pools, allocator arenas
        await settled(baseline)
        rss_before = _rss_kib(rt.proc.pid)
        await cycle(2000)
        after = await settled(baseline)
        rss_after = _rss_kib(rt.proc.pid)
        assert after["sockets"] == baseline["sockets"]
        assert after["rooms"] == baseline["rooms"]
        assert after["engine_sessions"] <= baseline["engine_sessions"]
        assert after["websockets"] <= baseline["websockets"]
        assert rss_after - rss_before < 30 * 1024, f"RSS grew by {(rss_after - rss_before) // 1024} MiB"

    run(scenario())
