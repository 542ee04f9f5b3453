"""Broker: how a published event travels from the code that publishes it to the sockets.

An event is an *envelope*, a dict of Frappe's ``events`` channel shape::

    {"event": "doc_update", "message": {...}, "room": "doc:ToDo/abc", "namespace": "<site>"}

docframe adds two optional keys the servers read and clients never see: ``doc``
(``[doctype, name]``: deliver only to sockets whose user can read that document) and ``snapshot``
(the deleted document's fields, to judge that read permission once the row is gone).

Without Redis (the embedded default) an envelope goes straight to the realtime servers running in
this process (:meth:`Hub.attach`) and, through the host's relay (:mod:`~docframe.realtime.relay`,
one message on a Unix socket per transaction), to the other processes serving sockets for the same sites
folder: the ``docframe realtime`` sibling that ``docframe serve`` runs on the ``socketio_port`` and
the other workers. When the site has a ``redis_url`` it is published on the
``events`` channel (``realtime_channel`` in the site config renames it) and every worker's
listener (:mod:`docframe.realtime.listener`) delivers it to its own sockets, so an event published
by any worker, job runner or command reaches every socket.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from docframe.optional import redis_errors, redis_from_url
from docframe.realtime import relay
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
        self._receivers: list[tuple[Receiver, asyncio.AbstractEventLoop, Path | None]] = []
        self._clients: dict[str, redis.Redis] = {}
        self._lock = threading.Lock()
        self._sender = relay.Sender()
        #: The relay directory of each sites folder published for (``relay_dir`` reads the environment).
        self._relay_dirs: dict[Path, Path] = {}
        #: This process's receiving sockets, by relay directory, and the loop each is read on.
        self._relays: dict[Path, tuple[relay.Receiver, asyncio.AbstractEventLoop]] = {}
        self._own: frozenset[bytes] = frozenset()

    def attach(
        self, receive: Receiver, loop: asyncio.AbstractEventLoop, sites_path: Path | None = None
    ) -> None:
        """Deliver envelopes of Redis-less sites to ``receive``, called on ``loop``.

        With ``sites_path``, the envelopes other processes publish for that sites folder through
        the relay as well (this process then binds its receiving socket there, read on ``loop``).
        """
        directory = relay.relay_dir(sites_path) if sites_path is not None else None
        self._receivers.append((receive, loop, directory))
        if directory is not None and directory not in self._relays:
            try:
                receiver = relay.Receiver(directory)
            except OSError:
                log.warning(
                    "realtime: cannot receive events from other processes at %s", directory, exc_info=True
                )
                return
            loop.add_reader(receiver.fileno(), self._accept, receiver, loop)
            self._relays[directory] = (receiver, loop)
            self._own = frozenset(r.path for r, _loop in self._relays.values())

    def detach(self, receive: Receiver) -> None:
        """Stop delivering to ``receive`` (and close a relay socket nobody reads any more)."""
        self._receivers = [entry for entry in self._receivers if entry[0] != receive]
        wanted = {directory for _r, _loop, directory in self._receivers}
        for directory in [d for d in self._relays if d not in wanted]:
            receiver, loop = self._relays.pop(directory)
            try:
                for fd in [receiver.fileno(), *receiver.conns]:
                    loop.remove_reader(fd)
            except (RuntimeError, ValueError):  # the loop has closed
                pass
            receiver.close()
        self._own = frozenset(r.path for r, _loop in self._relays.values())

    def publish(self, settings: Settings, envelope: Envelope) -> None:
        """Send ``envelope`` to every socket of its site, wherever it is connected.

        Never raises: a realtime event is a notification, and a broken Redis must not fail the
        write that caused it (Frappe drops it likewise).
        """
        self.publish_many(settings, [envelope])

    def publish_many(self, settings: Settings, envelopes: list[Envelope]) -> None:
        """:meth:`publish` several envelopes in order: one Redis round trip or one relay message
        per receiving process, one wake-up of a local server."""
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
        try:
            self._sender.send(self._relay_dir(settings), envelopes, self._own_paths())
        except Exception:  # a notification never fails the write
            log.warning("realtime: could not relay %d events", len(envelopes), exc_info=True)

    def deliver_locally(self, envelopes: list[Envelope], directory: Path | None = None) -> None:
        """Hand ``envelopes`` to the realtime servers of this process (thread-safe); with
        ``directory`` (relayed from another process), only to those attached to that relay."""
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for receive, loop, attached in list(self._receivers):
            if directory is not None and attached != directory:
                continue
            if loop is running:  # published on the server's own thread: no wake-up needed
                loop.call_soon(receive, envelopes)
                continue
            try:
                loop.call_soon_threadsafe(receive, envelopes)
            except RuntimeError:  # that server's loop has closed
                self.detach(receive)

    def _accept(self, receiver: relay.Receiver, loop: asyncio.AbstractEventLoop) -> None:
        """Take the connections of processes that start sending to this one (on its loop)."""
        for conn in receiver.accept():
            loop.add_reader(conn.fileno(), self._relayed, receiver, conn, loop)

    def _relayed(self, receiver: relay.Receiver, conn: Any, loop: asyncio.AbstractEventLoop) -> None:
        """Read what another process sent to this one (on its loop)."""
        messages, ended = receiver.read(conn)
        for data in messages:
            envelopes = relay.decode(data)
            if envelopes is None:
                log.warning("realtime: ignored a malformed relay message of %d bytes", len(data))
                continue
            if envelopes:
                self.deliver_locally(envelopes, receiver.directory)
        if ended:
            loop.remove_reader(conn.fileno())
            receiver.drop(conn)

    def _relay_dir(self, settings: Settings) -> Path:
        sites_path = settings.site_path.parent
        directory = self._relay_dirs.get(sites_path)
        if directory is None:
            directory = self._relay_dirs[sites_path] = relay.relay_dir(sites_path.resolve())
        return directory

    def _own_paths(self) -> frozenset[bytes]:
        """This process's relay sockets (none in a child forked from it: they are its parent's)."""
        if any(receiver.pid != os.getpid() for receiver, _loop in self._relays.values()):
            return frozenset()
        return self._own

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
