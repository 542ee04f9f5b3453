"""Loader: Frappe's own DocType files load unchanged; built-ins keep Frappe's names and fieldnames."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import MetaData

from docframe.db.tables import build_table
from docframe.db.types import column_type
from docframe.meta import validate as rules
from docframe.meta.fieldtypes import DATA_FIELD_TYPES, NO_VALUE_TYPES
from docframe.meta.loader import load_meta, normalise_definition
from docframe.meta.registry import MetaRegistry, builtin_doctype_root
from docframe.meta.schema import Meta

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "frappe-doctypes"
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


# -- Frappe's definitions through docframe's DocType rules and table builder -------------------------

KNOWN = {json.loads(p.read_text())["name"]: json.loads(p.read_text()) for p in FIXTURE_FILES}


BUILTINS = MetaRegistry.from_folders([("docframe", builtin_doctype_root().parent, builtin_doctype_root())])


def _fixture_lookup(name: str) -> Meta | None:
    """Fixture DocTypes as they are, then docframe's built-ins; any other target as a child DocType."""
    if name in KNOWN:
        return load_meta(KNOWN[name])
    if BUILTINS.is_standard(name):
        return BUILTINS.get(name)
    return load_meta({"name": name, "istable": 1, "fields": [{"fieldname": "link", "fieldtype": "Link"}]})


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_every_frappe_definition_passes_docframes_doctype_rules(path: Path) -> None:
    data = normalise_definition(json.loads(path.read_text()))
    fields = [dict(f) for f in data["fields"]]
    before = [f["fieldname"] for f in fields]
    rules.prepare(data, fields, [])
    rules.check_fieldnames(data["name"], fields)
    rules.check_autoname(data, fields)
    rules.check_fields(data, fields, _fixture_lookup)
    rules.check_properties(data, fields)
    if not data.get("istable"):
        rules.check_permissions(
            data, [{**p, "idx": i} for i, p in enumerate(data.get("permissions") or [], 1)]
        )
    assert [f["fieldname"] for f in fields] == before  # nothing renamed


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_every_frappe_definition_builds_a_table(path: Path) -> None:
    meta = load_meta(json.loads(path.read_text()))
    table = build_table(meta, MetaData())
    data_columns = {f.fieldname for f in meta.data_fields}
    assert data_columns <= set(table.c.keys())
    assert not {f.fieldname for f in meta.fields if f.fieldtype in NO_VALUE_TYPES} & set(table.c.keys())
    assert ("parent" in table.c) == meta.istable and ("_user_tags" in table.c) == (not meta.istable)
    for f in meta.data_fields:
        if (
            f.fieldname not in meta.standard_columns
        ):  # Communication declares _user_tags: the text column wins
            assert type(table.c[f.fieldname].type) is type(column_type(f)), f.fieldname


def test_field_order_wins_and_unknown_fields_go_last() -> None:
    meta = load_meta(
        {"name": "Ordered", "field_order": ["b", "a"],
         "fields": [{"fieldname": "a"}, {"fieldname": "c"}, {"fieldname": "b"}]}
    )  # fmt: skip
    assert [f.fieldname for f in meta.fields] == ["b", "a", "c"]
    assert [f.idx for f in meta.fields] == [1, 2, 3]


def test_child_tables_have_no_permissions_and_derived_sets() -> None:
    child = load_meta({"name": "Row", "istable": 1, "permissions": [{"role": "All", "read": 1}],
                       "fields": [{"fieldname": "item", "fieldtype": "Link", "options": "Item"}]})  # fmt: skip
    assert child.permissions == () and child.valid_columns[-4:] == (
        "parent",
        "parentfield",
        "parenttype",
        "item",
    )
    assert [f.fieldname for f in child.link_fields] == ["item"]
    assert "_user_tags" not in child.all_columns and "parent" in child.all_columns
