"""Column types and table shapes per backend, compiled without a database."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.schema import CreateTable

from docframe.db.tables import build_table, data_column
from docframe.db.types import column_type, is_indexable
from docframe.meta.loader import load_meta
from docframe.meta.schema import DocFieldDef

DIALECTS = {"mariadb": mysql.dialect(), "postgresql": postgresql.dialect(), "sqlite": sqlite.dialect()}


def _compiled(fieldtype: str, backend: str, **kw: object) -> str:
    field = DocFieldDef(fieldname="x", fieldtype=fieldtype, **kw)  # type: ignore[arg-type]
    return column_type(field).compile(dialect=DIALECTS[backend])


@pytest.mark.parametrize(
    ("fieldtype", "kw", "mariadb", "postgresql", "sqlite"),
    [
        ("Data", {}, "VARCHAR(140)", "VARCHAR(140)", "VARCHAR(140)"),
        ("Link", {"length": 255}, "VARCHAR(255)", "VARCHAR(255)", "VARCHAR(255)"),
        ("Data", {"length": 5000}, "VARCHAR(140)", "VARCHAR(140)", "VARCHAR(140)"),
        ("Int", {}, "INTEGER", "INTEGER", "INTEGER"),
        ("Int", {"length": 12}, "BIGINT", "BIGINT", "BIGINT"),
        ("Long Int", {}, "BIGINT", "BIGINT", "BIGINT"),
        ("Check", {}, "TINYINT", "SMALLINT", "SMALLINT"),
        ("Currency", {}, "NUMERIC(21, 9)", "NUMERIC(21, 9)", "REAL"),
        ("Rating", {}, "NUMERIC(3, 2)", "NUMERIC(3, 2)", "REAL"),
        ("Datetime", {}, "DATETIME(6)", "TIMESTAMP(6) WITHOUT TIME ZONE", "DATETIME"),
        ("Time", {}, "TIME(6)", "TIME(6) WITHOUT TIME ZONE", "TIME"),
        ("Text", {}, "TEXT", "TEXT", "TEXT"),
        ("Code", {}, "LONGTEXT", "TEXT", "TEXT"),
        ("JSON", {}, "LONGTEXT", "TEXT", "TEXT"),
    ],
)
def test_column_type_per_backend(
    fieldtype: str, kw: dict, mariadb: str, postgresql: str, sqlite: str
) -> None:
    assert _compiled(fieldtype, "mariadb", **kw) == mariadb
    assert _compiled(fieldtype, "postgresql", **kw) == postgresql
    assert _compiled(fieldtype, "sqlite", **kw) == sqlite


@pytest.mark.parametrize(
    ("field", "nullable", "default"),
    [
        (DocFieldDef("a", "Check", default="1"), False, "1"),
        (DocFieldDef("a", "Int", default="3.7"), False, "3"),
        (DocFieldDef("a", "Float", default="1,234.5"), False, "1234.5"),
        (DocFieldDef("a", "Percent", default="oops"), False, "0"),
        (DocFieldDef("a", "Duration"), True, None),
        (DocFieldDef("a", "Duration", not_nullable=True), False, "0"),
        (DocFieldDef("a", "Select", options="A\nB", default="B"), True, "B"),
        (DocFieldDef("a", "Small Text", default="it's"), True, "it's"),
        (DocFieldDef("a", "Data", default="Today"), True, None),
        (DocFieldDef("a", "Link", default=":Company"), True, None),
        (DocFieldDef("a", "Data", length=3, default="toolong"), True, None),
        (DocFieldDef("a", "Date", default="2024-01-01"), True, None),
        (DocFieldDef("a", "JSON", default="{}"), True, None),
    ],
)
def test_nullability_and_literal_defaults(field: DocFieldDef, nullable: bool, default: str | None) -> None:
    column = data_column(field)
    assert column.nullable is nullable
    assert (column.server_default.arg if column.server_default is not None else None) == default  # type: ignore[attr-defined]


def test_text_types_are_never_indexed() -> None:
    assert is_indexable(DocFieldDef("a", "Data")) and is_indexable(DocFieldDef("a", "Date"))
    for ft in ("Text", "Small Text", "Long Text", "Code", "Text Editor", "Password", "JSON", "Attach"):
        assert not is_indexable(DocFieldDef("a", ft)), ft
    assert not is_indexable(DocFieldDef("a", "Section Break"))


def test_mariadb_ddl_names_engine_charset_and_row_format() -> None:
    table = build_table(
        load_meta({"name": "Gadget", "fields": [{"fieldname": "t", "fieldtype": "Data"}]}), MetaData()
    )
    ddl = str(CreateTable(table).compile(dialect=DIALECTS["mariadb"]))
    for option in ("ENGINE=InnoDB", "ROW_FORMAT=DYNAMIC", "CHARSET=utf8mb4", "COLLATE utf8mb4_unicode_ci"):
        assert option in ddl, option
    assert "ENGINE" not in str(CreateTable(table).compile(dialect=DIALECTS["postgresql"]))


def test_single_tables_have_no_field_indexes() -> None:
    meta = load_meta({"name": "Gadget Settings", "issingle": 1,
                      "fields": [{"fieldname": "code", "fieldtype": "Data", "unique": 1}]})  # fmt: skip
    assert not meta.has_table
    table = build_table(meta, MetaData())
    assert {str(ix.name) for ix in table.indexes} == {"tabGadget Settings_creation_index"}
