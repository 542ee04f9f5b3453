"""Optional heavy dependencies, imported on first use rather than when docframe is imported.

``redis`` and ``rq`` (+7.8 MiB per process between them) serve only sites whose config has a
``redis_url``; a site without one (the SQLite default) never needs them. They are imported here,
inside these functions, and nowhere else at module level outside the command-line tools that only
run for Redis sites (``docframe worker``), so a serving worker of such a site never loads them.
Code on a Redis path calls these accessors; annotations name the types under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import redis
    import rq

__all__ = ["is_redis_error", "redis_errors", "redis_from_url", "rq_queue"]


def redis_from_url(url: str, **options: Any) -> redis.Redis:
    """A Redis client of ``url`` (``redis.Redis.from_url``)."""
    import redis  # optional heavy dependency: see the module docstring

    return redis.Redis.from_url(url, **options)


def redis_errors() -> tuple[type[Exception], ...]:
    """What a Redis call raises when the server is unreachable or fails: ``redis.RedisError`` and ``OSError``.

    Called in ``except`` clauses of Redis paths, where ``redis`` is already loaded.
    """
    import redis  # optional heavy dependency: see the module docstring

    return (redis.RedisError, OSError)


def is_redis_error(exc: BaseException) -> bool:
    """Whether ``exc`` is a ``redis.RedisError``, without importing ``redis`` (not loaded: it is not)."""
    module = sys.modules.get("redis")
    return module is not None and isinstance(exc, module.RedisError)


def rq_queue(name: str, connection: redis.Redis) -> rq.Queue:
    """The RQ queue ``name`` on ``connection``."""
    import rq  # optional heavy dependency: see the module docstring

    return rq.Queue(name, connection=connection)
