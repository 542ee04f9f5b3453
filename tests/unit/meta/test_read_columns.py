"""The read plan a Meta carries (``read_fields``, ``read_columns``, ``kept_aside_columns``): worked out
once per DocType so that loading a document turns a row into its values without a lookup by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from docframe.db.tables import build_table
from docframe.meta.loader import load_meta

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "frappe-doctypes"
FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*.json"))
KEPT = ("_user_tags", "_liked_by", "_comments", "_assign", "_seen")


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_the_read_columns_are_the_tables_columns_fields_first(path: Path) -> None:
    meta = load_meta(json.loads(path.read_text()))
    if not meta.has_table:
        pytest.skip("no table of its own")
    table = build_table(meta, MetaData())
    assert sorted(meta.read_columns) == sorted(table.c.keys())
    assert len(set(meta.read_columns)) == len(meta.read_columns)
    assert meta.read_fields == tuple(dict.fromkeys(meta.valid_columns))
    assert meta.read_columns[: len(meta.read_fields)] == meta.read_fields
    for column, position in meta.kept_aside_columns:
        assert meta.read_columns[position] == column
    assert [c for c, _ in meta.kept_aside_columns] == [c for c in KEPT if c in table.c]


def test_underscore_columns_come_after_the_fields_in_a_fixed_order() -> None:
    meta = load_meta(
        {"name": "Seen", "track_seen": 1, "fields": [{"fieldname": "title", "fieldtype": "Data"}]}
    )
    fields = ("name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "title")
    assert meta.read_fields == fields
    assert meta.read_columns == (*fields, "_user_tags", "_comments", "_assign", "_liked_by", "_seen")
    assert meta.kept_aside_columns == (
        ("_user_tags", 8), ("_liked_by", 11), ("_comments", 9), ("_assign", 10), ("_seen", 12),
    )  # fmt: skip
    assert "_seen" not in load_meta({"name": "Unseen", "fields": []}).read_columns


def test_a_field_declaring_an_underscore_column_is_read_once_among_the_fields() -> None:
    meta = load_meta({"name": "Tagged", "fields": [{"fieldname": "_user_tags", "fieldtype": "Data"}]})
    assert meta.read_columns.count("_user_tags") == 1
    position = meta.read_fields.index("_user_tags")
    assert ("_user_tags", position) in meta.kept_aside_columns


def test_child_rows_read_their_parent_columns_and_keep_nothing_aside() -> None:
    child = load_meta({"name": "Row", "istable": 1, "fields": [{"fieldname": "item", "fieldtype": "Data"}]})
    assert child.read_columns == child.read_fields == child.valid_columns
    assert {"parent", "parentfield", "parenttype"} <= set(child.read_fields)
    assert child.kept_aside_columns == ()
