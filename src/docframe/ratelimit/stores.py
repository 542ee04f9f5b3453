"""Counter stores: where rate-limit counters live, behind one small protocol.

``MemoryStore`` serves one process (the embedded default); ``RedisStore`` is shared by every worker
of a site when ``redis_url`` is configured. Counters expire with their window. A Redis outage raises
:class:`StoreUnavailable`; the limiter then lets the request through and reports it (fail open, so an
outage never blocks a site and never corrupts a counter).
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import redis

__all__ = ["CounterStore", "MemoryStore", "RedisStore", "StoreUnavailable"]


class StoreUnavailable(Exception):
    """The store could not be reached."""


class CounterStore(Protocol):
    """Integer counters with an expiry."""

    def add(self, key: str, amount: int, ttl: int) -> int:
        """Add ``amount`` to ``key`` (created with expiry ``ttl`` seconds) and return the new value."""

    def get(self, key: str) -> int:
        """The current value (0 when absent or expired)."""


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


class RedisStore:
    """Counters in Redis (INCRBY, with the expiry set when the key is created)."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._prefix = prefix
        self._errors = (redis.RedisError, OSError)

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
