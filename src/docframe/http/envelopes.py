"""Envelopes: the v1 and v2 JSON bodies for success and error, and JSON encoding of values.

v1 puts results under ``message`` (RPC) or ``data`` (resources) and encodes queued messages as
``_server_messages`` (a JSON string of JSON strings); v2 puts every result under ``data`` and
messages in a real ``messages`` array, errors in ``errors``. Datetimes are ``str()``-formatted with
a space separator, as Frappe sends them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import orjson

from docframe.errors import FrappeError, Message
from docframe.model.document import Document

__all__ = ["Reply", "dumps", "error_body", "success_body"]


def _default(value: Any) -> Any:
    kind = type(value)
    # str() of these is their isoformat (" " between date and time), reached through a method lookup.
    if kind is datetime:
        return value.isoformat(" ")
    if kind is date or kind is time:
        return value.isoformat()
    if isinstance(value, datetime | date | time):
        return str(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, timedelta):
        total = int(value.total_seconds())
        sign = "-" if total < 0 else ""
        total = abs(total)
        text = f"{sign}{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
        return text + (f".{value.microseconds:06d}" if value.microseconds else "")
    if isinstance(value, Document):
        return value.as_dict(no_nulls=True)
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, bytes):
        return list(value)
    return str(value)


_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """Encode ``value`` as Frappe clients expect (UTF-8 JSON)."""
    return orjson.dumps(value, default=_default, option=_OPTIONS)


@dataclass
class Reply:
    """What an endpoint returns when it needs more than a value: a status and extra top-level keys."""

    data: Any = None
    status: int = 200
    extra: dict[str, Any] = field(default_factory=dict)
    result_key: str | None = None
    #: A body sent as it is, without an envelope (the OpenAPI document, the docs page and its assets).
    raw: bytes | None = None


def _v1_messages(messages: list[Message]) -> str:
    return dumps([dumps(m.as_dict()).decode() for m in messages]).decode()


def success_body(version: int, reply: Reply, messages: list[Message], *, rpc: bool) -> dict[str, Any]:
    """The success body of a v1 or v2 response."""
    body: dict[str, Any] = dict(reply.extra)
    key = reply.result_key or ("message" if rpc and version == 1 else "data")
    if reply.data is not None:
        body[key] = reply.data
    if messages:
        if version == 1:
            body["_server_messages"] = _v1_messages(messages)
        else:
            body["messages"] = [m.as_dict() for m in messages]
    return body


def error_body(
    version: int,
    exc: BaseException,
    messages: list[Message],
    *,
    traceback_text: str | None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The error body of a v1 or v2 response (``traceback_text`` only when it may be shown)."""
    type_name = type(exc).__name__
    own = list(exc.messages) if isinstance(exc, FrappeError) else []
    body: dict[str, Any] = dict(extra or {})
    if version == 1:
        body["exc_type"] = type_name
        if traceback_text is not None:
            module = exc.wire_module if isinstance(exc, FrappeError) else type(exc).__module__
            body["exception"] = (
                f"{module}.{type_name}: {exc}".rstrip(": ") if str(exc) else f"{module}.{type_name}"
            )
            body["exc"] = dumps([traceback_text]).decode()
        all_messages = messages + own
        if all_messages:
            body["_server_messages"] = _v1_messages(all_messages)
        return body
    error: dict[str, Any] = {"type": type_name}
    if own:
        first = own[0].as_dict()
        first.pop("raise_exception", None)
        error.update(first)
        rest = own[1:]
    else:
        rest = []
    if traceback_text is not None:
        error["exception"] = traceback_text
    body["errors"] = [error]
    other = messages + rest
    if other:
        body["messages"] = [m.as_dict() for m in other]
    return body
