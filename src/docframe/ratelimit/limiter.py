"""Limiters: the site-wide time budget (site config ``rate_limit``) and the ``@rate_limit`` decorator.

Site-wide, as Frappe counts it: ``{"limit": seconds, "window": seconds}`` budgets *server time* per
window, shared by every client of the site; each request's duration (microseconds) is added after
it ran, and a request arriving when the budget is spent gets 429 ``TooManyRequestsError`` with
``Retry-After``. Every response carries ``X-RateLimit-Limit``/``-Remaining``/``-Reset``/``-Used``.

Per method: ``@rate_limit(key=None, limit=5, seconds=86400, methods="ALL", ip_based=True)`` counts
calls per client address (the real peer, see :mod:`docframe.http.client_ip`) and/or a form value in
a fixed window; over the limit is 429 ``RateLimitExceededError``.

Both count in the site's shared counter store (:func:`~docframe.ratelimit.stores.site_counters`:
Redis, else the database), so every worker sees the same totals.
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
from docframe.ratelimit.stores import CounterStore, DatabaseStore, StoreUnavailable, site_counters
from docframe.settings import Settings

__all__ = ["LimitState", "SiteLimiter", "rate_limit"]

log = logging.getLogger("docframe.ratelimit")
F = TypeVar("F", bound=Callable[..., Any])
#: How long the total returned by this process's last flush stands in for a fresh read.
FRESH_SECONDS = 0.5
#: How often a process adds its summed request durations to the shared store.
FLUSH_SECONDS = 0.1


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

    def __init__(self, settings: Settings, store: CounterStore) -> None:
        self.enabled = settings.rate_limit_seconds > 0 and settings.rate_limit_window > 0
        self.limit_us = int(settings.rate_limit_seconds * 1_000_000) if self.enabled else 0
        self.window = settings.rate_limit_window if self.enabled else 0
        self.site = settings.site_name
        self.store = store
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
            refusal = errors.TooManyRequestsError(text="Too Many Requests")
            refusal.headers = state.headers(rejected=True)
            raise refusal
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
            store = site_counters(ctx.site)
            try:
                if isinstance(store, DatabaseStore) and ctx.writable and ctx.site.db.dialect.name == "sqlite":
                    # A SQLite write request holds the write lock: count inside its transaction.
                    count = store.add_on(ctx.conn, counter, 1, seconds)
                else:
                    count = store.add(counter, 1, seconds)
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
