"""Limiters: the site-wide time budget (site config ``rate_limit``) and the ``@rate_limit`` decorator.

Site-wide, as Frappe counts it: ``{"limit": seconds, "window": seconds}`` budgets *server time* per
window, shared by every client of the site; each request's duration (microseconds) is added after
it ran, and a request arriving when the budget is spent gets 429 ``TooManyRequestsError`` with
``Retry-After``. Every response carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset``/``-Used``.

Per method: ``@rate_limit(key=None, limit=5, seconds=86400, methods="ALL", ip_based=True)`` counts
calls per client IP and/or a form value in a fixed window; over the limit is 429
``RateLimitExceededError``.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from docframe import errors
from docframe.context import get_current
from docframe.ratelimit.stores import CounterStore, MemoryStore, RedisStore, StoreUnavailable
from docframe.settings import Settings

__all__ = ["LimitState", "SiteLimiter", "rate_limit", "store_for"]

log = logging.getLogger("docframe.ratelimit")
F = TypeVar("F", bound=Callable[..., Any])
#: How long the total returned by this process's last flush stands in for a fresh read.
FRESH_SECONDS = 0.5
#: How often a process adds its summed request durations to the shared store.
FLUSH_SECONDS = 0.1
_STORES: dict[str, CounterStore] = {}


def store_for(settings: Settings) -> CounterStore:
    """The counter store of a site: Redis when ``redis_url`` is set, else this process's memory."""
    key = settings.redis_url or f"memory:{settings.site_name}"
    store = _STORES.get(key)
    if store is None:
        store = (
            RedisStore(settings.redis_url, f"docframe:{settings.site_name}:")
            if settings.redis_url
            else MemoryStore()
        )
        _STORES[key] = store
    return store


@dataclass(frozen=True, slots=True)
class LimitState:
    """Where the site-wide budget stands at the start of a request."""

    limit_us: int
    used_us: int
    reset_s: int

    def headers(self, *, rejected: bool = False) -> dict[str, str]:
        """The ``X-RateLimit-*`` headers (and ``Retry-After`` on rejection)."""
        out = {
            "X-RateLimit-Limit": str(self.limit_us),
            "X-RateLimit-Remaining": str(max(self.limit_us - self.used_us, 0)),
            "X-RateLimit-Reset": str(self.reset_s),
            "X-RateLimit-Used": str(self.used_us),
        }
        if rejected:
            out["Retry-After"] = str(self.reset_s)
        return out


class SiteLimiter:
    """The site-wide server-time budget."""

    def __init__(self, settings: Settings, store: CounterStore | None = None) -> None:
        config = settings.raw.get("rate_limit") or {}
        self.enabled = isinstance(config, dict) and bool(config.get("limit")) and bool(config.get("window"))
        self.limit_us = int(float(config.get("limit", 0)) * 1_000_000) if self.enabled else 0
        self.window = int(config.get("window", 0)) if self.enabled else 0
        self.site = settings.site_name
        self.store = store or store_for(settings)
        #: (window key, total, monotonic time) returned by this process's last flush.
        self._last: tuple[str, int, float] | None = None
        #: Durations recorded but not yet added to the store: (window key, microseconds, since).
        self._pending: tuple[str, int, float] | None = None
        self._lock = threading.Lock()

    def _key(self, now: float) -> str:
        return f"rl-site:{self.site}:{int(now // self.window)}"

    def check(self, now: float | None = None) -> LimitState | None:
        """The budget state; raises TooManyRequestsError (429) when it is spent."""
        if not self.enabled:
            return None
        now = time.time() if now is None else now
        key = self._key(now)
        last = self._last
        if last is not None and last[0] == key and time.monotonic() - last[2] < FRESH_SECONDS:
            # The total this process's last increment returned is fresh enough: under load every
            # request then costs one store round trip (the increment), not two.
            used = last[1] + self._pending_for(key)
        else:
            try:
                used = self.store.get(key)
            except StoreUnavailable as exc:
                log.warning("rate-limit store unavailable, not limiting: %s", exc)
                return None
            used += self._pending_for(key)
        state = LimitState(self.limit_us, used, int(self.window - now % self.window) or self.window)
        if used > self.limit_us:
            rejected = errors.TooManyRequestsError(text="Too Many Requests")
            rejected.headers = state.headers(rejected=True)
            raise rejected
        return state

    def _pending_for(self, key: str) -> int:
        pending = self._pending
        return pending[1] if pending is not None and pending[0] == key else 0

    def record(self, duration_us: int, now: float | None = None) -> None:
        """Charge a finished request's duration to the budget.

        Durations are summed in this process and added to the store at most every
        ``FLUSH_SECONDS`` (or at once when the window changes), so a busy worker makes one store
        round trip per flush instead of one per request; other workers see the charge that late.
        """
        if not self.enabled:
            return
        now = time.time() if now is None else now
        key = self._key(now)
        clock = time.monotonic()
        with self._lock:
            pending = self._pending
            if pending is not None and pending[0] != key:
                self._flush(pending)
                pending = None
            pending = (
                key,
                (pending[1] if pending else 0) + max(duration_us, 0),
                pending[2] if pending else clock,
            )
            self._pending = pending
            if clock - pending[2] >= FLUSH_SECONDS:
                self._flush(pending)

    def _flush(self, pending: tuple[str, int, float]) -> None:
        self._pending = None
        try:
            total = self.store.add(pending[0], pending[1], self.window)
            self._last = (pending[0], total, time.monotonic())
        except StoreUnavailable as exc:
            log.warning("rate-limit store unavailable, duration not counted: %s", exc)


def rate_limit(
    key: str | None = None,
    limit: int | Callable[[], int] = 5,
    seconds: int = 86400,
    methods: str | list[str] = "ALL",
    ip_based: bool = True,
) -> Callable[[F], F]:
    """Limit calls of a whitelisted method per client (IP and/or a form value) in a fixed window."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = get_current()
            if methods != "ALL" and ctx.http_method not in [m.upper() for m in methods]:
                return func(*args, **kwargs)
            value = ctx.form.get(key) if key else None
            if key and ip_based:
                identity = f"{ctx.request_ip}:{value}"
            elif ip_based:
                identity = ctx.request_ip
            elif key:
                identity = str(value)
            else:
                raise errors.ValidationError("Either key or IP flag is required.")
            allowed = limit() if callable(limit) else limit
            counter = f"rl:{func.__module__}.{func.__qualname__}:{identity}"
            try:
                count = store_for(ctx.site.settings).add(counter, 1, seconds)
            except StoreUnavailable as exc:
                log.warning("rate-limit store unavailable, not limiting %s: %s", func.__qualname__, exc)
                return func(*args, **kwargs)
            if count > allowed:
                raise errors.RateLimitExceededError(
                    "You hit the rate limit because of too many requests. Please try after sometime."
                )
            return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate
