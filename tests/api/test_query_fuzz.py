"""Property test: random and hostile list/count parameters never break the API or leak rows.

Hypothesis throws ``fields``, ``filters``, ``or_filters``, ``order_by``, ``group_by`` and paging
values at the v1 and v2 list endpoints, the v2 count and the ``frappe.client`` read methods, as a
user who may only read their own documents. Every answer must be a 2xx or a 4xx in Frappe's error
format, never a 500 or a database error text, and never contain another user's row.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docframe.sites import Site
from tests.conftest import SiteClient, api_key_for

DB_TEXT = (
    "sqlalchemy.exc",
    "psycopg.errors",
    "pymysql.err",
    "sqlite3.OperationalError",
    "[SQL:",
    "(Background on",
)


@dataclass
class Target:
    """The DocTypes, the restricted user's client and the names it may see."""

    doctype: str
    child: str
    user: SiteClient
    email: str
    mine: set[str]


@pytest.fixture(scope="module")
def target(admin: SiteClient, site: Site, sites_root: Any) -> Target:
    tag = secrets.token_hex(3)
    role = f"Fuzz Role {tag}"
    assert admin.post("/api/resource/Role", json={"role_name": role, "desk_access": 1}).status_code == 200
    email = f"fuzz-{tag}@example.com"
    made = admin.post(
        "/api/resource/User", json={"email": email, "first_name": "Fuzz", "roles": [{"role": role}]}
    )
    assert made.status_code == 200, made.text
    child = f"Fuzz Row {tag}"
    doctype = f"Fuzz Doc {tag}"
    perms = [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}]
    child_body = {"name": child, "custom": 1, "module": "Custom", "istable": 1, "permissions": [],
                  "fields": [{"fieldname": "code", "fieldtype": "Data"}, {"fieldname": "n", "fieldtype": "Int"}]}  # fmt: skip
    assert admin.post("/api/resource/DocType", json=child_body).status_code == 200
    fields = [
        {"fieldname": "title", "fieldtype": "Data"},
        {"fieldname": "amount", "fieldtype": "Currency"},
        {"fieldname": "day", "fieldtype": "Date"},
        {"fieldname": "at", "fieldtype": "Datetime"},
        {"fieldname": "flag", "fieldtype": "Check"},
        {"fieldname": "kind", "fieldtype": "Select", "options": "A\nB"},
        {"fieldname": "other", "fieldtype": "Link", "options": "User"},
        {"fieldname": "rows", "fieldtype": "Table", "options": child},
    ]
    body = {"name": doctype, "custom": 1, "module": "Custom", "fields": fields,
            "permissions": [*perms, {"role": role, "read": 1, "write": 1, "create": 1, "if_owner": 1}]}  # fmt: skip
    assert admin.post("/api/resource/DocType", json=body).status_code == 200
    doc = {"title": "secret", "amount": 5, "day": "2024-01-01", "kind": "A", "rows": [{"code": "x", "n": 1}]}
    assert admin.post(f"/api/resource/{doctype}", json=doc).status_code == 200
    user = SiteClient(site, sites_root, api_key_for(site, email))
    mine = set()
    for i in range(2):
        mine_doc = {
            "title": f"mine {i}",
            "amount": i,
            "flag": i,
            "kind": "B",
            "rows": [{"code": "y", "n": i}],
        }
        response = user.post(f"/api/resource/{doctype}", json=mine_doc)
        assert response.status_code == 200, response.text
        mine.add(response.json()["data"]["name"])
    return Target(doctype, child, user, email, mine)


COLUMNS = ["name", "title", "amount", "day", "at", "flag", "kind", "other", "owner", "creation", "modified",
           "docstatus", "idx", "_assign", "_seen", "rows.code", "rows.n", "other.full_name", "other.api_key"]  # fmt: skip
HOSTILE = [
    "1=1", "name; drop table tabUser", "(select name from tabUser)", "sleep(1)", "`tabUser`.`name`",
    "tabUser.api_secret", "name as `x`", "count(*)", "count(distinct name)", "sum(title)", "max(day) as m",
    "'", '"', "`", "\\", "%", "name--", "/* */", "@@version", "version()", "name,title", "",
    "\x00", "ü", "a" * 300, "name desc", "1", "0", "-1", "NULL", "*", "rows.*", "title as",
    "concat(name, title)", "locate('a', name)", "name collate utf8mb4_bin", "name)", "(name",
]  # fmt: skip
OPERATORS = ["=", "!=", ">", "<", ">=", "<=", "like", "not like", "in", "not in", "is", "between",
             "timespan", "previous", "next", "descendants of", "ancestors of", "not descendants of",
             "<>", "LIKE", "regexp", "= 1 or 1=1 --", ""]  # fmt: skip

names = st.one_of(st.sampled_from(COLUMNS), st.sampled_from(HOSTILE), st.text(max_size=20))
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["2024-01-01", "2024-13-45", "set", "not set", "last week", "1 week", "%", "a,b", "today"]),
)  # fmt: skip
values = st.one_of(
    scalars, st.lists(scalars, max_size=4), st.dictionaries(st.text(max_size=5), scalars, max_size=2)
)
conditions = st.one_of(
    st.tuples(names, st.sampled_from(OPERATORS), values).map(list),
    st.tuples(names, values).map(list),
    st.tuples(st.sampled_from(["", "Fuzz", "User", "ToDo"]), names, st.sampled_from(OPERATORS), values).map(
        list
    ),
)
flat_filters = st.one_of(
    st.none(),
    st.lists(conditions, max_size=3),
    st.dictionaries(
        names, st.one_of(scalars, st.tuples(st.sampled_from(OPERATORS), values).map(list)), max_size=3
    ),
    scalars,
)
nested_filters = st.recursive(
    st.lists(conditions, min_size=1, max_size=2),
    lambda inner: st.tuples(inner, st.sampled_from(["and", "or", "xor", 1]), inner).map(list),
    max_leaves=4,
)
filters = st.one_of(flat_filters, nested_filters, st.text(max_size=20))
fields = st.one_of(
    st.none(),
    st.lists(st.one_of(names, st.dictionaries(st.sampled_from(["COUNT", "SUM", "as", "rows", "X"]), names, max_size=2)),
             max_size=4),
    names,
)  # fmt: skip
orderings = st.one_of(
    st.none(),
    st.lists(st.tuples(names, st.sampled_from(["", " asc", " desc", " DESC", " sideways"])), max_size=3).map(
        lambda items: ", ".join(n + d for n, d in items)
    ),
    st.text(max_size=30),
)
numbers = st.one_of(st.none(), st.integers(min_value=-5, max_value=2**64), st.sampled_from(["x", "1.5", ""]))


def _encode(params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = json.dumps(value) if not isinstance(value, str) else value
    return out


FRAPPE_ERRORS = {
    "DataError", "ValidationError", "PermissionError", "DoesNotExistError", "FrappeTypeError", "FrappeValueError",
}  # fmt: skip


def _post(client: SiteClient, url: str, payload: dict[str, Any]) -> Any:
    """POST a JSON body (``json.dumps`` also writes NaN and Infinity, which the server must refuse)."""
    return client.post(url, content=json.dumps(payload), headers={"Content-Type": "application/json"})


def _check(response: Any, target: Target) -> None:
    text = response.text
    assert response.status_code < 500, text[:2000]
    assert not any(marker in text for marker in DB_TEXT), text[:2000]
    body = response.json()
    if response.status_code >= 400:
        kind = body.get("exc_type") or body["errors"][0]["type"]
        assert kind in FRAPPE_ERRORS, body
        return
    result = body.get("data", body.get("message"))
    for row in result if isinstance(result, list) else [result]:
        if isinstance(row, dict):
            assert not isinstance(row.get("name"), str) or row["name"] in target.mine, row
            assert row.get("owner") in (None, target.email), row
            assert "secret" not in json.dumps(row, default=str), row
    count = body.get(
        "count", result if "count" in response.url.path or "get_count" in response.url.path else None
    )
    if isinstance(count, int) and not isinstance(count, bool):
        assert count <= len(target.mine) * 2, body


ENDPOINTS = ["v1", "v2", "v2count", "get_list", "get_count", "get_value"]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    fields=fields,
    filters=filters,
    or_filters=flat_filters,
    order_by=orderings,
    group_by=orderings,
    start=numbers,
    limit=numbers,
)
def test_hostile_list_parameters(
    target: Target, endpoint: str, fields: Any, filters: Any, or_filters: Any, order_by: Any, group_by: Any,
    start: Any, limit: Any,
) -> None:  # fmt: skip
    params = {"fields": fields, "filters": filters, "or_filters": or_filters, "order_by": order_by,
              "group_by": group_by, "limit_start": start, "limit": limit, "start": start}  # fmt: skip
    client, doctype = target.user, target.doctype
    if endpoint == "v1":
        response = client.get(f"/api/resource/{doctype}", params=_encode(params))
    elif endpoint == "v2":
        response = client.get(f"/api/v2/document/{doctype}", params=_encode({**params, "include": "count"}))
    elif endpoint == "v2count":
        response = client.get(f"/api/v2/doctype/{doctype}/count", params=_encode(params))
    elif endpoint == "get_value":
        payload = {"doctype": doctype, "fieldname": fields or "name", "filters": filters}
        response = _post(client, "/api/method/frappe.client.get_value", payload)
    else:
        payload = {"doctype": doctype, **{k: v for k, v in params.items() if v is not None}}
        response = _post(client, f"/api/method/frappe.client.{endpoint}", payload)
    _check(response, target)


VALID_OPERATORS = [
    "=",
    "!=",
    ">",
    "<",
    ">=",
    "<=",
    "like",
    "not like",
    "in",
    "not in",
    "is",
    "between",
    "timespan",
]
valid_conditions = st.tuples(st.sampled_from(COLUMNS[:-3]), st.sampled_from(VALID_OPERATORS), values).map(
    list
)
valid_fields = st.lists(
    st.one_of(
        st.sampled_from(COLUMNS[:-1]),
        st.tuples(st.sampled_from(["count", "sum", "min", "max", "avg"]), st.sampled_from(COLUMNS[:-3])).map(
            lambda p: f"{p[0]}({p[1]}) as agg_{p[0]}"
        ),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    version=st.sampled_from(["v1", "v2"]),
    fields=valid_fields,
    filters=st.lists(valid_conditions, max_size=3),
    order_by=st.lists(
        st.tuples(st.sampled_from(COLUMNS[:-3]), st.sampled_from(["", " asc", " desc"])), max_size=2
    ),
    group_by=st.one_of(st.none(), st.sampled_from(COLUMNS[:-3])),
    distinct=st.booleans(),
)
def test_mostly_valid_parameters_run_on_the_database(
    target: Target, version: str, fields: Any, filters: Any, order_by: Any, group_by: Any, distinct: bool
) -> None:
    params = {"fields": fields, "filters": filters, "order_by": ", ".join(n + d for n, d in order_by),
              "group_by": group_by, "distinct": int(distinct)}  # fmt: skip
    url = f"/api/resource/{target.doctype}" if version == "v1" else f"/api/v2/document/{target.doctype}"
    _check(target.user.get(url, params=_encode(params)), target)


def test_known_attacks_are_refused_without_leaks(target: Target) -> None:
    attacks = [
        {"fields": '["name", "other.api_key"]'},
        {"fields": '["`tabUser`.`api_secret`"]'},
        {"filters": '[["name", "=", "x\' OR 1=1 --"]]'},
        {"order_by": "(select api_key from tabUser limit 1)"},
        {"group_by": "name; drop table tabUser"},
        {"filters": '[["User", "name", "like", "%"]]'},
    ]
    for params in attacks:
        response = target.user.get(f"/api/resource/{target.doctype}", params=params)
        _check(response, target)
    leaked = target.user.get(
        f"/api/resource/{target.doctype}", params={"fields": '["name", "other.api_key"]'}
    )
    assert leaked.status_code in (200, 403, 417)
