"""User Permissions: record-level restrictions on which Link values a user may see and use.

A ``User Permission`` (user, allow = DocType, for_value = name, applicable_for, apply_to_all_doctypes,
is_default, hide_descendants) restricts the user to the listed ``allow`` documents:

* a document of DocType D is refused when D itself is restricted and its name is not listed;
* a document is refused when one of its Link fields (or a child row's) points at a restricted
  DocType with a value that is not listed — empty values pass unless System Settings
  ``apply_strict_user_permissions`` is on (never for Singles);
* an entry with ``applicable_for`` applies only to documents of that DocType.

Tree DocTypes include the descendants of each listed node unless ``hide_descendants``. The
Administrator and the Guest never have user permissions. Each user's entries are compiled once and
cached per site (the User Permission controller clears the cache; other worker processes follow
within half a second when the site has Redis, else within :data:`TTL` seconds).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, or_
from sqlalchemy.sql import ColumnElement

from docframe.auth.settings import auth_settings
from docframe.auth.stores import shared_epoch
from docframe.db.repos.permissions import tree_descendants, user_permission_rows
from docframe.meta.schema import Meta
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = [
    "Entry",
    "UserPermissionCache",
    "allowed_values",
    "allows_document",
    "list_clause",
    "user_permission_cache",
]

TTL = 30.0
Compiled = dict[str, tuple["Entry", ...]]


@dataclass(frozen=True, slots=True)
class Entry:
    """One allowed value of a restricted DocType."""

    doc: str
    applicable_for: str | None = None
    is_default: bool = False


class UserPermissionCache:
    """Per-site cache: user -> {allowed DocType: entries}."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._entries: dict[str, tuple[float, Compiled]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every user's entries in this process."""
        with self._lock:
            self._entries.clear()

    def invalidate(self) -> None:
        """A User Permission changed: forget here, and tell the other workers (Redis)."""
        self.clear()
        shared_epoch(self.site, "user_permissions").bump()

    def get(self, ctx: Context, user: User) -> Compiled:
        """The compiled entries of ``user`` (empty for Administrator and Guest)."""
        if user.is_admin or user.is_guest:
            return {}
        if shared_epoch(self.site, "user_permissions").changed():
            self.clear()
        hit = self._entries.get(user.name)
        if hit is not None and time.monotonic() - hit[0] < TTL:
            return hit[1]
        compiled = _compile(ctx, user.name)
        with self._lock:
            if len(self._entries) > 10000:
                self._entries.clear()
            self._entries[user.name] = (time.monotonic(), compiled)
        return compiled


def user_permission_cache(ctx: Context) -> UserPermissionCache:
    """The site's user permission cache (created on first use)."""
    site = ctx.site
    return site.services.user_permissions.get(lambda: UserPermissionCache(site))


def _compile(ctx: Context, user: str) -> Compiled:
    metas = ctx.site.metas
    table = ctx.site.tables.get(metas.get("User Permission", ctx.conn))
    out: dict[str, list[Entry]] = {}
    for row in user_permission_rows(ctx.conn, table, user):
        if not row.allow or row.for_value in (None, ""):
            continue
        applicable = None if row.apply_to_all_doctypes or not row.applicable_for else str(row.applicable_for)
        entries = out.setdefault(str(row.allow), [])
        entries.append(Entry(str(row.for_value), applicable, bool(row.is_default)))
        if not row.hide_descendants:
            entries.extend(
                Entry(d, applicable) for d in _descendants(ctx, str(row.allow), str(row.for_value))
            )
    return {allow: tuple(entries) for allow, entries in out.items()}


def _descendants(ctx: Context, doctype: str, name: str) -> list[str]:
    if not ctx.meta_exists(doctype):
        return []
    meta = ctx.meta(doctype)
    if not meta.is_tree or not meta.has_table:
        return []
    table = ctx.site.tables.get(meta)
    return tree_descendants(ctx.conn, table, name)


def allowed_values(compiled: Compiled, allow: str, for_doctype: str) -> list[str] | None:
    """The allowed names of ``allow`` when used by ``for_doctype`` (``None``: unrestricted)."""
    entries = compiled.get(allow)
    if not entries:
        return None
    values = [e.doc for e in entries if e.applicable_for in (None, for_doctype)]
    return values or None


def _link_fields(meta: Meta) -> list[Any]:
    return [f for f in meta.link_fields if f.fieldtype == "Link" and not f.ignore_user_permissions]


def _row_allowed(compiled: Compiled, row: Any, for_doctype: str, strict: bool) -> bool:
    for f in _link_fields(row.meta):
        allowed = allowed_values(compiled, f.options, for_doctype)
        if allowed is None:
            continue
        value = row.get(f.fieldname)
        if value in (None, ""):
            if strict:
                return False
            continue
        if str(value) not in allowed:
            return False
    return True


def allows_document(ctx: Context, doc: Any, user: User) -> bool:
    """Whether ``user``'s User Permissions allow ``doc`` (its own name and every Link value)."""
    compiled = user_permission_cache(ctx).get(ctx, user)
    if not compiled:
        return True
    meta: Meta = doc.meta
    own = allowed_values(compiled, meta.name, meta.name)
    name = doc.get("name")
    if own is not None and name not in (None, "") and str(name) not in own:
        return False
    strict = not meta.issingle and auth_settings(ctx.site, ctx.conn).apply_strict_user_permissions
    if not _row_allowed(compiled, doc, meta.name, strict):
        return False
    return all(_row_allowed(compiled, row, meta.name, strict) for row in doc.all_children())


def list_clause(ctx: Context, meta: Meta, table: Table, user: User) -> ColumnElement[bool] | None:
    """The WHERE clause that limits a list of ``meta`` to rows ``user``'s User Permissions allow."""
    compiled = user_permission_cache(ctx).get(ctx, user)
    if not compiled:
        return None
    strict = auth_settings(ctx.site, ctx.conn).apply_strict_user_permissions
    clauses: list[ColumnElement[bool]] = []
    targets = [(f.fieldname, f.options) for f in _link_fields(meta)] + [("name", meta.name)]
    for fieldname, allow in targets:
        allowed = allowed_values(compiled, allow, meta.name)
        if allowed is None or fieldname not in table.c:
            continue
        column = table.c[fieldname]
        match = (
            column.in_(allowed) if fieldname != "name" or _text_names(meta) else column.in_(_ints(allowed))
        )
        if strict or fieldname == "name":
            clauses.append(match)
        else:
            clauses.append(or_(column.is_(None), column == "", match))
    return and_(*clauses) if clauses else None


def _text_names(meta: Meta) -> bool:
    return meta.naming_rule != "autoincrement"


def _ints(values: list[str]) -> list[int]:
    out = []
    for value in values:
        try:
            out.append(int(value))
        except ValueError:
            continue
    return out
