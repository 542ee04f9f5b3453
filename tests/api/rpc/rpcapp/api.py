"""Whitelisted functions of the test app."""

from __future__ import annotations

from typing import Any

from docframe.context import Context
from docframe.methods.registry import alias, whitelist
from docframe.ratelimit.limiter import rate_limit


@whitelist()
def add(a: int, b: int = 10) -> int:
    """Typed arguments: strings from a query string are converted."""
    return a + b


@whitelist()
def shape(data: dict[str, Any], items: list[Any] | None = None, flag: bool = False) -> dict[str, Any]:
    """JSON arguments and a boolean."""
    return {"keys": sorted(data), "count": len(items or []), "flag": flag}


@whitelist()
def everything(ctx: Context, **kwargs: Any) -> dict[str, Any]:
    """Receives every form key (except the always-dropped ones) and the user."""
    return {"user": ctx.user.name, "keys": sorted(kwargs)}


@whitelist(methods=["POST"])
def post_only() -> str:
    """Only POST may call this."""
    return "posted"


@whitelist(allow_guest=True)
def hello(name: str = "world") -> str:
    """Guests may call this."""
    return f"hello {name}"


def not_exposed() -> str:
    """Not whitelisted."""
    return "secret"


@whitelist()
def original() -> str:
    """Replaced by the override hook."""
    return "original"


@whitelist(allow_guest=True)
def replacement() -> str:
    """The override target."""
    return "replacement"


@alias("rpcapp.short_name")
@whitelist()
def aliased() -> str:
    """Also served under a registered alias."""
    return "aliased"


@whitelist()
def returns_none() -> None:
    """No value: no ``message``/``data`` key."""
    return None


#: Job ids queued by :func:`queue_then_fail` (read by the tests, in-process).
QUEUED_BEFORE_FAILING: list[str] = []


@whitelist(methods=["POST"])
def queue_whoami(ctx: Context) -> str:
    """Queue a job that reports the user it runs as; returns the job id."""
    from docframe.jobs import enqueue

    return enqueue(ctx.site, "tests.api.rpc.rpcapp.jobs.whoami")


@whitelist(methods=["POST"])
def queue_then_fail(ctx: Context, description: str) -> None:
    """Queue a job, then fail the request: the job must never run."""
    from docframe import errors
    from docframe.jobs import enqueue

    QUEUED_BEFORE_FAILING.append(
        enqueue(ctx.site, "tests.api.rpc.rpcapp.jobs.make_todo", description=description)
    )
    raise errors.ValidationError("request failed after queueing")


@whitelist(allow_guest=True, methods=["GET", "POST"])
@rate_limit(limit=3, seconds=60)
def limited(tag: str = "") -> str:
    """Three calls per minute per client address (``@rate_limit``)."""
    return f"ok {tag}"
