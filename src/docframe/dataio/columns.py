"""Column names of import and export files, following Frappe's Data Import conventions.

A column names a field of the DocType by its label (``Due Date``) or its fieldname (``date``);
``ID`` or ``name`` is the document's name. A field of a child table is ``Label (Table Label)`` or
``fieldname (table_fieldname)`` (``Role (Roles)``, ``role (roles)``), or ``table_fieldname.fieldname``.
Standard columns Frappe adds to exports (``owner``, ``creation``, ``docstatus``...) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from docframe.errors import ValidationError
from docframe.meta.schema import DocFieldDef, Meta

__all__ = ["Column", "ColumnResolver", "UnknownColumnsError", "exported_fields"]

#: Columns Frappe's exports carry that an insert sets by itself.
IGNORED = frozenset(
    {"doctype", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "parent",
     "parentfield", "parenttype", "_user_tags", "_comments", "_assign", "_liked_by", "_seen"}
)  # fmt: skip
_CHILD = re.compile(r"^(?P<field>.+?)\s*\((?P<table>[^()]+)\)$")


class UnknownColumnsError(ValidationError):
    """Some columns of a file name no field of the DocType (nothing was imported)."""


@dataclass(frozen=True, slots=True)
class Column:
    """Where a column's values go: ``fieldname`` of the document, or of rows of ``table``."""

    fieldname: str
    table: str | None = None


def exported_fields(meta: Meta) -> list[DocFieldDef]:
    """The fields an export writes (values stored in a column; Password fields never leave)."""
    return [f for f in meta.data_fields if f.fieldtype != "Password"]


def _lookup(meta: Meta, text: str) -> DocFieldDef | None:
    field = meta.fields_by_name.get(text)
    if field is not None:
        return field
    for candidate in meta.fields:
        if candidate.label and candidate.label == text:
            return candidate
    lowered = text.lower()
    for candidate in meta.fields:
        if candidate.label and candidate.label.lower() == lowered:
            return candidate
    return None


def _unique_label(meta: Meta, label: str) -> bool:
    """Whether no other field of ``meta`` has ``label`` (else exports name the column by fieldname)."""
    lowered = label.lower()
    return sum(1 for f in meta.fields if (f.label or "").lower() == lowered) == 1


class ColumnResolver:
    """Turns column names into :class:`Column` s for one DocType and its child tables."""

    def __init__(self, meta: Meta, child_metas: dict[str, Meta]) -> None:
        self.meta = meta
        #: Child table fieldname -> meta of its rows.
        self.child_metas = child_metas

    def _value_field(self, meta: Meta, text: str) -> str | None:
        text = text.strip()
        if text in ("ID", "name", "Name") and not meta.fields_by_name.get(text):
            return "name"
        field = _lookup(meta, text)
        if field is None or not field.has_column:
            return None
        return field.fieldname

    def _table(self, text: str) -> str | None:
        field = _lookup(self.meta, text.strip())
        if field is None or field.fieldname not in self.child_metas:
            return None
        return field.fieldname

    def resolve(self, name: str) -> Column | None:
        """The column ``name`` names; None for an ignored standard column.

        Raises :class:`KeyError` when it names nothing.
        """
        text = name.strip()
        if text in IGNORED:
            return None
        direct = self._value_field(self.meta, text)
        if direct is not None:
            return Column(direct)
        match = _CHILD.match(text)
        if match:
            table = self._table(match["table"])
            if table is not None:
                inner = match["field"].strip()
                if inner in IGNORED:
                    return None
                child = self._value_field(self.child_metas[table], inner)
                if child is not None:
                    return Column(child, table)
        if "." in text:
            table_text, _, inner = text.partition(".")
            table = self._table(table_text)
            if table is not None:
                if inner in IGNORED:
                    return None
                child = self._value_field(self.child_metas[table], inner)
                if child is not None:
                    return Column(child, table)
        raise KeyError(name)

    def resolve_all(self, names: Iterable[str]) -> list[Column | None]:
        """Resolve every name; :class:`UnknownColumnsError` naming all that match nothing."""
        resolved: list[Column | None] = []
        unknown: list[str] = []
        for name in names:
            try:
                resolved.append(self.resolve(name))
            except KeyError:
                unknown.append(name)
                resolved.append(None)
        if unknown:
            shown = ", ".join(repr(u) for u in unknown[:10])
            raise UnknownColumnsError(
                f"Column(s) {shown} match no field of {self.meta.name} "
                "(use field labels or fieldnames; child table fields as 'Field (Table)')"
            )
        return resolved

    def header(self, column: Column, *, labels: bool) -> str:
        """The column name an export writes for ``column``."""
        if column.table is None:
            meta, fieldname = self.meta, column.fieldname
        else:
            meta, fieldname = self.child_metas[column.table], column.fieldname
        if fieldname == "name":
            text = "ID" if labels else "name"
        else:
            field = meta.fields_by_name[fieldname]
            text = field.label if labels and field.label and _unique_label(meta, field.label) else fieldname
        if column.table is None:
            return text
        table_field = self.meta.fields_by_name[column.table]
        label = table_field.label
        table_text = label if labels and label and _unique_label(self.meta, label) else column.table
        return f"{text} ({table_text})"
