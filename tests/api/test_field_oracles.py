"""Fields a user may not read (``permlevel``) are never oracles (issue 10, findings 3 and 4).

A desk user who may read a DocType but not its level-1 fields must not learn their values through
any query parameter: naming such a field in ``filters``, ``or_filters``, ``order_by``, ``group_by``,
a child-table filter or a Link-search filter is a 403 ``PermissionError`` on v1, v2 and
``frappe.client`` alike; in ``fields`` (plain, ``child.field``, ``{table: [...]}``, aggregates) it is
dropped, as before. A user with level-1 read uses the same parameters freely. The roles of users
(``User.roles``, a level-1 table) are hidden the same way from desk users.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.api.test_permissions_matrix import make_role, make_user, ok, rule
from tests.conftest import SiteClient

SECRET = "hunter2-secret"


@dataclass
class Oracle:
    doctype: str
    child: str
    vault: str
    name: str
    clerk: SiteClient  # level 0 only
    reader: SiteClient  # level 0 and 1


@pytest.fixture(scope="module")
def oracle(admin: SiteClient, sites_root: Path) -> Oracle:
    tag = secrets.token_hex(3)
    clerk_role, reader_role = make_role(admin, "Oracle Clerk"), make_role(admin, "Oracle Reader")
    child, vault, doctype = f"Oracle Item {tag}", f"Oracle Vault {tag}", f"Oracle Doc {tag}"
    ok(admin.post("/api/resource/DocType", json={
        "name": child, "custom": 1, "module": "Custom", "istable": 1,
        "fields": [{"fieldname": "item", "fieldtype": "Data"},
                   {"fieldname": "hidden", "fieldtype": "Data", "permlevel": 1}],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": vault, "custom": 1, "module": "Custom", "istable": 1,
        "fields": [{"fieldname": "note", "fieldtype": "Data"}],
    }))  # fmt: skip
    ok(admin.post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom", "search_fields": "title,secret",
        "fields": [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
            {"fieldname": "amount", "fieldtype": "Int", "permlevel": 1},
            {"fieldname": "items", "fieldtype": "Table", "options": child},
            {"fieldname": "vault", "fieldtype": "Table", "options": vault, "permlevel": 1},
        ],
        "permissions": [
            rule(clerk_role, read=1, write=1, create=1),
            rule(reader_role, read=1),
            rule(reader_role, 1, read=1),
        ],
    }))  # fmt: skip
    body = {"title": "doc", "secret": SECRET, "amount": 42,
            "items": [{"item": "a", "hidden": SECRET}], "vault": [{"note": SECRET}]}  # fmt: skip
    name = ok(admin.post(f"/api/resource/{doctype}", json=body))["data"]["name"]
    clerk = make_user(admin, sites_root, [clerk_role])
    reader = make_user(admin, sites_root, [reader_role])
    return Oracle(doctype, child, vault, name, clerk, reader)


def _v1(client: SiteClient, o: Oracle, **params: Any) -> Any:
    return client.get(f"/api/resource/{o.doctype}", params={k: _j(v) for k, v in params.items()})


def _v2(client: SiteClient, o: Oracle, **params: Any) -> Any:
    return client.get(f"/api/v2/document/{o.doctype}", params={k: _j(v) for k, v in params.items()})


def _v2_count(client: SiteClient, o: Oracle, **params: Any) -> Any:
    return client.get(f"/api/v2/doctype/{o.doctype}/count", params={k: _j(v) for k, v in params.items()})


def _rpc(client: SiteClient, method: str, **params: Any) -> Any:
    return client.post(f"/api/method/{method}", json=params)


def _j(value: Any) -> Any:
    return value if isinstance(value, str | int) else json.dumps(value)


def _refused(response: Any) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    kind = body.get("exc_type") or body.get("errors", [{}])[0].get("type")
    assert kind == "PermissionError", body
    assert SECRET not in response.text


CONDITIONS: list[tuple[str, Any]] = [
    ("filters", [["secret", "like", "h%"]]),
    ("filters", {"secret": ["like", "h%"]}),
    ("filters", [["amount", ">", 40]]),
    ("or_filters", [["secret", "=", SECRET], ["name", "=", "nothing"]]),
    ("filters", "CHILD"),  # [[child, hidden, like, ...]] (filled in below)
    ("filters", "CHILD_BY_FIELDNAME"),  # [["hidden", "like", ...]]: v1 finds it in a child table
    ("filters", "VAULT"),  # a level-0 child field behind a level-1 table field
    ("filters", [["items.hidden", "like", "h%"]]),
    ("filters", "QUALIFIED"),  # [["`tab<doctype>`.`secret`", "like", ...]]
]


def _condition(o: Oracle, key: str, value: Any) -> dict[str, Any]:
    if value == "CHILD":
        value = [[o.child, "hidden", "like", "h%"]]
    elif value == "CHILD_BY_FIELDNAME":
        value = [["hidden", "like", "h%"]]
    elif value == "VAULT":
        value = [[o.vault, "note", "like", "h%"]]
    elif value == "QUALIFIED":
        value = [[f"`tab{o.doctype}`.`secret`", "like", "h%"]]
    return {key: value}


@pytest.mark.parametrize(("key", "value"), CONDITIONS)
def test_conditions_on_unreadable_fields_are_refused_everywhere(oracle: Oracle, key: str, value: Any) -> None:
    o, clerk = oracle, oracle.clerk
    params = _condition(o, key, value)
    _refused(_v1(clerk, o, **params))
    _refused(_v2(clerk, o, **params))
    _refused(_v2_count(clerk, o, **params))
    _refused(_rpc(clerk, "frappe.client.get_list", doctype=o.doctype, **params))
    _refused(_rpc(clerk, "frappe.client.get_count", doctype=o.doctype, **params))
    _refused(_rpc(clerk, "frappe.desk.reportview.get_count", doctype=o.doctype, **params))
    if key == "filters":
        _refused(_rpc(clerk, "frappe.client.get_value", doctype=o.doctype, fieldname="name", **params))
        _refused(_rpc(clerk, "frappe.client.get", doctype=o.doctype, **params))
        _refused(_rpc(clerk, "frappe.desk.search.search_link", doctype=o.doctype, txt="", **params))
        _refused(clerk.get(f"/api/v2/doctype/{o.doctype}/search", params={"filters": _j(params["filters"])}))
    # the reader may read level 1 and gets answers (200) to the same questions
    assert _v1(o.reader, o, **params).status_code == 200
    assert _v2_count(o.reader, o, **params).status_code == 200


@pytest.mark.parametrize(
    "order_by", ["secret", "secret desc", "amount asc", "max(secret) desc", "count(amount)", "`secret`"]
)
def test_ordering_by_unreadable_fields_is_refused(oracle: Oracle, order_by: str) -> None:
    o = oracle
    _refused(_v1(o.clerk, o, order_by=order_by))
    _refused(_v2(o.clerk, o, order_by=order_by))
    _refused(_rpc(o.clerk, "frappe.client.get_list", doctype=o.doctype, order_by=order_by))
    # the reader may name the field; an aggregate needs a grouped query (a 417, never a 500)
    assert _v1(o.reader, o, order_by=order_by).status_code == (417 if "(" in order_by else 200)


def test_grouping_by_unreadable_fields_is_refused(oracle: Oracle) -> None:
    o = oracle
    fields = ["count(name) as n"]
    _refused(_v1(o.clerk, o, fields=fields, group_by="secret"))
    _refused(_v2(o.clerk, o, fields=fields, group_by="amount"))
    _refused(_rpc(o.clerk, "frappe.client.get_list", doctype=o.doctype, fields=fields, group_by="secret"))
    assert _v1(o.reader, o, fields=fields, group_by="secret").status_code == 200


def test_unreadable_fields_are_dropped_from_selections(oracle: Oracle) -> None:
    o, clerk = oracle, oracle.clerk
    fields = ["name", "secret", "items.hidden", "vault.note", "sum(amount) as s", "max(secret)",
              {"items": ["item", "hidden"]}, {"vault": ["note"]}, {"MAX": "secret"}]  # fmt: skip
    for response in (
        _v1(clerk, o, fields=fields[:2] + fields[6:8]),
        _v2(clerk, o, fields=fields[:2] + fields[6:8]),
        _rpc(clerk, "frappe.client.get_list", doctype=o.doctype, fields=fields[:2] + fields[6:8]),
        _v1(clerk, o, fields=["name", "items.hidden", "vault.note"]),
        _v1(clerk, o, fields=["name", "sum(amount) as s", "max(secret)", {"MAX": "secret"}], group_by="name"),
        _v1(clerk, o, fields=["*"], distinct=1),
        _v2(clerk, o, fields=["*"], expand=["secret"]),
        _rpc(clerk, "frappe.client.get_value", doctype=o.doctype, fieldname="secret", filters=o.name),
        _rpc(clerk, "frappe.client.get_value", doctype=o.doctype, fieldname=["name", "secret"], as_dict=0),
        _rpc(clerk, "frappe.desk.search.search_link", doctype=o.doctype, txt="", searchfield="secret"),
        _rpc(
            clerk,
            "frappe.client.validate_link",
            doctype=o.doctype,
            docname=o.name,
            fields=["title", "secret"],
        ),
    ):
        assert response.status_code == 200, response.text
        assert SECRET not in response.text and '"amount"' not in response.text and '"s":' not in response.text
    rows = ok(_v1(clerk, o, fields=["name", {"items": ["item", "hidden"]}, {"vault": ["note"]}]))["data"]
    mine = next(r for r in rows if r["name"] == o.name)
    assert mine["items"] == [{"item": "a"}] and "vault" not in mine
    linked = ok(
        _rpc(
            clerk,
            "frappe.client.validate_link",
            doctype=o.doctype,
            docname=o.name,
            fields=["title", "secret"],
        )
    )
    assert linked["message"] == {"name": o.name, "title": "doc"}
    full = ok(_v1(o.reader, o, fields=["name", "secret", {"items": ["item", "hidden"]}]))["data"]
    assert {"name": o.name, "secret": SECRET, "items": [{"item": "a", "hidden": SECRET}]} in full


def test_link_search_does_not_match_unreadable_search_fields(oracle: Oracle) -> None:
    o = oracle
    found = ok(_rpc(o.clerk, "frappe.desk.search.search_link", doctype=o.doctype, txt="hunter2"))["message"]
    assert found == []  # ``secret`` is a search field, but the clerk may not read it
    by_reader = ok(_rpc(o.reader, "frappe.desk.search.search_link", doctype=o.doctype, txt="hunter2"))
    assert [r["value"] for r in by_reader["message"]] == [o.name]


def test_a_secret_cannot_be_guessed_one_character_at_a_time(oracle: Oracle) -> None:
    """The attack of the report: compare the answers for a right and a wrong guess."""
    o = oracle
    answers = set()
    for guess in ("h%", "x%"):
        for response in (
            _v2_count(o.clerk, o, filters=[["secret", "like", guess]]),
            _v1(o.clerk, o, filters=[["name", "=", o.name]], or_filters=[["secret", "like", guess]]),
            _rpc(o.clerk, "frappe.client.get_count", doctype=o.doctype, filters=[["secret", "like", guess]]),
        ):
            answers.add((response.status_code, response.text))
    assert len(answers) == 3  # one answer per endpoint, the same for both guesses


# -- finding 4: users' roles ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def desk_user(admin: SiteClient, sites_root: Path) -> SiteClient:
    role = f"Oracle Desk {secrets.token_hex(3)}"
    ok(admin.post("/api/resource/Role", json={"role_name": role, "desk_access": 1}))
    return make_user(admin, sites_root, [role])


def test_desk_users_cannot_see_other_users_roles(desk_user: SiteClient, admin: SiteClient) -> None:
    ok(admin.post("/api/resource/User", json={
        "email": f"sm-{secrets.token_hex(3)}@example.com", "first_name": "Boss",
        "roles": [{"role": "System Manager"}],
    }))  # fmt: skip
    listed = ok(desk_user.get("/api/resource/User", params={"fields": '["name", {"roles": ["role"]}]'}))
    assert listed["data"] and all("roles" not in row for row in listed["data"])
    dotted = ok(desk_user.get("/api/v2/document/User", params={"fields": '["name", "roles.role"]'}))
    assert dotted["data"] and all("role" not in row for row in dotted["data"])
    assert "System Manager" not in json.dumps(listed) + json.dumps(dotted)
    for filters in ([["Has Role", "role", "=", "System Manager"]], [["roles.role", "=", "System Manager"]],
                    [["role", "=", "System Manager"]], {"role": "System Manager"}):  # fmt: skip
        _refused(desk_user.get("/api/resource/User", params={"filters": json.dumps(filters)}))
        _refused(desk_user.get("/api/v2/doctype/User/count", params={"filters": json.dumps(filters)}))
        _refused(_rpc(desk_user, "frappe.client.get_count", doctype="User", filters=filters))
    child = desk_user.get("/api/resource/Has Role", params={"parent": "User", "fields": '["role", "parent"]'})
    assert child.status_code == 403 and "System Manager" not in child.text
    # the System Manager has level 1 on User and still sees roles
    boss = ok(admin.get("/api/resource/User", params={"fields": '["name", {"roles": ["role"]}]'}))
    assert any(r.get("roles") for r in boss["data"])


def test_write_answers_do_not_carry_unreadable_fields(oracle: Oracle) -> None:
    """``frappe.client`` writes answer with the saved document: masked like a read."""
    o, clerk = oracle, oracle.clerk
    for response in (
        _rpc(clerk, "frappe.client.set_value", doctype=o.doctype, name=o.name, fieldname="title", value="t2"),
        _rpc(clerk, "frappe.client.save", doc={"doctype": o.doctype, "name": o.name, "title": "t3"}),
        clerk.put(f"/api/resource/{o.doctype}/{o.name}", json={"title": "t4"}),
        clerk.patch(f"/api/v2/document/{o.doctype}/{o.name}", json={"title": "t5"}),
    ):
        assert response.status_code == 200, response.text
        assert SECRET not in response.text
    assert SECRET in _v1(o.reader, o, fields=["secret"]).text  # the value itself is unchanged
