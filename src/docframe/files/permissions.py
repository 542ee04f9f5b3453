"""File permissions: who may read, change or delete a File, list File records, or reuse a stored file.

Frappe's rule for one File (its ``has_permission`` hook), which only narrows the role rules (the
shipped rows give the ``All`` role read/write/create/delete):

* ``create`` is left to the role rules;
* a public file may be read (and selected) by anyone;
* its owner may do anything with it (Guest owns nothing);
* a file attached to a document follows that document: read needs read on it, write/create/delete
  need write on it; a missing document grants nothing;
* anything else is refused — so a private, unattached file of somebody else is closed to everyone
  but its owner and the Administrator.

Lists (:func:`list_condition`): Website Users see only their own File records (Frappe's rule);
System Users see public files, their own, and private files attached to documents they may list.
Frappe grants the last part per DocType (every private attachment of a readable DocType); docframe
grants it per document, by the same row conditions as the attached DocType's own list.

A File record names a stored file by ``file_url``. A record for an existing private file can only be
made (or an existing record re-pointed to one) by a user who may already read a File record of that
file (:func:`check_may_reference`): otherwise anyone could create a record of their own for another
user's private file and download it as its owner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Table, and_, cast, or_, select
from sqlalchemy.sql import ColumnElement

from docframe import errors
from docframe.db.repos import files
from docframe.files.storage import PRIVATE_PREFIX
from docframe.model import persistence
from docframe.permissions.conditions import doctype_conditions
from docframe.permissions.rules import has_permission
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["check_may_reference", "file_permission", "list_condition", "may_read_url"]

_WRITE_LIKE = frozenset({"write", "create", "delete", "cancel", "submit", "amend"})


def _cint(value: Any) -> int:
    try:
        return int(float(value or 0))
    except (TypeError, ValueError, OverflowError):
        return 0


def file_permission(ctx: Context, doc: Any, ptype: str, user: User) -> bool:
    """Whether the File rule lets ``user`` ``ptype`` the File ``doc`` (role rules decide the rest)."""
    if user.is_admin or ptype == "create":
        return True
    if not _cint(doc.get("is_private")) and ptype in ("read", "select"):
        return True
    if not user.is_guest and str(doc.get("owner") or "").lower() == user.name.lower():
        return True
    doctype, name = doc.get("attached_to_doctype"), doc.get("attached_to_name")
    if not doctype or name in (None, "") or not ctx.meta_exists(str(doctype)):
        return False
    meta = ctx.meta(str(doctype))
    if meta.istable or (not meta.issingle and not meta.has_table):
        return False
    try:
        target = persistence.load_doc(ctx, meta, name)
    except (errors.DoesNotExistError, errors.ValidationError):
        return False
    return has_permission(ctx, meta, "write" if ptype in _WRITE_LIKE else "read", target)


def _attached_doctypes(ctx: Context, table: Table, user: User) -> list[str]:
    """DocTypes that other users' private files are attached to."""
    return files.attached_doctypes(ctx.conn, table, user.name)


def _attached_clause(ctx: Context, table: Table, user: User, doctype: str) -> ColumnElement[bool] | None:
    """Files attached to the documents of ``doctype`` that ``user`` may list (``None``: none)."""
    if not ctx.meta_exists(doctype):
        return None
    meta = ctx.meta(doctype)
    if meta.istable or (not meta.issingle and not meta.has_table):
        return None
    if meta.issingle:
        return table.c.attached_to_doctype == doctype if has_permission(ctx, meta, "read") else None
    target = ctx.site.tables.get(meta)
    try:
        limits = doctype_conditions(ctx, meta, target, user)
    except errors.PermissionError:
        return None
    names = select(cast(target.c.name, String) if meta.naming_rule == "autoincrement" else target.c.name)
    if limits:
        names = names.where(and_(*limits))
    return and_(table.c.attached_to_doctype == doctype, table.c.attached_to_name.in_(names.scalar_subquery()))


def list_condition(ctx: Context, table: Table, user: User) -> ColumnElement[bool] | None:
    """The WHERE clause limiting File lists for ``user`` (``None`` for the Administrator)."""
    if user.is_admin:
        return None
    own = table.c.owner == user.name
    if not user.is_system_user:
        return own
    clauses: list[ColumnElement[bool]] = [table.c.is_private == 0, own]
    for doctype in _attached_doctypes(ctx, table, user):
        clause = _attached_clause(ctx, table, user, doctype)
        if clause is not None:
            clauses.append(clause)
    return or_(*clauses)


def may_read_url(ctx: Context, url: str, *, exclude: Any = None) -> bool:
    """Whether ``ctx.user`` may read some File record (other than ``exclude``) of the stored ``url``."""
    user = ctx.user
    if user.is_guest and url.startswith(PRIVATE_PREFIX):
        return False
    meta = ctx.meta("File")
    table = ctx.site.tables.get(meta)
    if user.is_admin:
        return bool(files.file_names_of_url(ctx.conn, table, url, exclude, 1))
    for name in files.file_names_of_url(ctx.conn, table, url, exclude, 50):
        try:
            doc = persistence.load_doc(ctx, meta, name)
        except errors.DoesNotExistError:
            continue
        if has_permission(ctx, meta, "read", doc):
            return True
    return False


def check_may_reference(ctx: Context, url: str, *, exclude: Any = None) -> None:
    """403 unless ``ctx.user`` may point a File record at the stored ``url``.

    Public files are open to all. For a private one the user must already be able to read a File
    record of it; the answer does not depend on whether the file exists, so it tells nothing.
    """
    if not url.startswith(PRIVATE_PREFIX) or ctx.user.is_admin:
        return
    if not may_read_url(ctx, url, exclude=exclude):
        raise errors.PermissionError(
            f"No permission to use the file {url}", title="Not Permitted", doctype="File"
        )
