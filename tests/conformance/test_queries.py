"""List, count and value queries on every backend: fields, filters, operators, NULL rules, paging.

Each module builds its own DocTypes (a parent, a child table, a Link target and a tree) with unique
names through the API and fills them with rows whose NULLs and values make every rule visible.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient

PERMS = [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}]


@dataclass
class World:
    """Names of this module's DocTypes and documents."""

    order: str
    item: str
    customer: str
    region: str
    orders: dict[str, str]
    customers: dict[str, str]


def _doctype(admin: SiteClient, name: str, fields: list[dict[str, Any]], **extra: Any) -> None:
    body = {"name": name, "custom": 1, "module": "Custom", "fields": fields, "permissions": PERMS, **extra}
    response = admin.post("/api/resource/DocType", json=body)
    assert response.status_code == 200, response.text


def _insert(admin: SiteClient, doctype: str, doc: dict[str, Any]) -> str:
    response = admin.post(f"/api/resource/{doctype}", json=doc)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["name"])


ORDERS = {
    "o1": {"title": "Alpha", "status": "Open", "amount": 10.5, "qty": 1, "posted": "2024-01-10",
           "at": "2024-01-10 08:30:00", "ready": 1, "cust": "c1", "notes": "first",
           "items": [{"item_code": "A", "qty": 2}, {"item_code": "B", "qty": 3}]},
    "o2": {"title": "Beta", "status": "Closed", "amount": 20, "qty": 2, "posted": "2024-02-15",
           "at": "2024-02-15 23:59:59", "ready": 0, "cust": "c2", "notes": "",
           "items": [{"item_code": "A", "qty": 1}]},
    "o3": {"title": "Gamma", "status": "Draft", "amount": 30, "qty": 3, "posted": "2024-03-01",
           "ready": 1, "cust": "c1", "items": []},
    "o4": {"title": "alphabet", "status": None, "amount": 0, "qty": 4, "posted": None,
           "ready": 0, "cust": None, "items": [{"item_code": "C", "qty": 5}]},
}  # fmt: skip


def _set_tree(site: Site, region: str, rows: dict[str, tuple[int, int]]) -> None:
    with site.unit_of_work(User.administrator()) as ctx:
        table = site.tables.get(site.metas.get(region, ctx.conn))
        for name, (lft, rgt) in rows.items():
            ctx.conn.execute(table.update().where(table.c.name == name).values(lft=lft, rgt=rgt))


@pytest.fixture(scope="module")
def world(admin: SiteClient, site: Site) -> Iterator[World]:
    tag = secrets.token_hex(3)
    region, customer = f"QT Region {tag}", f"QT Customer {tag}"
    item, order = f"QT Item {tag}", f"QT Order {tag}"
    _doctype(
        admin,
        region,
        [{"fieldname": "region_name", "fieldtype": "Data"}],
        is_tree=1,
        autoname="field:region_name",
    )
    _doctype(
        admin,
        customer,
        [
            {"fieldname": "customer_name", "fieldtype": "Data"},
            {"fieldname": "region", "fieldtype": "Link", "options": region},
            {"fieldname": "disabled", "fieldtype": "Check"},
        ],
        title_field="customer_name",
        search_fields="region",
    )
    _doctype(
        admin,
        item,
        [
            {"fieldname": "item_code", "fieldtype": "Data"},
            {"fieldname": "qty", "fieldtype": "Float"},
        ],
        istable=1,
    )
    _doctype(
        admin,
        order,
        [
            {"fieldname": "title", "fieldtype": "Data", "search_index": 1},
            {"fieldname": "status", "fieldtype": "Select", "options": "\nOpen\nClosed\nDraft"},
            {"fieldname": "amount", "fieldtype": "Float"},
            {"fieldname": "qty", "fieldtype": "Int"},
            {"fieldname": "posted", "fieldtype": "Date"},
            {"fieldname": "at", "fieldtype": "Datetime"},
            {"fieldname": "ready", "fieldtype": "Check"},
            {"fieldname": "customer", "fieldtype": "Link", "options": customer},
            {"fieldname": "notes", "fieldtype": "Small Text"},
            {"fieldname": "items", "fieldtype": "Table", "options": item},
        ],
    )
    for node in ("World", "Europe", "France", "Asia"):
        _insert(admin, region, {"region_name": node})
    _set_tree(site, region, {"World": (1, 8), "Europe": (2, 5), "France": (3, 4), "Asia": (6, 7)})
    customers = {
        "c1": _insert(admin, customer, {"customer_name": "Acme", "region": "France"}),
        "c2": _insert(admin, customer, {"customer_name": "Bolt", "region": "Asia"}),
        "c3": _insert(admin, customer, {"customer_name": "Acme Old", "region": "Europe", "disabled": 1}),
    }
    orders = {}
    for key, values in ORDERS.items():
        doc = {k: v for k, v in values.items() if k != "cust" and v is not None}
        if values["cust"]:
            doc["customer"] = customers[str(values["cust"])]
        orders[key] = _insert(admin, order, doc)
    yield World(order, item, customer, region, orders, customers)


def rows(admin: SiteClient, world: World, version: int = 1, **params: Any) -> Any:
    """GET a list with JSON-encoded list/dict parameters; returns the response."""
    encoded = {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in params.items()}
    url = f"/api/resource/{world.order}" if version == 1 else f"/api/v2/document/{world.order}"
    return admin.get(url, params=encoded)


def data(admin: SiteClient, world: World, version: int = 1, **params: Any) -> Any:
    response = rows(admin, world, version, **params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def titles(admin: SiteClient, world: World, version: int = 1, **params: Any) -> list[str]:
    params.setdefault("fields", ["title"])
    params.setdefault("order_by", "qty asc")
    return [r["title"] for r in data(admin, world, version, **params)]


def error(response: Any) -> tuple[int, str, str]:
    """(status, exception type, first message) of an error response (v1 or v2)."""
    body = response.json()
    if "errors" in body:
        return response.status_code, body["errors"][0]["type"], body["errors"][0].get("message", "")
    messages = [json.loads(m)["message"] for m in json.loads(body.get("_server_messages", "[]"))]
    return response.status_code, body["exc_type"], messages[0] if messages else ""


# -- fields -------------------------------------------------------------------------------------------


def test_plain_star_qualified_and_aliased_fields(admin: SiteClient, world: World) -> None:
    got = data(admin, world, fields=["name", f"`tab{world.order}`.`title`", "status as state", "qty AS 'n'"],
               filters={"title": "Alpha"})  # fmt: skip
    assert got == [{"name": world.orders["o1"], "title": "Alpha", "state": "Open", "n": 1}]
    star = data(admin, world, fields=["*"], filters={"title": "Beta"})[0]
    assert star["title"] == "Beta" and star["amount"] == 20 and star["posted"] == "2024-02-15"
    assert {"name", "owner", "creation", "modified", "modified_by", "docstatus", "idx"} <= set(star)
    assert "_user_tags" not in star and "items" not in star


def test_child_table_fields_join_one_row_per_child(admin: SiteClient, world: World) -> None:
    got = data(admin, world, fields=["title", "items.item_code", f"`tab{world.item}`.qty as child_qty"],
               filters={"title": ["in", ["Alpha", "Beta"]]}, order_by="title asc, items.item_code asc")  # fmt: skip
    assert got == [
        {"title": "Alpha", "item_code": "A", "child_qty": 2},
        {"title": "Alpha", "item_code": "B", "child_qty": 3},
        {"title": "Beta", "item_code": "A", "child_qty": 1},
    ]
    # Gamma has no rows: LEFT JOIN keeps it with NULLs
    gamma = data(admin, world, fields=["title", "items.qty"], filters={"title": "Gamma"})
    assert gamma == [{"title": "Gamma", "qty": None}]


def test_link_field_joins_the_target(admin: SiteClient, world: World) -> None:
    got = data(admin, world, fields=["title", "customer.customer_name as cname"], order_by="qty asc")
    assert got == [
        {"title": "Alpha", "cname": "Acme"},
        {"title": "Beta", "cname": "Bolt"},
        {"title": "Gamma", "cname": "Acme"},
        {"title": "alphabet", "cname": None},
    ]


def test_aggregates_with_aliases_and_group_by(admin: SiteClient, world: World) -> None:
    got = data(admin, world, fields=["count(name) as n", "sum(amount) as total", "avg(qty) as mean",
                                     "min(qty)", "max(posted) as last", "count(distinct customer) as buyers"])  # fmt: skip
    assert got == [{"n": 4, "total": 60.5, "mean": 2.5, "min(qty)": 1, "last": "2024-03-01", "buyers": 2}]
    grouped = data(admin, world, fields=["customer", "count(name) as n"], group_by="customer",
                   order_by="n desc, customer asc", filters={"customer": ["is", "set"]})  # fmt: skip
    assert grouped == [
        {"customer": world.customers["c1"], "n": 2},
        {"customer": world.customers["c2"], "n": 1},
    ]
    star = data(admin, world, fields=["count(*) as rows"], filters={"ready": 1})
    assert star == [{"rows": 2}]
    as_dict = data(admin, world, version=2, fields=[{"COUNT": "*", "as": "n"}, {"SUM": "qty"}])
    assert as_dict == [{"n": 4, "sum(qty)": 10}]


def test_group_by_selects_other_columns_on_every_backend(admin: SiteClient, world: World) -> None:
    got = data(
        admin, world, fields=["ready", "title", "count(name) as n"], group_by="ready", order_by="ready asc"
    )
    assert [(r["ready"], r["n"]) for r in got] == [(0, 2), (1, 2)]
    assert {r["title"] for r in got} <= {"Alpha", "Beta", "Gamma", "alphabet"}


def test_distinct(admin: SiteClient, world: World) -> None:
    got = data(admin, world, fields=["ready"], distinct=1)
    assert sorted(r["ready"] for r in got) == [0, 1]


@pytest.mark.parametrize(
    "field",
    ["nope", "title; drop table x", "(select name from tabUser)", "version()", "sum(title)", "count(*) as x; --",
     "items.nope", "customer.nope", "tabUser.name", "status.title", "title as `x`` y`", "concat(title, name)"],
)  # fmt: skip
def test_unknown_or_hostile_fields_are_417_data_errors(admin: SiteClient, world: World, field: str) -> None:
    status, kind, message = error(rows(admin, world, fields=[field]))
    assert (status, kind) == (417, "DataError")
    assert "not permitted" in message or "not a number" in message


# -- filters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "Open"},
        {"status": ["=", "Open"]},
        [["status", "=", "Open"]],
        [["status", "Open"]],
        ["status", "=", "Open"],
        "FILTER_4",
        '{"status": "Open"}',
    ],
)
def test_filter_shapes(admin: SiteClient, world: World, filters: Any) -> None:
    if filters == "FILTER_4":
        filters = [[world.order, "status", "=", "Open"]]
    assert titles(admin, world, filters=filters) == ["Alpha"]


def test_scalar_and_name_list_filters(admin: SiteClient, world: World) -> None:
    assert titles(admin, world, filters=json.dumps(world.orders["o2"])) == ["Beta"]
    assert titles(admin, world, filters=[world.orders["o1"], world.orders["o3"]]) == ["Alpha", "Gamma"]


def test_child_table_filters(admin: SiteClient, world: World) -> None:
    assert titles(admin, world, filters=[[world.item, "item_code", "=", "B"]]) == ["Alpha"]
    assert titles(admin, world, filters=[["items.qty", ">=", 5]]) == ["alphabet"]
    # a field only the child table has is applied to the child table (Frappe v1)
    assert titles(admin, world, filters={"item_code": "C"}) == ["alphabet"]
    # one parent row per matching child row, as in Frappe
    assert titles(admin, world, filters=[[world.item, "item_code", "in", ["A", "B"]]]) == [
        "Alpha",
        "Alpha",
        "Beta",
    ]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([["qty", ">", 2]], ["Gamma", "alphabet"]),
        ([["qty", "<", 2]], ["Alpha"]),
        ([["qty", ">=", 3]], ["Gamma", "alphabet"]),
        ([["qty", "<=", "2"]], ["Alpha", "Beta"]),
        ([["amount", "=", "20"]], ["Beta"]),
        ([["title", "like", "alph%"]], ["Alpha", "alphabet"]),
        ([["title", "not like", "%a"]], ["alphabet"]),
        ([["status", "in", ["Open", "Draft"]]], ["Alpha", "Gamma"]),
        ([["status", "in", "Open, Closed"]], ["Alpha", "Beta"]),
        ([["posted", "between", ["2024-01-01", "2024-02-15"]]], ["Alpha", "Beta"]),
        ([["at", "between", ["2024-02-15", "2024-02-15"]]], ["Beta"]),
        ([["qty", "between", [2, 3]]], ["Beta", "Gamma"]),
        ([["posted", "is", "set"]], ["Alpha", "Beta", "Gamma"]),
        ([["posted", "is", "not set"]], ["alphabet"]),
        ([["notes", "is", "set"]], ["Alpha"]),
        ([["notes", "is", "not set"]], ["Beta", "Gamma", "alphabet"]),
        ([["ready", "=", True]], ["Alpha", "Gamma"]),
        ([["posted", ">", "2024-01-31"]], ["Beta", "Gamma"]),
        ([["at", ">=", "2024-02-15 23:00"]], ["Beta"]),
    ],
)
def test_operators(admin: SiteClient, world: World, filters: Any, expected: list[str]) -> None:
    assert titles(admin, world, filters=filters) == expected
    assert titles(admin, world, version=2, filters=filters) == expected


@pytest.mark.parametrize(
    ("filters", "v1", "v2"),
    [
        ([["status", "!=", "Open"]], ["Beta", "Gamma", "alphabet"], ["Beta", "Gamma"]),
        ([["status", "not in", ["Open"]]], ["Beta", "Gamma", "alphabet"], ["Beta", "Gamma"]),
        ([["status", "not in", "Open, Draft"]], ["Beta", "alphabet"], ["Beta"]),
        ([["status", "=", ""]], ["alphabet"], []),
        ([["notes", "not like", "f%"]], ["Beta", "Gamma", "alphabet"], ["Beta"]),
        ([["posted", "<", "2024-02-01"]], ["Alpha", "alphabet"], ["Alpha"]),
        ([["status", "in", []]], ["alphabet"], []),
        ([["status", "not in", []]], ["Alpha", "Beta", "Gamma"], ["Alpha", "Beta", "Gamma", "alphabet"]),
    ],
)
def test_v1_ifnull_and_v2_plain_null_rules(
    admin: SiteClient, world: World, filters: Any, v1: list[str], v2: list[str]
) -> None:
    assert titles(admin, world, filters=filters) == v1
    assert titles(admin, world, version=2, filters=filters) == v2


def test_timespan_previous_and_next(admin: SiteClient, world: World) -> None:
    assert titles(admin, world, filters=[["posted", "timespan", "last year"]]) == []
    assert titles(admin, world, filters=[["creation", "timespan", "today"]]) == [
        "Alpha",
        "Beta",
        "Gamma",
        "alphabet",
    ]
    assert titles(admin, world, filters=[["creation", "previous", "1 week"]]) == []
    assert titles(admin, world, filters=[["creation", "next", "1 month"]]) == []
    status, kind, _ = error(rows(admin, world, filters=[["posted", "timespan", "someday"]]))
    assert (status, kind) == (417, "DataError")


def test_tree_operators(admin: SiteClient, world: World) -> None:
    def names(**filters: Any) -> list[str]:
        got = admin.get(f"/api/resource/{world.customer}", params={
            "fields": json.dumps(["customer_name"]), "order_by": "customer_name asc",
            "filters": json.dumps([["region", op, value] for op, value in filters.values()])})  # fmt: skip
        assert got.status_code == 200, got.text
        return [r["customer_name"] for r in got.json()["data"]]

    assert names(a=("descendants of", "Europe")) == ["Acme"]
    assert names(a=("descendants of (inclusive)", "Europe")) == ["Acme", "Acme Old"]
    assert names(a=("not descendants of", "Europe")) == ["Acme Old", "Bolt"]
    assert names(a=("ancestors of", "France")) == ["Acme Old"]
    assert names(a=("not ancestors of", "France")) == ["Acme", "Bolt"]
    assert names(a=("descendants of", "Nowhere")) == []
    regions = admin.get(f"/api/resource/{world.region}", params={
        "filters": json.dumps([["name", "descendants of", "World"]]), "order_by": "lft asc"}).json()["data"]  # fmt: skip
    assert [r["name"] for r in regions] == ["Europe", "France", "Asia"]
    status, kind, _ = error(rows(admin, world, filters=[["title", "descendants of", "x"]]))
    assert (status, kind) == (417, "DataError")


def test_or_filters_are_anded_with_filters(admin: SiteClient, world: World) -> None:
    got = titles(admin, world, filters={"ready": 1}, or_filters=[["title", "=", "Alpha"], ["qty", ">", 2]])
    assert got == ["Alpha", "Gamma"]
    assert titles(admin, world, or_filters={"title": "Beta", "qty": 4}) == ["Beta", "alphabet"]


def test_nested_filter_groups_in_v2(admin: SiteClient, world: World) -> None:
    left_to_right = [["status", "=", "Open"], "or", ["status", "=", "Closed"], "and", ["ready", "=", 0]]
    assert titles(admin, world, version=2, filters=left_to_right) == ["Beta"]
    grouped = [[["qty", "=", 1], "or", ["qty", "=", 4]], ["ready", "=", 0]]
    assert titles(admin, world, version=2, filters=grouped) == ["alphabet"]
    status, kind, message = error(rows(admin, world, 2, filters=[["qty", "=", 1], "xor", ["qty", "=", 2]]))
    assert (status, kind) == (417, "ValidationError")
    assert message == "Error parsing nested filters: Expected 'and' or 'or' operator, found: xor"
    status, kind, message = error(rows(admin, world, 2, filters=[["qty", "=", 1], "or"]))
    assert message == "Error parsing nested filters: Filter condition missing after operator: or"


@pytest.mark.parametrize(
    "filters",
    [{"qty": "abc"}, {"posted": "2024-13-45"}, [["status", "===", "x"]], [["title", "in", {"a": 1}]],
     [["status", "is", "maybe"]], {"title": "a\u0000b"}, [["qty", "between", [1]]], {"nope": 1}, "[broken"],
)  # fmt: skip
def test_bad_filters_are_417(admin: SiteClient, world: World, filters: Any) -> None:
    status, kind, _ = error(rows(admin, world, filters=filters))
    assert status == 417 and kind in ("DataError", "ValidationError")


# -- ordering, paging, shapes -------------------------------------------------------------------------


def test_order_by_several_columns_and_directions(admin: SiteClient, world: World) -> None:
    assert titles(admin, world, order_by="ready desc, qty desc") == ["Gamma", "Alpha", "alphabet", "Beta"]
    assert titles(admin, world, order_by=f"`tab{world.order}`.`amount` desc") == [
        "Gamma",
        "Beta",
        "Alpha",
        "alphabet",
    ]
    # v1 defaults to ASC, v2 to DESC
    assert titles(admin, world, order_by="qty") == ["Alpha", "Beta", "Gamma", "alphabet"]
    assert titles(admin, world, version=2, order_by="qty") == ["alphabet", "Gamma", "Beta", "Alpha"]
    status, kind, _ = error(rows(admin, world, order_by="qty sideways"))
    assert (status, kind) == (417, "ValidationError")
    status, kind, message = error(rows(admin, world, order_by="items.qty"))
    assert (status, kind) == (417, "ValidationError") and "sort/group" in message


def test_default_sort_is_creation_desc(admin: SiteClient, world: World) -> None:
    params = {"fields": ["title"]}
    assert [r["title"] for r in data(admin, world, **params)] == ["alphabet", "Gamma", "Beta", "Alpha"]
    assert [r["title"] for r in data(admin, world, 2, **params)] == ["alphabet", "Gamma", "Beta", "Alpha"]


def test_doctype_sort_field_and_order(admin: SiteClient) -> None:
    name = f"QT Sorted {secrets.token_hex(3)}"
    _doctype(admin, name, [{"fieldname": "rank", "fieldtype": "Int"}], sort_field="rank", sort_order="ASC")
    for rank in (3, 1, 2):
        _insert(admin, name, {"rank": rank})
    got = admin.get(f"/api/resource/{name}", params={"fields": '["rank"]'}).json()["data"]
    assert [r["rank"] for r in got] == [1, 2, 3]


def test_v1_paging(admin: SiteClient, world: World) -> None:
    assert titles(admin, world, limit_page_length=2) == ["Alpha", "Beta"]
    assert titles(admin, world, limit_page_length=2, limit_start=2) == ["Gamma", "alphabet"]
    assert titles(admin, world, limit=3) == ["Alpha", "Beta", "Gamma"]
    assert titles(admin, world, limit_page_length=0) == ["Alpha", "Beta", "Gamma", "alphabet"]
    assert titles(admin, world, start=2, limit_page_length=2) == ["Alpha", "Beta"]  # v1 ignores start


def test_v2_paging_and_has_next_page(admin: SiteClient, world: World) -> None:
    first = rows(admin, world, 2, fields=["title"], order_by="qty asc", limit=3).json()
    assert [r["title"] for r in first["data"]] == ["Alpha", "Beta", "Gamma"] and first[
        "has_next_page"
    ] is True
    last = rows(admin, world, 2, fields=["title"], order_by="qty asc", limit=3, start=3).json()
    assert [r["title"] for r in last["data"]] == ["alphabet"] and last["has_next_page"] is False
    legacy = rows(admin, world, 2, fields=["title"], order_by="qty asc", limit=1, limit_start=1).json()
    assert [r["title"] for r in legacy["data"]] == ["Beta"]


def test_as_dict_false_returns_lists(admin: SiteClient, world: World) -> None:
    got = data(admin, world, fields=["title", "qty"], order_by="qty asc", as_dict=0, limit=2)
    assert got == [["Alpha", 1], ["Beta", 2]]
    assert data(admin, world, 2, fields=["title"], order_by="qty asc", as_dict="false", limit=1) == [
        ["Alpha"]
    ]


# -- counts ---------------------------------------------------------------------------------------------


def test_counts(admin: SiteClient, world: World) -> None:
    count = admin.get("/api/method/frappe.client.get_count", params={"doctype": world.order,
                      "filters": json.dumps({"ready": 1})})  # fmt: skip
    assert count.json() == {"message": 2}
    v2 = admin.get(
        f"/api/v2/doctype/{world.order}/count", params={"filters": json.dumps([["status", "!=", "Open"]])}
    )
    assert v2.json() == {"data": 3}  # report-view counting: v1 NULL rules
    child = admin.get(
        f"/api/v2/doctype/{world.order}/count",
        params={"filters": json.dumps([["items.item_code", "=", "A"]])},
    )
    assert child.json() == {"data": 2}
    capped = admin.get(f"/api/v2/doctype/{world.order}/count", params={"limit": 2})
    assert capped.json() == {"data": 2} and capped.headers["cache-control"].startswith("private,max-age=600")
    both = rows(admin, world, 2, fields=["title"], limit=1, include="count", filters={"ready": 0}).json()
    assert both["count"] == 2 and both["count_capped"] is False and len(both["data"]) == 1
    unknown = rows(admin, world, 2, include="count,nope")
    assert error(unknown)[:2] == (417, "ValidationError")


@pytest.mark.parametrize(
    "filters",
    [
        {"ready": 32768},
        {"qty": 2**40},
        [["amount", ">", 1e20]],
        [["docstatus", "in", [70000]]],
        [["idx", "between", [2**33, 2**34]]],
    ],
)
def test_numbers_beyond_a_columns_range_match_nothing(admin: SiteClient, world: World, filters: Any) -> None:
    assert titles(admin, world, filters=filters) == []
    assert titles(admin, world, version=2, filters=filters) == []
