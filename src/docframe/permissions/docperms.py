"""DocPerm rows in effect: a DocType's own rows, or its ``Custom DocPerm`` rows when it has any.

Frappe's Role Permission Manager writes ``Custom DocPerm`` records (same keys as DocPerm, ``parent``
= the DocType); when at least one exists for a DocType, they replace its DocPerm rows entirely. The
``Custom DocPerm`` DocType is optional: when a site has none, the DocType's rows are used as they
are, without any query. Custom rows are read in one query for all DocTypes and kept for
:data:`TTL` seconds (:meth:`CustomPermCache.clear` drops them at once).

The tuple returned for a DocType is the same object until the rows change, so callers may key
their own caches on its identity.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlalchemy.engine import Connection

from docframe.db.repos.permissions import custom_docperm_rows
from docframe.meta.schema import PERM_TYPES, DocPermDef, Meta

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = [
    "CUSTOM_DOCPERM",
    "CustomPermCache",
    "RoleCache",
    "custom_perm_cache",
    "effective_permissions",
    "for_roles",
]

T = TypeVar("T")

CUSTOM_DOCPERM = "Custom DocPerm"
TTL = 5.0


def _cint(value: object) -> int:
    try:
        return int(float(value or 0))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


class CustomPermCache:
    """Per-site cache of Custom DocPerm rows grouped by DocType."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._loaded_at = -TTL
        self._rows: dict[str, tuple[DocPermDef, ...]] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget the rows (the next lookup reads them again)."""
        with self._lock:
            self._loaded_at = -TTL

    def rows(self, connect: Callable[[], Connection], doctype: str) -> tuple[DocPermDef, ...] | None:
        """The Custom DocPerm rows of ``doctype``, or ``None`` when it has none.

        ``connect`` gives the connection to read them with; it is only called when the cached rows
        are too old, so a cache hit touches no database.
        """
        if time.monotonic() - self._loaded_at >= TTL:
            loaded = self._load(connect())
            with self._lock:
                self._rows, self._loaded_at = loaded, time.monotonic()
        return self._rows.get(doctype)

    def _load(self, conn: Connection) -> dict[str, tuple[DocPermDef, ...]]:
        metas = self.site.metas
        if not metas.exists(CUSTOM_DOCPERM, conn):
            return {}
        meta = metas.get(CUSTOM_DOCPERM, conn)
        table = self.site.tables.get(meta)
        if "parent" not in table.c or "role" not in table.c:
            return {}
        rights = [c for c in PERM_TYPES if c in table.c]
        cols = ["parent", "role", *(c for c in ("permlevel", "if_owner") if c in table.c), *rights]
        grouped: dict[str, list[DocPermDef]] = {}
        for row in custom_docperm_rows(conn, table, cols):
            if not row["parent"] or not row["role"]:
                continue
            grouped.setdefault(str(row["parent"]), []).append(
                DocPermDef(
                    role=str(row["role"]),
                    permlevel=_cint(row.get("permlevel")),
                    if_owner=bool(_cint(row.get("if_owner"))),
                    rights=frozenset(r for r in rights if _cint(row[r])),
                )
            )
        return {parent: tuple(perms) for parent, perms in grouped.items()}


class RoleCache(Generic[T]):
    """Values computed from a DocType's permission rows for a role set (one per site and kind).

    An entry is used while the Meta and the rows it was computed from are the ones in effect, so
    it follows DocType changes and Custom DocPerm edits without being told.
    """

    __slots__ = ("_entries",)

    def __init__(self) -> None:
        self._entries: dict[tuple[str, frozenset[str]], tuple[Meta, tuple[DocPermDef, ...], T]] = {}

    def get(
        self,
        meta: Meta,
        perms: tuple[DocPermDef, ...],
        roles: frozenset[str],
        compute: Callable[[tuple[DocPermDef, ...], frozenset[str]], T],
    ) -> T:
        """The value for ``roles`` over ``perms`` (computed when missing or stale)."""
        key = (meta.name, roles)
        hit = self._entries.get(key)
        if hit is not None and hit[0] is meta and hit[1] is perms:
            return hit[2]
        value = compute(perms, roles)
        self._entries[key] = (meta, perms, value)
        return value


def custom_perm_cache(site: Site) -> CustomPermCache:
    """The site's Custom DocPerm cache (created on first use)."""
    return site.services.custom_docperm.get(lambda: CustomPermCache(site))


def effective_permissions(ctx: Context, meta: Meta) -> tuple[DocPermDef, ...]:
    """The permission rows that apply to ``meta`` (Custom DocPerm rows win when there are any).

    The context is required: without it the Custom DocPerm rows could not be read, and answering
    from the DocType's own rows would grant what a Custom DocPerm took away.
    """
    if meta.istable:
        return meta.permissions
    custom = custom_perm_cache(ctx.site).rows(lambda: ctx.conn, meta.name)
    return meta.permissions if custom is None else custom


def for_roles(
    ctx: Context,
    meta: Meta,
    roles: frozenset[str],
    cache: RoleCache[T],
    compute: Callable[[tuple[DocPermDef, ...], frozenset[str]], T],
) -> T:
    """``compute(rows, roles)`` over ``meta``'s effective permission rows, kept in ``cache`` per
    DocType and role set, and computed again when the Meta or the rows change."""
    return cache.get(meta, effective_permissions(ctx, meta), roles, compute)
