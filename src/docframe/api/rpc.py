"""RPC endpoints: ``/api/method/{dotted}`` (v1), ``/api/v2/method/{dotted}``, and ``cmd=`` calls."""

from __future__ import annotations

from docframe import errors
from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.methods.call import call_method, check_access
from docframe.methods.registry import resolve

__all__ = ["call", "call_v1", "call_v2", "login_noop"]


def call(req: ApiRequest, name: str) -> Reply:
    """Resolve, check and call the method ``name``; its result is the reply's data."""
    if not name:
        raise errors.DoesNotExistError()
    spec = resolve(name, req.ctx.site.hooks.method_overrides)
    check_access(req.ctx, spec, req.method)
    form = {k: v for k, v in req.form.items() if k != "cmd"} if req.version == 2 else req.form
    return Reply(call_method(req.ctx, spec, form))


def call_v1(req: ApiRequest, method: str) -> Reply:
    """``/api/method/{method}``: only the part before the first ``/`` names the method."""
    return call(req, method.split("/", 1)[0])


def call_v2(req: ApiRequest, method: str) -> Reply:
    """``/api/v2/method/{method}``."""
    return call(req, method)


def login_noop(req: ApiRequest) -> Reply:
    """``/api/v2/method/login`` and ``/api/v1/method/login`` do not log in (Frappe's behaviour)."""
    return Reply(None)
