"""Request threads: a bounded pool per site that runs every blocking unit of work off the event loop.

The event loop parses requests, routes them and writes responses; everything that may block (the
database, password hashing, Redis calls of the rate limiter and sessions, file permission checks)
runs in a :class:`RequestThreads` pool. Its size is the site's ``request_threads`` (default 4), and
the site's SQLAlchemy connection pool is sized to match, so a thread never waits for a
connection that another thread of the same pool holds. Requests beyond the pool's size queue for a
thread; the loop stays free to accept and answer connections meanwhile.

The caller's context variables (request id, site and user for logs) are copied into the thread, as
``asyncio.to_thread`` does.

The pool counts the units of work it is running, so that work which can wait (the embedded
default's background jobs) can start only once requests have left it alone for a moment
(:meth:`RequestThreads.wait_quiet`): a job queued by a request then does not compete for the one
interpreter lock with the response it was queued by, or with the requests that follow.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

__all__ = ["DEFAULT_REQUEST_THREADS", "RequestThreads"]

P = ParamSpec("P")
T = TypeVar("T")
#: Threads per site and process unless the site config sets ``request_threads`` (4 measured faster
#: than 2 or 8 on one core with SQLite; see bench/README.md).
DEFAULT_REQUEST_THREADS = 4


class RequestThreads:
    """A fixed number of threads that run units of work for one site."""

    def __init__(self, size: int, name: str) -> None:
        self.size = size
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"docframe-{name}")
        self._quiet = threading.Condition()
        #: Units of work running now, and when the last one ended (``time.monotonic``).
        self._busy = 0
        self._last_end = 0.0

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func(*args, **kwargs)`` in one of the pool's threads and wait for it without blocking."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, self._counted, functools.partial(func, *args, **kwargs))
        return await loop.run_in_executor(self._executor, call)

    def _counted(self, call: Callable[[], T]) -> T:
        with self._quiet:
            self._busy += 1
        try:
            return call()
        finally:
            with self._quiet:
                self._busy -= 1
                self._last_end = time.monotonic()
                if not self._busy:
                    self._quiet.notify_all()

    @property
    def busy(self) -> int:
        """How many units of work the pool is running now."""
        return self._busy

    def wait_quiet(self, settle: float, longest: float) -> bool:
        """Block until no unit of work has run for ``settle`` seconds, or ``longest`` seconds passed.

        True when the pool went quiet, False when the wait gave up (work that can wait must not
        starve under a steady load, so it then starts anyway).
        """
        deadline = time.monotonic() + longest
        with self._quiet:
            while True:
                now = time.monotonic()
                if not self._busy and now - self._last_end >= settle:
                    return True
                if now >= deadline:
                    return False
                idle_at = self._last_end + settle if not self._busy else deadline
                self._quiet.wait(max(0.0, min(idle_at, deadline) - now))

    def close(self) -> None:
        """Let queued work finish and stop the threads."""
        self._executor.shutdown(wait=True)
