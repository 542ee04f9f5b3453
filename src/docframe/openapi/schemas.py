"""Schemas: DocType metadata -> JSON Schema (OpenAPI 3.1 components), one schema per DocType.

A field becomes a property with its JSON type, ``format: date`` for Date fields, a pattern for Time and
Datetime (Frappe sends ``2026-01-31 10:00:00``, not RFC 3339), ``enum`` for Select options,
``maxLength`` for varchar fields, ``readOnly`` for read-only and standard fields; mandatory fields are
``required``; child tables are arrays of the child DocType's schema. Fields the caller may not read
(their permlevel is not one of the caller's read levels) are left out. A field type without a JSON
mapping is documented as a string and logged, so one odd DocType never breaks the document.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from docframe.db.types import varchar_length
from docframe.meta.fieldtypes import (
    CHILD_FIELDS,
    DISPLAY_TYPES,
    FLOAT_TYPES,
    TABLE_TYPES,
    VARCHAR_TYPES,
)
from docframe.meta.schema import DocFieldDef, Meta

__all__ = ["SchemaNames", "doctype_schemas", "field_schema", "ref"]

log = logging.getLogger("docframe.openapi")

Schema = dict[str, Any]
_DATETIME = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
_TIME = r"^-?\d{1,3}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
_STRING_TYPES = frozenset(
    {
        "Data", "Small Text", "Text", "Long Text", "Code", "Text Editor", "Markdown Editor",
        "HTML Editor", "Read Only", "Color", "Icon", "Phone", "Autocomplete", "Barcode", "Signature",
        "Password", "Attach", "Attach Image", "Link", "Dynamic Link", "Select",
    }
)  # fmt: skip
_ANY_TYPES = frozenset({"JSON", "Geolocation"})
#: Standard columns every document carries, with their schemas (all read-only).
_STANDARD: dict[str, Schema] = {
    "name": {"type": "string", "readOnly": True},
    "owner": {"type": "string", "readOnly": True},
    "creation": {"type": "string", "pattern": _DATETIME, "readOnly": True},
    "modified": {"type": "string", "pattern": _DATETIME, "readOnly": True},
    "modified_by": {"type": "string", "readOnly": True},
    "docstatus": {"type": "integer", "enum": [0, 1, 2], "readOnly": True},
    "idx": {"type": "integer", "readOnly": True},
    "doctype": {"type": "string", "readOnly": True},
}
_CHILD: dict[str, Schema] = {name: {"type": ["string", "null"], "readOnly": True} for name in CHILD_FIELDS}


def ref(component: str) -> Schema:
    """A ``$ref`` to the schema component ``component``."""
    return {"$ref": f"#/components/schemas/{component}"}


class SchemaNames:
    """DocType name -> component name (``^[A-Za-z0-9._-]+$``, unique within one document)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._taken: set[str] = set()

    def __call__(self, doctype: str, suffix: str = "") -> str:
        base = self._names.get(doctype)
        if base is None:
            base = re.sub(r"[^A-Za-z0-9._-]+", "_", doctype).strip("_") or "DocType"
            candidate, n = base, 1
            while candidate in self._taken:
                n += 1
                candidate = f"{base}_{n}"
            self._taken.add(candidate)
            self._taken.update({candidate + "Patch"})
            self._names[doctype] = base = candidate
        return base + suffix


def _nullable(schema: Schema) -> Schema:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
        if "enum" in schema:
            schema["enum"] = [*schema["enum"], None]
    return schema


_BASE: dict[str, Schema] = {
    "Check": {"type": "integer", "enum": [0, 1]},
    "Int": {"type": "integer"},
    "Long Int": {"type": "integer"},
    "Date": {"type": "string", "format": "date"},
    "Datetime": {"type": "string", "pattern": _DATETIME},
    "Time": {"type": "string", "pattern": _TIME},
    **{kind: {"type": "number"} for kind in FLOAT_TYPES},
    **{kind: {} for kind in _ANY_TYPES},
    **{kind: {"type": "string"} for kind in _STRING_TYPES},
}


def _base_schema(field: DocFieldDef) -> Schema:
    kind = field.fieldtype
    if kind == "Select":
        options = list(dict.fromkeys(o for o in field.select_options if o))
        if not options:
            return {"type": "string"}
        return {"type": "string", "enum": options if field.reqd else ["", *options]}
    base = _BASE.get(kind)
    if base is None:
        log.warning(
            "openapi: field type %r of %s has no JSON mapping; documented as a string", kind, field.fieldname
        )
        return {"type": "string"}
    return dict(base)


def field_schema(field: DocFieldDef, child_ref: Callable[[str], Schema] | None = None) -> Schema | None:
    """The JSON Schema of one field's value (``None`` for layout fields that hold no value)."""
    kind = field.fieldtype
    if kind in TABLE_TYPES:
        items = child_ref(field.options) if child_ref and field.options else {"type": "object"}
        return {"type": "array", "items": items}
    if kind in DISPLAY_TYPES:
        return None
    out = _base_schema(field)
    if kind in VARCHAR_TYPES and kind != "Select" and out.get("type") == "string":
        out["maxLength"] = varchar_length(field)
    if field.read_only or field.is_virtual or kind == "Read Only":
        out["readOnly"] = True
    if field.label:
        out["title"] = field.label
    if kind == "Link" and field.options:
        out["description"] = f"Link to {field.options}"
    elif kind == "Dynamic Link" and field.options:
        out["description"] = f"Link to the DocType named in {field.options}"
    if not field.reqd and out.get("type"):
        _nullable(out)
    return out


def _properties(
    meta: Meta, readable: frozenset[int] | None, child_ref: Callable[[str], Schema]
) -> tuple[Schema, list[str]]:
    props: Schema = dict(_STANDARD)  # shared, never mutated
    if meta.istable:
        props.update(_CHILD)
    required: list[str] = []
    for field in meta.fields:
        if readable is not None and field.permlevel not in readable:
            continue
        if field.fieldtype in DISPLAY_TYPES:
            continue
        try:
            schema = field_schema(field, child_ref)
        except Exception:  # one odd field must not break the whole document
            log.warning("openapi: could not describe %s.%s", meta.name, field.fieldname, exc_info=True)
            schema = {"type": ["string", "null"]}
        if schema is None:
            continue
        props[field.fieldname] = schema
        if field.reqd and not schema.get("readOnly") and field.fieldtype not in TABLE_TYPES:
            required.append(field.fieldname)
    return props, required


def doctype_schemas(meta: Meta, names: SchemaNames, readable: frozenset[int] | None) -> dict[str, Schema]:
    """The components of one DocType: ``<Name>`` (a document) and ``<Name>Patch`` (fields to change).

    ``readable`` is the set of permlevels the caller may read (``None``: all of them).
    """

    def child_ref(doctype: str) -> Schema:
        return ref(names(doctype))

    props, required = _properties(meta, readable, child_ref)
    if meta.issingle:
        # A Single's values (standard ones included) are null until it is first saved.
        props = {k: _nullable(dict(v)) if k != "doctype" else v for k, v in props.items()}
        required = []
    title = meta.name
    doc: Schema = {"type": "object", "title": title, "properties": props}
    if required:
        doc["required"] = required
    description = meta.raw.get("description")
    if isinstance(description, str) and description:
        doc["description"] = description
    patch: Schema = {
        "type": "object",
        "title": f"{title} (fields to change)",
        "properties": {k: v for k, v in props.items() if not v.get("readOnly")},
    }
    return {names(meta.name): doc, names(meta.name, "Patch"): patch}
