"""Loading a stored document (model/persistence.py read path) on every backend: the row read in
``Meta.read_columns`` order becomes the document's values, its child rows, the underscore values
kept aside, and the wire form the API sends."""

from __future__ import annotations

import secrets
from datetime import date, datetime
from typing import Any

import pytest
from sqlalchemy import update

from docframe import errors
from docframe.auth.users import User
from docframe.meta.schema import Meta
from docframe.model import operations, persistence
from docframe.model.document import Document
from docframe.sites import Site
from tests.unit.model.doctypes import parent_and_child

ADMIN = User.administrator()


@pytest.fixture(scope="module")
def doctypes(site: Site) -> tuple[str, str]:
    fields = [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "due", "fieldtype": "Date"}]
    return parent_and_child(site, "Read", fields, track_seen=1)


def _create(site: Site, parent: str, **values: Any) -> str:
    with site.unit_of_work(ADMIN) as ctx:
        return str(operations.create_document(ctx, parent, {"title": "t", **values}).name)


def test_a_loaded_document_holds_its_typed_values_and_rows_in_order(
    site: Site, doctypes: tuple[str, str]
) -> None:
    parent, child = doctypes
    name = _create(site, parent, due="2024-03-05", rows=[{"item": "b", "qty": 2}, {"item": "a", "qty": 1}])
    with site.unit_of_work(ADMIN, write=False) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(parent), name)
        assert isinstance(doc, Document) and not doc.is_new()
        assert doc.name == name and doc.title == "t" and doc.due == date(2024, 3, 5)
        assert isinstance(doc.creation, datetime) and doc._loaded_modified == doc.modified
        assert doc.docstatus == 0 and not doc.flags.for_update
        rows = doc.get_table("rows")
        assert [(r.item, r.qty, r.idx) for r in rows] == [("b", 2, 1), ("a", 1, 2)]
        assert all(r.parent_doc is doc and r.parent == name and r.doctype == child for r in rows)
        assert list(doc._data) == [*ctx.meta(parent).read_fields, "rows"]
        out = doc.as_dict(no_nulls=True)
        assert list(out) == [
            "name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "title", "due",
            "doctype", "rows",
        ]  # fmt: skip
        assert out["rows"][0]["doctype"] == child and out["rows"][1]["item"] == "a"
        assert list(doc.as_dict()) == [*ctx.meta(parent).read_fields, "doctype", "rows"]


def test_underscore_values_are_kept_aside_and_only_tags_and_likes_are_sent(
    site: Site, doctypes: tuple[str, str]
) -> None:
    parent, _ = doctypes
    name = _create(site, parent)
    with site.unit_of_work(ADMIN) as ctx:
        meta = ctx.meta(parent)
        table = persistence.table_of(ctx, meta)
        ctx.conn.execute(
            update(table)
            .where(table.c.name == name)
            .values(
                _user_tags=",red", _liked_by='["a@x"]', _assign='["b@x"]', _comments="[]", _seen='["c@x"]'
            )
        )
    with site.unit_of_work(ADMIN, write=False) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(parent), name)
        assert doc._extra == {
            "_user_tags": ",red", "_liked_by": '["a@x"]', "_comments": "[]", "_assign": '["b@x"]',
            "_seen": '["c@x"]',
        }  # fmt: skip
        assert doc.get("_assign") == '["b@x"]' and "_assign" not in doc._data
        out = doc.as_dict(no_nulls=True)
        assert out["_user_tags"] == ",red" and out["_liked_by"] == '["a@x"]'
        assert not {"_assign", "_comments", "_seen"} & set(out)
        assert "_user_tags" not in doc.as_dict(no_private=True)


def test_a_locked_load_is_flagged_and_a_missing_name_is_404(site: Site, doctypes: tuple[str, str]) -> None:
    parent, _ = doctypes
    name = _create(site, parent)
    with site.unit_of_work(ADMIN) as ctx:
        assert persistence.load_doc(ctx, ctx.meta(parent), name, for_update=True).flags.for_update
        with pytest.raises(errors.DoesNotExistError):
            persistence.load_doc(ctx, ctx.meta(parent), name + "-nope")


def test_the_read_statement_selects_the_read_columns(site: Site, doctypes: tuple[str, str]) -> None:
    parent, child = doctypes
    with site.unit_of_work(ADMIN, write=False) as ctx:
        for doctype, key in ((parent, "read"), (parent, "read_lock"), (child, "read_children")):
            meta = ctx.meta(doctype)
            assert persistence._reader(ctx, meta, key).keys == meta.read_columns


def test_a_new_field_is_read_after_the_doctype_changes(site: Site) -> None:
    doctype = f"Read Grows {secrets.token_hex(3)}"
    with site.unit_of_work(ADMIN) as ctx:
        operations.create_document(
            ctx, "DocType",
            {"name": doctype, "custom": 1, "module": "Custom",
             "fields": [{"fieldname": "title", "fieldtype": "Data"}],
             "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}]},
        )  # fmt: skip
    first = _create(site, doctype)
    with site.unit_of_work(ADMIN, write=False) as ctx:
        assert persistence.load_doc(ctx, ctx.meta(doctype), first).as_dict(no_nulls=True)["title"] == "t"
    with site.unit_of_work(ADMIN) as ctx:
        operations.update_document(
            ctx, "DocType", doctype,
            {"fields": [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "extra", "fieldtype": "Data"}]},
        )  # fmt: skip
    second = _create(site, doctype, extra="x")
    with site.unit_of_work(ADMIN, write=False) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(doctype), second)
        assert doc.extra == "x" and doc.as_dict(no_nulls=True)["extra"] == "x"


class _Counting(Document):
    made = 0

    def __init__(self, meta: Meta, **kwargs: Any) -> None:
        super().__init__(meta, **kwargs)
        type(self).made += 1
        self.flags.extra["built"] = True


def test_from_stored_runs_a_controllers_own_init(site: Site, doctypes: tuple[str, str]) -> None:
    parent, _ = doctypes
    with site.unit_of_work(ADMIN, write=False) as ctx:
        meta = ctx.meta(parent)
        data = dict.fromkeys(meta.read_fields)
        data.update(name="X-1", title="kept", docstatus=1, idx=0)
        made = _Counting.made
        doc = _Counting.from_stored(meta, data, {"_assign": "[]"}, ctx=ctx)
        assert _Counting.made == made + 1 and doc.flags.extra["built"]
        assert doc.title == "kept" and doc.docstatus == 1 and doc.get_table("rows") == []
        assert doc._extra == {"_assign": "[]"} and not doc.is_new()
        plain = Document.from_stored(meta, dict(data), {}, ctx=ctx)
        assert plain.as_dict(no_nulls=True) == doc.as_dict(no_nulls=True)
        assert plain.as_dict(no_nulls=True)["rows"] == [] and "_assign" not in doc.as_dict()
        assert plain.get_table("rows") == [] and plain.parent_doc is None and plain._doc_before_save is None
