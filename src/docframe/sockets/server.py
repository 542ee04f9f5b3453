"""Server: the Socket.IO server (python-socketio, ASGI) that speaks Frappe's realtime protocol.

One :class:`RealtimeServer` per process serves every site of the sites folder, each in its own
namespace (``/<site name>``). :mod:`~docframe.sockets.handshake` decides whether a connection may
open, :mod:`~docframe.sockets.access` who it is and what it may join (in a thread: those checks
read the database and the event loop must stay free). On connect a socket joins ``user:<user>``,
``website`` and, for System Users, ``all``. Client events are Frappe's (``ping``,
``doctype_subscribe``, ``doc_subscribe``, ``doc_open``, ``task_subscribe``, ... and their
opposites); anything else is ignored, and malformed arguments are dropped without an answer.

Envelopes from the broker (published in this process, relayed from the other processes of the
host for Redis-less sites, or read from Redis) are delivered in order by one consumer task; an envelope about a
document skips the sockets whose user cannot read it. Each event is encoded once and written
straight to the WebSockets that have nothing queued (:mod:`~docframe.sockets.direct`), through
Engine.IO's queue to the others.
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
from docframe.auth.sessions import session_manager
from docframe.realtime import rooms
from docframe.realtime.broker import HUB, RUNNING, Envelope, channel_of
from docframe.realtime.publish import LOGOUT_EVENT, session_key
from docframe.sites import Site, SiteRegistry
from docframe.sockets import access, direct, handshake

__all__ = ["RealtimeServer", "SocketState"]

log = logging.getLogger("docframe.realtime")
#: Most rooms one socket may be in (subscriptions beyond are refused): bounds a client's memory.
MAX_ROOMS_PER_SOCKET = 500
#: Most permission checks one socket may have waiting; further subscriptions are dropped.
MAX_PENDING_CHECKS = 16
#: How often sockets that vanished without a disconnect event are forgotten.
SWEEP_SECONDS = 60.0
#: Most envelopes delivered as one batch (see :meth:`RealtimeServer._consume`).
MAX_BATCH = 256


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


@dataclass
class _Delivery:
    """One envelope on its way to the members of its room in one namespace."""

    namespace: str
    envelope: Envelope
    #: Socket.IO sid -> Engine.IO sid of the room's sockets when the batch was planned.
    members: dict[str, str]
    #: The sockets that must not get it (their user cannot read the document, or is unknown).
    skip: set[str] = field(default_factory=set)
    states: dict[str, SocketState | None] = field(default_factory=dict)
    #: Which permission question answers it (documents only).
    question: tuple[str, str, bytes] | None = None


def _direct_ok(channel: direct.Channel, socket: Any) -> bool:
    """Whether a frame may be written to ``socket``'s WebSocket now without overtaking a packet.

    The Engine.IO writer takes a packet from the queue and marks it done before writing it
    (``Queue.task_done``), so "nothing unfinished in the queue and no send in progress" means
    nothing is waiting to be written ahead of this frame.
    """
    if not channel.open or channel.busy or not socket.upgraded or socket.upgrading:
        return False
    if socket.closing or socket.closed:
        return False
    queue = socket.queue
    return bool(queue.empty() and getattr(queue, "_unfinished_tasks", 1) == 0)


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
        self.channels = direct.Channels()
        #: Frames fanned out straight to a WebSocket, and packets put in an Engine.IO queue instead.
        self.sent_direct = 0
        self.sent_queued = 0
        self._register()

    # -- ASGI --------------------------------------------------------------------------------------

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Serve one Socket.IO request or WebSocket (starting the delivery task on first use)."""
        if self._queue is None:
            self._start()
        if scope.get("type") != "websocket":
            await self.asgi(scope, receive, send)
            return
        channel = self.channels.wrap(scope, send)
        try:
            await self.asgi(scope, receive, channel)
        finally:
            self.channels.forget(channel)

    def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self._queue = asyncio.Queue()
        self._spawn(self._consume())
        self._spawn(self._sweep())
        HUB.attach(self.receive_many, loop, self.sites.sites_path)
        RUNNING.append(self)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _late_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.debug("realtime: a delayed direct send failed", exc_info=task.exception())

    async def close(self) -> None:
        """Stop delivering and listening (sockets are left to the server's shutdown)."""
        HUB.detach(self.receive_many)
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
        """Queue an envelope for delivery (called on the server's loop), unless no socket of this
        process is in its room now: most events of a busy site are for rooms nobody here is in."""
        if self._queue is not None and isinstance(envelope, dict) and self._wanted(envelope):
            self._queue.put_nowait(envelope)

    def _wanted(self, envelope: Envelope) -> bool:
        room = envelope.get("room")
        if not isinstance(room, str) or envelope.get("event") == LOGOUT_EVENT:
            return True  # no room (every socket of the namespace), a logout, or bad (dropped later)
        by_namespace = self.sio.manager.rooms
        site_name = envelope.get("namespace")
        if isinstance(site_name, str) and site_name:
            return room in by_namespace.get(f"/{site_name}", ())
        return any(room in by_room for by_room in by_namespace.values())

    def receive_many(self, envelopes: list[Envelope]) -> None:
        """Queue envelopes for delivery, in order (called on the server's loop)."""
        for envelope in envelopes:
            self.receive(envelope)

    async def _consume(self) -> None:
        """Deliver queued envelopes in order, in batches: whatever waits when the last batch is done.

        Nothing is held back (a lone event goes at once); under load the batches grow by
        themselves, and one batch costs one permission check (in one thread trip) per document and
        user and one wake-up per socket, however many events it holds.
        """
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self.deliver_many(batch)
            except Exception:
                log.exception("realtime: could not deliver %d events", len(batch))

    async def deliver(self, envelope: Envelope) -> None:
        """Emit one envelope to the sockets of this process it is meant for."""
        await self.deliver_many([envelope])

    async def deliver_many(self, envelopes: list[Envelope]) -> None:
        """Emit envelopes in order (a session's end splits them: later ones skip its sockets)."""
        run: list[Envelope] = []
        for envelope in envelopes:
            if envelope.get("event") != LOGOUT_EVENT:
                run.append(envelope)
                continue
            await self._deliver_run(run)
            run = []
            for namespace in self._namespaces(envelope):
                await self._end_session(namespace, envelope.get("message"))
        await self._deliver_run(run)

    def _namespaces(self, envelope: Envelope) -> list[str]:
        site_name = envelope.get("namespace")
        if isinstance(site_name, str) and site_name:
            return [f"/{site_name}"]
        return [ns for ns in self.sio.manager.get_namespaces() if ns != "/"]

    async def _deliver_run(self, envelopes: list[Envelope]) -> None:
        # Only the sockets in the room now, whose users are checked below, get an event.
        planned: list[_Delivery] = []
        for envelope in envelopes:
            event, room = envelope.get("event"), envelope.get("room")
            if not isinstance(event, str) or not event or (room is not None and not isinstance(room, str)):
                continue
            for namespace in self._namespaces(envelope):
                members = dict(self.sio.manager.get_participants(namespace, room))
                if members:
                    planned.append(_Delivery(namespace, envelope, members))
        if not planned:
            return
        await self._check_readers(planned)
        for delivery in planned:
            recipients = [eio for sid, eio in delivery.members.items() if sid not in delivery.skip]
            if recipients:
                event, message = delivery.envelope["event"], delivery.envelope.get("message")
                await self._fan_out(delivery.namespace, event, message, recipients)

    async def _fan_out(self, namespace: str, event: str, message: Any, recipients: list[str]) -> None:
        """Send one event to Engine.IO sessions, encoded once.

        A socket on a WebSocket with nothing queued gets the frame text straight from here
        (:mod:`~docframe.sockets.direct`); the others get the packet in their Engine.IO queue
        without a task per socket (``AsyncServer.emit`` makes one per recipient). Queueing never
        waits, so every event of a batch is in a socket's queue before its writer wakes up.
        """
        data = [event] if message is None else [event, message]
        encoded = self.sio.packet_class(socketio.packet.EVENT, namespace=namespace, data=data).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        packets = [engineio.packet.Packet(engineio.packet.MESSAGE, part) for part in parts]
        frame: dict[str, Any] | None = None
        if len(parts) == 1 and isinstance(parts[0], str):  # binary attachments go the usual way
            frame = {"type": "websocket.send", "bytes": None, "text": packets[0].encode()}
        sockets = self.sio.eio.sockets
        channels = self.channels.by_sid
        for eio_sid in recipients:
            if frame is not None:
                channel = channels.get(eio_sid)
                socket = sockets.get(eio_sid)
                if channel is not None and socket is not None and _direct_ok(channel, socket):
                    try:
                        late = direct.send_now(channel, frame)
                    except Exception:  # the connection is going; Engine.IO will notice and clean up
                        log.debug("realtime: direct send to %s failed", eio_sid, exc_info=True)
                        continue
                    if late is not None:
                        self._tasks.add(late)
                        late.add_done_callback(self._late_done)
                    self.sent_direct += 1
                    continue
            self.sent_queued += 1
            for pkt in packets:
                await self.sio._send_eio_packet(eio_sid, pkt)

    async def _check_readers(self, planned: list[_Delivery]) -> None:
        """Set each delivery's ``skip``: the sockets that must not get an envelope about a document.

        One question per document and distinct user (Administrator reads everything and is never
        asked about), all of a site's questions in one unit of work in one thread.
        """
        questions: dict[str, dict[tuple[str, str, bytes], tuple[Any, set[str]]]] = {}
        for delivery in planned:
            mark = delivery.envelope.get("doc")
            if mark is None:
                continue
            states = {sid: self.sockets.get((delivery.namespace, sid)) for sid in delivery.members}
            if not (isinstance(mark, list) and len(mark) == 2 and all(isinstance(v, str) for v in mark)):
                delivery.skip = set(delivery.members)
                continue
            delivery.states = states
            delivery.skip = {sid for sid, state in states.items() if state is None}
            users = {state.user for state in states.values() if state is not None} - {"Administrator"}
            if not users:
                continue
            snapshot = delivery.envelope.get("snapshot")
            snapshot = snapshot if isinstance(snapshot, dict) else None
            key = (mark[0], mark[1], b"" if snapshot is None else orjson.dumps(snapshot, default=str))
            delivery.question = key
            asked = questions.setdefault(delivery.namespace, {})
            if key in asked:
                asked[key][1].update(users)
            else:
                asked[key] = (snapshot, set(users))
        for namespace, asked in questions.items():
            keys = list(asked)
            checks = [(k[0], k[1], asked[k][0], asked[k][1]) for k in keys]
            try:
                site = self.sites.get(namespace[1:])
                answers = await asyncio.to_thread(access.unreadable_many, site, checks)
                denied = dict(zip(keys, answers, strict=True))
            except Exception:
                log.exception("realtime: permission check failed; events withheld")
                denied = None
            for delivery in planned:
                if delivery.namespace != namespace or delivery.question is None:
                    continue
                if denied is None:
                    delivery.skip = set(delivery.members)
                    continue
                refused = denied[delivery.question]
                delivery.skip |= {
                    sid
                    for sid, state in delivery.states.items()
                    if state is not None and state.user in refused
                }

    async def _end_session(self, namespace: str, message: Any) -> None:
        key = message.get("session") if isinstance(message, dict) else None
        if not key:
            return
        # Sessions resumed here are remembered for a second; the ended one must not be, or a
        # socket reconnecting at once would still be its user (another process ended it).
        try:
            session_manager(self.sites.get(namespace[1:])).clear_cache()
        except errors.DoesNotExistError:
            pass
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
        """Counts of connected sockets, their rooms, WebSockets, envelopes waiting and events sent
        (straight to a WebSocket or through Engine.IO's queue), for operators and tests."""
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
            "websockets": len(self.channels.by_sid),
            "sent_direct": self.sent_direct,
            "sent_queued": self.sent_queued,
        }
