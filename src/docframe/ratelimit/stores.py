"""Counter stores: where rate-limit and failed-login counters live, behind one small protocol.

A counter is created with an expiry (``ttl`` seconds) by its first ``add``; later adds count up until
it expires (a fixed window that starts with the first event). Every worker of a site shares them:
:class:`RedisStore` when the site has ``redis_url``, else :class:`DatabaseStore` (the framework
table ``__Counters``, each change in a short transaction of its own). :class:`MemoryStore` serves one
process and is only for tests and tools. An unreachable store raises :class:`StoreUnavailable`; the
callers then let the request through and log it (fail open, so an outage never blocks a site).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from docframe.db.repos import counters
from docframe.optional import redis_errors, redis_from_url

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["CounterStore", "DatabaseStore", "MemoryStore", "RedisStore", "StoreUnavailable", "site_counters"]

#: One add in this many also removes the expired counters.
PURGE_ONE_IN = 500
#: Keys longer than this are stored as a digest (the key column is a varchar(140)).
MAX_KEY = 120


class StoreUnavailable(Exception):
    """The store could not be reached."""


class CounterStore(Protocol):
    """Integer counters with an expiry."""

    def add(self, key: str, amount: int, ttl: int) -> int:
        """Add ``amount`` to ``key`` (created with expiry ``ttl`` seconds) and return the new value."""

    def get(self, key: str) -> int:
        """The current value (0 when absent or expired)."""

    def clear(self, key: str) -> None:
        """Forget ``key``."""


class MemoryStore:
    """Counters in this process's memory."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, amount: int, ttl: int) -> int:
        now = time.monotonic()
        with self._lock:
            value, expires = self._values.get(key, (0, now + ttl))
            if expires <= now:
                value, expires = 0, now + ttl
            value += amount
            self._values[key] = (value, expires)
            if len(self._values) > 100_000:
                self._values = {k: v for k, v in self._values.items() if v[1] > now}
            return value

    def get(self, key: str) -> int:
        now = time.monotonic()
        value, expires = self._values.get(key, (0, now))
        return value if expires > now else 0

    def clear(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)


class RedisStore:
    """Counters in Redis (INCRBY, with the expiry set when the key is created)."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis_from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix
        self._errors = redis_errors()

    def add(self, key: str, amount: int, ttl: int) -> int:
        full = self._prefix + key
        try:
            pipe = self._redis.pipeline()
            pipe.incrby(full, amount)
            pipe.expire(full, ttl, nx=True)
            value, _ = pipe.execute()
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc
        return int(value)

    def get(self, key: str) -> int:
        try:
            value = self._redis.get(self._prefix + key)
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc
        return int(value or 0)

    def clear(self, key: str) -> None:
        try:
            self._redis.delete(self._prefix + key)
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc


def _stored_key(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return key[:40] + ":" + hashlib.sha256(key.encode()).hexdigest()


class DatabaseStore:
    """Counters as rows of ``__Counters`` (key, count, expiry in epoch milliseconds).

    Each change runs in a transaction of its own (a write transaction on SQLite), so counts survive
    the rollback of the request that made them; :meth:`add_on` counts inside a given transaction
    instead (for a SQLite request that already holds the write lock).
    """

    def __init__(self, engine: Engine, table: Table) -> None:
        self.engine = engine
        self.table = table

    def _run(self, work: Callable[[Connection], int]) -> int:
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(docframe_write=True)
                with conn.begin():
                    return work(conn)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(str(exc).splitlines()[0]) from exc

    def add(self, key: str, amount: int, ttl: int) -> int:
        return self._run(lambda conn: self.add_on(conn, key, amount, ttl))

    def add_on(self, conn: Connection, key: str, amount: int, ttl: int) -> int:
        """:meth:`add` inside the transaction of ``conn``."""
        t, now = self.table, _now_ms()
        if secrets.randbelow(PURGE_ONE_IN) == 0:
            counters.purge(conn, t, now)
        return counters.add(conn, t, _stored_key(key), amount, now + max(ttl, 1) * 1000, now)

    def get(self, key: str) -> int:
        try:
            with self.engine.connect() as conn:
                value = counters.current(conn, self.table, _stored_key(key), _now_ms())
                conn.rollback()
        except SQLAlchemyError as exc:
            raise StoreUnavailable(str(exc).splitlines()[0]) from exc
        return value

    def clear(self, key: str) -> None:
        self._run(lambda conn: counters.clear(conn, self.table, _stored_key(key)))

    def purge(self) -> int:
        """Remove expired counters; returns how many."""
        return self._run(lambda conn: counters.purge(conn, self.table, _now_ms()))


def _now_ms() -> int:
    return int(time.time() * 1000)


def site_counters(site: Site) -> CounterStore:
    """The counter store shared by every worker of ``site``: Redis when configured, else the database."""

    def make() -> CounterStore:
        url = site.settings.redis_url
        if url:
            return RedisStore(url, f"docframe:{site.name}:{_site_digest(site)}:")
        return DatabaseStore(site.db.engine, site.tables.framework.counters)

    return site.services.counters.get(make)


def _site_digest(site: Site) -> str:
    return hashlib.sha1(site.settings.db_url.encode()).hexdigest()[:10]
