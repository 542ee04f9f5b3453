"""Request threads: a bounded pool per site that runs every blocking unit of work off the event loop.

The event loop parses requests, routes them and writes responses; everything that may block (the
database, password hashing, Redis calls of the rate limiter and sessions, file permission checks)
runs in a :class:`RequestThreads` pool. Its size is the site's ``request_threads`` (default 4), and
the site's SQLAlchemy connection pool is sized to match, so a thread never waits for a
connection that another thread of the same pool holds. Requests beyond the pool's size queue for a
thread; the loop stays free to accept and answer connections meanwhile.

The caller's context variables (request id, site and user for logs) are copied into the thread, as
``asyncio.to_thread`` does.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
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

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func(*args, **kwargs)`` in one of the pool's threads and wait for it without blocking."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, func, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    def close(self) -> None:
        """Let queued work finish and stop the threads."""
        self._executor.shutdown(wait=True)
