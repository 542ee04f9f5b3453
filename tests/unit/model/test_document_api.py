"""Frappe's public Document API on docframe's Document, against a real SQLite site.

Every method a controller (or another package) uses instead of the values dict: reading and
setting values, child rows, output, the stored state before a save, the actions that reach the
database (``insert``, ``save``, ``submit``, ``cancel``, ``delete``, ``reload``, ``db_set``,
``db_get``), ``run_method`` and the permission check. A last test walks ``src/docframe`` and
asserts no module outside :mod:`docframe.model` touches ``_data``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import docframe
from docframe import errors
from docframe.auth.users import User
from docframe.context import Context
from docframe.model import persistence
from docframe.model.document import Document
from docframe.sites import Site
from tests.unit.model.doctypes import ALL_RIGHTS, parent_and_child

ADMIN = User.administrator()
NOBODY = User("nobody@example.com", frozenset({"All", "Guest"}))


@pytest.fixture(scope="module")
def doctypes(sqlite_site: Site) -> tuple[str, str]:
    """A submittable parent DocType with a child table; returns (parent, child) names."""
    rights = {**ALL_RIGHTS, "submit": 1, "cancel": 1}
    fields = [{"fieldname": "title", "fieldtype": "Data"}, {"fieldname": "note", "fieldtype": "Data"}]
    return parent_and_child(sqlite_site, "Api", fields, rights, is_submittable=1, title_field="title")


@pytest.fixture()
def ctx(sqlite_site: Site) -> Iterator[Context]:
    with sqlite_site.unit_of_work(ADMIN) as context:
        yield context


def _new(ctx: Context, doctype: str, **values: Any) -> Document:
    return persistence.new_document(ctx, ctx.meta(doctype), values)


def test_get_set_update_and_attributes(ctx: Context, doctypes: tuple[str, str]) -> None:
    doc = _new(ctx, doctypes[0], title="A")
    assert doc.get("title") == "A" and doc.title == "A"
    assert doc.get("note") is None and doc.get("note", "none") == "none"
    doc.set("note", "n1")
    doc.note = "n2"
    assert doc.get("note") == "n2"
    assert doc.update({"title": "B", "nonsense": 1}) == ["nonsense"]
    assert doc.title == "B"
    with pytest.raises(errors.DataError, match="cannot be a list"):
        doc.set("title", ["x"])
    with pytest.raises(AttributeError):
        _ = doc.no_such_field
    assert "title" in doc and "rows" in doc and "no_such_field" not in doc


def test_append_extend_and_tables(ctx: Context, doctypes: tuple[str, str]) -> None:
    parent, child = doctypes
    doc = _new(ctx, parent, title="T")
    row = doc.append("rows", {"item": "a", "qty": 1})
    doc.extend("rows", [{"item": "b"}, {"item": "c"}])
    assert [r.item for r in doc.get_table("rows")] == ["a", "b", "c"]
    assert [r.idx for r in doc.get_table("rows")] == [1, 2, 3]
    assert row.parentfield == "rows" and row.parenttype == parent and row.parent_doc is doc
    assert row.is_child_table() and not doc.is_child_table() and row.doctype == child
    with pytest.raises(errors.DataError, match="not a table field"):
        doc.append("title", {})


def test_output_forms(ctx: Context, doctypes: tuple[str, str]) -> None:
    doc = _new(ctx, doctypes[0], title="Out", rows=[{"item": "x"}])
    full = doc.as_dict()
    assert full["doctype"] == doctypes[0] and full["__islocal"] == 1 and full["rows"][0]["item"] == "x"
    assert "note" not in doc.as_dict(no_nulls=True)
    valid = doc.get_valid_dict()
    assert valid["title"] == "Out" and "rows" not in valid and "doctype" not in valid
    assert doc.get_value("title") == "Out" and doc.get_title() == "Out"


def test_field_values_is_a_live_view(ctx: Context, doctypes: tuple[str, str]) -> None:
    doc = _new(ctx, doctypes[0], title="V")
    view = doc.field_values()
    view["note"] = "via view"
    assert doc.note == "via view" and view["title"] == "V" and view.get("missing") is None
    with pytest.raises(KeyError):
        view["missing"] = 1
    with pytest.raises(TypeError):
        del view["note"]


def test_insert_save_reload_and_doc_before_save(sqlite_site: Site, doctypes: tuple[str, str]) -> None:
    parent = doctypes[0]
    seen: dict[str, Any] = {}
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        doc = _new(ctx, parent, title="first", rows=[{"item": "r1"}]).insert()
        assert doc.name and not doc.is_new()
        assert doc.get_doc_before_save() is None and doc.has_value_changed("title")
        name = doc.name
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(parent), name)
        doc.title = "second"
        doc.save()
        before = doc.get_doc_before_save()
        assert before is not None and before.title == "first"
        seen.update(title=doc.has_value_changed("title"), note=doc.has_value_changed("note"),
                    rows=doc.has_value_changed("rows"))  # fmt: skip
        doc.title = "unsaved"
        assert doc.reload() is doc and doc.title == "second"
        assert [r.item for r in doc.get_table("rows")] == ["r1"]
        assert doc.get_table("rows")[0].parent_doc is doc
    assert seen == {"title": True, "note": False, "rows": False}
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(parent), name)
        doc.get_table("rows")[0].qty = 5
        doc.save()
        assert doc.has_value_changed("rows") and not doc.has_value_changed("title")


def test_submit_cancel_and_delete(sqlite_site: Site, doctypes: tuple[str, str]) -> None:
    parent = doctypes[0]
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        doc = _new(ctx, parent, title="s").insert()
        assert doc.submit().docstatus == 1
        assert persistence.load_doc(ctx, ctx.meta(parent), doc.name).docstatus == 1
        assert doc.cancel().docstatus == 2
        assert persistence.load_doc(ctx, ctx.meta(parent), doc.name).docstatus == 2
        draft = _new(ctx, parent, title="d").insert()
        draft.delete()
        assert not persistence.doc_exists(ctx, ctx.meta(parent), draft.name)


def test_db_set_and_db_get(sqlite_site: Site, doctypes: tuple[str, str]) -> None:
    parent = doctypes[0]
    events: list[str] = []

    class Recorder(Document):
        def on_change(self) -> None:
            events.append("on_change")

    with sqlite_site.unit_of_work(ADMIN) as ctx:
        doc = _new(ctx, parent, title="db").insert()
        modified = doc.modified
        recorder = Recorder(doc.meta, doc.as_dict(), ctx=ctx)
        recorder.db_set("note", "written")
        assert recorder.note == "written" and recorder.db_get("note") == "written"
        assert events == ["on_change"] and recorder.modified > modified
        stored = persistence.load_doc(ctx, doc.meta, doc.name)
        assert stored.note == "written" and stored.modified == recorder.modified
        recorder.db_set({"note": "again", "title": "t2"}, update_modified=False)
        assert recorder.modified == stored.modified and recorder.db_get("title") == "t2"
        assert doc.db_get("note") == "again" and doc.note is None  # db_get reads the row, not memory
        with pytest.raises(errors.DataError, match="not a column"):
            doc.db_set("rows", [])
        with pytest.raises(errors.DataError, match="not a column"):
            doc.db_get("nonsense")


def test_db_set_on_a_single(sqlite_site: Site) -> None:
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        settings = persistence.load_single(ctx, ctx.meta("System Settings"))
        settings.db_set("time_zone", "Asia/Kolkata", update_modified=False)
        assert settings.db_get("time_zone") == "Asia/Kolkata"
        assert persistence.load_single(ctx, ctx.meta("System Settings")).time_zone == "Asia/Kolkata"


def test_run_method_calls_the_controller_and_returns_its_result(
    ctx: Context, doctypes: tuple[str, str]
) -> None:
    class Controller(Document):
        def greet(self, who: str, *, punctuation: str = "!") -> str:
            return f"hello {who}{punctuation}"

    doc = Controller(ctx.meta(doctypes[0]), {"title": "m"}, ctx=ctx)
    assert doc.run_method("greet", "you", punctuation="?") == "hello you?"
    assert doc.run_method("no_such_method") is None


def test_check_permission_judges_the_context_user(sqlite_site: Site, doctypes: tuple[str, str]) -> None:
    parent = doctypes[0]
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        name = _new(ctx, parent, title="p").insert().name
    with sqlite_site.unit_of_work(ADMIN) as ctx:
        loaded = persistence.load_doc(ctx, ctx.meta(parent), name)
        loaded.check_permission("write")
        assert loaded.has_permission("write") and loaded.has_permission()
    with sqlite_site.unit_of_work(NOBODY) as ctx:
        doc = persistence.load_doc(ctx, ctx.meta(parent), name)
        assert doc.has_permission("read") is False and doc.has_permission("write") is False
        with pytest.raises(errors.PermissionError):
            doc.check_permission("read")
        with pytest.raises(errors.PermissionError):
            doc.save()
        meta = ctx.meta(parent)
    detached = Document(meta, {"title": "no context"})
    assert detached.has_permission("read") is False  # no context: refused, not guessed
    with pytest.raises(errors.PermissionError, match="no context"):
        detached.check_permission("read")


def test_no_module_outside_the_model_touches_the_values_dict() -> None:
    """``_data`` is the model's: other packages use the Document API."""
    root = Path(docframe.__file__).parent
    offenders: list[str] = []
    for path in sorted(root.rglob("*.py")):
        if path.is_relative_to(root / "model"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            touches = (isinstance(node, ast.Attribute) and node.attr == "_data") or (
                isinstance(node, ast.Constant) and node.value == "_data"
            )
            if touches:
                offenders.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}")
    assert offenders == []
