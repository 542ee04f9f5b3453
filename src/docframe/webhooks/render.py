"""Building a webhook's request: conditions, body, headers and signature (templates: :mod:`.templates`).

Conditions are Python-like expressions over ``doc`` evaluated by simpleeval (never ``eval``):
attribute access on ``doc`` (``doc.status == "Open"``), comparisons, boolean logic, literals and a
few pure functions. Templates (``webhook_json`` and a dynamic ``request_url``) are rendered by
Jinja's immutable sandboxed environment with ``doc`` (the document as a dict, dates as strings) and
``utils`` (a few pure helpers); neither can reach Python internals. The body is the JSON of the data
(for both request structures, as Frappe sends it); the signature is the base64 HMAC-SHA256 of the
exact body bytes.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

import simpleeval

from docframe.webhooks.registry import WebhookDef

__all__ = [
    "SIGNATURE_HEADER",
    "BuildError",
    "Captured",
    "LazyValues",
    "PreparedRequest",
    "capture",
    "check_condition",
    "condition_met",
    "doc_values",
    "redact_headers",
    "request_spec",
    "sign",
]

SIGNATURE_HEADER = "X-Frappe-Webhook-Signature"
REDACTED = "***"
_SENSITIVE = ("authorization", "cookie", "token", "secret", "key", "password", "signature", "auth")


class BuildError(Exception):
    """The request of a delivery could not be built (the reason is in the message)."""


@dataclass(frozen=True)
class PreparedRequest:
    """What is sent: URL, headers (without the signature) and the exact body."""

    url: str
    headers: dict[str, str]
    body: str


_SIMPLE = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _SIMPLE:
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta | Decimal):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def doc_values(doc: Any) -> dict[str, Any]:
    """The document as a JSON-friendly dict (dates, times and decimals as strings, rows as dicts)."""
    return {k: _plain(v) for k, v in doc.as_dict().items()}


class _DocView:
    """Read-only attribute view of a document dict for conditions (missing fields read as None)."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_values", values)

    def __getattr__(self, name: str) -> Any:
        value = self._values.get(name)
        if isinstance(value, list):
            return [_DocView(v) if isinstance(v, Mapping) else v for v in value]
        return value

    def __getitem__(self, name: str) -> Any:
        return self.__getattr__(name)

    def get(self, name: str, default: Any = None) -> Any:
        value = self.__getattr__(name)
        return default if value is None else value


_FUNCTIONS = {
    "len": len, "str": str, "int": int, "float": float, "bool": bool, "abs": abs, "min": min,
    "max": max, "round": round, "sum": sum, "any": any, "all": all,
}  # fmt: skip


_LOCAL = threading.local()


@functools.lru_cache(maxsize=256)
def _parsed(condition: str) -> Any:
    """The syntax tree of ``condition`` (parsed once; evaluating a tree does not change it)."""
    return simpleeval.SimpleEval.parse(condition)


def _evaluator(values: Mapping[str, Any]) -> simpleeval.EvalWithCompoundTypes:
    """This thread's evaluator (making one costs more than evaluating a condition), bound to ``values``."""
    evaluator: simpleeval.EvalWithCompoundTypes | None = getattr(_LOCAL, "evaluator", None)
    if evaluator is None:
        evaluator = _LOCAL.evaluator = simpleeval.EvalWithCompoundTypes(functions=_FUNCTIONS)
    evaluator.names = {"doc": _DocView(values), "True": True, "False": False, "None": None}
    return evaluator


def condition_met(condition: str, values: Mapping[str, Any]) -> bool:
    """Evaluate ``condition`` over the document values; raises on an invalid expression."""
    return bool(_evaluator(values).eval(condition, previously_parsed=_parsed(condition)))


class LazyValues(Mapping[str, Any]):
    """A document's values as :func:`doc_values` has them, each made when read: a condition reads
    a few fields of the document, not its whole dict."""

    __slots__ = ("_all", "_doc")

    def __init__(self, doc: Any) -> None:
        self._doc = doc
        self._all: dict[str, Any] | None = None

    def _values(self) -> dict[str, Any]:
        if self._all is None:
            self._all = doc_values(self._doc)
        return self._all

    def __getitem__(self, key: str) -> Any:
        try:
            return _field(self._doc, key)
        except BuildError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._values())

    def __len__(self) -> int:
        return len(self._values())


def check_condition(condition: str, values: Mapping[str, Any]) -> str | None:
    """None when ``condition`` is a valid expression here, else the reason (Frappe's validation)."""
    try:
        condition_met(condition, values)
    except (SyntaxError, simpleeval.InvalidExpression) as exc:
        return f"{type(exc).__name__}: {exc}"
    except Exception:  # a runtime error on an empty document (None > 3): the syntax is fine
        return None
    return None


@functools.lru_cache(maxsize=1024)
def check_url(url: str) -> str | None:
    """None when ``url`` is an absolute http(s) URL, else the reason."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return f"Check Request URL: {url!r} is not an http(s) URL"
    return None


def _field(doc: Any, fieldname: str) -> Any:
    """One field of ``doc`` as the document's dict would hold it (BuildError when it has none)."""
    meta = doc.meta
    if fieldname == "doctype":
        return doc.doctype
    field = meta.fields_by_name.get(fieldname)
    if field is not None and field.is_table:
        return [_plain(row.as_dict()) for row in doc.get(fieldname) or []]
    if fieldname in meta.all_columns:
        return _plain(doc.get(fieldname))
    raise BuildError(f"Field {fieldname} not found in {doc.doctype}")


def request_spec(hook: WebhookDef) -> dict[str, Any]:
    """What the delivery job needs of ``hook`` to build its requests, as JSON values.

    Taken with the deliveries when their transaction commits (so a delivery is sent as the webhook
    was then); header values that may hold credentials are stored as ``***`` and filled in from the
    Webhook at send time, so no secret is ever written with a delivery.
    """
    return {
        "url": hook.request_url,
        "dynamic": hook.is_dynamic_url,
        "method": hook.request_method,
        "template": "" if hook.data else hook.webhook_json,
        "headers": redact_headers(dict(hook.headers)),
        "timeout": hook.timeout,
    }


Captured = tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]


def capture(hook: WebhookDef, doc: Any) -> Captured:
    """What a delivery of ``hook`` needs of ``doc``, taken from its last state: (data, values, error).

    ``data`` is the body's ``{key: value}`` of the data rows (None without rows); ``values`` is the
    document's dict (:func:`doc_values`), only when a template (the ``webhook_json`` body or a dynamic
    URL) needs it; ``error`` says why the data could not be taken (a field the DocType lacks). Cheap on
    purpose: it runs in the user's transaction; JSON, templates and URLs wait for the delivery job.
    """
    try:
        data = {key: _field(doc, fieldname) for fieldname, key in hook.data} if hook.data else None
    except BuildError as exc:
        return None, None, str(exc)
    needs_values = hook.is_dynamic_url or (data is None and bool(hook.webhook_json.strip()))
    return data, (doc_values(doc) if needs_values else None), None


def sign(body: bytes, secret: str) -> str:
    """``X-Frappe-Webhook-Signature``: base64 of HMAC-SHA256 of ``body`` with ``secret``."""
    return base64.b64encode(hmac.new(secret.encode("utf8"), body, hashlib.sha256).digest()).decode()


def is_sensitive(key: str) -> bool:
    """Whether a header's value is kept out of logs (credentials, tokens, signatures)."""
    lowered = key.lower()
    return any(word in lowered for word in _SENSITIVE)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` with the values of sensitive ones replaced by ``***`` (what the log stores)."""
    return {k: (REDACTED if is_sensitive(k) else v) for k, v in headers.items()}


__all__ += ["REDACTED", "check_url", "is_sensitive"]
