"""Field levels: which fields a user may read and write, by ``permlevel``.

A user may read (write) level L when a DocPerm row in effect with one of their roles, level L and
``read`` (``write``) exists; level 0 comes with the document permission itself. Fields and child
table fields above level 0 are the only ones these rules touch. Applying them to a document
(clearing what may not be read, undoing what may not be written) is the model's part:
:mod:`docframe.model.field_levels`.

The levels are computed once per (DocPerm rows, role set) and the high-level fields once per Meta,
both cached on the Meta object, so a request pays a dict lookup when nothing needs masking.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from docframe.meta.schema import DocFieldDef, DocPermDef, Meta
from docframe.permissions.docperms import RoleCache, for_roles
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "LevelAccess",
    "hidden_fields",
    "high_fields",
    "level_access",
    "may_read_field",
    "readable_columns",
]


@dataclass(frozen=True, slots=True)
class LevelAccess:
    """The permlevels a role set may read and write on one DocType."""

    read: frozenset[int]
    write: frozenset[int]


def _levels(perms: tuple[DocPermDef, ...], roles: frozenset[str]) -> LevelAccess:
    read: set[int] = set()
    write: set[int] = set()
    for perm in perms:
        if perm.role in roles:
            if "read" in perm.rights:
                read.add(perm.permlevel)
            if "write" in perm.rights:
                write.add(perm.permlevel)
    return LevelAccess(frozenset(read), frozenset(write))


def level_access(ctx: Context, meta: Meta, user: User) -> LevelAccess:
    """The levels ``user`` may read and write on ``meta`` (cached per DocPerm rows and role set)."""
    return for_roles(ctx, meta, user.roles, ctx.site.services.level_access.get(RoleCache), _levels)


def high_fields(meta: Meta) -> tuple[DocFieldDef, ...]:
    """Fields of ``meta`` above level 0 that hold a value or rows (computed once per Meta)."""
    return meta.high_permlevel_fields


def hidden_fields(fields: tuple[DocFieldDef, ...], allowed: frozenset[int]) -> list[DocFieldDef]:
    """The fields among ``fields`` whose level is not in ``allowed``."""
    return [f for f in fields if f.permlevel not in allowed]


def readable_columns(ctx: Context, meta: Meta, levels_of: Meta | None = None) -> frozenset[str] | None:
    """Columns of ``meta`` that ``ctx.user`` may read in a query (``None``: every column).

    A field's level is judged by the DocPerm rows of ``levels_of`` (default ``meta``): a child
    table's fields by its parent's rows, as :func:`~docframe.model.field_levels.mask_for_read` judges them. This is the single
    source the query layer asks (:meth:`docframe.query.scope.Scope.field`) for every field a request
    names, whether it selects, filters, groups or orders by it.
    """
    high = high_fields(meta)
    if ctx.user.is_admin or not high:
        return None
    readable = level_access(ctx, levels_of or meta, ctx.user).read
    hidden = {f.fieldname for f in hidden_fields(high, readable)}
    return frozenset(c for c in meta.all_columns if c not in hidden) if hidden else None


def may_read_field(ctx: Context, meta: Meta, field: DocFieldDef | None) -> bool:
    """Whether ``ctx.user`` may read ``field`` of ``meta`` (a Table or Link field a query goes through)."""
    if field is None or field.permlevel <= 0 or ctx.user.is_admin:
        return True
    return field.permlevel in level_access(ctx, meta, ctx.user).read
