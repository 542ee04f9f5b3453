"""Direct: send a fanned-out event straight to a socket's WebSocket, past Engine.IO's queue.

python-engineio sends every packet through a per-socket queue drained by a writer task: one
``queue.put``, one task wake-up (with an ``asyncio.wait_for`` timer), one ``Packet.encode`` and one
ASGI ``websocket.send`` per packet and socket. For a room of hundreds of sockets that is most of
the cost of an event. This module keeps, per WebSocket connection, the ASGI ``send`` callable
(the server's only handle on a socket's transport that ASGI makes public) under the Engine.IO
session id it belongs to, so the realtime server can hand an already-encoded frame text to it.

The direct way is taken only when it cannot reorder anything: the socket is upgraded to the
WebSocket (not mid-upgrade, not closing), nothing waits in its Engine.IO queue or is taken from
it and not yet written (the queue's unfinished count), and no earlier send on the connection is
still waiting for the transport (a slow client). Otherwise the packet goes the usual way, behind
what is already queued.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import Callable, Coroutine, Generator, MutableMapping
from typing import Any
from urllib.parse import parse_qs

import orjson

__all__ = ["Channel", "Channels", "send_now"]

Send = Callable[[MutableMapping[str, Any]], Coroutine[Any, Any, None]]


class Channel:
    """One WebSocket connection's ASGI ``send`` (as handed to Engine.IO), counting sends in progress."""

    __slots__ = ("busy", "eio_sid", "known_sid", "open", "raw")

    def __init__(self, raw: Send, known_sid: str | None) -> None:
        self.raw = raw
        self.busy = 0
        #: The Engine.IO session: from the query string (an upgrade) or the OPEN packet sent.
        self.known_sid = known_sid
        self.eio_sid: str | None = None
        #: Set once the server has accepted the WebSocket, until it closes it.
        self.open = False

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        kind = message.get("type")
        if kind != "websocket.send":
            if kind == "websocket.accept":
                self.open = True
            elif kind == "websocket.close":
                self.open = False
        self.busy += 1
        try:
            await self.raw(message)
        finally:
            self.busy -= 1


class Channels:
    """The WebSocket connections of one server, by Engine.IO session id."""

    def __init__(self) -> None:
        self.by_sid: dict[str, Channel] = {}

    def wrap(self, scope: MutableMapping[str, Any], send: Send) -> Channel:
        """The ``send`` to hand the Engine.IO app for a WebSocket scope."""
        query = parse_qs(bytes(scope.get("query_string") or b"").decode("latin-1"))
        sids = query.get("sid")
        return _Learning(self, send, sids[0] if sids else None)

    def forget(self, channel: Channel) -> None:
        """Drop a connection that has ended."""
        channel.open = False
        if channel.eio_sid is not None and self.by_sid.get(channel.eio_sid) is channel:
            del self.by_sid[channel.eio_sid]


class _Learning(Channel):
    """A :class:`Channel` that registers itself under its session id at its first frame."""

    __slots__ = ("channels",)

    def __init__(self, channels: Channels, raw: Send, known_sid: str | None) -> None:
        super().__init__(raw, known_sid)
        self.channels = channels

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if self.eio_sid is None and message.get("type") == "websocket.send":
            sid = self.known_sid or _open_sid(message.get("text"))
            if sid is not None:
                self.eio_sid = sid
                # Never displace a live connection's entry (a second WebSocket naming its sid).
                self.channels.by_sid.setdefault(sid, self)
        await super().__call__(message)


def send_now(channel: Channel, message: MutableMapping[str, Any]) -> asyncio.Task[None] | None:
    """Send ``message`` on ``channel`` up to its first wait, here and now; the rest, if any, in a task.

    A write that the transport takes completes without waiting, so a fan-out loop neither gives
    the event loop up nor makes a task per socket; one client that reads too slowly (its transport
    paused) gets a task for its frame and holds up no other socket. Errors of the immediate part
    propagate.
    """
    channel.busy += 1
    coro = channel.raw(message)
    try:
        blocked_on = coro.send(None)
    except StopIteration:
        channel.busy -= 1
        return None
    except BaseException:
        channel.busy -= 1
        raise
    return asyncio.ensure_future(_resume(channel, coro, blocked_on))


@types.coroutine
def _resume(channel: Channel, coro: Coroutine[Any, Any, None], blocked_on: Any) -> Generator[Any, Any, None]:
    """Hand a started send to a task: first the future it waits for, then the rest of it."""
    try:
        try:
            yield blocked_on
        except BaseException:  # cancelled while waiting: let the send clean up, then go
            coro.close()
            raise
        yield from coro.__await__()
    finally:
        channel.busy -= 1


def _open_sid(text: Any) -> str | None:
    """The session id in an Engine.IO OPEN packet (``0{"sid": ...}``), if ``text`` is one."""
    if not isinstance(text, str) or not text.startswith("0{"):
        return None
    try:
        sid = orjson.loads(text[1:]).get("sid")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return sid if isinstance(sid, str) else None
