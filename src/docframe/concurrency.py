"""Request threads: a bounded pool per site that runs every blocking unit of work off the event loop.

The event loop parses requests, routes them and writes responses; everything that may block (the
database, password hashing, Redis calls of the rate limiter and sessions, file permission checks)
runs in a :class:`RequestThreads` pool. Its size is the site's ``request_threads`` (default 4), and
the site's SQLAlchemy connection pool is sized to match, so a thread never waits for a
connection that another thread of the same pool holds. Requests beyond the pool's size queue for a
thread; the loop stays free to accept and answer connections meanwhile.

The caller's context variables (request id, site and user for logs) are copied into the thread, as
``asyncio.to_thread`` does.

The pool is made for this one use rather than built on ``run_in_executor`` and a
``ThreadPoolExecutor`` (measured in bench/README.md, branch ``hop``: the hop cost ~17-33 µs of CPU
per request there). A call is an asyncio future and one entry in a queue; an idle thread is woken
through a lock of its own (one ``release``), a busy one takes the next entry without sleeping.
Results go back to the loop in batches: the first thread to finish while the loop has not yet
collected earlier results schedules one ``call_soon_threadsafe``, later ones only add to the batch.
No ``concurrent.futures.Future``, no per-call callbacks or condition variables.

A *lazy* pool (a SQLite site's: its statements run in this process and hold the core) keeps one
thread awake while it keeps up with the queue, and wakes another only when no queued call was
taken for :data:`STALL_SECONDS` (every awake thread is held by a slow call), checked on the loop
while calls wait. Each thread woken for a call costs a switch, and threads that share the
interpreter lock hand it to each other at every SQLite call: on W1 (one core, 32 connections)
four eager threads measured about 4 context switches per request against 1.5 lazily, and ~20 µs
more CPU per request. An eager pool (network databases, where a thread mostly waits on the
server) wakes an idle thread for every call, so those waits overlap.

The pool counts the units of work it is running, so that work which can wait (the embedded
default's background jobs) can start only once requests have left it alone for a moment
(:meth:`RequestThreads.wait_quiet`): a job queued by a request then does not compete for the one
interpreter lock with the response it was queued by, or with the requests that follow.
"""

from __future__ import annotations

import _thread
import asyncio
import contextvars
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, NamedTuple, ParamSpec, TypeVar

__all__ = ["DEFAULT_REQUEST_THREADS", "RequestThreads"]

P = ParamSpec("P")
T = TypeVar("T")
#: Threads per site and process unless the site config sets ``request_threads`` (4 measured faster
#: than 2 or 8 on one core with SQLite; see bench/README.md).
DEFAULT_REQUEST_THREADS = 4
#: A lazy pool wakes one more thread when no queued call was taken for this long.
STALL_SECONDS = 0.001


class _Returns:
    """Results on their way back to one event loop, handed over in batches."""

    __slots__ = ("_lock", "_pending", "_scheduled", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = _thread.allocate_lock()
        self._pending: list[tuple[asyncio.Future[Any], bool, Any]] = []
        self._scheduled = False

    def put(self, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
        """From a worker thread: hand ``value`` (a result, or the exception raised) to ``future``."""
        with self._lock:
            self._pending.append((future, ok, value))
            if self._scheduled:
                return  # the loop has a collection queued already: it will take this one too
            self._scheduled = True
        try:
            self.loop.call_soon_threadsafe(self._deliver)
        except RuntimeError:  # the loop was closed meanwhile: nobody waits for the result
            pass

    def _deliver(self) -> None:
        with self._lock:
            pending, self._pending = self._pending, []
            self._scheduled = False
        for future, ok, value in pending:
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class _Call(NamedTuple):
    """One queued call: run ``func(*args, **kwargs)`` in ``context``, hand the outcome to ``future``."""

    context: contextvars.Context
    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: asyncio.Future[Any]
    returns: _Returns


class RequestThreads:
    """A fixed number of threads that run units of work for one site."""

    def __init__(self, size: int, name: str, *, lazy: bool = False) -> None:
        if size < 1:
            raise ValueError("a request thread pool needs at least one thread")
        self.size = size
        self.name = name
        #: Guards the queue, the idle threads, the counters and ``_closed`` (and backs ``_quiet``).
        self._lock = threading.Lock()
        self._quiet = threading.Condition(self._lock)
        self._queue: deque[_Call] = deque()
        #: The wake-up lock of each thread waiting for work (released to wake it).
        self._idle: list[Any] = []
        self._threads: list[threading.Thread] = []
        self._returns: _Returns | None = None
        self._closed = False
        #: Units of work running now, and when the last one ended (``time.monotonic``).
        self._busy = 0
        self._last_end = 0.0
        self._quiet_waiters = 0
        #: Wake a second thread only when the queue stalls (see the module's notes on ``lazy``).
        self.lazy = lazy
        #: Threads started or woken that have not gone back to sleep, and calls taken so far.
        self._awake = 0
        self._taken = 0
        #: The stall check: whether one is scheduled, on which loop, and ``_taken`` when it was.
        self._watching = False
        self._watch_loop: asyncio.AbstractEventLoop | None = None
        self._watch_taken = 0

    async def run(self, func: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``func(*args, **kwargs)`` in one of the pool's threads and wait for it without blocking."""
        loop = asyncio.get_running_loop()
        returns = self._returns
        if returns is None or returns.loop is not loop:
            returns = self._returns = _Returns(loop)
        future: asyncio.Future[T] = loop.create_future()
        call = _Call(contextvars.copy_context(), func, args, kwargs, future, returns)
        with self._lock:
            if self._closed:
                raise RuntimeError(f"request threads {self.name!r} are closed")
            self._queue.append(call)
            wake, thread = self._another() if not self.lazy or not self._awake else (None, None)
            watch = (
                self.lazy
                and wake is None
                and thread is None
                and (not self._watching or self._watch_loop is not loop)
            )
            if watch:
                self._watching, self._watch_loop, self._watch_taken = True, loop, self._taken
        if wake is not None:
            wake.release()
        elif thread is not None:
            thread.start()
        if watch:
            loop.call_later(STALL_SECONDS, self._watch, loop)
        return await future

    def _another(self) -> tuple[Any, threading.Thread | None]:
        """With the lock held: wake an idle thread (its wake-up lock) or make a new one (to start)."""
        if self._idle:
            self._awake += 1
            return self._idle.pop(), None
        if len(self._threads) < self.size:
            self._awake += 1
            thread = threading.Thread(
                target=self._work, name=f"docframe-{self.name}_{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            return None, thread
        return None, None

    def _watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the loop, every ``STALL_SECONDS`` while calls wait: if no thread took one since the
        last look (they are all held by slow calls), wake one more thread."""
        wake: Any = None
        thread: threading.Thread | None = None
        with self._lock:
            if not self._queue or self._closed or self._watch_loop is not loop:
                if self._watch_loop is loop:
                    self._watching = False
                return
            if self._taken == self._watch_taken:
                wake, thread = self._another()
            self._watch_taken = self._taken
            again = bool(self._idle) or len(self._threads) < self.size
            self._watching = again
        if wake is not None:
            wake.release()
        elif thread is not None:
            thread.start()
        if again:
            loop.call_later(STALL_SECONDS, self._watch, loop)

    def _work(self) -> None:
        """A pool thread: take queued calls until the pool is closed, sleeping when there are none.

        A call's result is handed back only after the call is counted out (so its caller sees
        ``busy`` without it), in the same locked step that takes the next call.
        """
        wake = _thread.allocate_lock()
        wake.acquire()
        lock, queue = self._lock, self._queue
        ran = False
        done: tuple[_Returns, asyncio.Future[Any], bool, Any] | None = None
        while True:
            with lock:
                if ran:
                    self._busy -= 1
                    self._last_end = time.monotonic()
                    if not self._busy and self._quiet_waiters:
                        self._quiet.notify_all()
                item = queue.popleft() if queue else None
                if item is not None:
                    self._busy += 1
                    self._taken += 1
                elif not self._closed:
                    self._awake -= 1
                    self._idle.append(wake)
            ran = item is not None
            if done is not None:
                done[0].put(done[1], done[2], done[3])
                done = None
            if item is None:
                if self._closed:
                    return
                wake.acquire()  # released by run() (work queued) or close()
                continue
            future = item.future
            if future.cancelled():  # its caller stopped waiting before it started: skip it
                continue
            try:
                done = (item.returns, future, True, item.context.run(item.func, *item.args, **item.kwargs))
            except BaseException as exc:  # handed to the waiting coroutine, as an executor would
                done = (item.returns, future, False, exc)
            del item, future

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
            self._quiet_waiters += 1
            try:
                while True:
                    now = time.monotonic()
                    if not self._busy and now - self._last_end >= settle:
                        return True
                    if now >= deadline:
                        return False
                    idle_at = self._last_end + settle if not self._busy else deadline
                    self._quiet.wait(max(0.0, min(idle_at, deadline) - now))
            finally:
                self._quiet_waiters -= 1

    def close(self) -> None:
        """Let queued work finish and stop the threads."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            threads = list(self._threads)
        for wake in idle:
            wake.release()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()
