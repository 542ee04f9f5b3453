"""Loader: Frappe's own DocType files load unchanged; built-ins keep Frappe's names and fieldnames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from docframe.meta.fieldtypes import DATA_FIELD_TYPES, NO_VALUE_TYPES
from docframe.meta.loader import load_meta
from docframe.meta.registry import MetaRegistry, builtin_doctype_root

FIXTURES = Path(__file__).resolve().parents[4] / "shared" / "frappe-doctypes"
FIXTURE_FILES = sorted(p for p in FIXTURES.glob("*.json"))


def test_fixture_folder_is_present() -> None:
    assert len(FIXTURE_FILES) >= 40, f"expected Frappe's DocType fixtures in {FIXTURES}"


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_every_frappe_definition_loads_unchanged(path: Path) -> None:
    raw = json.loads(path.read_text())
    meta = load_meta(raw)
    assert meta.name == raw["name"]
    declared = [f["fieldname"] for f in raw["fields"]]
    loaded = [f.fieldname for f in meta.fields]
    assert set(declared) <= set(loaded)
    if raw.get("field_order"):
        order = [n for n in raw["field_order"] if n in loaded]
        assert [n for n in loaded if n in order] == order
    for f in meta.fields:
        assert f.fieldtype in DATA_FIELD_TYPES | NO_VALUE_TYPES, f"{meta.name}.{f.fieldname}: {f.fieldtype}"
    assert bool(meta.istable) == bool(raw.get("istable"))
    assert bool(meta.issingle) == bool(raw.get("issingle"))


def test_absent_keys_mean_falsy() -> None:
    meta = load_meta({"name": "Thing", "fields": [{"fieldname": "title", "fieldtype": "Data"}]})
    field = meta.fields_by_name["title"]
    assert (field.reqd, field.unique, field.permlevel, field.default) == (False, False, 0, None)
    assert meta.autoname == "" and meta.naming_rule == "hash"


def test_submittable_gets_amended_from_and_tree_gets_nested_set_fields() -> None:
    meta = load_meta({"name": "Invoice", "is_submittable": 1, "fields": []})
    assert meta.fields_by_name["amended_from"].options == "Invoice"
    tree = load_meta({"name": "Territory", "is_tree": 1, "fields": []})
    assert {"lft", "rgt", "is_group", "old_parent", "parent_territory"} <= set(tree.fields_by_name)
    assert tree.nsm_parent_field == "parent_territory"


BUILTIN_NAMES = [
    "DocType",
    "DocField",
    "DocPerm",
    "User",
    "Role",
    "Has Role",
    "ToDo",
    "Note",
    "File",
    "Comment",
    "Version",
    "API Request Log",
    "System Settings",
    "DocShare",
    "User Permission",
    "Error Log",
    "Module Def",
]


@pytest.mark.parametrize("name", BUILTIN_NAMES)
def test_builtin_doctypes_keep_frappe_names_and_data_fieldnames(name: str) -> None:
    registry = MetaRegistry.from_folders(
        [("docframe", builtin_doctype_root().parent, builtin_doctype_root())]
    )
    ours = registry.get(name)
    stem = name.lower().replace(" ", "_")
    theirs = load_meta(json.loads((FIXTURES / f"{stem}.json").read_text()))
    wanted = {
        f.fieldname: f.fieldtype for f in theirs.fields if f.fieldtype not in NO_VALUE_TYPES or f.is_table
    }
    got = {f.fieldname: f.fieldtype for f in ours.fields}
    assert wanted.items() <= got.items()
    assert (ours.istable, ours.issingle, ours.autoname) == (theirs.istable, theirs.issingle, theirs.autoname)
