"""Field -> JSON Schema mapping and annotation -> JSON Schema mapping."""

from __future__ import annotations

import logging
from typing import Any, Literal

import pytest

from docframe.meta.loader import load_meta
from docframe.meta.schema import DocFieldDef
from docframe.openapi.methods import annotation_schema, parameter_schemas
from docframe.openapi.schemas import SchemaNames, doctype_schemas, field_schema


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (DocFieldDef("a", "Data", reqd=True), {"type": "string", "maxLength": 140}),
        (DocFieldDef("a", "Data", length=20), {"type": ["string", "null"], "maxLength": 20}),
        (DocFieldDef("a", "Int", reqd=True), {"type": "integer"}),
        (DocFieldDef("a", "Check", reqd=True), {"type": "integer", "enum": [0, 1]}),
        (DocFieldDef("a", "Currency", reqd=True), {"type": "number"}),
        (DocFieldDef("a", "Date", reqd=True), {"type": "string", "format": "date"}),
        (DocFieldDef("a", "Select", options="X\nY", reqd=True), {"type": "string", "enum": ["X", "Y"]}),
        (
            DocFieldDef("a", "Select", options="X\nY"),
            {"type": ["string", "null"], "enum": ["", "X", "Y", None]},
        ),
        (DocFieldDef("a", "JSON"), {}),
        (DocFieldDef("a", "Text", read_only=True, reqd=True), {"type": "string", "readOnly": True}),
        (DocFieldDef("a", "Section Break"), None),
    ],
)
def test_field_schemas(field: DocFieldDef, expected: dict[str, Any] | None) -> None:
    assert field_schema(field) == expected


def test_an_unknown_field_type_is_a_logged_string(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="docframe.openapi"):
        assert field_schema(DocFieldDef("odd", "Hologram", reqd=True)) == {"type": "string"}
    assert "Hologram" in caplog.text


def test_doctype_schemas_have_child_arrays_required_and_leave_out_unreadable_levels() -> None:
    meta = load_meta({
        "name": "Gadget Box", "module": "Custom", "custom": 1,
        "fields": [
            {"fieldname": "title", "fieldtype": "Data", "reqd": 1},
            {"fieldname": "rows", "fieldtype": "Table", "options": "Gadget Row"},
            {"fieldname": "cost", "fieldtype": "Currency", "permlevel": 1},
        ],
    })  # fmt: skip
    names = SchemaNames()
    out = doctype_schemas(meta, names, frozenset({0}))
    doc = out["Gadget_Box"]
    assert doc["required"] == ["title"]
    assert doc["properties"]["rows"] == {
        "type": "array",
        "items": {"$ref": "#/components/schemas/Gadget_Row"},
    }
    assert "cost" not in doc["properties"] and doc["properties"]["name"]["readOnly"] is True
    assert "name" not in out["Gadget_BoxPatch"]["properties"]
    assert "cost" in doctype_schemas(meta, SchemaNames(), None)["Gadget_Box"]["properties"]


def test_schema_names_are_safe_and_unique() -> None:
    names = SchemaNames()
    assert names("Sales Invoice") == "Sales_Invoice"
    assert names("Sales-Invoice") == "Sales-Invoice"
    assert names("Sales/Invoice") != names("Sales Invoice")


def test_annotations() -> None:
    assert annotation_schema(str) == {"type": "string"}
    assert annotation_schema(int | None) == {"type": ["integer", "null"]}
    assert annotation_schema(list[str]) == {"type": "array", "items": {"type": "string"}}
    assert annotation_schema(dict[str, Any]) == {"type": "object"}
    assert annotation_schema(Literal["a", "b"]) == {"enum": ["a", "b"]}
    assert annotation_schema(Any) == {}


def test_parameters_skip_ctx_and_carry_defaults() -> None:
    def f(ctx: object, doctype: str, limit: int = 20, *, uploads: Any = None) -> None:
        """Doc."""

    params = {p.name: p for p in parameter_schemas(f)}
    assert set(params) == {"doctype", "limit"}
    assert params["doctype"].required and params["doctype"].schema == {"type": "string"}
    assert params["limit"].schema == {"type": "integer", "default": 20}


def test_a_single_has_nullable_values_and_nothing_required() -> None:
    meta = load_meta({
        "name": "Gadget Settings", "module": "Custom", "custom": 1, "issingle": 1,
        "fields": [{"fieldname": "mode", "fieldtype": "Data", "reqd": 1}],
    })  # fmt: skip
    doc = doctype_schemas(meta, SchemaNames(), None)["Gadget_Settings"]
    assert "required" not in doc
    assert doc["properties"]["creation"]["type"] == ["string", "null"]
    assert doc["properties"]["mode"]["type"] == ["string", "null"]
