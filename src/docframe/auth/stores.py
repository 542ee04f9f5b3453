"""Stores: where sessions live — the database or Redis — and the shared Redis change counter.

:class:`SessionStore` has two implementations picked by the site config: :class:`DatabaseSessionStore`
(``tabSessions``, Frappe's table; the default) and :class:`RedisSessionStore` (when the site has
``redis_url``; keys expire with the session). Failed-login counters live in the site's shared
counter store (:func:`docframe.ratelimit.stores.site_counters`).

Database writes use the request's connection when the request is itself a write (SQLite allows
one writer at a time, and a write request already holds the lock); otherwise they run in a short
transaction of their own so that GET requests can log out and keep sessions alive.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from sqlalchemy.engine import Connection

from docframe.db.repos import sessions as stored
from docframe.optional import redis_errors, redis_from_url

log = logging.getLogger("docframe.auth")

if TYPE_CHECKING:
    import redis

    from docframe.context import Context
    from docframe.sites import Site

__all__ = [
    "DatabaseSessionStore",
    "RedisSessionStore",
    "SessionRecord",
    "SessionStore",
    "SharedEpoch",
    "redis_client",
    "session_store",
    "shared_epoch",
]

_DT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(slots=True)
class SessionRecord:
    """One stored session."""

    sid: str
    user: str
    last_updated: datetime
    data: dict[str, Any] = field(default_factory=dict)


class SessionStore(Protocol):
    """Where sessions are kept."""

    def create(self, ctx: Context, record: SessionRecord, ttl: int) -> None:
        """Store a new session."""

    def get(self, sid: str) -> SessionRecord | None:
        """The session ``sid`` (``None`` when unknown)."""

    def touch(self, ctx: Context | None, record: SessionRecord, ttl: int) -> None:
        """Persist ``record``'s ``last_updated`` and data."""

    def delete(self, ctx: Context | None, sids: list[str]) -> None:
        """Remove sessions."""

    def sids_of(self, ctx: Context | None, user: str) -> list[str]:
        """The sessions of ``user``, most recently used first."""


def _write_conn(ctx: Context | None) -> Connection | None:
    if ctx is not None and ctx.writable:
        return ctx.conn
    return None


class DatabaseSessionStore:
    """Sessions as rows of ``tabSessions`` (sid, user, lastupdate, status, sessiondata)."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.table = site.tables.framework.sessions

    def _write(self, ctx: Context | None, work: Callable[[Connection], None]) -> None:
        conn = _write_conn(ctx)
        if conn is not None:
            work(conn)
            return
        with self.site.db.engine.begin() as own:
            work(own)

    def create(self, ctx: Context, record: SessionRecord, ttl: int) -> None:
        """INSERT the session row (in the login request's transaction)."""
        data = orjson.dumps(record.data, default=str).decode()
        self._write(
            ctx,
            lambda conn: stored.insert_session(
                conn, self.table, record.sid, record.user, record.last_updated, data
            ),
        )

    def get(self, sid: str) -> SessionRecord | None:
        """SELECT one active session."""
        with self.site.db.engine.connect() as conn:
            row = stored.read_session(conn, self.table, sid)
            conn.rollback()
        if row is None:
            return None
        try:
            data = orjson.loads(row.data or "{}")
        except orjson.JSONDecodeError:
            data = {}
        return SessionRecord(
            sid, row.user, row.last_updated or datetime.min, data if isinstance(data, dict) else {}
        )

    def touch(self, ctx: Context | None, record: SessionRecord, ttl: int) -> None:
        """UPDATE ``lastupdate`` and ``sessiondata``."""
        data = orjson.dumps(record.data, default=str).decode()
        self._write(
            ctx, lambda conn: stored.touch_session(conn, self.table, record.sid, record.last_updated, data)
        )

    def delete(self, ctx: Context | None, sids: list[str]) -> None:
        """DELETE the rows."""
        if sids:
            self._write(ctx, lambda conn: stored.delete_sessions(conn, self.table, sids))

    def sids_of(self, ctx: Context | None, user: str) -> list[str]:
        """SELECT the user's sids, newest first."""
        conn = _write_conn(ctx)
        if conn is not None:
            return stored.sids_of(conn, self.table, user)
        with self.site.db.engine.connect() as own:
            sids = stored.sids_of(own, self.table, user)
            own.rollback()
        return sids


def redis_prefix(site: Site) -> str:
    """Keys of one site (its name plus a digest of its database, so test sites never collide)."""
    digest = hashlib.sha1(site.settings.db_url.encode()).hexdigest()[:10]
    return f"docframe:{site.name}:{digest}:"


class RedisSessionStore:
    """Sessions as Redis strings that expire with the session, plus a per-user sorted set."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, sid: str) -> str:
        return f"{self.prefix}session:{sid}"

    def _user_key(self, user: str) -> str:
        return f"{self.prefix}user_sessions:{user}"

    def _save(self, record: SessionRecord, ttl: int) -> None:
        value = orjson.dumps(
            {"user": record.user, "last": record.last_updated.strftime(_DT_FORMAT), "data": record.data},
            default=str,
        )
        pipe = self.client.pipeline()
        pipe.set(self._key(record.sid), value, ex=max(ttl, 1))
        pipe.zadd(self._user_key(record.user), {record.sid: time.time()})
        pipe.expire(self._user_key(record.user), max(ttl, 1))
        pipe.execute()

    def create(self, ctx: Context, record: SessionRecord, ttl: int) -> None:
        """SET the session with its lifetime."""
        self._save(record, ttl)

    def get(self, sid: str) -> SessionRecord | None:
        """GET one session."""
        raw = self.client.get(self._key(sid))
        if raw is None:
            return None
        try:
            value = orjson.loads(raw)
            last = datetime.strptime(value["last"], _DT_FORMAT)
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None
        return SessionRecord(sid, str(value.get("user")), last, value.get("data") or {})

    def touch(self, ctx: Context | None, record: SessionRecord, ttl: int) -> None:
        """SET again with a fresh lifetime."""
        self._save(record, ttl)

    def delete(self, ctx: Context | None, sids: list[str]) -> None:
        """DEL the sessions and drop them from their user's set."""
        for sid in sids:
            record = self.get(sid)
            pipe = self.client.pipeline()
            pipe.delete(self._key(sid))
            if record is not None:
                pipe.zrem(self._user_key(record.user), sid)
            pipe.execute()

    def sids_of(self, ctx: Context | None, user: str) -> list[str]:
        """The user's live sessions, most recently used first (expired ones are dropped)."""
        sids = [
            s.decode() if isinstance(s, bytes) else str(s)
            for s in self.client.zrevrange(self._user_key(user), 0, -1)
        ]
        live = [sid for sid in sids if self.client.exists(self._key(sid))]
        gone = set(sids) - set(live)
        if gone:
            self.client.zrem(self._user_key(user), *gone)
        return live


def redis_client(site: Site) -> redis.Redis | None:
    """The site's Redis client when the site config has ``redis_url`` (created once)."""
    url = site.settings.redis_url
    if not url:
        return None
    return site.services.redis.get(lambda: redis_from_url(url, socket_timeout=5, socket_connect_timeout=5))


def session_store(site: Site) -> SessionStore:
    """The site's session store: Redis when configured, else the database."""
    client = redis_client(site)
    if client is not None:
        return RedisSessionStore(client, redis_prefix(site))
    return DatabaseSessionStore(site)


class SharedEpoch:
    """A change counter in Redis that lets per-process caches see changes made by other workers.

    :meth:`bump` after a change; :meth:`changed` is true once per change seen (looked up at most
    every :attr:`check_every` seconds; the first look only records the value). Without Redis it
    never reports a change, and caches rely on their own lifetimes.
    """

    check_every = 0.5

    def __init__(self, client: redis.Redis | None, key: str) -> None:
        self.client = client
        self.key = key
        self._seen: Any = None
        self._looked = False
        self._checked = 0.0

    def bump(self) -> None:
        """Announce a change to every process (when Redis is down, caches expire by their lifetimes)."""
        if self.client is not None:
            try:
                self.client.incr(self.key)
            except redis_errors() as exc:
                log.warning(
                    "could not announce a change on Redis (%s): other workers see it when their caches expire",
                    exc,
                )

    def changed(self) -> bool:
        """Whether another process announced a change since the last look."""
        if self.client is None:
            return False
        now = time.monotonic()
        if now - self._checked < self.check_every:
            return False
        self._checked = now
        try:
            value = self.client.get(self.key)
        except redis_errors() as exc:
            log.warning("could not read the change counter on Redis (%s): dropping cached entries", exc)
            return True
        changed = self._looked and value != self._seen
        self._seen, self._looked = value, True
        return changed


def shared_epoch(site: Site, name: str) -> SharedEpoch:
    """The site's shared change counter called ``name`` (created once)."""
    services = site.services
    epoch = services.epochs.get(name)
    if epoch is None:
        made = SharedEpoch(redis_client(site), f"{redis_prefix(site)}epoch:{name}")
        with services.lock:
            epoch = services.epochs.setdefault(name, made)
    return epoch
