"""The HTTP methods Frappe's realtime servers call, under Frappe's names.

* ``frappe.realtime.get_user_info``: the session's user, its type and the installed apps (what a
  realtime server asks at handshake);
* ``frappe.realtime.has_permission`` (``doctype``, ``name``): ``true``, or a 403 when the user may
  not read that document (or, without a name, that DocType); also under the older names
  ``can_subscribe_doc`` / ``can_subscribe_doctype``;
* ``docframe.methods.realtime.stats`` (System Manager): this worker's sockets, rooms and queue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.methods.registry import alias, whitelist
from docframe.model import operations, persistence
from docframe.permissions import rules
from docframe.sockets.server import RUNNING

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["can_subscribe_doc", "can_subscribe_doctype", "get_user_info", "has_permission", "stats"]


def _denied(doctype: str) -> errors.PermissionError:
    return errors.PermissionError(f"No permission for {doctype}", title="Not Permitted", doctype=doctype)


def _check(ctx: Context, doctype: Any, name: Any) -> bool:
    if not isinstance(doctype, str) or not doctype:
        raise errors.ValidationError("doctype is required")
    meta = operations.read_meta(ctx, doctype)
    if name in (None, ""):
        if not rules.has_permission(ctx, meta, "read", include_shares=True):
            raise _denied(meta.name)
        return True
    try:
        doc = persistence.load_doc(ctx, meta, name)
    except errors.DoesNotExistError:
        raise _denied(meta.name) from None
    if not rules.has_permission(ctx, meta, "read", doc):
        raise _denied(meta.name)
    return True


@alias("frappe.realtime.has_permission")
@whitelist(allow_guest=True)
def has_permission(ctx: Context, doctype: str, name: str | int | None = None) -> bool:
    """``true`` when the user may read document ``name`` of ``doctype`` (or the DocType); else 403."""
    return _check(ctx, doctype, name)


@alias("frappe.realtime.can_subscribe_doc")
@whitelist(allow_guest=True)
def can_subscribe_doc(ctx: Context, doctype: str, docname: str | int | None = None) -> bool:
    """Frappe's older name of :func:`has_permission` for one document."""
    if docname in (None, ""):
        raise errors.ValidationError("docname is required")
    return _check(ctx, doctype, docname)


@alias("frappe.realtime.can_subscribe_doctype")
@whitelist(allow_guest=True)
def can_subscribe_doctype(ctx: Context, doctype: str) -> bool:
    """Frappe's older name of :func:`has_permission` for a DocType."""
    return _check(ctx, doctype, None)


@alias("frappe.realtime.get_user_info")
@whitelist(allow_guest=True)
def get_user_info(ctx: Context) -> dict[str, Any]:
    """``{"user", "user_type", "installed_apps"}`` of the request's session."""
    user_type = "Website User" if ctx.user.is_guest else ctx.user.user_type
    return {
        "user": ctx.user.name,
        "user_type": user_type,
        "installed_apps": ["frappe", *ctx.site.settings.apps],
    }


@whitelist()
def stats(ctx: Context) -> dict[str, int]:
    """This worker's realtime counters (System Manager only)."""
    if not ctx.user.is_admin and "System Manager" not in ctx.user.roles:
        raise errors.PermissionError("Not permitted", title="Not Permitted")
    totals = {"sockets": 0, "rooms": 0, "engine_sessions": 0, "queued": 0}
    for server in list(RUNNING):
        for key, value in server.stats().items():
            totals[key] = totals.get(key, 0) + value
    return totals
