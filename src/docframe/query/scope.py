"""Scope: the tables one query touches, and every column reference resolved against metadata.

A reference is ``field``, ```field```, ``tabX.field`` / ```tabX`.`field```, ``table_field.child_field``
or ``link_field.target_field``. Each one resolves to a column of the queried DocType, of one of its
child tables (LEFT JOINed on ``parent``/``parenttype``/``parentfield``) or of a Link target (LEFT
JOINed on ``name``, with the target's permission conditions in the join), or the request fails with
Frappe's 417 "Field not permitted in query: ...". No identifier reaches SQL unless it names a column
of a table built from metadata; joined tables get fixed alias names (``c1``, ``l1``, ...).

Every field a request names goes through one function, :meth:`Scope.field`, which also decides what
the user may read (by ``permlevel``, :func:`~docframe.permissions.fields.readable_columns`): a field
the user may not read is dropped when it is only selected, and refused with a 403 ``PermissionError``
when it is used in a condition, a grouping or an ordering, so that no answer depends on its value.
A child table or a Link target reached through a field the user may not read is never joined.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import String, Table, and_
from sqlalchemy import cast as sql_cast
from sqlalchemy.sql import ColumnElement, FromClause

from docframe import errors
from docframe.meta.fieldtypes import OPTIONAL_FIELDS
from docframe.meta.schema import DocFieldDef, Meta
from docframe.permissions.conditions import parent_doctype, row_conditions
from docframe.permissions.fields import may_read_field, readable_columns
from docframe.query.filters import brief

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "CONDITION",
    "GROUP",
    "ORDER",
    "SELECT",
    "ColumnRef",
    "Join",
    "Scope",
    "field_not_readable",
    "not_permitted",
    "split_ref",
]

#: How a request uses a field: only selected (an unreadable one is dropped) or in a condition, a
#: grouping or an ordering (an unreadable one is refused).
SELECT, CONDITION, GROUP, ORDER = "select", "condition", "group", "order"

STANDARD_KINDS = {"creation": "Datetime", "modified": "Datetime", "docstatus": "Int", "idx": "Int"}
_NOT_NULL = frozenset({"name", "creation", "modified"})
_OPTIONAL = frozenset((*OPTIONAL_FIELDS, "_seen"))
_NAME = re.compile(r"^\w{1,64}$")
_QUOTES = '`"'


def not_permitted(ref: object) -> errors.DataError:
    """Frappe's error for a field that names no column the user may query."""
    return errors.DataError(f"Field not permitted in query: {brief(ref, 140)}", title="Invalid Field")


def field_not_readable(ref: object) -> errors.PermissionError:
    """The 403 for a field the user may not read, named in a condition, a grouping or an ordering."""
    return errors.PermissionError(
        f"You do not have permission to access field: {brief(ref, 140)}", title="Not Permitted"
    )


class _Closed(Exception):
    """A reference that goes through a Table or Link field the user may not read."""


def _unquote(part: str) -> str:
    part = part.strip()
    if len(part) >= 2 and part[0] == part[-1] and part[0] in _QUOTES:
        part = part[1:-1]
    return part.strip()


def split_ref(ref: str) -> tuple[str | None, str]:
    """``"`tabX`.`f`"`` -> ``("tabX", "f")``; ``"f"`` -> ``(None, "f")``."""
    qualifier, dot, name = ref.strip().rpartition(".")
    if not dot:
        return None, _unquote(name)
    return _unquote(qualifier), _unquote(name)


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """A resolved column: the SQL column, its name and type kind, and where it lives."""

    expr: ColumnElement[Any]
    name: str
    kind: str
    label: str
    table_key: str
    field: DocFieldDef | None
    nullable: bool
    readable: bool = True

    @property
    def key(self) -> tuple[str, str]:
        """Identity of the column within the query (for GROUP BY matching)."""
        return (self.table_key, self.name)


@dataclass(frozen=True, slots=True)
class Join:
    """A LEFT JOINed table: its alias, the ON clause and its DocType."""

    key: str
    alias: Any
    onclause: ColumnElement[bool]
    meta: Meta
    #: Whose DocPerm rows judge the levels of this table's fields (a child's parent, a Link target).
    levels: Meta


def as_text(column: Any, meta: Meta) -> Any:
    """``name`` of an autoincrement DocType is a number: compare it as text with Link columns."""
    return sql_cast(column, String) if meta.naming_rule == "autoincrement" else column


class Scope:
    """Resolves references for one query and remembers the joins they need."""

    def __init__(
        self, ctx: Context, meta: Meta, table: Table, *, mode: str = "v1", trusted: bool = False
    ) -> None:
        self.ctx = ctx
        self.meta = meta
        self.table = table
        self.mode = mode
        self.joins: dict[str, Join] = {}
        #: False while ORDER BY / GROUP BY are read: they may not add child joins (Frappe's rule).
        self.allow_child_joins = True
        self._readable: dict[tuple[str, str], frozenset[str] | None] = {}
        self._levels: Meta | None = None
        #: An internal query without permission checks (never set from request parameters).
        self.trusted = trusted
        #: Set when the query depends on more than the metadata, the request's parameters and the
        #: columns the user may read (a join, a child table's fields, today's date, other tables):
        #: such a plan is never reused (see :mod:`docframe.query.builder`).
        self.volatile = False

    @property
    def backend(self) -> str:
        """The site's database backend name."""
        return str(self.ctx.site.db.backend)

    def meta_of(self, doctype: str) -> Meta:
        """The meta of ``doctype`` (404 when unknown)."""
        self.volatile = True
        return self.ctx.meta(doctype)

    @property
    def levels(self) -> Meta:
        """Whose DocPerm rows judge the levels of the queried DocType's fields (a child's parent)."""
        if self._levels is None:
            child = self.meta.istable and not self.ctx.user.is_admin
            self.volatile = self.volatile or child
            self._levels = parent_doctype(self.ctx, self.meta) if child else self.meta
        return self._levels

    def _is_readable(self, meta: Meta, levels: Meta, name: str) -> bool:
        if self.trusted:
            return True
        key = (meta.name, levels.name)
        if key not in self._readable:
            self._readable[key] = readable_columns(self.ctx, meta, levels)
        allowed = self._readable[key]
        return allowed is None or name in allowed

    def readable_in(self, meta: Meta, name: str) -> bool:
        """Whether the user may read column ``name`` of a child table ``meta`` of the queried DocType."""
        self.volatile = True
        return self._is_readable(meta, self.levels, name)

    def opens(self, field: DocFieldDef) -> bool:
        """Whether the user may read the queried DocType's Table or Link ``field`` (and go through it)."""
        self.volatile = True
        return self.trusted or may_read_field(self.ctx, self.levels, field)

    def field(self, ref: Any, use: str = SELECT, doctype: str | None = None) -> ColumnRef | None:
        """Resolve a field a request names, checked against the fields the user may read.

        ``use`` is :data:`SELECT` (an unreadable field is dropped: None), or :data:`CONDITION`,
        :data:`GROUP` or :data:`ORDER` (an unreadable field is a 403). ``doctype`` is a filter's
        DocType (conditions only). None is also returned for an optional column the table lacks.
        """
        try:
            found = self._filter_ref(doctype, ref) if use == CONDITION else self._resolve(ref)
        except _Closed:
            found = None
            readable = False
        else:
            readable = found is None or found.readable
        if readable:
            return found
        if use == SELECT:
            return None
        raise field_not_readable(ref if doctype in (None, "", self.meta.name) else f"{doctype}.{ref}")

    def column_of(
        self, meta: Meta, source: Any, table_key: str, name: str, ref: str, levels: Meta | None = None
    ) -> ColumnRef | None:
        """Column ``name`` of ``meta`` in ``source``; None for an underscore column the table lacks."""
        if not _NAME.match(name):
            raise not_permitted(ref)
        if name not in meta.all_columns:
            if name in _OPTIONAL:
                return None
            raise not_permitted(ref)
        field = meta.get_field(name)
        column = source.c[name]
        kind = field.fieldtype if field is not None else STANDARD_KINDS.get(name, "Data")
        if name == "name" and meta.naming_rule == "autoincrement":
            kind = "Int"
        nullable = bool(getattr(column, "nullable", True)) and name not in _NOT_NULL
        label = field.display_label if field is not None else name
        readable = self._is_readable(meta, levels or self.levels, name)
        return ColumnRef(column, name, kind, label, table_key, field, nullable, readable)

    def main(self, name: str, ref: str | None = None) -> ColumnRef | None:
        """A column of the queried DocType (readability in ``readable``; use :meth:`field` for requests)."""
        return self.column_of(self.meta, self.table, "main", name, ref or name)

    def _resolve(self, ref: Any) -> ColumnRef | None:
        if not isinstance(ref, str) or not ref.strip() or len(ref) > 200:
            raise not_permitted(ref)
        qualifier, name = split_ref(ref)
        if qualifier is None:
            return self.main(name, ref)
        join = self._join_for_qualifier(qualifier, ref)
        if join is None:
            return self.main(name, ref)
        return self.column_of(join.meta, join.alias, join.key, name, ref, join.levels)

    def _filter_ref(self, doctype: str | None, field: Any) -> ColumnRef | None:
        """A filter's column: on ``doctype`` (the main DocType or one of its child tables), or found
        in a child table when the main DocType has no such field (Frappe v1's convenience)."""
        if doctype and doctype != self.meta.name:
            join = self._child_by_doctype(doctype, f"{doctype}.{field}")
            _, name = split_ref(field)
            return self.column_of(join.meta, join.alias, join.key, name, f"{doctype}.{field}", join.levels)
        if not isinstance(field, str):
            raise not_permitted(field)
        qualifier, name = split_ref(field)
        if qualifier is None and name not in self.meta.all_columns and name not in _OPTIONAL:
            found = self._child_with_column(name)
            if found is not None:
                return self.column_of(found.meta, found.alias, found.key, name, field, found.levels)
        return self._resolve(field)

    def _join_for_qualifier(self, qualifier: str, ref: str) -> Join | None:
        if qualifier in (self.meta.table, self.meta.name):
            return None
        if qualifier.startswith("tab"):
            return self._child_by_doctype(qualifier[3:], ref)
        field = self.meta.get_field(qualifier)
        if field is not None and field.is_table:
            return self.child(field, ref)
        if field is not None and field.fieldtype == "Link" and field.has_column:
            return self.link(field, ref)
        raise not_permitted(ref)

    def _child_by_doctype(self, doctype: str, ref: str) -> Join:
        fields = [f for f in self.meta.table_fields if f.options == doctype]
        if not fields:
            raise not_permitted(ref)
        if len(fields) == 1:
            return self.child(fields[0], ref)
        if not all(self.opens(f) for f in fields):
            raise _Closed(ref)
        return self._child_join(f"child:{doctype}", doctype, None, ref)

    def _child_with_column(self, name: str) -> Join | None:
        for f in self.meta.table_fields:
            child_meta = self.meta_of(f.options)
            if name in child_meta.all_columns:
                return self.child(f, name)
        return None

    def child(self, field: DocFieldDef, ref: str) -> Join:
        """The join of the child table behind table field ``field`` (never one the user may not read)."""
        if not self.opens(field):
            raise _Closed(ref)
        return self._child_join(f"child:{field.fieldname}", field.options, field.fieldname, ref)

    def _child_join(self, key: str, doctype: str, parentfield: str | None, ref: str) -> Join:
        if key in self.joins:
            return self.joins[key]
        if not self.allow_child_joins:
            raise errors.ValidationError(f"Please select atleast 1 column from {doctype} to sort/group")
        child_meta = self.meta_of(doctype)
        if not child_meta.istable or not child_meta.has_table:
            raise not_permitted(ref)
        alias = self.ctx.site.tables.get(child_meta).alias(f"c{len(self.joins) + 1}")
        parts = [
            alias.c.parent == as_text(self.table.c.name, self.meta),
            alias.c.parenttype == self.meta.name,
        ]
        if parentfield is not None:
            parts.append(alias.c.parentfield == parentfield)
        join = Join(key, alias, and_(*parts), child_meta, self.levels)
        self.joins[key] = join
        return join

    def link(self, field: DocFieldDef, ref: str) -> Join:
        """The join of the DocType Link field ``field`` points to (its row conditions in the ON clause)."""
        key = f"link:{field.fieldname}"
        if not self.opens(field):
            raise _Closed(ref)
        if key in self.joins:
            return self.joins[key]
        target = self.meta_of(field.options)
        if not target.has_table or target.istable:
            raise not_permitted(ref)
        alias = self.ctx.site.tables.get(target).alias(f"l{len(self.joins) + 1}")
        parts = [as_text(alias.c.name, target) == self.table.c[field.fieldname]]
        parts.extend(row_conditions(self.ctx, target, cast(Table, alias)))
        join = Join(key, alias, and_(*parts), target, target)
        self.joins[key] = join
        return join

    def from_clause(self) -> FromClause:
        """The main table LEFT JOINed with every join the references needed."""
        source: FromClause = self.table
        for join in self.joins.values():
            source = source.outerjoin(join.alias, join.onclause)
        return source

    def access_conditions(self) -> list[ColumnElement[bool]]:
        """Row-level permission clauses for the main table (a child table's come from its parent)."""
        return row_conditions(self.ctx, self.meta, self.table)
