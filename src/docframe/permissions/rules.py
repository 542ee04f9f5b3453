"""Permission rules: may this user do this to this DocType (or this document)?

Pure functions over :class:`~docframe.meta.schema.Meta` DocPerm rows and a
:class:`~docframe.auth.users.User`. Only the Administrator bypasses them. Rules of a role apply at
``permlevel`` 0 for document access; ``if_owner`` rules grant access only to documents the user
owns. Child tables have no rules of their own: access follows the parent DocType.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe import errors
from docframe.auth.users import User
from docframe.meta.schema import Meta

if TYPE_CHECKING:
    from docframe.model.document import Document

__all__ = ["check_permission", "doctype_rights", "has_permission"]


def doctype_rights(user: User, meta: Meta) -> tuple[frozenset[str], frozenset[str]]:
    """The rights the user's roles grant at level 0: (unconditional, owner-only)."""
    full: set[str] = set()
    owner_only: set[str] = set()
    for perm in meta.permissions:
        if perm.permlevel != 0 or perm.role not in user.roles:
            continue
        (owner_only if perm.if_owner else full).update(perm.rights)
    return frozenset(full), frozenset(owner_only - full)


def has_permission(user: User, meta: Meta, ptype: str = "read", doc: Document | None = None) -> bool:
    """Whether ``user`` may ``ptype`` on ``meta`` (and on ``doc``, when given)."""
    if user.is_admin:
        return True
    full, owner_only = doctype_rights(user, meta)
    if ptype in full or (ptype == "select" and "read" in full):
        return True
    if ptype in owner_only or (ptype == "select" and "read" in owner_only):
        if doc is None:
            return True
        return doc.get("owner") == user.name or doc.is_new()
    return False


def check_permission(user: User, meta: Meta, ptype: str, doc: Any = None) -> None:
    """Raise :class:`~docframe.errors.PermissionError` (403) unless :func:`has_permission`."""
    if has_permission(user, meta, ptype, doc):
        return
    if doc is not None and getattr(doc, "name", None) is not None and not doc.is_new():
        message = f"No permission for {meta.name} {doc.name}" if ptype == "read" else "Not permitted"
    else:
        message = f"No permission for {meta.name}" if ptype in ("read", "select") else "Not permitted"
    raise errors.PermissionError(message, title="Not Permitted", doctype=meta.name)
