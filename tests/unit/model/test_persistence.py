"""Saving a stored document writes the columns that changed (model/persistence.py update path).

The statements themselves are read off SQLite's driver trace; the stored results are checked on
every backend, including the cases where a column equal to the stored copy must still be written.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from docframe.auth.users import User
from docframe.model import operations, persistence
from docframe.sites import Site
from tests.unit.model.doctypes import parent_and_child

ADMIN = User.administrator()


def _doctypes(site: Site) -> tuple[str, str]:
    fields = [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "note", "fieldtype": "Data"}]
    return parent_and_child(site, "Persist", fields)


@pytest.fixture(scope="module")
def doctypes(site: Site) -> tuple[str, str]:
    return _doctypes(site)


def _create(site: Site, parent: str, **values: Any) -> tuple[str, list[str]]:
    with site.unit_of_work(ADMIN) as ctx:
        doc = operations.create_document(ctx, parent, {"title": "t", "note": "n", **values})
        return str(doc.name), [str(r.name) for r in doc.get_table("rows")]


def _set_clause(statement: str) -> list[str]:
    found = re.search(r"\bSET (.*?) WHERE\b", statement, re.S)
    assert found is not None, statement
    return sorted(part.split("=")[0].strip().strip('"') for part in found.group(1).split(","))


def test_an_update_names_only_the_changed_columns(sqlite_site: Site) -> None:
    parent, child = _doctypes(sqlite_site)
    name, rows = _create(sqlite_site, parent, rows=[{"item": "a", "qty": 1}, {"item": "b", "qty": 2}])
    statements: list[str] = []
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        driver = ctx.conn.connection.dbapi_connection
        driver.set_trace_callback(statements.append)  # type: ignore[union-attr]
        try:
            operations.update_document(
                ctx, parent, name,
                {"note": "changed", "rows": [{"name": rows[0], "item": "a", "qty": 1},
                                             {"name": rows[1], "item": "b", "qty": 5}]},
            )  # fmt: skip
        finally:
            driver.set_trace_callback(None)  # type: ignore[union-attr]
    updates = [s for s in statements if s.lstrip().upper().startswith("UPDATE")]
    of_parent = [s for s in updates if f'"tab{parent}"' in s]
    of_rows = [s for s in updates if f'"tab{child}"' in s]
    assert [_set_clause(s) for s in of_parent] == [["modified", "modified_by", "note"]]
    assert sorted(_set_clause(s) for s in of_rows) == [
        ["modified", "modified_by"],
        ["modified", "modified_by", "qty"],
    ]


def test_a_narrowed_update_stores_what_changed_and_keeps_the_rest(
    site: Site, doctypes: tuple[str, str]
) -> None:
    parent, _child = doctypes
    name, rows = _create(
        site, parent, extra={"k": 1}, rows=[{"item": "a", "qty": 1}, {"item": "b", "qty": 2}]
    )
    with site.unit_of_work(ADMIN) as ctx:
        saved = operations.update_document(
            ctx, parent, name,
            {"note": "n2", "rows": [{"name": rows[1], "item": "b", "qty": 3}, {"name": rows[0], "item": "a", "qty": 1}]},
        )  # fmt: skip
        modified = saved.modified
    with site.unit_of_work(ADMIN) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(parent), name)
        assert (doc.title, doc.note, doc.modified) == ("t", "n2", modified)
        stored_rows = [(r.name, r.idx, r.item, r.qty) for r in doc.get_table("rows")]
        assert stored_rows == [(rows[1], 1, "b", 3), (rows[0], 2, "a", 1)]
        assert all(r.modified == modified for r in doc.get_table("rows"))


def test_a_column_db_set_on_another_instance_is_overwritten_by_the_save(
    site: Site, doctypes: tuple[str, str]
) -> None:
    """Frappe's save writes the whole row: a value set meanwhile in this transaction does not survive."""
    parent, _child = doctypes
    name, _rows = _create(site, parent)
    with site.unit_of_work(ADMIN) as ctx:
        doc = operations.get_document(ctx, parent, name, ptype="write", for_update=True)
        other = persistence.load_doc(ctx, ctx.meta(parent), name)
        other.db_set("title", "set meanwhile", update_modified=False)
        doc.note = "saved"
        doc.save()
    with site.unit_of_work(ADMIN) as ctx:
        stored = persistence.load_doc(ctx, ctx.meta(parent), name)
        assert (stored.title, stored.note) == ("t", "saved")
