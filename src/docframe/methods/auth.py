"""Whitelisted identity and access methods, under Frappe's names.

* ``frappe.core.doctype.user.user.generate_keys`` (POST, System Manager): a new API secret every
  call (returned once, stored only as a digest), an API key when the user has none;
* ``frappe.client.has_permission`` / ``frappe.client.get_doc_permissions``: a user's rights on one
  document, evaluated like every other check;
* ``frappe.sessions.get_csrf_token``: the session's CSRF token, minted on first use (what the desk
  boot embeds);
* ``frappe.share.add`` / ``frappe.share.remove``: share a document with a user or with everyone.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.auth.csrf import csrf_token
from docframe.db.repos import rows
from docframe.meta.schema import PERM_TYPES, Meta
from docframe.methods.registry import alias, whitelist
from docframe.model import lifecycle, operations, persistence
from docframe.model.document import Document
from docframe.permissions import rules

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "add_share",
    "generate_keys",
    "get_csrf_token",
    "get_doc_permissions",
    "has_permission",
    "remove_share",
]

KEY_LENGTH = 15


def _only_system_manager(ctx: Context) -> None:
    if not ctx.user.is_admin and "System Manager" not in ctx.user.roles:
        raise errors.PermissionError("Not permitted", title="Not Permitted")


@alias("frappe.core.doctype.user.user.generate_keys", "frappe.core.api.auth.generate_api_keys")
@whitelist(methods=["POST"])
def generate_keys(ctx: Context, user: str) -> dict[str, str]:
    """Rotate ``user``'s API secret (and create an API key if missing); the secret is shown once."""
    _only_system_manager(ctx)
    doc = operations.get_document(ctx, "User", user, ptype="write", for_update=True)
    secret = secrets.token_hex(16)
    if not doc.get("api_key"):
        doc.set("api_key", secrets.token_hex(8)[:KEY_LENGTH])
    doc.set("api_secret", secret)
    lifecycle.save(ctx, doc)
    return {"api_key": str(doc.api_key), "api_secret": secret}


def _load(ctx: Context, doctype: str, docname: Any) -> tuple[Meta, Document]:
    """The document to judge; 404 when missing (403 when the user may not read the DocType)."""
    meta = operations.read_meta(ctx, doctype)
    try:
        return meta, persistence.load_doc(ctx, meta, docname)
    except errors.DoesNotExistError:
        if not meta.istable and not rules.has_permission(ctx, meta, "read"):
            raise errors.PermissionError(
                f"No permission for {meta.name}", title="Not Permitted", doctype=meta.name
            ) from None
        raise


@alias("frappe.client.has_permission", "frappe.core.api.document.has_permission")
@whitelist()
def has_permission(
    ctx: Context, doctype: str, docname: str | int, perm_type: str = "read"
) -> dict[str, bool]:
    """``{"has_permission": true|false}``: may the user ``perm_type`` this document (shares count)?"""
    ptype = str(perm_type).strip().lower()
    if docname in (None, ""):
        meta = operations.read_meta(ctx, doctype)
        return {"has_permission": rules.has_permission(ctx, meta, ptype, include_shares=True)}
    meta, doc = _load(ctx, doctype, docname)
    allowed = ptype in PERM_TYPES and rules.has_permission(ctx, meta, ptype, doc)
    return {"has_permission": allowed}


@alias("frappe.client.get_doc_permissions", "frappe.core.api.document.get_doc_permissions")
@whitelist()
def get_doc_permissions(ctx: Context, doctype: str, docname: str | int) -> dict[str, dict[str, int]]:
    """``{"permissions": {"read": 1, "write": 0, ...}}``: the user's rights from roles, owner and
    User Permissions, after the controller's rule (Frappe's ``get_doc_permissions``; shares are not
    included, as in Frappe)."""
    meta, doc = _load(ctx, doctype, docname)
    if meta.istable:
        found = rules.parent_of(ctx, meta, doc)
        if found is None:
            return {"permissions": dict.fromkeys(PERM_TYPES, 0)}
        meta, doc = found
    granted = rules.doc_rights(ctx, meta, doc, ctx.user, "read")
    return {"permissions": {p: int(p in granted) for p in PERM_TYPES}}


@alias("frappe.sessions.get_csrf_token", "frappe.auth.get_csrf_token")
@whitelist()
def get_csrf_token(ctx: Context) -> str | None:
    """The CSRF token of the caller's session, minted now if it has none (``null`` without a session).

    Once a session has a token, its unsafe requests must send it as ``X-Frappe-CSRF-Token``.
    """
    return csrf_token(ctx, ctx.auth)


def _share_name(ctx: Context, doctype: str, name: str, user: str | None, everyone: bool) -> Any:
    table = ctx.site.tables.get(ctx.meta("DocShare"))
    who = {"everyone": 1} if everyone else {"user": user}
    return rows.value(ctx.conn, table, "name", {"share_doctype": doctype, "share_name": name, **who})


def _check_share(ctx: Context, doctype: str, name: str) -> Meta:
    meta, doc = _load(ctx, doctype, name)
    if not rules.has_permission(ctx, meta, "share", doc):
        raise errors.PermissionError(f"No permission to share {doctype} {name}", title="Not Permitted")
    return meta


def _flag(value: Any) -> int:
    return 1 if str(value).strip().lower() in ("1", "true", "yes") else 0


@alias("frappe.share.add", "frappe.share.add_docshare")
@whitelist(methods=["POST", "PUT"])
def add_share(
    ctx: Context,
    doctype: str,
    name: str,
    user: str | None = None,
    read: Any = 1,
    write: Any = 0,
    submit: Any = 0,
    share: Any = 0,
    everyone: Any = 0,
    notify: Any = 0,
) -> dict[str, Any]:
    """Share ``doctype`` ``name`` with ``user`` (or everyone); updates an existing share."""
    _check_share(ctx, doctype, name)
    target_user = None if _flag(everyone) else (user or ctx.user.name)
    meta = ctx.meta("DocShare")
    existing = _share_name(ctx, doctype, name, target_user, bool(_flag(everyone)))
    if existing is not None:
        doc = persistence.load_doc(ctx, meta, existing, for_update=True)
    else:
        doc = persistence.new_document(
            ctx, meta, {"user": target_user, "share_doctype": doctype, "share_name": name}
        )
    doc.update(
        {"read": 1, "write": _flag(write), "submit": _flag(submit), "share": _flag(share),
         "everyone": _flag(everyone), "notify_by_email": _flag(notify)}
    )  # fmt: skip
    doc.flags.ignore_permissions = True
    lifecycle.save(ctx, doc, ignore_permissions=True)
    return doc.as_dict()


@alias("frappe.share.remove")
@whitelist(methods=["POST", "PUT", "DELETE"])
def remove_share(ctx: Context, doctype: str, name: str, user: str | None = None, everyone: Any = 0) -> None:
    """Take back the share of ``doctype`` ``name`` with ``user`` (or with everyone)."""
    _check_share(ctx, doctype, name)
    existing = _share_name(ctx, doctype, name, user or ctx.user.name, bool(_flag(everyone)))
    if existing is not None:
        lifecycle.delete_doc(ctx, "DocShare", existing, ignore_permissions=True)
    return None
