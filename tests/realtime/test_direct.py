"""Direct sends: a fanned-out frame goes straight to a socket's WebSocket without overtaking
anything, a slow client gets a task of its own, and the connections are known by Engine.IO session.

The first tests drive :mod:`docframe.sockets.direct` with an ASGI ``send`` callable written here
(the server's transport, which a test stands in for); the last runs against a real ``docframe
serve`` with WebSocket-only and upgraded clients."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from docframe.sockets import direct
from tests.realtime.conftest import RealtimeServer, connect, run


class Transport:
    """An ASGI ``send`` that records messages and, while ``paused``, waits like a full socket buffer."""

    def __init__(self) -> None:
        self.sent: list[MutableMapping[str, Any]] = []
        self.writable = asyncio.Event()
        self.writable.set()

    async def send(self, message: MutableMapping[str, Any]) -> None:
        await self.writable.wait()
        self.sent.append(message)


def _text(message: str) -> dict[str, Any]:
    return {"type": "websocket.send", "bytes": None, "text": message}


def test_a_write_the_transport_takes_completes_without_a_task() -> None:
    async def scenario() -> None:
        transport = Transport()
        channel = direct.Channel(transport.send, None)
        assert direct.send_now(channel, _text("42/s,[1]")) is None
        assert [m["text"] for m in transport.sent] == ["42/s,[1]"]
        assert channel.busy == 0

    run(scenario())


def test_a_paused_transport_gets_a_task_and_later_sends_keep_their_order() -> None:
    async def scenario() -> None:
        transport = Transport()
        transport.writable.clear()
        channel = direct.Channel(transport.send, None)
        late = direct.send_now(channel, _text("first"))
        assert late is not None
        assert channel.busy == 1  # the server sends the next packets the queued way
        queued = asyncio.ensure_future(channel(_text("second")))
        await asyncio.sleep(0)
        assert transport.sent == []
        transport.writable.set()
        await asyncio.gather(late, queued)
        assert [m["text"] for m in transport.sent] == ["first", "second"]
        assert channel.busy == 0

    run(scenario())


def test_a_send_cancelled_while_waiting_is_no_longer_counted() -> None:
    async def scenario() -> None:
        transport = Transport()
        transport.writable.clear()
        channel = direct.Channel(transport.send, None)
        late = direct.send_now(channel, _text("never"))
        assert late is not None
        await asyncio.sleep(0)
        late.cancel()
        await asyncio.gather(late, return_exceptions=True)
        assert late.cancelled()
        assert channel.busy == 0
        assert transport.sent == []

    run(scenario())


def test_an_error_of_the_immediate_part_propagates_and_is_not_counted() -> None:
    async def broken(_message: MutableMapping[str, Any]) -> None:
        raise ConnectionResetError("gone")

    async def scenario() -> None:
        channel = direct.Channel(broken, None)
        try:
            direct.send_now(channel, _text("x"))
        except ConnectionResetError:
            pass
        else:
            raise AssertionError("the error was swallowed")
        assert channel.busy == 0

    run(scenario())


def test_connections_are_known_by_session_from_the_open_packet_or_the_query() -> None:
    async def scenario() -> None:
        channels = direct.Channels()
        fresh, upgraded, intruder = Transport(), Transport(), Transport()
        ws = channels.wrap({"type": "websocket", "query_string": b"EIO=4&transport=websocket"}, fresh.send)
        await ws({"type": "websocket.accept"})
        assert ws.open and channels.by_sid == {}
        await ws(_text('0{"sid":"abc","upgrades":[],"pingInterval":25000}'))
        assert channels.by_sid == {"abc": ws}
        up = channels.wrap({"type": "websocket", "query_string": b"EIO=4&transport=websocket&sid=def"},
                           upgraded.send)  # fmt: skip
        await up({"type": "websocket.accept"})
        await up(_text("3probe"))
        assert channels.by_sid["def"] is up
        # A second WebSocket naming a known session never takes its place.
        other = channels.wrap({"type": "websocket", "query_string": b"sid=abc"}, intruder.send)
        await other(_text("3probe"))
        assert channels.by_sid["abc"] is ws
        channels.forget(other)
        assert channels.by_sid["abc"] is ws
        await ws({"type": "websocket.close"})
        assert not ws.open
        channels.forget(ws)
        channels.forget(up)
        assert channels.by_sid == {}
        assert next(m["text"] for m in fresh.sent if m["type"] == "websocket.send").startswith("0{")

    run(scenario())


def test_websocket_clients_get_every_update_in_order_between_their_own_replies(rt: RealtimeServer) -> None:
    def stats() -> dict[str, int]:
        return dict(rt.admin.get("/api/method/docframe.methods.realtime.stats").json()["message"])

    async def scenario() -> None:
        before = stats()
        name = rt.admin.post("/api/resource/ToDo", json={"description": "watched"}).json()["data"]["name"]
        sid = str(rt.admin.cookies["sid"])
        # On the main port's /socket.io: served by the worker, whose counters the stats method reads.
        only_ws = await connect(rt.base, rt.namespace, sid=sid, transports=["websocket"])
        upgraded = await connect(rt.base, rt.namespace, sid=sid)
        socks = (only_ws, upgraded)
        for sock in socks:
            await sock.emit("doc_subscribe", "ToDo", name)
            await sock.emit("doctype_subscribe", "ToDo")
            await sock.settle()
        for i in range(20):
            response = rt.admin.put(f"/api/resource/ToDo/{name}", json={"description": f"v{i}"})
            assert response.status_code == 200, response.text
            for sock in socks:  # replies of the Engine.IO queue interleaved with the direct frames
                await sock.emit("ping")
        for sock in socks:
            await sock.wait_for("doc_update", lambda _d, s=sock: len(s.got("doc_update")) >= 20)
            await sock.settle()
            stamps = [d["modified"] for d in sock.got("doc_update") if d["name"] == name]
            assert len(stamps) == 20
            assert stamps == sorted(stamps) and len(set(stamps)) == 20
            assert len([d for d in sock.got("list_update") if d["name"] == name]) == 20
            assert len(sock.got("pong")) >= 20
            await sock.close()
        after = stats()
        assert after["sent_direct"] - before["sent_direct"] >= 40  # most went the direct way

    run(scenario())
