"""Building a webhook's request: conditions, templates, body, headers and signature.

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
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlparse

import simpleeval
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from docframe.webhooks.registry import WebhookDef

__all__ = [
    "SIGNATURE_HEADER",
    "BuildError",
    "PreparedRequest",
    "build_request",
    "check_condition",
    "check_template",
    "condition_met",
    "doc_values",
    "redact_headers",
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


def _evaluator(values: Mapping[str, Any]) -> simpleeval.EvalWithCompoundTypes:
    return simpleeval.EvalWithCompoundTypes(
        names={"doc": _DocView(values), "True": True, "False": False, "None": None}, functions=_FUNCTIONS
    )


def condition_met(condition: str, values: Mapping[str, Any]) -> bool:
    """Evaluate ``condition`` over the document values; raises on an invalid expression."""
    return bool(_evaluator(values).eval(condition))


def check_condition(condition: str, values: Mapping[str, Any]) -> str | None:
    """None when ``condition`` is a valid expression here, else the reason (Frappe's validation)."""
    try:
        condition_met(condition, values)
    except (SyntaxError, simpleeval.InvalidExpression) as exc:
        return f"{type(exc).__name__}: {exc}"
    except Exception:  # a runtime error on an empty document (None > 3): the syntax is fine
        return None
    return None


_UTILS = SimpleNamespace(
    now=lambda: dt.datetime.now().isoformat(sep=" "), today=lambda: dt.date.today().isoformat(),
    cstr=lambda v: "" if v is None else str(v), cint=lambda v: int(float(v or 0)), flt=lambda v: float(v or 0),
)  # fmt: skip
_ENV = ImmutableSandboxedEnvironment(autoescape=False)


def check_template(source: str) -> str | None:
    """None when ``source`` parses as a Jinja template, else the reason."""
    try:
        _ENV.parse(source)
    except TemplateError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _render(source: str, values: Mapping[str, Any], what: str) -> str:
    try:
        return _ENV.from_string(source).render(doc=values, utils=_UTILS)
    except TemplateError as exc:  # includes SecurityError from the sandbox
        raise BuildError(f"Could not render the {what}: {type(exc).__name__}: {exc}") from None
    except Exception as exc:
        raise BuildError(f"Could not render the {what}: {type(exc).__name__}: {exc}") from None


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


def _data(hook: WebhookDef, doc: Any, values: Callable[[], Mapping[str, Any]]) -> Any:
    if hook.data:
        return {key: _field(doc, fieldname) for fieldname, key in hook.data}
    if hook.webhook_json.strip():
        text = _render(hook.webhook_json, values(), "webhook_json template")
        try:
            return json.loads(text)
        except ValueError as exc:
            raise BuildError(f"The webhook_json template did not render valid JSON: {exc}") from None
    return {}


def build_request(hook: WebhookDef, doc: Any) -> PreparedRequest:
    """The request ``hook`` sends for document ``doc``; :class:`BuildError` when it cannot be built.

    The document's full dict is made only for a template (a data-rows body reads its fields).
    """
    made: list[Mapping[str, Any]] = []

    def values() -> Mapping[str, Any]:
        if not made:
            made.append(doc_values(doc))
        return made[0]

    url = hook.request_url
    if hook.is_dynamic_url:
        url = _render(url, values(), "request URL").strip()
    reason = check_url(url)
    if reason:
        raise BuildError(reason)
    body = json.dumps(_data(hook, doc, values), default=str)
    return PreparedRequest(url=url, headers=dict(hook.headers), body=body)


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
