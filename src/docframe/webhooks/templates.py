"""Webhook templates: ``webhook_json`` and a dynamic ``request_url``, and the request built from them.

Rendered by Jinja's immutable sandboxed environment with ``doc`` (the document as a dict, dates as
strings) and ``utils`` (a few pure helpers); neither can reach Python internals. Apart from
:mod:`.render` so that Jinja is loaded by what renders or checks a template (the delivery job, a
Webhook's validation), not by every write that looks for webhooks to trigger.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from docframe.webhooks.render import BuildError, PreparedRequest, check_url

__all__ = ["build_request", "check_template"]

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


def build_request(
    spec: Mapping[str, Any], data: Mapping[str, Any] | None, values: Mapping[str, Any] | None
) -> PreparedRequest:
    """The request of one delivery, from its webhook's :func:`request_spec` and what :func:`capture`
    took of the document; :class:`BuildError` when it cannot be built."""
    url = str(spec["url"])
    if spec["dynamic"]:
        url = _render(url, values or {}, "request URL").strip()
    reason = check_url(url)
    if reason:
        raise BuildError(reason)
    body: Any = data
    if body is None:
        body = {}
        template = str(spec["template"] or "")
        if template.strip():
            text = _render(template, values or {}, "webhook_json template")
            try:
                body = json.loads(text)
            except ValueError as exc:
                raise BuildError(f"The webhook_json template did not render valid JSON: {exc}") from None
    return PreparedRequest(url=url, headers=dict(spec["headers"]), body=json.dumps(body, default=str))
