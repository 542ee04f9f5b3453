"""RPC endpoints: ``/api/method/{dotted}`` (v1), ``/api/v2/method/...``, and ``cmd=`` calls.

v1 and ``cmd`` put the result in ``message``, v2 in ``data``. A method may also send documents
back (``run_doc_method``): they go in the top-level ``docs`` list. Resolution, the whitelist and
the HTTP-method check are :mod:`docframe.methods`'s; these endpoints only pick the name.
"""

from __future__ import annotations

from typing import Any

from docframe import errors
from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.methods.builtin import logout
from docframe.methods.call import TopLevel, call_method, check_access
from docframe.methods.documents import WithDocs, run_doc_method_v2
from docframe.methods.registry import MethodSpec, resolve
from docframe.model import operations

__all__ = [
    "call",
    "call_doctype_v2",
    "call_v1",
    "call_v2",
    "login_noop",
    "logout_v2",
    "reply_for",
    "run_doc_method_v2_endpoint",
]


def reply_for(value: Any) -> Reply:
    """The reply for a method's return value (``docs`` become a top-level key)."""
    if isinstance(value, WithDocs):
        extra = dict(value.extra)
        if value.with_docs:
            extra["docs"] = value.docs
        return Reply(value.value, extra=extra)
    if isinstance(value, TopLevel):
        return Reply(extra=dict(value.keys))
    return Reply(value)


def _invoke(req: ApiRequest, spec: MethodSpec) -> Reply:
    check_access(req.ctx, spec, req.method)
    form = {k: v for k, v in req.form.items() if k != "cmd"} if req.version == 2 else req.form
    extras = {"http_method": req.method, "uploads": req.files}
    return reply_for(call_method(req.ctx, spec, form, extras))


def call(req: ApiRequest, name: str) -> Reply:
    """Resolve, check and call the method ``name``; its result is the reply's data."""
    if not name:
        raise errors.DoesNotExistError()
    site = req.ctx.site
    spec = resolve(name, site.hooks.method_overrides, apps=site.settings.apps, v2=req.version == 2)
    return _invoke(req, spec)


def call_v1(req: ApiRequest, method: str) -> Reply:
    """``/api/method/{method}``: only the part before the first ``/`` names the method."""
    return call(req, method.split("/", 1)[0])


def call_v2(req: ApiRequest, method: str) -> Reply:
    """``/api/v2/method/{method}``."""
    return call(req, method)


def call_doctype_v2(req: ApiRequest, doctype: str, method: str) -> Reply:
    """``/api/v2/method/{doctype}/{method}``: ``method`` of the DocType's controller module."""
    meta = operations.read_meta(req.ctx, doctype)
    module = req.ctx.site.metas.module_of.get(meta.name)
    if meta.custom or not module:
        raise errors.ValidationError(
            f"Failed to get method {doctype}.{method} with DocType {doctype} has no controller module"
        )
    return call(req, f"{module}.{method}")


def run_doc_method_v2_endpoint(req: ApiRequest) -> Reply:
    """``/api/v2/method/run_doc_method`` (GET needs read, POST write, on ``document``)."""
    form = req.form
    for key in ("method", "document"):
        if form.get(key) in (None, ""):
            raise errors.FrappeTypeError(
                f"run_doc_method() missing required argument: '{key}'", title="Missing Argument"
            )
    return reply_for(
        run_doc_method_v2(req.ctx, req.method, form["method"], form["document"], form.get("kwargs"))
    )


def logout_v2(req: ApiRequest) -> Reply:
    """``POST /api/v2/method/logout``: end the session (Guest's login body, as in v1)."""
    return reply_for(logout(req.ctx))


def login_noop(req: ApiRequest) -> Reply:
    """``/api/v2/method/login`` and ``/api/v1/method/login`` do not log in (Frappe's behaviour)."""
    return Reply(None)
