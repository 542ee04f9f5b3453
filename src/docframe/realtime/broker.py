"""Broker: how a published event travels from the code that publishes it to the sockets.

An event is an *envelope*, a dict of Frappe's ``events`` channel shape::

    {"event": "doc_update", "message": {...}, "room": "doc:ToDo/abc", "namespace": "<site>"}

docframe adds two optional keys the servers read and clients never see: ``doc``
(``[doctype, name]``: deliver only to sockets whose user can read that document) and ``snapshot``
(the deleted document's fields, to judge that read permission once the row is gone).

Without Redis (the embedded default) an envelope goes straight to the realtime servers running in
this process (:meth:`Hub.attach`). When the site has a ``redis_url`` it is published on the
``events`` channel (``realtime_channel`` in the site config renames it) and every worker's
listener (:mod:`docframe.realtime.listener`) delivers it to its own sockets, so an event published
by any worker, job runner or command reaches every socket.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from docframe.optional import redis_errors, redis_from_url
from docframe.settings import Settings

if TYPE_CHECKING:
    import redis

__all__ = ["HUB", "RUNNING", "STAT_KEYS", "Envelope", "Hub", "RunningServer", "channel_of"]

log = logging.getLogger("docframe.realtime")
Envelope = dict[str, Any]
#: What a local server registers: called on its loop with envelopes in publishing order.
Receiver = Callable[[list[Envelope]], None]
DEFAULT_CHANNEL = "events"


class RunningServer(Protocol):
    """What the stats method reads of a realtime server serving sockets in this process."""

    def stats(self) -> dict[str, int]: ...


#: The realtime servers of this process that have started serving (the stats method reads them).
#: Here rather than in :mod:`~docframe.sockets.server` so that reading it does not load Socket.IO.
RUNNING: list[RunningServer] = []
#: The counters of a running server's ``stats()``.
STAT_KEYS = ("sockets", "rooms", "engine_sessions", "queued", "websockets", "sent_direct", "sent_queued")


def channel_of(settings: Settings) -> str:
    """The Redis pub/sub channel of a site's realtime events (Frappe's ``events``)."""
    return settings.realtime_channel


class Hub:
    """This process's end of the broker: publishes envelopes, hands them to local servers."""

    def __init__(self) -> None:
        self._receivers: list[tuple[Receiver, asyncio.AbstractEventLoop]] = []
        self._clients: dict[str, redis.Redis] = {}
        self._lock = threading.Lock()

    def attach(self, receive: Receiver, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver envelopes of Redis-less sites to ``receive``, called on ``loop``."""
        self._receivers.append((receive, loop))

    def detach(self, receive: Receiver) -> None:
        """Stop delivering to ``receive``."""
        self._receivers = [(r, loop) for r, loop in self._receivers if r is not receive]

    def publish(self, settings: Settings, envelope: Envelope) -> None:
        """Send ``envelope`` to every socket of its site, wherever it is connected.

        Never raises: a realtime event is a notification, and a broken Redis must not fail the
        write that caused it (Frappe drops it likewise).
        """
        self.publish_many(settings, [envelope])

    def publish_many(self, settings: Settings, envelopes: list[Envelope]) -> None:
        """:meth:`publish` several envelopes in order: one Redis round trip, one wake-up of a server."""
        if not envelopes:
            return
        if settings.redis_url:
            try:
                channel = channel_of(settings)
                pipe = self._client(settings.redis_url).pipeline(transaction=False)
                for envelope in envelopes:
                    pipe.publish(channel, orjson.dumps(envelope))
                pipe.execute()
            except redis_errors():
                log.warning("realtime: could not publish %d events to Redis", len(envelopes), exc_info=True)
            return
        self.deliver_locally(envelopes)

    def deliver_locally(self, envelopes: list[Envelope]) -> None:
        """Hand ``envelopes`` to the realtime servers of this process (thread-safe)."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for receive, loop in list(self._receivers):
            if loop is running:  # published on the server's own thread: no wake-up needed
                loop.call_soon(receive, envelopes)
                continue
            try:
                loop.call_soon_threadsafe(receive, envelopes)
            except RuntimeError:  # that server's loop has closed
                self.detach(receive)

    def _client(self, url: str) -> redis.Redis:
        client = self._clients.get(url)
        if client is None:
            with self._lock:
                client = self._clients.get(url)
                if client is None:
                    client = redis_from_url(url, socket_timeout=1, socket_connect_timeout=1)
                    self._clients[url] = client
        return client


#: The process's hub.
HUB = Hub()
