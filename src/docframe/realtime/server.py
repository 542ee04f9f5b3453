"""Server: the Socket.IO server (python-socketio, ASGI) that speaks Frappe's realtime protocol.

One :class:`RealtimeServer` per process serves every site of the sites folder, each in its own
namespace (``/<site name>``). :mod:`~docframe.realtime.handshake` decides whether a connection may
open, :mod:`~docframe.realtime.access` who it is and what it may join (in a thread: those checks
read the database and the event loop must stay free). On connect a socket joins ``user:<user>``,
``website`` and, for System Users, ``all``. Client events are Frappe's (``ping``,
``doctype_subscribe``, ``doc_subscribe``, ``doc_open``, ``task_subscribe``, ... and their
opposites); anything else is ignored, and malformed arguments are dropped without an answer.

Envelopes from the broker are delivered in order by one consumer task; an envelope about a
document skips the sockets whose user cannot read it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import engineio
import orjson
import socketio

from docframe import errors
from docframe.realtime import access, handshake, rooms
from docframe.realtime.broker import HUB, Envelope, channel_of
from docframe.realtime.publish import LOGOUT_EVENT, session_key
from docframe.sites import Site, SiteRegistry

__all__ = ["RUNNING", "RealtimeServer", "SocketState"]

log = logging.getLogger("docframe.realtime")
#: Most rooms one socket may be in (subscriptions beyond are refused): bounds a client's memory.
MAX_ROOMS_PER_SOCKET = 500
#: Most permission checks one socket may have waiting; further subscriptions are dropped.
MAX_PENDING_CHECKS = 16
#: How often sockets that vanished without a disconnect event are forgotten.
SWEEP_SECONDS = 60.0
#: The realtime servers of this process (the stats method reads them).
RUNNING: list[RealtimeServer] = []


class _Json:
    """The JSON codec of the Socket.IO packets: orjson, with ``str()`` for other values."""

    @staticmethod
    def dumps(obj: Any, **_kwargs: Any) -> str:
        return orjson.dumps(obj, default=str).decode()

    @staticmethod
    def loads(text: str | bytes, **_kwargs: Any) -> Any:
        return orjson.loads(text)


@dataclass
class SocketState:
    """What the server remembers of one connected socket."""

    site: str
    user: str
    user_type: str
    #: Digest of the session id it was opened with (to drop it at logout).
    session: str | None
    open_docs: set[tuple[str, str]] = field(default_factory=set)
    pending: int = 0


Handler = Callable[..., Awaitable[Any]]


class RealtimeServer:
    """Socket.IO for every site of a sites folder, as an ASGI app (:attr:`asgi`)."""

    def __init__(self, sites: SiteRegistry, *, path: str = "socket.io") -> None:
        self.sites = sites
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            namespaces="*",
            # Frappe's server accepts every origin at the transport level; the handshake then
            # refuses pages of another host (with credentials, so cookies reach it cross-port).
            cors_allowed_origins="*",
            cors_credentials=True,
            json=_Json,
            logger=False,
            engineio_logger=False,
            max_http_buffer_size=64 * 1024,
            # One socket's events are handled in the order sent (a subscribe, then an unsubscribe,
            # must end unsubscribed); other sockets are not held up.
            async_handlers=False,
        )
        self.asgi = socketio.ASGIApp(self.sio, socketio_path=path)
        self.sockets: dict[tuple[str, str], SocketState] = {}
        self._queue: asyncio.Queue[Envelope] | None = None
        self._listeners: dict[tuple[str, str], asyncio.Event] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._register()

    # -- ASGI --------------------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Serve one Socket.IO request or WebSocket (starting the delivery task on first use)."""
        if self._queue is None:
            self._start()
        await self.asgi(scope, receive, send)

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._spawn(self._consume())
        self._spawn(self._sweep())
        HUB.attach(self.receive, loop)
        RUNNING.append(self)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop delivering and listening (sockets are left to the server's shutdown)."""
        HUB.detach(self.receive)
        if self in RUNNING:
            RUNNING.remove(self)
        for task in list(self._tasks):
            task.cancel()

    # -- handlers ----------------------------------------------------------------------------------

    def _register(self) -> None:
        on = self.sio.on
        on("connect", namespace="*")(self._connect)
        on("disconnect", namespace="*")(self._disconnect)
        events: dict[str, Handler] = {
            "ping": self._ping,
            "doctype_subscribe": self._doctype_subscribe,
            "doctype_unsubscribe": self._doctype_unsubscribe,
            "doc_subscribe": self._doc_subscribe,
            "doc_unsubscribe": self._doc_unsubscribe,
            "doc_open": self._doc_open,
            "doc_close": self._doc_close,
            "task_subscribe": self._task_subscribe,
            "progress_subscribe": self._task_subscribe,
            "task_unsubscribe": self._task_unsubscribe,
        }
        for name, handler in events.items():
            on(name, namespace="*")(self._guarded(name, handler))

    def _guarded(self, name: str, handler: Handler) -> Handler:
        async def run(namespace: str, sid: str, *args: Any) -> Any:
            state = self.sockets.get((namespace, sid))
            if state is None:
                return None
            try:
                return await handler(namespace, sid, state, *args)
            except Exception:  # one bad event must never take the worker or other sockets down
                log.exception("realtime: %s failed", name)
                return None

        return run

    async def _connect(self, namespace: str, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        try:
            site, identity = await self._handshake(namespace, environ)
        except handshake.Refused as refused:
            raise socketio.exceptions.ConnectionRefusedError(str(refused)) from None
        state = SocketState(
            site.name, identity.user, identity.user_type, session_key(identity.sid) if identity.sid else None
        )
        self.sockets[(namespace, sid)] = state
        await self.sio.enter_room(sid, rooms.user_room(identity.user), namespace=namespace)
        await self.sio.enter_room(sid, rooms.WEBSITE, namespace=namespace)
        if identity.user_type == "System User":
            await self.sio.enter_room(sid, rooms.ALL, namespace=namespace)
        if site.settings.redis_url:
            await self._listen(site)

    async def _handshake(self, namespace: str, environ: dict[str, Any]) -> tuple[Site, access.Identity]:
        headers = handshake.headers_of(environ)
        wanted = handshake.site_name(headers, self.sites.default_site)
        if not wanted or namespace != f"/{wanted}":
            raise handshake.Refused(handshake.INVALID_NAMESPACE)
        try:
            site = self.sites.get(wanted)
        except errors.DoesNotExistError:
            raise handshake.Refused(handshake.INVALID_NAMESPACE) from None
        handshake.check_origin(headers, site.settings)
        creds = handshake.credentials(headers)
        try:
            identity = await asyncio.to_thread(access.identify, site, creds.sid, creds.authorization)
        except errors.FrappeError as exc:
            text = exc.messages[0].message if exc.messages else (str(exc) or type(exc).__name__)
            raise handshake.Refused(f"Unauthorized: {text}") from None
        return site, identity

    async def _disconnect(self, namespace: str, sid: str, *_reason: Any) -> None:
        state = self.sockets.pop((namespace, sid), None)
        if state is None:
            return
        for doctype, name in list(state.open_docs):
            await self._notify_viewers(namespace, doctype, name, state.user, leaving=sid)

    async def _ping(self, namespace: str, sid: str, state: SocketState, *_args: Any) -> str:
        await self.sio.emit("pong", to=sid, namespace=namespace)
        return "pong"

    async def _checked(self, state: SocketState, check: Callable[..., bool], *args: Any) -> bool:
        """Run a blocking permission check in a thread (refused when too many are waiting)."""
        if state.pending >= MAX_PENDING_CHECKS:
            return False
        state.pending += 1
        try:
            site = self.sites.get(state.site)
            return await asyncio.to_thread(check, site, state.user, *args)
        finally:
            state.pending -= 1

    def _room_count(self, namespace: str, sid: str) -> int:
        return sum(1 for _ in self.sio.manager.get_rooms(sid, namespace))

    async def _join(self, namespace: str, sid: str, room: str) -> None:
        if (namespace, sid) in self.sockets and self._room_count(namespace, sid) < MAX_ROOMS_PER_SOCKET:
            await self.sio.enter_room(sid, room, namespace=namespace)

    async def _doctype_subscribe(
        self, namespace: str, sid: str, state: SocketState, doctype: Any = None, *_: Any
    ) -> None:
        if access.valid_name(doctype) and await self._checked(state, access.can_read_doctype, str(doctype)):
            await self._join(namespace, sid, rooms.doctype_room(str(doctype)))

    async def _doctype_unsubscribe(
        self, namespace: str, sid: str, state: SocketState, doctype: Any = None, *_: Any
    ) -> None:
        if access.valid_name(doctype):
            await self.sio.leave_room(sid, rooms.doctype_room(str(doctype)), namespace=namespace)

    async def _doc_subscribe(
        self, namespace: str, sid: str, state: SocketState, doctype: Any = None, name: Any = None, *_: Any
    ) -> None:
        if not (access.valid_name(doctype) and access.valid_name(name)):
            return
        if await self._checked(state, access.can_read_doc, str(doctype), str(name)):
            await self._join(namespace, sid, rooms.doc_room(str(doctype), name))

    async def _doc_unsubscribe(
        self, namespace: str, sid: str, state: SocketState, doctype: Any = None, name: Any = None, *_: Any
    ) -> None:
        if access.valid_name(doctype) and access.valid_name(name):
            await self.sio.leave_room(sid, rooms.doc_room(str(doctype), name), namespace=namespace)

    async def _doc_open(
        self, namespace: str, sid: str, state: SocketState, doctype: Any = None, name: Any = None, *_: Any
    ) -> None:
        if not (access.valid_name(doctype) and access.valid_name(name)):
            return
        doctype, name = str(doctype), str(name)
        if len(state.open_docs) >= MAX_ROOMS_PER_SOCKET:
            return
        if not await self._checked(state, access.can_read_doc, doctype, name):
            return
        if (namespace, sid) not in self.sockets:
            return
        await self._join(namespace, sid, rooms.open_doc_room(doctype, name))
        state.open_docs.add((doctype, name))
        await self._notify_viewers(namespace, doctype, name, state.user)

    async def _doc_close(
        self, namespace: str, sid: str, state: SocketState, doctype: Any = None, name: Any = None, *_: Any
    ) -> None:
        if not (access.valid_name(doctype) and access.valid_name(name)):
            return
        doctype, name = str(doctype), str(name)
        if (doctype, name) not in state.open_docs:
            return
        state.open_docs.discard((doctype, name))
        await self.sio.leave_room(sid, rooms.open_doc_room(doctype, name), namespace=namespace)
        await self._notify_viewers(namespace, doctype, name, state.user)

    async def _notify_viewers(
        self, namespace: str, doctype: str, name: str, actor: str, *, leaving: str | None = None
    ) -> None:
        """Send ``doc_viewers`` (the users who have the document open) to its open_doc room.

        Like Frappe, nothing is sent when the only viewer left is the user who caused the change.
        """
        room = rooms.open_doc_room(doctype, name)
        members = [s for s, _eio in self.sio.manager.get_participants(namespace, room) if s != leaving]
        users = sorted({self.sockets[(namespace, s)].user for s in members if (namespace, s) in self.sockets})
        if not users or users == [actor]:
            return
        message = {"doctype": doctype, "docname": name, "users": users}
        await self.sio.emit("doc_viewers", message, to=room, namespace=namespace, skip_sid=leaving)

    async def _task_subscribe(
        self, namespace: str, sid: str, state: SocketState, task_id: Any = None, *_: Any
    ) -> None:
        if access.valid_name(task_id):
            await self._join(namespace, sid, rooms.task_room(str(task_id)))

    async def _task_unsubscribe(
        self, namespace: str, sid: str, state: SocketState, task_id: Any = None, *_: Any
    ) -> None:
        if access.valid_name(task_id):
            await self.sio.leave_room(sid, rooms.task_room(str(task_id)), namespace=namespace)

    # -- delivery ----------------------------------------------------------------------------------

    def receive(self, envelope: Envelope) -> None:
        """Queue an envelope for delivery (called on the server's loop)."""
        if self._queue is not None and isinstance(envelope, dict):
            self._queue.put_nowait(envelope)

    async def _consume(self) -> None:
        assert self._queue is not None
        while True:
            envelope = await self._queue.get()
            try:
                await self.deliver(envelope)
            except Exception:
                log.exception("realtime: could not deliver %r", envelope.get("event"))

    async def deliver(self, envelope: Envelope) -> None:
        """Emit one envelope to the sockets of this process it is meant for."""
        event, site_name = envelope.get("event"), envelope.get("namespace")
        if not isinstance(event, str) or not event:
            return
        namespaces = (
            [f"/{site_name}"] if isinstance(site_name, str) and site_name
            else [ns for ns in self.sio.manager.get_namespaces() if ns != "/"]
        )  # fmt: skip
        for namespace in namespaces:
            if event == LOGOUT_EVENT:
                await self._end_session(namespace, envelope.get("message"))
                continue
            room = envelope.get("room")
            if room is not None and not isinstance(room, str):
                continue
            # Only the sockets in the room now, whose users are checked below, get the event.
            members = dict(self.sio.manager.get_participants(namespace, room))
            if not members:
                continue
            skip = set(await self._unreadable(namespace, envelope, list(members)))
            recipients = [eio_sid for sid, eio_sid in members.items() if sid not in skip]
            if recipients:
                await self._fan_out(namespace, event, envelope.get("message"), recipients)

    async def _fan_out(self, namespace: str, event: str, message: Any, recipients: list[str]) -> None:
        """Send one event to Engine.IO sessions: encoded once, queued without a task per socket.

        (``AsyncServer.emit`` makes an asyncio task per recipient; with a room of hundreds of sockets
        that cost is paid by every write.)
        """
        data = [event] if message is None else [event, message]
        encoded = self.sio.packet_class(socketio.packet.EVENT, namespace=namespace, data=data).encode()
        packets = [engineio.packet.Packet(engineio.packet.MESSAGE, part) for part in
                   (encoded if isinstance(encoded, list) else [encoded])]  # fmt: skip
        for eio_sid in recipients:
            for pkt in packets:
                await self.sio._send_eio_packet(eio_sid, pkt)

    async def _unreadable(self, namespace: str, envelope: Envelope, members: list[str]) -> list[str]:
        """The sockets among ``members`` that must not get an envelope about a document."""
        mark = envelope.get("doc")
        if mark is None:
            return []
        states = {sid: self.sockets.get((namespace, sid)) for sid in members}
        if not (isinstance(mark, list) and len(mark) == 2 and all(isinstance(v, str) for v in mark)):
            return members
        users = {state.user for state in states.values() if state is not None}
        users.discard("Administrator")  # reads everything: no need to ask the database
        if not users:
            return [sid for sid, state in states.items() if state is None]
        snapshot = envelope.get("snapshot")
        try:
            site = self.sites.get(namespace[1:])
            denied = await asyncio.to_thread(
                access.unreadable_by,
                site,
                mark[0],
                mark[1],
                snapshot if isinstance(snapshot, dict) else None,
                users,
            )
        except Exception:
            log.exception("realtime: permission check failed; event withheld")
            return members
        return [sid for sid, state in states.items() if state is None or state.user in denied]

    async def _end_session(self, namespace: str, message: Any) -> None:
        key = message.get("session") if isinstance(message, dict) else None
        if not key:
            return
        doomed = [
            sid for (ns, sid), state in self.sockets.items() if ns == namespace and state.session == key
        ]
        for sid in doomed:
            await self.sio.disconnect(sid, namespace=namespace)

    async def _sweep(self) -> None:
        """Forget sockets whose connection ended without a disconnect event (a client gone mid-handshake)."""
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            rooms = self.sio.manager.rooms
            # Every socket of a namespace, connecting ones included, is in its ``None`` room.
            gone = [key for key in self.sockets if key[1] not in rooms.get(key[0], {}).get(None, {})]
            for key in gone:
                self.sockets.pop(key, None)

    # -- Redis -------------------------------------------------------------------------------------

    async def _listen(self, site: Site) -> None:
        """Make sure this process receives the site's events from Redis (waits until subscribed)."""
        url = site.settings.redis_url
        assert url is not None
        key = (url, channel_of(site.settings))
        ready = self._listeners.get(key)
        if ready is None:
            ready = self._listeners[key] = asyncio.Event()
            self._spawn(self._listen_loop(key[0], key[1], ready))
        try:
            await asyncio.wait_for(ready.wait(), timeout=5)
        except TimeoutError:
            log.warning("realtime: Redis at %s is not answering; events may be missed", url)

    async def _listen_loop(self, url: str, channel: str, ready: asyncio.Event) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(channel)
                ready.set()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    try:
                        envelope = orjson.loads(message["data"])
                    except orjson.JSONDecodeError:
                        continue
                    self.receive(envelope)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("realtime: lost Redis subscription to %s; retrying", channel, exc_info=True)
                await asyncio.sleep(1.0)
            finally:
                try:
                    await pubsub.aclose()
                    await client.aclose()
                except Exception:
                    log.debug("realtime: closing the Redis subscription failed", exc_info=True)

    # -- introspection -----------------------------------------------------------------------------

    def stats(self) -> dict[str, int]:
        """Counts of connected sockets, their rooms, and envelopes waiting (for operators and tests)."""
        manager = self.sio.manager
        room_count = 0
        for namespace, by_room in manager.rooms.items():
            for room in by_room:
                if room is None or (namespace, room) in self.sockets or manager.is_connected(room, namespace):
                    continue
                room_count += 1
        return {
            "sockets": len(self.sockets),
            "rooms": room_count,
            "engine_sessions": len(self.sio.eio.sockets),
            "queued": self._queue.qsize() if self._queue is not None else 0,
        }
