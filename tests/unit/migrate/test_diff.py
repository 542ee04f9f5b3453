"""migrate/diff.py is pure: desired tables vs. reflection snapshots -> operations, no database."""

from __future__ import annotations

import pytest
from sqlalchemy import MetaData, Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.engine import Dialect

from docframe.db.tables import build_table, index_name
from docframe.meta.loader import load_meta
from docframe.migrate.diff import (
    AddColumn,
    CreateIndex,
    CreateTable,
    DropIndex,
    Notice,
    Reflected,
    ReflectedIndex,
    column_kind,
    diff_table,
    is_change,
)

DIALECTS: dict[str, Dialect] = {
    "sqlite": sqlite.dialect(),
    "postgresql": postgresql.dialect(),
    "mariadb": mysql.dialect(),
}


def _table(fields: list[dict], **props: object) -> Table:
    return build_table(load_meta({"name": "Gadget", "fields": fields, **props}), MetaData())


def _snapshot(table: Table, dialect: Dialect) -> Reflected:
    """What reflection would report for ``table`` exactly as described."""
    columns = {c.name: column_kind(c.type.dialect_impl(dialect)) for c in table.columns}
    indexes = [
        ReflectedIndex(str(ix.name), tuple(c.name for c in ix.columns), bool(ix.unique))
        for ix in table.indexes
    ]
    return Reflected(exists=True, columns=columns, indexes=indexes, dialect=dialect)


BASE = [
    {"fieldname": "title", "fieldtype": "Data"},
    {"fieldname": "qty", "fieldtype": "Int"},
    {"fieldname": "code", "fieldtype": "Data", "unique": 1},
]


def test_missing_table_is_created_with_its_indexes() -> None:
    table = _table(BASE)
    ops = diff_table(table, Reflected(exists=False))
    assert ops == [CreateTable(table)]
    assert {str(ix.name) for ix in table.indexes} == {"tabGadget_code_unique", "tabGadget_creation_index"}


@pytest.mark.parametrize("backend", sorted(DIALECTS))
def test_table_matching_its_description_needs_nothing(backend: str) -> None:
    table = _table(BASE, track_seen=1)
    assert diff_table(table, _snapshot(table, DIALECTS[backend])) == []


@pytest.mark.parametrize("backend", sorted(DIALECTS))
def test_new_field_adds_column_and_its_index(backend: str) -> None:
    dialect = DIALECTS[backend]
    before = _snapshot(_table(BASE), dialect)
    after = _table([*BASE, {"fieldname": "serial", "fieldtype": "Data", "search_index": 1}])
    ops = diff_table(after, before)
    assert [type(op) for op in ops] == [AddColumn, CreateIndex]
    assert ops[0].column.name == "serial"  # type: ignore[union-attr]
    assert ops[1].index.name == "tabGadget_serial_index"  # type: ignore[union-attr]
    assert all(is_change(op) for op in ops)


def test_removed_field_keeps_its_column_as_a_notice() -> None:
    dialect = DIALECTS["postgresql"]
    before = _snapshot(_table(BASE), dialect)
    ops = diff_table(_table(BASE[:1] + BASE[2:]), before)
    assert ops == [
        Notice(
            "tabGadget",
            "column qty has no field any more; kept (data is never dropped)",
            "removed_column",
            "qty",
        )
    ]
    assert not any(is_change(op) for op in ops)


@pytest.mark.parametrize(
    ("old", "new", "have", "want"),
    [
        ({"fieldtype": "Int"}, {"fieldtype": "Data"}, "int", "varchar(140)"),
        ({"fieldtype": "Data"}, {"fieldtype": "Data", "length": 255}, "varchar(140)", "varchar(255)"),
        ({"fieldtype": "Small Text"}, {"fieldtype": "Long Text"}, "text", "longtext"),
        ({"fieldtype": "Float"}, {"fieldtype": "Rating"}, "decimal(21,9)", "decimal(3,2)"),
        ({"fieldtype": "Date"}, {"fieldtype": "Datetime"}, "date", "datetime"),
    ],
)
def test_changed_type_is_reported_not_altered(old: dict, new: dict, have: str, want: str) -> None:
    dialect = DIALECTS["mariadb"]
    before = _snapshot(_table([{"fieldname": "value", **old}]), dialect)
    ops = diff_table(_table([{"fieldname": "value", **new}]), before)
    assert len(ops) == 1 and isinstance(ops[0], Notice)
    assert ops[0].kind == "type_changed" and ops[0].column == "value"
    assert f"is {have} in the database but its field wants {want}; not altered" in ops[0].text


def test_type_spelling_per_backend() -> None:
    table = _table(
        [{"fieldname": "flag", "fieldtype": "Check"}, {"fieldname": "amount", "fieldtype": "Currency"},
         {"fieldname": "body", "fieldtype": "Text Editor"}, {"fieldname": "at", "fieldtype": "Datetime"}]
    )  # fmt: skip
    kinds = {
        backend: {c.name: column_kind(c.type.dialect_impl(d)) for c in table.columns}
        for backend, d in DIALECTS.items()
    }
    assert kinds["mariadb"]["flag"] == "tinyint" and kinds["postgresql"]["flag"] == "smallint"
    assert kinds["mariadb"]["amount"] == kinds["postgresql"]["amount"] == "decimal(21,9)"
    assert kinds["sqlite"]["amount"] == "float"
    assert kinds["mariadb"]["body"] == "longtext" and kinds["postgresql"]["body"] == "text"
    assert {k["at"] for k in kinds.values()} == {"datetime"}
    assert kinds["postgresql"]["idx"] == "bigint" and kinds["mariadb"]["idx"] == "int"


def test_column_names_compare_case_insensitively() -> None:
    dialect = DIALECTS["mariadb"]
    table = _table(BASE)
    found = _snapshot(table, dialect)
    found.columns = {name.upper(): kind for name, kind in found.columns.items()}
    assert diff_table(table, found) == []


def test_unique_dropped_and_search_index_added_in_that_order() -> None:
    dialect = DIALECTS["sqlite"]
    before = _snapshot(_table(BASE), dialect)
    after = _table([*BASE[:2], {"fieldname": "code", "fieldtype": "Data", "search_index": 1}])
    ops = diff_table(after, before)
    assert ops == [
        DropIndex("tabGadget", "tabGadget_code_unique", "code"),
        CreateIndex(next(ix for ix in after.indexes if ix.name == "tabGadget_code_index")),
    ]


def test_foreign_indexes_are_left_alone_and_existing_ones_recognised_by_columns() -> None:
    dialect = DIALECTS["postgresql"]
    table = _table(BASE)
    found = _snapshot(table, dialect)
    found.indexes = [
        ReflectedIndex("someone_elses_index", ("qty",), False),
        ReflectedIndex("legacy_code_key", ("code",), True),  # same column and uniqueness, other name
        ReflectedIndex("legacy_creation", ("creation",), False),
    ]
    assert diff_table(table, found) == []


def test_index_names_fit_every_backend() -> None:
    long_table = "tab" + "A" * 61
    name = index_name(long_table, "x" * 60, "unique")
    assert len(name.encode()) <= 60 and name.startswith("tabAAAA")
    assert name != index_name(long_table, "x" * 59 + "y", "unique")
    assert index_name("tabToDo", "status", "index") == "tabToDo_status_index"
    unicode_name = index_name("tabGadget", "é" * 40, "index")
    assert len(unicode_name.encode()) <= 60
