"""Naming (spec §4) through the HTTP API, on every backend.

Each test creates its own custom DocType through ``POST /api/resource/DocType`` (as a Frappe client
would) and uses series prefixes made unique with a random token, because the site and its
``tabSeries`` counters are shared by the whole session.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from docframe.model import lifecycle, persistence
from docframe.model.document import Document
from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient

FULL_RIGHTS = {"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}
#: Frappe refuses submit/cancel/amend rights on DocTypes that are not submittable.
SUBMIT_RIGHTS = {"submit": 1, "cancel": 1, "amend": 1}
HASH_NAME = re.compile(r"^[0-9a-v]{10}$")
#: db/dialects/sqlite.py reads the table of "UNIQUE constraint failed: tabName X.name" only up to
#: the first space, so primary-key clashes on DocTypes whose names have spaces become a DataError.


def new_doctype(
    admin: SiteClient, autoname: str, fields: list[dict[str, Any]] | None = None, **extra: Any
) -> str:
    """Create a custom DocType with a unique name; return that name."""
    name = f"Naming {secrets.token_hex(4)}"
    body = {
        "name": name, "custom": 1, "module": "Custom", "autoname": autoname,
        "fields": fields if fields is not None else [{"fieldname": "title", "fieldtype": "Data", "label": "Title"}],
        "permissions": [{**FULL_RIGHTS, **(SUBMIT_RIGHTS if extra.get("is_submittable") else {})}],
        **extra,
    }  # fmt: skip
    response = admin.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text
    return name


def token() -> str:
    """A short upper-case token that keeps series prefixes unique within the session."""
    return secrets.token_hex(3).upper()


def create(admin: SiteClient, doctype: str, body: dict[str, Any], *, version: int = 1) -> Any:
    """POST a new document through v1 or v2 (returns the response)."""
    path = f"/api/resource/{doctype}" if version == 1 else f"/api/v2/document/{doctype}"
    return admin.post(path, json=body)


def created_name(admin: SiteClient, doctype: str, body: dict[str, Any], *, version: int = 1) -> Any:
    """The name of a document created with ``body`` (the request must succeed)."""
    response = create(admin, doctype, body, version=version)
    assert response.status_code == 200, response.text
    return response.json()["data"]["name"]


def v1_error(response: Any) -> tuple[str, str]:
    """``(exc_type, first message)`` of a v1 error body."""
    body = response.json()
    messages = [json.loads(m) for m in json.loads(body.get("_server_messages", "[]"))]
    return body["exc_type"], messages[0]["message"] if messages else ""


def counter(site: Site, key: str) -> int | None:
    """The current value of ``tabSeries`` row ``key`` (``None`` when absent)."""
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        series = site.tables.framework.series
        value = ctx.conn.execute(select(series.c.current).where(series.c.name == key)).scalar()
    return None if value is None else int(value)


def today(site: Site) -> datetime:
    """The site's current time (what series date parts are rendered from)."""
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        return ctx.now()


# -- hash, autoincrement, UUID ------------------------------------------------------------------


def test_hash_names_are_ten_base32hex_characters(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "hash")
    names = [created_name(admin, doctype, {"title": f"t{i}"}) for i in range(5)]
    assert all(HASH_NAME.match(n) for n in names), names
    assert len(set(names)) == 5


def test_empty_autoname_falls_back_to_hash_and_discards_client_name(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "")
    name = created_name(admin, doctype, {"name": "client-chosen", "title": "x"})
    assert HASH_NAME.match(name)


def test_autoincrement_names_are_increasing_integers(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "autoincrement")
    first = created_name(admin, doctype, {"title": "a"})
    second = created_name(admin, doctype, {"title": "b", "name": 10_000})  # v1 discards the name
    assert isinstance(first, int) and not isinstance(first, bool)
    assert second == first + 1
    read = admin.get(f"/api/resource/{doctype}/{second}")
    assert read.status_code == 200 and read.json()["data"]["title"] == "b"


def test_v2_explicit_integer_name_moves_the_autoincrement_counter(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "autoincrement")
    first = created_name(admin, doctype, {"title": "a"})
    explicit = created_name(admin, doctype, {"title": "b", "name": first + 40}, version=2)
    assert explicit == first + 40
    assert created_name(admin, doctype, {"title": "c"}) == first + 41
    as_text = created_name(admin, doctype, {"title": "d", "name": str(first + 60)}, version=2)
    assert as_text == first + 60
    assert created_name(admin, doctype, {"title": "e"}, version=2) == first + 61


def test_v2_non_integer_name_for_autoincrement_is_a_name_error(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "autoincrement")
    response = create(admin, doctype, {"title": "a", "name": "not-a-number"}, version=2)
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["type"] == "NameError"
    assert error["message"] == "Invalid name type (string) for integer name column"


def test_uuid_names_are_version_7(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "UUID")
    names = [created_name(admin, doctype, {"title": f"t{i}"}) for i in range(3)]
    parsed = [uuid.UUID(n) for n in names]
    assert all(u.version == 7 and str(u) == n for u, n in zip(parsed, names, strict=True))
    assert names == sorted(names)  # v7 UUIDs are time-ordered


def test_uuid_keeps_a_client_name_and_refuses_a_malformed_one(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "UUID")
    given = str(uuid.uuid4())
    assert created_name(admin, doctype, {"name": given, "title": "x"}) == given
    bad = create(admin, doctype, {"name": "not-a-uuid", "title": "y"})
    assert bad.status_code == 417
    assert v1_error(bad) == ("InvalidUUIDValue", "Invalid value specified for UUID: not-a-uuid")


# -- field:, Prompt ---------------------------------------------------------------------------------


def test_field_autoname_uses_the_stripped_value_and_keeps_the_field_in_sync(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "field:title")
    title = f"  Widget {token()}  "
    doc = create(admin, doctype, {"title": title, "name": "ignored"}).json()["data"]
    assert doc["name"] == title.strip() and doc["title"] == title.strip()
    renamed = admin.put(f"/api/resource/{doctype}/{doc['name']}", json={"title": "changed"})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["title"] == doc["name"]  # re-synced to the name on save


def test_field_autoname_requires_the_field(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "field:title")
    for body in ({}, {"title": "   "}):
        response = create(admin, doctype, body)
        assert response.status_code == 417
        assert v1_error(response) == ("ValidationError", "Title is required")


def test_field_autoname_duplicate_is_a_409(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "field:title")
    title = f"dup {token()}"
    created_name(admin, doctype, {"title": title})
    again = create(admin, doctype, {"title": title})
    assert again.status_code == 409
    assert v1_error(again) == ("DuplicateEntryError", f"{doctype} {title} already exists")


def test_prompt_keeps_the_client_name_and_requires_one(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "Prompt")
    name = f"  Chosen / name {token()} ü%'  "
    assert created_name(admin, doctype, {"name": name, "title": "x"}) == name.strip()
    missing = create(admin, doctype, {"title": "no name"})
    assert missing.status_code == 417
    assert v1_error(missing) == ("ValidationError", "Please set the document name")


@pytest.mark.parametrize(
    ("name", "status", "exc_type", "message"),
    [
        ("   ", 417, "ValidationError", "No Name Specified for {doctype}"),
        ("a<b", 409, "NameError", "Name cannot contain special characters like '<', '>'"),
        ("a>b", 409, "NameError", "Name cannot contain special characters like '<', '>'"),
        ("x" * 141, 417, "ValidationError", None),
    ],
)
def test_prompt_name_rules(
    admin: SiteClient, name: str, status: int, exc_type: str, message: str | None
) -> None:
    doctype = new_doctype(admin, "Prompt")
    response = create(admin, doctype, {"name": name, "title": "x"})
    assert response.status_code == status, response.text
    got_type, got_message = v1_error(response)
    assert got_type == exc_type
    if message is not None:
        assert got_message == message.format(doctype=doctype)
    else:
        assert "140" in got_message


def test_prompt_name_equal_to_doctype_or_new_prefix_is_refused(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "Prompt")
    same = create(admin, doctype, {"name": doctype, "title": "x"})
    assert same.status_code == 409
    assert v1_error(same) == ("NameError", f"Name of {doctype} cannot be {doctype}")
    new = create(admin, doctype, {"name": f"New {doctype} 1", "title": "x"})
    assert new.status_code == 409
    assert v1_error(new) == (
        "NameError",
        "There were some errors setting the name, please contact the administrator",
    )
    exactly_140 = "y" * 140
    assert created_name(admin, doctype, {"name": exactly_140, "title": "x"}) == exactly_140


def test_names_differing_in_case_collide_only_on_mariadb(admin: SiteClient, backend: str) -> None:
    doctype = new_doctype(admin, "Prompt")
    base = f"Case{token()}"
    created_name(admin, doctype, {"name": base, "title": "x"})
    lower = create(admin, doctype, {"name": base.lower(), "title": "y"})
    if backend == "mariadb":
        assert lower.status_code == 409
        assert v1_error(lower) == ("DuplicateEntryError", f"{doctype} {base.lower()} already exists")
    else:
        assert lower.status_code == 200 and lower.json()["data"]["name"] == base.lower()


# -- series: naming_series:, format:, old style --------------------------------------------------


def _series_fields(options: str) -> list[dict[str, Any]]:
    return [
        {"fieldname": "naming_series", "fieldtype": "Select", "label": "Series", "options": options},
        {"fieldname": "title", "fieldtype": "Data", "label": "Title"},
    ]


def test_naming_series_uses_first_option_with_date_parts(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"\nNS{tok}-.YYYY.-.MM.-\nALT{tok}-"))
    now = today(site)
    prefix = f"NS{tok}-{now:%Y}-{now:%m}-"
    doc = create(admin, doctype, {"title": "a"}).json()["data"]
    assert doc["name"] == f"{prefix}00001"
    assert doc["naming_series"] == f"NS{tok}-.YYYY.-.MM.-"
    assert created_name(admin, doctype, {"title": "b"}) == f"{prefix}00002"
    assert counter(site, prefix) == 2


def test_naming_series_uses_the_documents_series(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"NS{tok}-\nSINV{tok}-.YY.-.####"))
    assert created_name(admin, doctype, {"naming_series": f"NS{tok}-"}) == f"NS{tok}-00001"
    year = f"{today(site):%y}"
    sinv = created_name(admin, doctype, {"naming_series": f"SINV{tok}-.YY.-.####"})
    assert sinv == f"SINV{tok}-{year}-0001"
    assert counter(site, f"SINV{tok}-{year}-") == 1


def test_naming_series_field_value_in_series(admin: SiteClient) -> None:
    tok = token()
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"R{tok}-.title.-.{{title}}.-"))
    assert created_name(admin, doctype, {"title": "abc"}) == f"R{tok}-abc-abc-00001"


def test_naming_series_mandatory_and_character_rules(admin: SiteClient) -> None:
    no_options = new_doctype(admin, "naming_series:", _series_fields(""))
    missing = create(admin, no_options, {"title": "x"})
    assert missing.status_code == 417
    assert v1_error(missing) == ("ValidationError", "Naming Series mandatory")
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"OK{token()}-"))
    bad = create(admin, doctype, {"naming_series": "BAD*-", "title": "x"})
    assert bad.status_code == 417
    assert v1_error(bad) == (
        "InvalidNamingSeriesError",
        "Special Characters except '-', '#', '.', '/', '{' and '}' not allowed in naming series BAD*-",
    )


def test_series_prefix_that_cannot_be_a_counter_key_is_refused(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"OK{token()}-"))
    too_long = create(admin, doctype, {"naming_series": "L" * 101, "title": "x"})
    assert too_long.status_code == 417
    assert v1_error(too_long)[0] == "InvalidNamingSeriesError"
    with_nul = create(admin, doctype, {"naming_series": f"N{token()}-.title.-", "title": "a\x00b"})
    assert with_nul.status_code == 417
    assert v1_error(with_nul) == (
        "InvalidNamingSeriesError",
        "Naming series prefix cannot contain NUL characters",
    )


def test_nul_in_a_name_is_refused(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "Prompt")
    for version in (1, 2):
        response = create(admin, doctype, {"name": f"a\x00{token()}", "title": "x"}, version=version)
        assert response.status_code == 417, response.text
        assert "control characters" in response.text


def test_old_style_series(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, f"EV{tok}.#####")
    assert created_name(admin, doctype, {"title": "a"}) == f"EV{tok}00001"
    assert created_name(admin, doctype, {"title": "b", "name": "ignored"}) == f"EV{tok}00002"
    assert counter(site, f"EV{tok}") == 2


def test_old_style_series_with_date_parts(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, f"S{tok}-.YYYY.-.####")
    year = f"{today(site):%Y}"
    assert created_name(admin, doctype, {"title": "a"}) == f"S{tok}-{year}-0001"


def test_format_autoname(admin: SiteClient, site: Site) -> None:
    tok = token()
    fields = [{"fieldname": "category", "fieldtype": "Data", "label": "Category"}]
    doctype = new_doctype(admin, f"format:P{tok}-{{MM}}-{{category}}-{{unknown}}-{{####}}", fields)
    month = f"{today(site):%m}"
    assert created_name(admin, doctype, {"category": "red"}) == f"P{tok}-{month}-red-unknown-0001"
    assert created_name(admin, doctype, {"category": "red"}) == f"P{tok}-{month}-red-unknown-0002"
    assert created_name(admin, doctype, {"category": "blue"}) == f"P{tok}-{month}-blue-unknown-0001"
    assert created_name(admin, doctype, {}) == f"P{tok}-{month}--unknown-0001"
    assert counter(site, f"P{tok}-{month}-red-unknown-") == 2


def test_format_autoname_allows_one_counter_only(admin: SiteClient) -> None:
    doctype = new_doctype(admin, f"format:F{token()}-{{##}}-{{###}}")
    response = create(admin, doctype, {"title": "x"})
    assert response.status_code == 417
    assert v1_error(response)[0] == "ValidationError"


def test_series_counter_is_reverted_when_the_last_document_is_deleted(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"DEL{tok}-.YY.-"))
    prefix = f"DEL{tok}-{today(site):%y}-"
    first = created_name(admin, doctype, {"title": "a"})
    second = created_name(admin, doctype, {"title": "b"})
    assert counter(site, prefix) == 2
    assert admin.delete(f"/api/resource/{doctype}/{first}").status_code == 202
    assert counter(site, prefix) == 2  # not the last one: kept
    assert admin.delete(f"/api/resource/{doctype}/{second}").status_code == 202
    assert counter(site, prefix) == 1
    assert created_name(admin, doctype, {"title": "c"}) == second


def test_old_style_series_counter_is_reverted_on_delete(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, f"OS{tok}.###")
    created_name(admin, doctype, {"title": "a"})
    last = created_name(admin, doctype, {"title": "b"})
    admin.delete(f"/api/resource/{doctype}/{last}")
    assert counter(site, f"OS{tok}") == 1


def test_prompt_and_hash_deletes_leave_counters_alone(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, "Prompt")
    series_name = f"PR{tok}00001"
    with site.unit_of_work(User.administrator()) as ctx:
        ctx.conn.execute(site.tables.framework.series.insert(), {"name": f"PR{tok}", "current": 1})
    created_name(admin, doctype, {"name": series_name, "title": "x"})
    admin.delete(f"/api/resource/{doctype}/{series_name}")
    assert counter(site, f"PR{tok}") == 1


# -- client-supplied names through v2 ----------------------------------------------------------------


@pytest.mark.parametrize("autoname", ["hash", "field:title", "naming_series:", "Prompt", "format:X-{###}"])
def test_v2_keeps_a_client_name_verbatim(admin: SiteClient, site: Site, autoname: str) -> None:
    tok = token()
    fields = _series_fields(f"V{tok}-")
    doctype = new_doctype(admin, autoname, fields)
    name = f"client {tok}"
    doc = create(admin, doctype, {"name": name, "title": "other"}, version=2).json()["data"]
    assert doc["name"] == name
    if autoname == "field:title":
        assert doc["title"] == name  # re-synced to the name
    assert counter(site, f"V{tok}-") is None  # the series was not used


def test_v2_name_over_140_characters_is_refused(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "hash")
    response = create(admin, doctype, {"name": "z" * 141, "title": "x"}, version=2)
    assert response.status_code == 417
    assert response.json()["errors"][0]["type"] == "ValidationError"


def test_v2_name_of_wrong_type_is_refused(admin: SiteClient) -> None:
    doctype = new_doctype(admin, "hash")
    for bad in ({"a": 1}, [1], True, 1.5):
        response = create(admin, doctype, {"name": bad, "title": "x"}, version=2)
        assert response.status_code == 417, (bad, response.text)


# -- child rows ----------------------------------------------------------------------------------


def test_child_rows_get_hash_names(admin: SiteClient) -> None:
    child = new_doctype(admin, "", [{"fieldname": "item", "fieldtype": "Data", "label": "Item"}], istable=1)
    parent = new_doctype(
        admin,
        "Prompt",
        [{"fieldname": "items", "fieldtype": "Table", "label": "Items", "options": child}],
    )
    name = f"P {token()}"
    body = {"name": name, "items": [{"item": "a", "name": "client-row"}, {"item": "b"}]}
    doc = create(admin, parent, body).json()["data"]
    rows = doc["items"]
    assert [r["item"] for r in rows] == ["a", "b"]
    for idx, row in enumerate(rows, start=1):
        assert HASH_NAME.match(row["name"]), row["name"]
        assert (row["parent"], row["parenttype"], row["parentfield"], row["idx"]) == (
            name,
            parent,
            "items",
            idx,
        )
    updated = admin.put(f"/api/resource/{parent}/{name}", json={"items": [*rows, {"item": "c"}]}).json()[
        "data"
    ]
    assert [r["name"] for r in updated["items"][:2]] == [r["name"] for r in rows]
    assert HASH_NAME.match(updated["items"][2]["name"])


# -- naming in code: controller autoname, before_naming, set_name --------------------------------


class ScriptNamed(Document):
    """A controller that names its documents itself ("By script")."""

    def before_naming(self) -> None:
        self.flags.extra["before_naming"] = True

    def autoname(self) -> None:
        self.set("name", f"script-{self.get('title')}")


def test_controller_autoname_wins_over_the_doctype_autoname(admin: SiteClient, site: Site) -> None:
    doctype = new_doctype(admin, f"CT{token()}.#####")
    with site.unit_of_work(User.administrator()) as ctx:
        meta = site.metas.get(doctype, ctx.conn)
        doc = ScriptNamed(meta, {"title": f"t{token()}"}, ctx=ctx, is_new=True)
        lifecycle.insert(ctx, doc)
        assert doc.name == f"script-{doc.title}" and doc.flags.extra["before_naming"]
        assert persistence.doc_exists(ctx, meta, doc.name)


def test_set_name_in_code_moves_the_autoincrement_counter(admin: SiteClient, site: Site) -> None:
    doctype = new_doctype(admin, "autoincrement")
    with site.unit_of_work(User.administrator()) as ctx:
        meta = site.metas.get(doctype, ctx.conn)
        first = lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"title": "a"}))
        lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"title": "b"}), set_name=first.name + 7)
        third = lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"title": "c"}))
    assert third.name == first.name + 8


def test_integer_set_name_on_a_varchar_name_is_a_name_error(admin: SiteClient, site: Site) -> None:
    doctype = new_doctype(admin, "hash")
    with site.unit_of_work(User.administrator()) as ctx:
        meta = site.metas.get(doctype, ctx.conn)
        with pytest.raises(Exception) as caught:
            lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"title": "a"}), set_name=5)
    assert type(caught.value).__name__ == "NameError" and getattr(caught.value, "http_status", 0) == 409
    assert str(caught.value) == "Invalid name type (integer) for varchar name column"


# -- concurrency -----------------------------------------------------------------------------------


def test_concurrent_inserts_never_duplicate_a_series_name(admin: SiteClient, site: Site) -> None:
    tok = token()
    doctype = new_doctype(admin, "naming_series:", _series_fields(f"CC{tok}-"))
    names: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(5):
            try:
                with site.unit_of_work(User.administrator()) as ctx:
                    meta = site.metas.get(doctype, ctx.conn)
                    doc = lifecycle.insert(ctx, persistence.new_document(ctx, meta, {"title": "c"}))
                with lock:
                    names.append(str(doc.name))
            except BaseException as exc:  # collected and reported below
                with lock:
                    failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    assert len(names) == 40 and len(set(names)) == 40
    assert sorted(names) == [f"CC{tok}-{i:05d}" for i in range(1, 41)]
    assert counter(site, f"CC{tok}-") == 40


@pytest.mark.parametrize("autoname", ["autoincrement", "naming_series:"])
def test_concurrent_http_inserts_never_duplicate_a_name(admin: SiteClient, autoname: str) -> None:
    tok = token()
    doctype = new_doctype(admin, autoname, _series_fields(f"H{tok}-.YY.-"))
    results: list[Any] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def worker() -> None:
        start.wait()
        for _ in range(4):
            response = create(admin, doctype, {"title": "c"})
            with lock:
                results.append((response.status_code, response.json()))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(status == 200 for status, _ in results), results
    names = [body["data"]["name"] for _, body in results]
    assert len(names) == 24 and len(set(names)) == 24
    if autoname == "autoincrement":
        assert sorted(names) == list(range(min(names), min(names) + 24))
    else:
        assert sorted(names) == [f"H{tok}-{names[0].split('-')[1]}-{i:05d}" for i in range(1, 25)]
