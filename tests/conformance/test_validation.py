"""Framework validation (spec §5.6), defaults (§5.1), concurrency (§5.7) and coercion (§2.3), on every backend.

Every DocType is created through ``POST /api/resource/DocType`` with a unique name (the site is
shared by the session). Hostile values must come back as a 417 in Frappe's error format, never a
500, and a refused insert leaves no row behind: a property test sends random JSON to every field
type through v1 and v2 to hold that.
"""

from __future__ import annotations

import json
import math
import secrets
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SiteClient

FULL_RIGHTS = {"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}
SUBMIT_RIGHTS = {"submit": 1, "cancel": 1, "amend": 1}
#: db/dialects/sqlite.py reads "UNIQUE constraint failed: tabValid x.code" only up to the first space,
#: so unique clashes on DocTypes whose names have spaces come back as a DataError on SQLite.


def new_doctype(admin: SiteClient, fields: list[dict[str, Any]], **extra: Any) -> str:
    """Create a custom DocType (hash names unless ``autoname`` is given); return its name."""
    name = f"Valid {secrets.token_hex(4)}"
    rights = {**FULL_RIGHTS, **(SUBMIT_RIGHTS if extra.get("is_submittable") else {})}
    body = {"name": name, "custom": 1, "module": "Custom", "fields": fields, "permissions": [rights], **extra}
    response = admin.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text
    return name


def field(fieldname: str, fieldtype: str = "Data", **extra: Any) -> dict[str, Any]:
    """A DocField definition labelled after its fieldname (``due_date`` -> ``Due Date``)."""
    return {
        "fieldname": fieldname,
        "fieldtype": fieldtype,
        "label": fieldname.replace("_", " ").title(),
        **extra,
    }


def v1_error(response: Any) -> tuple[str, list[str]]:
    """``(exc_type, messages)`` of a v1 error body."""
    body = response.json()
    messages = [json.loads(m)["message"] for m in json.loads(body.get("_server_messages", "[]"))]
    return body["exc_type"], messages


def refused(response: Any, exc_type: str, *messages: str, status: int = 417) -> None:
    """Assert a v1 error with ``exc_type`` whose messages are exactly ``messages``."""
    assert response.status_code == status, response.text
    assert v1_error(response) == (exc_type, list(messages))


def post(admin: SiteClient, doctype: str, body: dict[str, Any]) -> Any:
    """POST through v1."""
    return admin.post(f"/api/resource/{doctype}", json=body)


def created(admin: SiteClient, doctype: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST through v1; the request must succeed; returns the document."""
    response = post(admin, doctype, body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def put(admin: SiteClient, doctype: str, name: Any, body: dict[str, Any]) -> Any:
    """PUT through v1."""
    return admin.put(f"/api/resource/{doctype}/{name}", json=body)


def rows_with(admin: SiteClient, doctype: str, fieldname: str, value: str) -> list[dict[str, Any]]:
    """Names of the documents whose ``fieldname`` equals ``value``."""
    params = {"filters": json.dumps([[fieldname, "=", value]]), "limit_page_length": "0"}
    response = admin.get(f"/api/resource/{doctype}", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


@pytest.fixture(scope="module")
def child_and_parent(admin: SiteClient) -> tuple[str, str]:
    """A child DocType (reqd Item, Select Kind, non-negative Qty, Code of length 5) and its parent."""
    child = new_doctype(
        admin,
        [
            field("item", reqd=1),
            field("kind", "Select", options="\nBig\nSmall"),
            field("qty", "Int", non_negative=1),
            field("code", length=5),
            field("user", "Link", options="User"),
        ],
        istable=1,
    )
    parent = new_doctype(
        admin, [field("subject", reqd=1), field("items", "Table", options=child, reqd=1)], autoname="Prompt"
    )
    return child, parent


# -- mandatory (5.6.1) ------------------------------------------------------------------------------


def test_missing_parent_field(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("subject", reqd=1), field("count", "Int", reqd=1)])
    response = post(admin, doctype, {})
    refused(response, "MandatoryError", f"Error: Value missing for {doctype}: Subject")
    assert response.json()["exception"].endswith("]: subject")  # Frappe's "[doctype, name]: fields"


def test_blank_html_is_missing_but_an_image_is_content(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("notes", "Text Editor", reqd=1), field("body", "Small Text", reqd=1)])
    response = post(admin, doctype, {"notes": "<p> <br></p>", "body": "  "})
    refused(
        response,
        "MandatoryError",
        f"Error: Value missing for {doctype}: Notes",
        f"Error: Value missing for {doctype}: Body",
    )
    assert response.json()["exception"].endswith("]: notes, body")
    doc = created(admin, doctype, {"notes": '<p><img src="/files/a.png"></p>', "body": "0"})
    assert doc["body"] == "0"


def test_missing_child_values_and_empty_table(admin: SiteClient, child_and_parent: tuple[str, str]) -> None:
    child, parent = child_and_parent
    refused(
        post(admin, parent, {"name": f"m {secrets.token_hex(3)}", "items": []}),
        "MandatoryError",
        f"Error: Value missing for {parent}: Subject",
        "Error: Data missing in table Items",
    )
    body = {"name": f"m {secrets.token_hex(3)}", "subject": "s", "items": [{"item": "a"}, {"kind": "Big"}]}
    refused(post(admin, parent, body), "MandatoryError", f"Error: {child} Row #2: Value missing for: Item")


def test_mandatory_error_in_v2_format(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("subject", reqd=1), field("detail", reqd=1)])
    response = admin.post(f"/api/v2/document/{doctype}", json={})
    assert response.status_code == 417
    body = response.json()
    assert body["errors"][0]["type"] == "MandatoryError"
    assert body["errors"][0]["message"] == f"Error: Value missing for {doctype}: Subject"
    assert [m["message"] for m in body.get("messages", [])] == [f"Error: Value missing for {doctype}: Detail"]


def test_ignored_mandatory_on_update_is_checked_again(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("subject", reqd=1)])
    doc = created(admin, doctype, {"subject": "x"})
    refused(
        put(admin, doctype, doc["name"], {"subject": ""}),
        "MandatoryError",
        f"Error: Value missing for {doctype}: Subject",
    )


# -- select (5.6.2) -------------------------------------------------------------------------------


def test_select_values(admin: SiteClient, child_and_parent: tuple[str, str]) -> None:
    doctype = new_doctype(admin, [field("status", "Select", options="\nOpen\nClosed")])
    assert created(admin, doctype, {"status": "  Closed "})["status"] == "Closed"
    assert created(admin, doctype, {"status": ""})["status"] == ""  # empty is always allowed
    refused(
        post(admin, doctype, {"status": "Pending"}),
        "ValidationError",
        ' Status cannot be "Pending". It should be one of "", "Open", "Closed"',
    )
    _child, parent = child_and_parent
    body = {"name": f"s {secrets.token_hex(3)}", "subject": "s", "items": [{"item": "a", "kind": "Huge"}]}
    refused(
        post(admin, parent, body),
        "ValidationError",
        'Row #1: Kind cannot be "Huge". It should be one of "", "Big", "Small"',
    )


def test_select_default_is_the_first_option(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("status", "Select", options="Open\nClosed"), field("title")])
    assert created(admin, doctype, {"title": "x"})["status"] == "Open"


# -- links (5.6.3) --------------------------------------------------------------------------------


def test_missing_link_targets(admin: SiteClient, child_and_parent: tuple[str, str]) -> None:
    doctype = new_doctype(admin, [field("assignee", "Link", options="User")])
    refused(
        post(admin, doctype, {"assignee": "nobody@example.com"}),
        "LinkValidationError",
        "Could not find Assignee: nobody@example.com",
    )
    assert created(admin, doctype, {"assignee": "Administrator"})["assignee"] == "Administrator"
    _child, parent = child_and_parent
    body = {
        "name": f"l {secrets.token_hex(3)}",
        "subject": "s",
        "items": [
            {"item": "a", "user": "ghost"},
            {"item": "b", "user": "Administrator"},
            {"item": "c", "user": "x"},
        ],
    }
    refused(
        post(admin, parent, body),
        "LinkValidationError",
        "Could not find Row #1: User: ghost, Row #3: User: x",
    )


def test_link_value_takes_the_stored_spelling_on_mariadb(admin: SiteClient, backend: str) -> None:
    target = new_doctype(admin, [field("title")], autoname="Prompt")
    name = f"Alpha {secrets.token_hex(3)}"
    created(admin, target, {"name": name})
    doctype = new_doctype(admin, [field("ref", "Link", options=target)])
    response = post(admin, doctype, {"ref": name.upper()})
    if backend == "mariadb":  # case-insensitive collation: the canonical name replaces the value
        assert response.status_code == 200 and response.json()["data"]["ref"] == name
    else:
        refused(response, "LinkValidationError", f"Could not find Ref: {name.upper()}")


def test_dynamic_link(admin: SiteClient) -> None:
    doctype = new_doctype(
        admin,
        [
            field("link_type", "Link", options="DocType"),
            field("link_name", "Dynamic Link", options="link_type"),
        ],
    )
    refused(
        post(admin, doctype, {"link_name": "Administrator"}), "ValidationError", "Link Type must be set first"
    )
    ok = created(admin, doctype, {"link_type": "User", "link_name": "Administrator"})
    assert (ok["link_type"], ok["link_name"]) == ("User", "Administrator")
    refused(
        post(admin, doctype, {"link_type": "User", "link_name": "ghost@example.com"}),
        "LinkValidationError",
        "Could not find Link Name: ghost@example.com",
    )
    refused(
        post(admin, doctype, {"link_type": "No Such Type", "link_name": "x"}),
        "LinkValidationError",
        "Could not find Link Type: No Such Type, Link Name: x",
    )


def test_fetch_from_copies_values(admin: SiteClient) -> None:
    target = new_doctype(admin, [field("title"), field("rate", "Currency")], autoname="Prompt")
    name = f"T {secrets.token_hex(3)}"
    created(admin, target, {"name": name, "title": "Fetched title", "rate": "12.5"})
    doctype = new_doctype(
        admin,
        [
            field("ref", "Link", options=target),
            field("ref_title", fetch_from="ref.title"),
            field("ref_rate", "Currency", fetch_from="ref.rate", fetch_if_empty=1),
        ],
    )
    doc = created(admin, doctype, {"ref": name, "ref_title": "typed by client"})
    assert (doc["ref_title"], doc["ref_rate"]) == ("Fetched title", 12.5)
    kept = created(admin, doctype, {"ref": name, "ref_rate": 3})
    assert kept["ref_rate"] == 3  # fetch_if_empty keeps a value the client gave


def test_link_to_an_autoincrement_doctype(admin: SiteClient) -> None:
    target = new_doctype(admin, [field("title")], autoname="autoincrement")
    number = created(admin, target, {"title": "t"})["name"]
    doctype = new_doctype(admin, [field("ref", "Link", options=target)])
    assert created(admin, doctype, {"ref": str(number)})["ref"] == str(number)
    assert created(admin, doctype, {"ref": number})["ref"] == str(number)
    refused(
        post(admin, doctype, {"ref": "not-a-number"}),
        "LinkValidationError",
        "Could not find Ref: not-a-number",
    )


def test_link_to_a_cancelled_document(admin: SiteClient) -> None:
    target = new_doctype(admin, [field("title")], is_submittable=1)
    name = created(admin, target, {"title": "t", "docstatus": 1})["name"]
    assert put(admin, target, name, {"docstatus": 2}).status_code == 200
    doctype = new_doctype(admin, [field("ref", "Link", options=target)], is_submittable=1)
    refused(
        post(admin, doctype, {"ref": name}),
        "CancelledLinkError",
        f"Cannot link cancelled document: Ref: {name}",
    )
    plain = new_doctype(admin, [field("ref", "Link", options=target)])
    assert created(admin, plain, {"ref": name})["ref"] == name  # only submittable linkers are refused


def test_link_values_of_the_wrong_type(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("assignee", "Link", options="User")])
    for bad in ({"a": 1}, "bad\x00name"):
        response = post(admin, doctype, {"assignee": bad})
        assert response.status_code == 417 and v1_error(response)[0] == "ValidationError", response.text


# -- length (5.6.4) -------------------------------------------------------------------------------


def test_varchar_length(admin: SiteClient, child_and_parent: tuple[str, str]) -> None:
    doctype = new_doctype(admin, [field("title"), field("short", length=10)], autoname="Prompt")
    name = f"len {secrets.token_hex(3)}"
    refused(
        post(admin, doctype, {"name": name, "title": "x" * 141}),
        "CharacterLengthExceededError",
        f"{doctype} {name}: 'Title' ({'x' * 141}) will get truncated, as max characters allowed is 140",
    )
    refused(
        post(admin, doctype, {"name": name, "short": "é" * 11}),
        "CharacterLengthExceededError",
        f"{doctype} {name}: 'Short' ({'é' * 11}) will get truncated, as max characters allowed is 10",
    )
    doc = created(admin, doctype, {"name": name, "title": "x" * 140, "short": "é" * 10})
    assert doc["title"] == "x" * 140 and doc["short"] == "é" * 10
    child, parent = child_and_parent
    body = {"name": f"c {secrets.token_hex(3)}", "subject": "s", "items": [{"item": "a", "code": "123456"}]}
    refused(
        post(admin, parent, body),
        "CharacterLengthExceededError",
        f"{child}, Row 1: 'Code' (123456) will get truncated, as max characters allowed is 5",
    )


def test_integer_and_decimal_ranges(admin: SiteClient) -> None:
    doctype = new_doctype(
        admin,
        [field("small", "Int"), field("big", "Int", length=12), field("amount", "Currency")],
        autoname="Prompt",
    )
    name = f"int {secrets.token_hex(3)}"
    refused(
        post(admin, doctype, {"name": name, "small": 2**31}),
        "CharacterLengthExceededError",
        f"{doctype} {name}: 'Small' ({2**31}) will get truncated, as max characters allowed is {2**31 - 1}",
    )
    refused(
        post(admin, doctype, {"name": name, "big": -(2**63)}),
        "CharacterLengthExceededError",
        f"{doctype} {name}: 'Big' ({-(2**63)}) will get truncated, as max characters allowed is {2**63 - 1}",
    )
    refused(
        post(admin, doctype, {"name": name, "amount": -1e12}),
        "CharacterLengthExceededError",
        f"{doctype} {name}: 'Amount' (-1000000000000.0) will get truncated, as max characters allowed is "
        "999999999999.999999999",
    )
    doc = created(
        admin, doctype, {"name": name, "small": -(2**31 - 1), "big": 2**62, "amount": 999_999_999_999.5}
    )
    assert (doc["small"], doc["big"], doc["amount"]) == (-(2**31 - 1), 2**62, 999_999_999_999.5)


# -- non-negative (5.6.5) -------------------------------------------------------------------------


def test_non_negative(admin: SiteClient, child_and_parent: tuple[str, str]) -> None:
    doctype = new_doctype(
        admin,
        [field("amount", "Currency", non_negative=1), field("share", "Percent", non_negative=1)],
    )
    refused(
        post(admin, doctype, {"amount": -0.01}),
        "NonNegativeError",
        f"Value cannot be negative for {doctype}: Amount",
    )
    assert created(admin, doctype, {"amount": 0, "share": -5})["share"] == -5  # Percent is not checked
    child, parent = child_and_parent
    body = {
        "name": f"n {secrets.token_hex(3)}",
        "subject": "s",
        "items": [{"item": "a"}, {"item": "b", "qty": -1}],
    }
    refused(
        post(admin, parent, body), "NonNegativeError", f"{child} Row #2: Value cannot be negative for Qty"
    )


# -- Data options (5.6.7) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "good", "bad", "exc_type", "message"),
    [
        ("Email", "Ann Lee <ann@example.com>, bob@example.org", "ann@", "InvalidEmailAddressError",
         "ann@ is not a valid Email Address"),
        ("Phone", "+91 (987) 654-3210", "call me", "InvalidPhoneNumberError", "call me is not a valid Phone Number"),
        ("URL", "https://example.com/a?b=1", "example.com", "ValidationError", "'example.com' is not a valid URL"),
        ("URL", "/files/report.pdf", "not a url", "ValidationError", "'not a url' is not a valid URL"),
        ("Name", "Mary-Ann O'Neil", "R2 D2!", "InvalidNameError", "R2 D2! is not a valid Name"),
    ],
)  # fmt: skip
def test_data_options(
    admin: SiteClient, option: str, good: str, bad: str, exc_type: str, message: str
) -> None:
    doctype = new_doctype(admin, [field("value", options=option)])
    assert created(admin, doctype, {"value": good})["value"] == good
    refused(post(admin, doctype, {"value": bad}), exc_type, message)


# -- set only once, creation, owner (5.6.6) -------------------------------------------------------------


def test_set_only_once(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("code", set_only_once=1), field("note")])
    doc = created(admin, doctype, {"code": "A1"})
    refused(
        put(admin, doctype, doc["name"], {"code": "B2"}),
        "CannotChangeConstantError",
        "Value cannot be changed for Code",
    )
    same = put(admin, doctype, doc["name"], {"code": "A1", "note": "n"})
    assert same.status_code == 200 and same.json()["data"]["note"] == "n"
    unset = created(admin, doctype, {"note": "later"})
    refused(
        put(admin, doctype, unset["name"], {"code": "C3"}),
        "CannotChangeConstantError",
        "Value cannot be changed for Code",
    )


def test_creation_and_owner_cannot_change(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("note")])
    doc = created(
        admin, doctype, {"note": "x", "owner": "someone@example.com", "creation": "2001-01-01 00:00:00"}
    )
    assert doc["owner"] == "Administrator" and not doc["creation"].startswith(
        "2001"
    )  # client values overridden
    name = doc["name"]
    refused(
        put(admin, doctype, name, {"creation": "2001-01-01 00:00:00"}),
        "CannotChangeConstantError",
        "Value cannot be changed for Created On",
    )
    refused(
        put(admin, doctype, name, {"owner": "Guest"}),
        "CannotChangeConstantError",
        "Value cannot be changed for Created By",
    )
    echoed = put(admin, doctype, name, {"owner": doc["owner"], "creation": doc["creation"], "note": "y"})
    assert echoed.status_code == 200 and echoed.json()["data"]["note"] == "y"
    garbage = put(admin, doctype, name, {"creation": {"a": 1}})
    assert garbage.status_code == 417


def test_child_rows_sent_back_as_received(admin: SiteClient, child_and_parent: tuple[str, str]) -> None:
    _child, parent = child_and_parent
    name = f"r {secrets.token_hex(3)}"
    doc = created(admin, parent, {"name": name, "subject": "s", "items": [{"item": "a"}]})
    rows = doc["items"]
    response = put(admin, parent, name, {"items": [*rows, {"item": "b"}]})
    assert response.status_code == 200, response.text
    assert [r["item"] for r in response.json()["data"]["items"]] == ["a", "b"]
    bad_row = put(admin, parent, name, {"items": [{**rows[0], "creation": "yesterday"}]})
    assert bad_row.status_code == 417 and v1_error(bad_row)[0] == "ValidationError"


# -- update after submit (5.4) -------------------------------------------------------------------------


def test_update_after_submit(admin: SiteClient) -> None:
    child = new_doctype(admin, [field("item"), field("note", allow_on_submit=1)], istable=1)
    doctype = new_doctype(
        admin,
        [
            field("title"),
            field("remarks", "Small Text", allow_on_submit=1),
            field("items", "Table", options=child),
        ],
        is_submittable=1,
    )
    doc = created(admin, doctype, {"title": "a", "items": [{"item": "x"}], "docstatus": 1})
    name, rows = doc["name"], doc["items"]
    refused(
        put(admin, doctype, name, {"title": "b"}),
        "UpdateAfterSubmitError",
        "Not allowed to change Title after submission from a to b",
    )
    refused(
        put(admin, doctype, name, {"items": [{**rows[0], "item": "y"}]}),
        "UpdateAfterSubmitError",
        "Row #1: Not allowed to change Item after submission from x to y",
    )
    refused(
        put(admin, doctype, name, {"items": [*rows, {"item": "z"}]}),
        "UpdateAfterSubmitError",
        "Not allowed to change Items after submission from 1 to 2",
    )
    ok = put(admin, doctype, name, {"remarks": "noted", "items": [{**rows[0], "note": "fine"}]})
    assert ok.status_code == 200, ok.text
    assert ok.json()["data"]["remarks"] == "noted" and ok.json()["data"]["items"][0]["note"] == "fine"


# -- optimistic concurrency (5.7) --------------------------------------------------------------------


def test_stale_modified_is_refused(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("note")])
    doc = created(admin, doctype, {"note": "a"})
    first = put(admin, doctype, doc["name"], {"note": "b", "modified": doc["modified"]})
    assert first.status_code == 200
    stale = put(admin, doctype, doc["name"], {"note": "c", "modified": doc["modified"]})
    assert stale.status_code == 417 and v1_error(stale)[0] == "TimestampMismatchError"
    assert admin.get(f"/api/resource/{doctype}/{doc['name']}").json()["data"]["note"] == "b"


# -- coercion through the API (2.3) ---------------------------------------------------------------------


def test_numbers_and_checks(admin: SiteClient) -> None:
    doctype = new_doctype(
        admin,
        [field("flag", "Check"), field("count", "Int"), field("rate", "Float"), field("stars", "Rating")],
    )
    cases = [
        ({"flag": "true", "count": "3.9", "rate": "1,234.5", "stars": 5}, (1, 3, 1234.5, 1.0)),
        ({"flag": "false", "count": "", "rate": "", "stars": -1}, (0, 0, 0.0, 0.0)),
        ({"flag": "1", "count": "1,234", "rate": 2, "stars": "0.5"}, (1, 1234, 2.0, 0.5)),
        ({}, (0, 0, 0.0, 0.0)),
    ]
    for body, expected in cases:
        doc = created(admin, doctype, body)
        assert (doc["flag"], doc["count"], doc["rate"], doc["stars"]) == expected, body
        assert isinstance(doc["count"], int) and not isinstance(doc["count"], bool)


@pytest.mark.parametrize(
    ("fieldtype", "value"),
    [("Int", "abc"), ("Int", "1e400"), ("Check", "maybe"), ("Check", "inf"), ("Float", "NaN"),
     ("Float", "-Infinity"), ("Currency", [1]), ("Date", "2024-13-01"), ("Date", "2024-02-30"),
     ("Datetime", "yesterday"), ("Time", "25:00"), ("Time", 3600), ("Data", {"a": 1}),
     ("Data", "nul\x00byte"), ("JSON", [1, 2]), ("JSON", 5), ("Text", ["a"]), ("Select", {"x": 1})],
)  # fmt: skip
def test_unreadable_values_are_a_417_naming_the_field(admin: SiteClient, fieldtype: str, value: Any) -> None:
    options = {"Select": "A\nB"}.get(fieldtype, "")
    doctype = new_doctype(admin, [field("target", fieldtype, options=options), field("marker")])
    marker = secrets.token_hex(6)
    response = post(admin, doctype, {"target": value, "marker": marker})
    assert response.status_code == 417, response.text
    exc_type, messages = v1_error(response)
    assert exc_type in ("ValidationError", "DataError")
    assert "Target" in messages[0]
    assert rows_with(admin, doctype, "marker", marker) == []


def test_dates_times_and_json(admin: SiteClient, backend: str) -> None:
    doctype = new_doctype(
        admin,
        [field("day", "Date"), field("moment", "Datetime"), field("clock", "Time"), field("payload", "JSON")],
    )
    doc = created(
        admin,
        doctype,
        {
            "day": "2024-1-5",
            "moment": "2024-02-29 23:59:59.5",
            "clock": "9:05",
            "payload": {"b": [1, 2], "a": None},
        },
    )
    assert doc["day"] == "2024-01-05"
    assert doc["moment"] == "2024-02-29 23:59:59.500000"
    assert doc["clock"] in ("9:05:00", "09:05:00")
    assert json.loads(doc["payload"]) == {"b": [1, 2], "a": None} and " " not in doc["payload"]
    blank = created(admin, doctype, {"day": "", "moment": "", "clock": ""})
    assert "day" not in blank and "moment" not in blank  # "" is stored as NULL (omitted by v1)


def test_unique_data_blank_is_null(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("code", unique=1), field("note")])
    created(admin, doctype, {"code": "", "note": "a"})
    created(admin, doctype, {"code": "  ", "note": "b"})  # blanks never clash on a unique column
    created(admin, doctype, {"code": "X1"})
    clash = post(admin, doctype, {"code": "X1"})
    assert clash.status_code in (409, 417) and v1_error(clash)[0] == "UniqueValidationError"


def test_long_text_values_are_stored_or_refused_cleanly(admin: SiteClient) -> None:
    doctype = new_doctype(admin, [field("body", "Text"), field("long", "Long Text"), field("marker")])
    marker = secrets.token_hex(6)
    big = "é" * 70_000
    response = post(admin, doctype, {"body": big, "marker": marker})
    assert response.status_code in (200, 417), response.text
    if response.status_code == 417:
        assert rows_with(admin, doctype, "marker", marker) == []
    assert created(admin, doctype, {"long": big})["long"] == big


# -- property: random JSON never makes a 500, and a refusal writes nothing ----------------------------

FIELD_TYPES = [
    "Check", "Int", "Float", "Currency", "Percent", "Rating", "Duration", "Date", "Datetime", "Time", "JSON",
    "Data", "Small Text", "Text", "Long Text", "Code", "Text Editor", "Select", "Link", "Password", "Read Only",
    "Color", "Phone", "Autocomplete", "Attach", "Geolocation", "Barcode", "Markdown Editor", "HTML Editor",
]  # fmt: skip
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["", " ", "0", "1", "true", "1e400", "nan", "-inf", "2024-02-29", "2024-02-30 10:00",
                      "0001-01-01", "9999-12-31 23:59:59.999999", "23:59:59.999999", "24:00", "1,234.5",
                      "Administrator", "A", "B", '{"a": 1}', "<script>x</script>"])
    | st.dates().map(str)
    | st.datetimes().map(str)
    | st.times().map(str)
)  # fmt: skip
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _fieldname(fieldtype: str) -> str:
    return "f_" + fieldtype.lower().replace(" ", "_")


@pytest.fixture(scope="module")
def every_type(admin: SiteClient) -> str:
    """A DocType with one field of every data type (plus a Data ``marker``)."""
    fields = [
        field(_fieldname(t), t, options={"Select": "A\nB", "Link": "User"}.get(t, "")) for t in FIELD_TYPES
    ]
    return new_doctype(admin, [*fields, field("marker")])


def _create(admin: SiteClient, doctype: str, body: dict[str, Any], version: int) -> Any:
    path = f"/api/resource/{doctype}" if version == 1 else f"/api/v2/document/{doctype}"
    return admin.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fieldtype=st.sampled_from(FIELD_TYPES), value=JSON_VALUES, version=st.sampled_from([1, 2]))
def test_random_json_is_stored_or_refused_never_a_500(
    admin: SiteClient, every_type: str, fieldtype: str, value: Any, version: int
) -> None:
    marker = secrets.token_hex(8)
    response = _create(admin, every_type, {_fieldname(fieldtype): value, "marker": marker}, version)
    assert response.status_code in (200, 417), (fieldtype, value, response.text)
    if response.status_code == 417:
        assert rows_with(admin, every_type, "marker", marker) == []
        return
    name = response.json()["data"]["name"]
    read = admin.get(f"/api/v2/document/{every_type}/{name}")
    assert read.status_code == 200, read.text
    stored = read.json()["data"][_fieldname(fieldtype)]
    if isinstance(stored, float):
        assert math.isfinite(stored)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fieldtype=st.sampled_from(FIELD_TYPES), value=JSON_VALUES)
def test_random_json_updates_are_saved_or_refused_without_change(
    admin: SiteClient, every_type: str, fieldtype: str, value: Any
) -> None:
    doc = created(admin, every_type, {"marker": secrets.token_hex(8)})
    response = admin.put(
        f"/api/resource/{every_type}/{doc['name']}",
        content=json.dumps({_fieldname(fieldtype): value}),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code in (200, 417), (fieldtype, value, response.text)
    if response.status_code == 417:
        after = admin.get(f"/api/resource/{every_type}/{doc['name']}").json()["data"]
        assert after["modified"] == doc["modified"]


STANDARD_KEYS = [
    "name",
    "docstatus",
    "idx",
    "owner",
    "creation",
    "modified",
    "modified_by",
    "parent",
    "__newname",
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(key=st.sampled_from(STANDARD_KEYS), value=JSON_VALUES, version=st.sampled_from([1, 2]))
def test_random_standard_keys_never_make_a_500(
    admin: SiteClient, every_type: str, key: str, value: Any, version: int
) -> None:
    marker = secrets.token_hex(8)
    response = _create(admin, every_type, {key: value, "marker": marker}, version)
    assert response.status_code in (200, 409, 417), (key, value, response.text)
    if response.status_code != 200:
        assert rows_with(admin, every_type, "marker", marker) == []


@pytest.fixture(scope="module")
def table_parent(admin: SiteClient) -> str:
    """A parent DocType whose table rows hold a few field types."""
    child = new_doctype(
        admin,
        [field("qty", "Int"), field("day", "Date"), field("kind", "Select", options="A\nB"), field("note")],
        istable=1,
    )
    return new_doctype(admin, [field("items", "Table", options=child), field("marker")])


ROWS = st.lists(
    st.dictionaries(st.sampled_from(["qty", "day", "kind", "note", "name", "idx", "creation"]), JSON_VALUES),
    max_size=3,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ROWS | JSON_VALUES, version=st.sampled_from([1, 2]))
def test_random_child_rows_never_make_a_500(
    admin: SiteClient, table_parent: str, rows: Any, version: int
) -> None:
    marker = secrets.token_hex(8)
    response = _create(admin, table_parent, {"items": rows, "marker": marker}, version)
    assert response.status_code in (200, 417), (rows, response.text)
    if response.status_code == 417:
        assert rows_with(admin, table_parent, "marker", marker) == []
        return
    name = response.json()["data"]["name"]
    again = admin.put(
        f"/api/resource/{table_parent}/{name}", json={"items": response.json()["data"]["items"]}
    )
    assert again.status_code == 200, again.text  # rows sent back as received are accepted


def test_a_save_coerces_the_changed_values_and_keeps_the_stored_ones(admin: SiteClient) -> None:
    doctype = new_doctype(
        admin, [field("label"), field("count", "Int"), field("ratio", "Float"), field("day", "Date")]
    )
    created = admin.post(f"/api/resource/{doctype}", json={"label": "a", "count": "7", "day": "2024-02-29"})
    name = created.json()["data"]["name"]
    saved = admin.put(f"/api/resource/{doctype}/{name}", json={"label": "b", "ratio": "2.5"}).json()["data"]
    assert (saved["label"], saved["count"], saved["ratio"], saved["day"]) == ("b", 7, 2.5, "2024-02-29")
    site = admin.site
    table = site.tables.get(site.metas.get(doctype))
    with site.db.engine.connect() as conn:
        row = conn.execute(table.select().where(table.c.name == name)).mappings().one()
    assert (row["label"], row["count"], row["ratio"], str(row["day"])) == ("b", 7, 2.5, "2024-02-29")
    bad = admin.put(f"/api/resource/{doctype}/{name}", json={"count": "seven"})
    assert bad.status_code == 417
    assert admin.get(f"/api/resource/{doctype}/{name}").json()["data"]["count"] == 7
