"""``frappe.client`` read methods, link search, expand, child rows and counts, on every backend."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from sqlalchemy import insert

from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient, api_key_for

PERMS = [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}]


def _doctype(admin: SiteClient, name: str, fields: list[dict[str, Any]], **extra: Any) -> str:
    body = {"name": name, "custom": 1, "module": "Custom", "fields": fields, "permissions": PERMS, **extra}
    response = admin.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text
    return name


def _insert(client: SiteClient, doctype: str, doc: dict[str, Any]) -> str:
    response = client.post(f"/api/resource/{doctype}", json=doc)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["name"])


def _call(client: SiteClient, method: str, version: int = 1, post: bool = False, **params: Any) -> Any:
    encoded = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    url = f"/api/method/{method}" if version == 1 else f"/api/v2/method/{method}"
    return client.post(url, json=params) if post else client.get(url, params=encoded)


def _message(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["message"]


@pytest.fixture(scope="module")
def shop(admin: SiteClient) -> dict[str, Any]:
    tag = secrets.token_hex(3)
    supplier = _doctype(
        admin,
        f"CR Supplier {tag}",
        [{"fieldname": "supplier_name", "fieldtype": "Data"}, {"fieldname": "city", "fieldtype": "Data"},
         {"fieldname": "enabled", "fieldtype": "Check", "default": "1"}],
        title_field="supplier_name", search_fields="city",
    )  # fmt: skip
    line = _doctype(
        admin,
        f"CR Line {tag}",
        [{"fieldname": "sku", "fieldtype": "Data"}, {"fieldname": "qty", "fieldtype": "Int"}],
        istable=1,
    )
    bill = _doctype(
        admin,
        f"CR Bill {tag}",
        [{"fieldname": "subject", "fieldtype": "Data"}, {"fieldname": "total", "fieldtype": "Currency"},
         {"fieldname": "supplier", "fieldtype": "Link", "options": supplier},
         {"fieldname": "lines", "fieldtype": "Table", "options": line}],
    )  # fmt: skip
    suppliers = {
        "acme": _insert(admin, supplier, {"supplier_name": "Acme Corp", "city": "Paris"}),
        "zen": _insert(admin, supplier, {"supplier_name": "Zen Acme", "city": "Oslo"}),
        "old": _insert(admin, supplier, {"supplier_name": "Acme Old", "city": "Rome", "enabled": 0}),
    }
    bills = {
        "b1": _insert(admin, bill, {"subject": "First", "total": 100, "supplier": suppliers["acme"],
                                    "lines": [{"sku": "X", "qty": 1}, {"sku": "Y", "qty": 2}]}),
        "b2": _insert(admin, bill, {"subject": "Second", "total": 50, "supplier": suppliers["zen"], "lines": []}),
    }  # fmt: skip
    return {"supplier": supplier, "line": line, "bill": bill, "suppliers": suppliers, "bills": bills}


def test_get_list_over_get_and_post(admin: SiteClient, shop: dict[str, Any]) -> None:
    params = {"doctype": shop["bill"], "fields": ["subject", "total"], "order_by": "total asc"}
    expected = [{"subject": "Second", "total": 50}, {"subject": "First", "total": 100}]
    assert _message(_call(admin, "frappe.client.get_list", **params)) == expected
    assert _message(_call(admin, "frappe.client.get_list", post=True, **params)) == expected
    v2 = _call(admin, "frappe.client.get_list", version=2, **params)
    assert v2.json()["data"] == expected
    lists = _call(admin, "frappe.client.get_list", as_dict=0, limit_page_length=1, **params)
    assert _message(lists) == [["Second", 50]]
    missing = _call(admin, "frappe.client.get_list", doctype="No Such DocType")
    assert missing.status_code == 404


def test_get_value_shapes(admin: SiteClient, shop: dict[str, Any]) -> None:
    bill, b1 = shop["bill"], shop["bills"]["b1"]
    one = _call(admin, "frappe.client.get_value", doctype=bill, fieldname="subject", filters=b1)
    assert _message(one) == {"subject": "First"}
    several = _call(
        admin, "frappe.client.get_value", doctype=bill, fieldname=["subject", "total"], filters={"name": b1}
    )
    assert _message(several) == {"subject": "First", "total": 100}
    scalar = _call(
        admin,
        "frappe.client.get_value",
        doctype=bill,
        fieldname="total",
        filters={"subject": "Second"},
        as_dict=0,
    )
    assert _message(scalar) == 50
    values = _call(
        admin,
        "frappe.client.get_value",
        doctype=bill,
        fieldname='["subject","total"]',
        filters=[["total", ">", 60]],
        as_dict=0,
    )
    assert _message(values) == ["First", 100]
    function = _call(admin, "frappe.client.get_value", doctype=bill, fieldname={"SUM": "total", "as": "sum"})
    assert _message(function) == {"sum": 150}
    nothing = _call(
        admin, "frappe.client.get_value", doctype=bill, fieldname="subject", filters={"subject": "None"}
    )
    assert _message(nothing) == {}
    none = _call(
        admin,
        "frappe.client.get_value",
        doctype=bill,
        fieldname="subject",
        filters={"subject": "None"},
        as_dict=0,
    )
    assert none.status_code == 200 and "message" not in none.json()
    bad = _call(admin, "frappe.client.get_value", doctype=bill, fieldname="nope")
    assert bad.status_code == 417 and bad.json()["exc_type"] == "DataError"


def test_get_single_value_and_single_get_value(admin: SiteClient) -> None:
    value = _call(
        admin, "frappe.client.get_single_value", doctype="System Settings", field="allow_error_traceback"
    )
    assert value.status_code == 200 and value.json()["message"] in (0, 1)
    both = _call(
        admin, "frappe.client.get_value", doctype="System Settings", fieldname=["allow_error_traceback"]
    )
    assert set(_message(both)) == {"allow_error_traceback"}
    bad = _call(admin, "frappe.client.get_single_value", doctype="System Settings", field="nope")
    assert bad.status_code == 417 and bad.json()["exc_type"] == "DataError"


def test_get_by_name_and_by_filters(admin: SiteClient, shop: dict[str, Any]) -> None:
    by_name = _message(_call(admin, "frappe.client.get", doctype=shop["bill"], name=shop["bills"]["b1"]))
    assert by_name["subject"] == "First" and [r["sku"] for r in by_name["lines"]] == ["X", "Y"]
    by_filters = _message(
        _call(admin, "frappe.client.get", doctype=shop["bill"], filters={"subject": "Second"})
    )
    assert by_filters["name"] == shop["bills"]["b2"]
    missing = _call(admin, "frappe.client.get", doctype=shop["bill"], filters={"subject": "Nope"})
    assert missing.status_code == 404 and missing.json()["exc_type"] == "DoesNotExistError"
    single = _message(_call(admin, "frappe.client.get", doctype="System Settings"))
    assert single["doctype"] == "System Settings"


def test_get_count_with_filters(admin: SiteClient, shop: dict[str, Any]) -> None:
    assert _message(_call(admin, "frappe.client.get_count", doctype=shop["bill"])) == 2
    assert (
        _message(_call(admin, "frappe.client.get_count", doctype=shop["bill"], filters={"total": [">", 60]}))
        == 1
    )
    desk = _call(
        admin, "frappe.desk.reportview.get_count", doctype=shop["bill"], filters=[["lines.sku", "=", "X"]]
    )
    assert _message(desk) == 1


def test_search_link(admin: SiteClient, shop: dict[str, Any]) -> None:
    found = _message(_call(admin, "frappe.desk.search.search_link", doctype=shop["supplier"], txt="acme"))
    values = [r["value"] for r in found]
    assert set(values) == {shop["suppliers"]["acme"], shop["suppliers"]["zen"]}  # disabled one hidden
    first = next(r for r in found if r["value"] == shop["suppliers"]["acme"])
    assert first == {
        "value": shop["suppliers"]["acme"],
        "label": shop["suppliers"]["acme"],
        "description": "Acme Corp, Paris",
    }
    by_city = _message(_call(admin, "frappe.desk.search.search_link", doctype=shop["supplier"], txt="oslo"))
    assert [r["value"] for r in by_city] == [shop["suppliers"]["zen"]]
    everything = _message(_call(admin, "frappe.desk.search.search_link", doctype=shop["supplier"], txt="",
                                filters={"include_disabled": 1}, page_length=2))  # fmt: skip
    assert len(everything) == 2
    v2 = admin.get(
        f"/api/v2/doctype/{shop['supplier']}/search",
        params={"txt": "rome", "filters": '{"include_disabled": 1}'},
    )
    assert v2.status_code == 200 and [r["value"] for r in v2.json()["data"]] == [shop["suppliers"]["old"]]
    assert v2.headers["cache-control"] == "private,max-age=60,stale-while-revalidate=300"
    bad = _call(
        admin, "frappe.desk.search.search_link", doctype=shop["supplier"], txt="a", searchfield="name;drop"
    )
    assert bad.status_code == 417


def test_search_ranks_names_starting_with_txt_first(admin: SiteClient) -> None:
    name = _doctype(admin, f"CR Tag {secrets.token_hex(3)}", [], autoname="prompt")
    for tag in ("xbeta", "beta-two", "alpha-beta", "beta"):
        admin.post(f"/api/resource/{name}", json={"name": tag})
    found = _message(_call(admin, "frappe.desk.search.search_link", doctype=name, txt="beta"))
    assert [r["value"] for r in found] == ["beta", "beta-two", "alpha-beta", "xbeta"]


def test_expand_link_fields(admin: SiteClient, shop: dict[str, Any]) -> None:
    got = admin.get(f"/api/v2/document/{shop['bill']}", params={
        "fields": '["subject", "supplier"]', "expand": '["supplier"]', "order_by": "total desc"}).json()["data"]  # fmt: skip
    assert got[0]["subject"] == "First"
    assert (
        got[0]["supplier"]["supplier_name"] == "Acme Corp"
        and got[0]["supplier"]["name"] == shop["suppliers"]["acme"]
    )
    v1 = admin.get(f"/api/resource/{shop['bill']}", params={"fields": '["*"]', "expand": '["supplier"]',
                                                          "filters": '{"subject": "Second"}'}).json()["data"]  # fmt: skip
    assert v1[0]["supplier"]["city"] == "Oslo"
    not_selected = admin.get(
        f"/api/v2/document/{shop['bill']}", params={"fields": '["subject"]', "expand": '["supplier"]'}
    )
    assert all("supplier" not in r for r in not_selected.json()["data"])


def test_child_rows_with_parent_lists(admin: SiteClient, shop: dict[str, Any]) -> None:
    fields = json.dumps(["subject", {"lines": ["sku", "qty"]}])
    got = admin.get(
        f"/api/v2/document/{shop['bill']}", params={"fields": fields, "order_by": "total desc"}
    ).json()["data"]
    assert got == [
        {
            "subject": "First",
            "name": shop["bills"]["b1"],
            "lines": [{"sku": "X", "qty": 1}, {"sku": "Y", "qty": 2}],
        },
        {"subject": "Second", "name": shop["bills"]["b2"], "lines": []},
    ]
    bad = admin.get(f"/api/v2/document/{shop['bill']}", params={"fields": json.dumps([{"lines": ["nope"]}])})
    assert bad.status_code == 417


def test_include_count_is_capped(admin: SiteClient, site: Site) -> None:
    name = _doctype(admin, f"CR Many {secrets.token_hex(3)}", [{"fieldname": "n", "fieldtype": "Int"}])
    with site.unit_of_work(User.administrator()) as ctx:
        table = site.tables.get(site.metas.get(name, ctx.conn))
        ctx.conn.execute(insert(table), [{"name": f"m{i:05d}", "n": i, "creation": ctx.now(), "modified": ctx.now(),
                                          "owner": "Administrator", "modified_by": "Administrator"} for i in range(1005)])  # fmt: skip
    capped = admin.get(f"/api/v2/document/{name}", params={"include": "count", "limit": 5}).json()
    assert capped["count"] == 1000 and capped["count_capped"] is True and len(capped["data"]) == 5
    exact = admin.get(
        f"/api/v2/document/{name}", params={"include": "count", "filters": '[["n", "<", 10]]'}
    ).json()
    assert exact["count"] == 10 and exact["count_capped"] is False
    assert admin.get(f"/api/v2/doctype/{name}/count").json() == {"data": 1005}


def test_owner_only_user_sees_only_own_rows(admin: SiteClient, site: Site, sites_root: Any) -> None:
    tag = secrets.token_hex(3)
    role = f"CR Role {tag}"
    assert admin.post("/api/resource/Role", json={"role_name": role, "desk_access": 1}).status_code == 200
    email = f"cr-{tag}@example.com"
    made = admin.post(
        "/api/resource/User", json={"email": email, "first_name": "Owner", "roles": [{"role": role}]}
    )
    assert made.status_code == 200, made.text
    perms = [*PERMS, {"role": role, "read": 1, "write": 1, "create": 1, "if_owner": 1}]
    name = f"CR Private {tag}"
    body = {"name": name, "custom": 1, "module": "Custom", "permissions": perms,
            "fields": [{"fieldname": "label", "fieldtype": "Data"}]}  # fmt: skip
    assert admin.post("/api/resource/DocType", json=body).status_code == 200
    theirs = _insert(admin, name, {"label": "admin's"})
    user = SiteClient(site, sites_root, api_key_for(site, email))
    mine = _insert(user, name, {"label": "mine"})
    listed = user.get(f"/api/resource/{name}", params={"fields": '["name", "label"]'}).json()["data"]
    assert listed == [{"name": mine, "label": "mine"}]
    assert user.get(f"/api/v2/document/{name}", params={"include": "count"}).json()["count"] == 1
    assert _message(_call(user, "frappe.client.get_count", doctype=name)) == 1
    assert user.get(f"/api/v2/doctype/{name}/count").json() == {"data": 1}
    assert (
        _message(_call(user, "frappe.client.get_value", doctype=name, fieldname="label", filters=theirs))
        == {}
    )
    grouped = user.get(f"/api/resource/{name}", params={"fields": '["count(name) as n"]'}).json()["data"]
    assert grouped == [{"n": 1}]
    found = _message(_call(user, "frappe.desk.search.search_link", doctype=name, txt=""))
    assert [r["value"] for r in found] == [mine]
