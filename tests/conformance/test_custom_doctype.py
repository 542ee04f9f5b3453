"""Custom DocTypes through the API on every backend: create, use at once, edit, child tables,
Singles, validation errors, delete; the metadata registry and its cross-process freshness."""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, Table, Text, inspect, select

import docframe.sites
from docframe.errors import LinkExistsError
from docframe.meta.fieldtypes import TABLE_TYPES
from docframe.model import lifecycle, persistence
from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient, api_key_for, make_site

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "frappe-doctypes"
RIGHTS = {"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}


def unique(prefix: str) -> str:
    return f"{prefix} {secrets.token_hex(3)}"


def doctype_body(name: str, fields: list[dict[str, Any]], **props: Any) -> dict[str, Any]:
    perms = [] if props.get("istable") else [RIGHTS]
    return {"name": name, "module": "Custom", "custom": 1, "fields": fields, "permissions": perms, **props}


def create_doctype(admin: SiteClient, prefix: str, fields: list[dict[str, Any]], **props: Any) -> str:
    name = unique(prefix)
    response = admin.post("/api/resource/DocType", json=doctype_body(name, fields, **props))
    assert response.status_code == 200, response.text
    return name


def messages(body: dict[str, Any]) -> list[str]:
    return [json.loads(m)["message"] for m in json.loads(body.get("_server_messages", "[]"))]


def has_table(site: Site, table: str) -> bool:
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        return inspect(ctx.conn).has_table(table)


def columns(site: Site, table: str) -> set[str]:
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        return {c["name"] for c in inspect(ctx.conn).get_columns(table)}


TITLE = [{"fieldname": "title", "fieldtype": "Data", "label": "Title", "reqd": 1}]


# -- create and use ---------------------------------------------------------------------------------


def test_v1_created_doctype_is_usable_in_the_next_request(admin: SiteClient, site: Site) -> None:
    name = create_doctype(admin, "Gadget", [*TITLE, {"fieldname": "qty", "fieldtype": "Int", "label": "Qty"}])
    assert has_table(site, f"tab{name}")
    created = admin.post(f"/api/resource/{name}", json={"title": "first", "qty": "4"})
    assert created.status_code == 200, created.text
    doc = created.json()["data"]
    assert (doc["doctype"], doc["title"], doc["qty"]) == (name, "first", 4)
    listed = admin.get(f"/api/resource/{name}", params={"fields": '["title","qty"]'}).json()["data"]
    assert listed == [{"title": "first", "qty": 4}]
    missing = admin.post(f"/api/resource/{name}", json={"qty": 1})
    assert missing.status_code == 417 and messages(missing.json()) == [
        f"Error: Value missing for {name}: Title"
    ]


def test_doctype_names_are_exact_on_every_backend(admin: SiteClient) -> None:
    name = create_doctype(admin, "Exact", TITLE)
    assert admin.get(f"/api/resource/{name}").status_code == 200
    wrong_case = admin.get(f"/api/resource/{name.lower()}")
    assert wrong_case.status_code == 404 and wrong_case.json()["exc_type"] == "DoesNotExistError"


def test_v2_created_doctype_is_usable_at_once(admin: SiteClient, site: Site) -> None:
    name = unique("Widget")
    response = admin.post("/api/v2/document/DocType", json=doctype_body(name, TITLE))
    assert response.status_code == 200, response.text
    assert (
        response.json()["data"]["custom"] == 1
        and response.json()["data"]["fields"][0]["fieldname"] == "title"
    )
    made = admin.post(f"/api/v2/document/{name}", json={"title": "via v2"})
    assert made.status_code == 200 and made.json()["data"]["title"] == "via v2"
    got = admin.get(f"/api/v2/document/{name}/{made.json()['data']['name']}")
    assert got.status_code == 200 and got.json()["data"]["title"] == "via v2"


def test_definition_is_returned_with_its_fields(admin: SiteClient) -> None:
    fields = [
        *TITLE,
        {"fieldname": "details", "fieldtype": "Section Break", "label": "Details"},
        {"fieldname": "status", "fieldtype": "Select", "options": "Open\nClosed", "label": "Status"},
    ]
    name = create_doctype(admin, "Described", fields, is_submittable=1, track_changes=1)
    data = admin.get(f"/api/resource/DocType/{name}").json()["data"]
    assert (data["name"], data["custom"], data["is_submittable"], data["track_changes"]) == (name, 1, 1, 1)
    got = [(f["fieldname"], f["fieldtype"]) for f in data["fields"]]
    assert got == [
        ("title", "Data"),
        ("details", "Section Break"),
        ("status", "Select"),
        ("amended_from", "Link"),
    ]
    assert data["fields"][3]["options"] == name and data["fields"][0]["in_list_view"] == 1
    assert [p["role"] for p in data["permissions"]] == ["System Manager"]
    assert all(f["parent"] == name and f["parenttype"] == "DocType" for f in data["fields"])


# -- edit ---------------------------------------------------------------------------------------------


def test_edit_adds_a_column_usable_at_once(admin: SiteClient, site: Site) -> None:
    name = create_doctype(admin, "Growing", TITLE)
    first = admin.post(f"/api/resource/{name}", json={"title": "before"}).json()["data"]["name"]
    definition = admin.get(f"/api/resource/DocType/{name}").json()["data"]
    fields = [*definition["fields"], {"fieldname": "colour", "fieldtype": "Data", "label": "Colour", "search_index": 1},
              {"fieldname": "active", "fieldtype": "Check", "label": "Active", "default": "1"}]  # fmt: skip
    edited = admin.put(f"/api/resource/DocType/{name}", json={"fields": fields})
    assert edited.status_code == 200, edited.text
    assert {"colour", "active"} <= columns(site, f"tab{name}")
    made = admin.post(f"/api/resource/{name}", json={"title": "after", "colour": "teal"})
    assert made.status_code == 200 and made.json()["data"]["colour"] == "teal"
    old = admin.get(f"/api/resource/{name}/{first}").json()["data"]
    assert old["active"] == 1 and "colour" not in old  # the existing row got the column default
    rows = admin.get(f"/api/resource/{name}", params={"filters": '[["colour","=","teal"]]'}).json()["data"]
    assert len(rows) == 1


def test_v2_put_edits_and_removed_field_keeps_its_column(admin: SiteClient, site: Site) -> None:
    name = create_doctype(
        admin, "Shrinking", [*TITLE, {"fieldname": "notes", "fieldtype": "Data", "label": "Notes"}]
    )
    doc = admin.post(f"/api/resource/{name}", json={"title": "t", "notes": "keep me"}).json()["data"]["name"]
    definition = admin.get(f"/api/v2/document/DocType/{name}").json()["data"]
    kept = [f for f in definition["fields"] if f["fieldname"] != "notes"]
    edited = admin.put(f"/api/v2/document/DocType/{name}", json={"fields": kept})
    assert edited.status_code == 200, edited.text
    notes = [m["message"] for m in edited.json().get("messages", [])]
    assert any("column notes has no field any more; kept" in m for m in notes)
    assert "notes" in columns(site, f"tab{name}")
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        table = ctx.site.tables.get(ctx.site.metas.get(name, ctx.conn))
        assert "notes" not in table.c  # no longer a field...
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        raw = Table(f"tab{name}", MetaData(), Column("name", Text), Column("notes", Text))
        assert (
            ctx.conn.execute(select(raw.c.notes).where(raw.c.name == doc)).scalar() == "keep me"
        )  # ...data kept
    assert "notes" not in admin.get(f"/api/resource/{name}/{doc}").json()["data"]


def test_changed_fieldtype_is_reported_not_altered(admin: SiteClient, site: Site) -> None:
    name = create_doctype(
        admin, "Retyped", [*TITLE, {"fieldname": "size", "fieldtype": "Int", "label": "Size"}]
    )
    fields = admin.get(f"/api/resource/DocType/{name}").json()["data"]["fields"]
    for f in fields:
        if f["fieldname"] == "size":
            f["fieldtype"] = "Date"
    edited = admin.put(f"/api/resource/DocType/{name}", json={"fields": fields})
    assert edited.status_code == 200, edited.text
    assert any("column size is int in the database but its field wants date; not altered" in m
               for m in messages(edited.json()))  # fmt: skip


def test_unique_on_duplicated_values_is_refused(admin: SiteClient) -> None:
    name = create_doctype(admin, "Duplicated", [*TITLE])
    for _ in range(2):
        admin.post(f"/api/resource/{name}", json={"title": "same"})
    fields = admin.get(f"/api/resource/DocType/{name}").json()["data"]["fields"]
    fields[0]["unique"] = 1
    refused = admin.put(f"/api/resource/DocType/{name}", json={"fields": fields})
    assert refused.status_code == 417 and refused.json()["exc_type"] == "NonUniqueError"
    assert messages(refused.json()) == [
        f"{name}: Field 'Title' cannot be set as Unique as it has non-unique values"
    ]


# -- child tables and Singles -------------------------------------------------------------------------


def test_child_doctype_used_from_a_table_field(admin: SiteClient, site: Site) -> None:
    child = create_doctype(admin, "Line", [{"fieldname": "item", "fieldtype": "Data", "label": "Item"},
                                           {"fieldname": "qty", "fieldtype": "Float", "label": "Qty"}], istable=1)  # fmt: skip
    assert {"parent", "parentfield", "parenttype"} <= columns(site, f"tab{child}")
    assert "_user_tags" not in columns(site, f"tab{child}")
    parent = create_doctype(admin, "Order", [*TITLE, {"fieldname": "lines", "fieldtype": "Table", "options": child,
                                                       "label": "Lines"}])  # fmt: skip
    made = admin.post(
        f"/api/resource/{parent}", json={"title": "o1", "lines": [{"item": "a", "qty": 2}, {"item": "b"}]}
    )
    assert made.status_code == 200, made.text
    name = made.json()["data"]["name"]
    lines = admin.get(f"/api/resource/{parent}/{name}").json()["data"]["lines"]
    assert [(r["item"], r["qty"], r["idx"], r["parenttype"], r["parentfield"]) for r in lines] == [
        ("a", 2.0, 1, parent, "lines"), ("b", 0.0, 2, parent, "lines"),
    ]  # fmt: skip
    in_use = admin.delete(f"/api/resource/DocType/{child}")
    assert in_use.status_code == 417 and in_use.json()["exc_type"] == "LinkExistsError"
    assert has_table(site, f"tab{child}")


def test_single_doctype_reads_and_writes_through_tab_singles(admin: SiteClient, site: Site) -> None:
    name = create_doctype(admin, "Gadget Settings", [
        {"fieldname": "api_url", "fieldtype": "Data", "label": "API URL"},
        {"fieldname": "retries", "fieldtype": "Int", "label": "Retries"},
        {"fieldname": "enabled", "fieldtype": "Check", "label": "Enabled"},
    ], issingle=1)  # fmt: skip
    assert not has_table(site, f"tab{name}")
    fresh = admin.get(f"/api/resource/{name}/{name}")
    assert fresh.status_code == 200 and fresh.json()["data"]["name"] == name
    saved = admin.put(
        f"/api/resource/{name}/{name}", json={"api_url": "https://x.test", "retries": "3", "enabled": 1}
    )
    assert saved.status_code == 200, saved.text
    data = admin.get(f"/api/resource/{name}/{name}").json()["data"]
    assert (data["api_url"], data["retries"], data["enabled"]) == ("https://x.test", 3, 1)
    singles = site.tables.framework.singles
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        stored = dict(
            ctx.conn.execute(select(singles.c.field, singles.c.value).where(singles.c.doctype == name)).all()
        )
    assert (stored["api_url"], stored["retries"], stored["name"]) == ("https://x.test", "3", name)
    assert admin.delete(f"/api/resource/DocType/{name}").status_code == 202
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        assert ctx.conn.execute(select(singles.c.field).where(singles.c.doctype == name)).first() is None


# -- validation errors --------------------------------------------------------------------------------

BAD_DEFINITIONS = [
    ("1Gadget", TITLE, {}, 409, "NameError",
     "A DocType's name should start with a letter and can only consist of letters, numbers, spaces, underscores and hyphens"),
    ("Gad$get", TITLE, {}, 409, "NameError", "A DocType's name should start with a letter"),
    ("G" * 62, TITLE, {}, 409, "NameError", f"Doctype name is limited to 61 characters ({'G' * 62})"),
    ("Bad Field", [{"fieldname": "owner", "fieldtype": "Data"}], {}, 417, "InvalidFieldNameError",
     "Fieldname owner is restricted"),
    ("Bad Field", [{"fieldname": "meta", "fieldtype": "Data"}], {}, 417, "ValidationError",
     "fieldname cannot be set to reserved keyword <strong>meta</strong>"),
    ("Bad Field", [{"fieldname": "a", "fieldtype": "Data"}, {"fieldname": "a", "fieldtype": "Int"}], {}, 417,
     "UniqueFieldnameError", "Fieldname a appears multiple times in rows 1, 2"),
    ("Bad Field", [{"fieldname": "price-eur", "fieldtype": "Data"}], {}, 417, "InvalidColumnName",
     'Fieldname <strong>price-eur</strong> cannot have special characters like "-"'),
    ("Bad Field", [{"fieldname": "ref", "fieldtype": "Link", "label": "Ref"}], {}, 417, "DoctypeLinkError",
     "Options required for Link or Table type field Ref in row 1"),
    ("Bad Field", [{"fieldname": "rows", "fieldtype": "Table", "label": "Rows"}], {}, 417, "DoctypeLinkError",
     "Options required for Link or Table type field Rows in row 1"),
    ("Bad Field", [{"fieldname": "ref", "fieldtype": "Link", "options": "No Such Type", "label": "Ref"}], {}, 417,
     "WrongOptionsDoctypeLinkError", "Options must be a valid DocType for field Ref in row 1"),
    ("Bad Field", [{"fieldname": "rows", "fieldtype": "Table", "options": "ToDo"}], {}, 417, "ValidationError",
     "Option <strong>ToDo</strong> for field <strong>rows</strong> is not a child table"),
    ("Bad Field", [{"fieldname": "x", "fieldtype": "Sparkle"}], {}, 417, "ValidationError",
     'Row #1: Type cannot be "Sparkle"'),
    ("Bad Field", [{"fieldname": "get", "fieldtype": "Data", "label": "Get"}], {}, 417, "ValidationError",
     "Fieldname 'Get' conflicting with a controller method of the name get in"),
    ("Bad Virtual", TITLE, {"is_virtual": 1}, 417, "CannotCreateStandardDoctypeError",
     "Not allowed to create custom Virtual DocType."),
    ("Bad Standard", TITLE, {"custom": 0}, 417, "CannotCreateStandardDoctypeError",
     "Not in Developer Mode! Set in site_config.json or make 'Custom' DocType."),
]  # fmt: skip


@pytest.mark.parametrize(("name", "fields", "props", "status", "exc_type", "message"), BAD_DEFINITIONS,
                         ids=[f"{c[4]}-{i}" for i, c in enumerate(BAD_DEFINITIONS)])  # fmt: skip
def test_bad_definitions_are_refused_in_frappes_format(
    admin: SiteClient,
    site: Site,
    name: str,
    fields: list,
    props: dict,
    status: int,
    exc_type: str,
    message: str,
) -> None:
    if name.startswith("Bad "):
        name = unique(name)
    response = admin.post("/api/resource/DocType", json=doctype_body(name, fields, **props))
    assert response.status_code == status, response.text
    body = response.json()
    assert body["exc_type"] == exc_type
    assert any(message in m for m in messages(body)), messages(body)
    if len(name) <= 61:  # a longer table name is not even valid to ask about on MariaDB
        assert not has_table(site, f"tab{name}")


def test_v2_error_format_for_a_bad_definition(admin: SiteClient) -> None:
    body = doctype_body(unique("Bad V2"), [{"fieldname": "creation", "fieldtype": "Date"}])
    response = admin.post("/api/v2/document/DocType", json=body)
    assert response.status_code == 417
    error = response.json()["errors"][0]
    assert error["type"] == "InvalidFieldNameError" and error["message"] == "Fieldname creation is restricted"


def test_duplicate_name_and_standard_doctypes(admin: SiteClient) -> None:
    name = create_doctype(admin, "Twice", TITLE)
    again = admin.post("/api/resource/DocType", json=doctype_body(name, TITLE))
    assert again.status_code == 409 and again.json()["exc_type"] == "DuplicateEntryError"
    clash = admin.post("/api/resource/DocType", json=doctype_body("ToDo", TITLE))
    assert clash.status_code == 409 and clash.json()["exc_type"] == "DuplicateEntryError"
    edit = admin.put("/api/resource/DocType/ToDo", json={"description": "edited"})
    assert edit.status_code == 417 and edit.json()["exc_type"] == "CannotCreateStandardDoctypeError"
    flip = admin.put("/api/resource/DocType/ToDo", json={"custom": 1})
    assert flip.status_code == 417
    delete = admin.delete("/api/resource/DocType/ToDo")
    assert delete.status_code == 403
    assert admin.get("/api/resource/DocType/ToDo").json()["data"]["custom"] == 0


# -- delete -------------------------------------------------------------------------------------------


def test_delete_drops_the_table(admin: SiteClient, site: Site) -> None:
    name = create_doctype(admin, "Doomed", TITLE)
    admin.post(f"/api/resource/{name}", json={"title": "row"})
    deleted = admin.delete(f"/api/resource/DocType/{name}")
    assert deleted.status_code == 202, deleted.text
    assert not has_table(site, f"tab{name}")
    assert admin.get(f"/api/resource/{name}").status_code == 404
    assert admin.get(f"/api/resource/DocType/{name}").status_code == 404
    recreated = admin.post("/api/resource/DocType", json=doctype_body(name, TITLE))
    assert recreated.status_code == 200 and admin.get(f"/api/resource/{name}").json()["data"] == []


# -- the registry ---------------------------------------------------------------------------------------


def test_link_from_new_doctype_blocks_delete(admin: SiteClient) -> None:
    target = create_doctype(admin, "Depot", TITLE)
    depot = admin.post(f"/api/resource/{target}", json={"title": "north"}).json()["data"]["name"]
    spare = admin.post(f"/api/resource/{target}", json={"title": "spare"}).json()["data"]["name"]
    assert admin.delete(f"/api/resource/{target}/{spare}").status_code == 202  # link index now built
    source = create_doctype(admin, "Shipment", [*TITLE, {"fieldname": "depot", "fieldtype": "Link",
                                                         "options": target, "label": "Depot"}])  # fmt: skip
    shipped = admin.post(f"/api/resource/{source}", json={"title": "s1", "depot": depot})
    assert shipped.status_code == 200, shipped.text
    refused = admin.delete(f"/api/resource/{target}/{depot}")
    assert refused.status_code == 417 and refused.json()["exc_type"] == "LinkExistsError"
    assert f"is linked with {source}" in messages(refused.json())[0]
    bad_link = admin.post(f"/api/resource/{source}", json={"title": "s2", "depot": "nowhere"})
    assert bad_link.status_code == 417 and bad_link.json()["exc_type"] == "LinkValidationError"


def test_meta_cache_follows_edits(admin: SiteClient, site: Site) -> None:
    name = create_doctype(admin, "Cached", TITLE)
    before = site.metas.get(name)
    fields = [*admin.get(f"/api/resource/DocType/{name}").json()["data"]["fields"],
              {"fieldname": "extra", "fieldtype": "Data"}]  # fmt: skip
    assert admin.put(f"/api/resource/DocType/{name}", json={"fields": fields}).status_code == 200
    after = site.metas.get(name)
    assert after is not before and "extra" in after.fields_by_name and "extra" not in before.fields_by_name
    assert site.tables.get(after).c.get("extra") is not None


@pytest.fixture()
def second_process(site: Site) -> Iterator[Site]:
    """Another Site object on the same database: what a second worker process would hold."""
    other = Site(dataclasses.replace(site.settings, meta_check_interval=0.0))
    yield other
    other.dispose()


def test_second_process_sees_new_and_changed_doctypes(admin: SiteClient, second_process: Site) -> None:
    other = second_process
    forgotten: list[str | None] = []
    other.on_metadata_forgotten(forgotten.append)
    name = create_doctype(admin, "Shared", TITLE)
    with other.unit_of_work(User.administrator(), write=False) as ctx:
        assert "title" in ctx.meta(name).fields_by_name  # new: read from the database on first use
        assert "size" not in ctx.meta(name).fields_by_name
    fields = [*admin.get(f"/api/resource/DocType/{name}").json()["data"]["fields"],
              {"fieldname": "size", "fieldtype": "Int"}]  # fmt: skip
    assert admin.put(f"/api/resource/DocType/{name}", json={"fields": fields}).status_code == 200
    with other.unit_of_work(User.administrator(), write=False) as ctx:
        meta = ctx.meta(name)
        assert "size" in meta.fields_by_name
        assert "size" in ctx.site.tables.get(meta).c
    assert None in forgotten  # listeners heard that every cached definition was dropped
    assert admin.delete(f"/api/resource/DocType/{name}").status_code == 202
    with other.unit_of_work(User.administrator(), write=False) as ctx:
        assert not ctx.site.metas.exists(name, ctx.conn)


def test_second_process_link_index_follows_new_doctypes(admin: SiteClient, second_process: Site) -> None:
    target = create_doctype(admin, "Hub", TITLE)
    hub = admin.post(f"/api/resource/{target}", json={"title": "h"}).json()["data"]["name"]
    with second_process.unit_of_work(User.administrator(), write=False) as ctx:
        assert [r for r in ctx.site.metas.links_to(target, ctx.conn) if not r.dynamic] == []
    source = create_doctype(admin, "Spoke", [{"fieldname": "hub", "fieldtype": "Link", "options": target}])
    assert admin.post(f"/api/resource/{source}", json={"hub": hub}).status_code == 200
    with pytest.raises(LinkExistsError), second_process.unit_of_work(User.administrator()) as ctx:
        lifecycle.delete_doc(ctx, target, hub)
    with second_process.unit_of_work(User.administrator(), write=False) as ctx:
        assert [r.doctype for r in ctx.site.metas.links_to(target, ctx.conn) if not r.dynamic] == [source]


def test_reads_check_at_most_once_per_interval_and_writes_always(
    site: Site, admin: SiteClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = Site(dataclasses.replace(site.settings, meta_check_interval=3600.0))
    reads: list[Any] = []

    def counting_read_version(conn: Any, table: Any, *args: Any, **kwargs: Any) -> int:
        if table is slow.tables.framework.versions:
            reads.append(table)
        return sites_module_read_version(conn, table, *args, **kwargs)

    sites_module_read_version = docframe.sites.read_version
    monkeypatch.setattr(docframe.sites, "read_version", counting_read_version)

    def version_reads() -> int:
        return len(reads)

    try:
        for _ in range(5):
            with slow.unit_of_work(User.administrator(), write=False) as ctx:
                ctx.meta("ToDo")
        assert version_reads() == 1  # the first unit of work only
        name = create_doctype(admin, "Throttled", TITLE)
        fields = [*admin.get(f"/api/resource/DocType/{name}").json()["data"]["fields"],
                  {"fieldname": "later", "fieldtype": "Data"}]  # fmt: skip
        with slow.unit_of_work(User.administrator(), write=False) as ctx:
            assert "later" not in ctx.meta(name).fields_by_name
        assert admin.put(f"/api/resource/DocType/{name}", json={"fields": fields}).status_code == 200
        with slow.unit_of_work(User.administrator(), write=False) as ctx:
            assert "later" not in ctx.meta(name).fields_by_name  # a read keeps its cache until the next check
        assert version_reads() == 1
        with slow.unit_of_work(User.administrator()) as ctx:
            assert "later" in ctx.meta(name).fields_by_name  # a write checks in its own transaction
            doc = lifecycle.insert(
                ctx, persistence.new_document(ctx, ctx.meta(name), {"title": "t", "later": "x"})
            )
        assert version_reads() == 2
        with slow.unit_of_work(User.administrator(), write=False) as ctx:
            assert persistence.load_doc(ctx, ctx.meta(name), doc.name).later == "x"
        assert slow.refresh_metadata(force=True) is False  # already up to date
    finally:
        slow.dispose()


# -- every field type Frappe's own definitions use --------------------------------------------------------

SAMPLES: dict[str, Any] = {
    "Data": "plain", "Link": None, "Dynamic Link": None, "Select": "B", "Read Only": "shown", "Color": "#ff0000",
    "Autocomplete": "auto", "Int": 42, "Check": 1, "Currency": 12.5, "Duration": 3600.0, "Date": "2024-02-29",
    "Datetime": "2024-02-29 13:14:15.123456", "Small Text": "small", "Text": "text",
    "Code": "print(1)", "Text Editor": "<p>hi</p>", "HTML Editor": "<div>x</div>", "JSON": '{"a":1}',
    "Attach Image": "/files/a.png",
}  # fmt: skip


def fixture_fieldtypes() -> list[str]:
    types = {
        f.get("fieldtype") or "Data"
        for p in FIXTURES.glob("*.json")
        for f in json.loads(p.read_text())["fields"]
    }
    return sorted(types)


def test_every_fixture_fieldtype_in_one_custom_doctype(admin: SiteClient, site: Site) -> None:
    types = fixture_fieldtypes()
    assert len(types) >= 25
    child = create_doctype(admin, "Every Row", [{"fieldname": "ref", "fieldtype": "Link", "options": "ToDo"}],
                           istable=1)  # fmt: skip
    fields: list[dict[str, Any]] = [{"fieldname": "ref_type", "fieldtype": "Link", "options": "DocType"}]
    for ft in types:
        row: dict[str, Any] = {"fieldname": "f_" + ft.lower().replace(" ", "_"), "fieldtype": ft, "label": ft}
        row["options"] = {"Link": "ToDo", "Dynamic Link": "ref_type", "Select": "\nA\nB"}.get(ft) or (
            child if ft in TABLE_TYPES else None
        )
        fields.append(row)
    name = create_doctype(admin, "Every Fixture Type", fields)
    todo = admin.post("/api/resource/ToDo", json={"description": "target"}).json()["data"]["name"]
    values = {"f_" + ft.lower().replace(" ", "_"): SAMPLES[ft] for ft in types if SAMPLES.get(ft) is not None}
    values.update(f_link=todo, ref_type="ToDo", f_dynamic_link=todo, f_table=[{"ref": todo}],
                  f_table_multiselect=[{"ref": todo}])  # fmt: skip
    made = admin.post(f"/api/resource/{name}", json=values)
    assert made.status_code == 200, made.text
    got = admin.get(f"/api/resource/{name}/{made.json()['data']['name']}").json()["data"]
    for key, value in values.items():
        if key in ("f_table", "f_table_multiselect"):
            assert [r["ref"] for r in got[key]] == [todo]
        else:
            assert got[key] == value, key
    assert "f_password" in columns(site, f"tab{name}")  # its value handling (__Auth) is the model's
    layout = {"f_" + ft.lower().replace(" ", "_") for ft in types if ft in ("Section Break", "Column Break",
                                                                            "Tab Break", "HTML", "Button")}  # fmt: skip
    assert layout and not layout & columns(site, f"tab{name}")


def test_developer_mode_allows_standard_edits(tmp_path: Path) -> None:
    root = tmp_path / "sites"
    root.mkdir()
    (root / "common_site_config.json").write_text("{}")
    site = make_site(root, "dev.test", "sqlite", {"developer_mode": 1})
    client = SiteClient(site, root, api_key_for(site))
    try:
        edit = client.put("/api/resource/DocType/Note", json={"description": "edited in developer mode"})
        assert edit.status_code == 200, edit.text
        assert (
            client.get("/api/resource/DocType/Note").json()["data"]["description"]
            == "edited in developer mode"
        )
        fileless = client.post("/api/resource/DocType", json=doctype_body("No File", TITLE, custom=0))
        assert (
            fileless.status_code == 417 and "save No File as a Custom DocType" in messages(fileless.json())[0]
        )
    finally:
        site.dispose()
