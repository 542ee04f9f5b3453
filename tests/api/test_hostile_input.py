"""Hostile input never makes a 5xx or shows SQL (issue 10, finding 7 and the hostile-input campaign).

First the cases the black-box test found: filters nested about 1,000 levels deep (a
``RecursionError``), an aggregate in ``order_by`` on a list that does not aggregate (a database
error whose text showed the SQL), and a Unicode digit (``²`` passes ``str.isdigit``) as an
``order_by`` position or an autoincrement name. Then a Hypothesis campaign: deep nesting, huge and
malformed bodies, control characters, SQL fragments and functions in every parameter, over v1, v2
and ``frappe.client``, as a desk user and as Guest. Every answer is a 2xx or a 4xx in Frappe's
error format, and no answer contains SQL or a database driver's text.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from docframe.sites import Site
from tests.api.test_permissions_matrix import make_role, make_user, ok, rule
from tests.conftest import SiteClient

#: Text that only a database error or an SQL statement would put in a response.
#: (Frappe shows System Users the traceback of an error: that is allowed, SQL in it is not.)
SQL_TEXT = (
    "sqlalchemy", "psycopg", "pymysql", "sqlite3", "[SQL:", "(Background on", "SELECT ", " FROM ",
    "WHERE ", "ORDER BY ", "OperationalError", "ProgrammingError", "InternalError",
)  # fmt: skip


SECRET = "zq-level-one-value"


@dataclass
class Hostile:
    doctype: str
    auto: str
    user: SiteClient
    guest: SiteClient


@pytest.fixture(scope="module")
def hostile(admin: SiteClient, site: Site, sites_root: Path) -> Hostile:
    tag = secrets.token_hex(3)
    role = make_role(admin, "Hostile")
    doctype, auto, row = f"Hostile Doc {tag}", f"Hostile Auto {tag}", f"Hostile Row {tag}"
    ok(admin.post("/api/resource/DocType", json={
        "name": row, "custom": 1, "module": "Custom", "istable": 1, "autoname": "autoincrement",
        "fields": [{"fieldname": "code", "fieldtype": "Data"}],
    }))  # fmt: skip
    for name, extra in ((doctype, {}), (auto, {"autoname": "autoincrement"})):
        ok(admin.post("/api/resource/DocType", json={
            "name": name, "custom": 1, "module": "Custom", **extra,
            "fields": [{"fieldname": "title", "fieldtype": "Data"},
                       {"fieldname": "qty", "fieldtype": "Int"},
                       {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
                       {"fieldname": "rows", "fieldtype": "Table", "options": row}],
            "permissions": [rule(role, read=1, write=1, create=1)],
        }))  # fmt: skip
    user = make_user(admin, sites_root, [role])
    ok(admin.post(f"/api/resource/{doctype}", json={"title": "kept", "secret": SECRET}))
    for i in range(3):
        ok(user.post(f"/api/resource/{doctype}", json={"title": f"t{i}", "qty": i}))
        ok(user.post(f"/api/resource/{auto}", json={"title": f"a{i}", "qty": i}))
    return Hostile(doctype, auto, user, SiteClient(site, sites_root))


def clean(response: Any) -> Any:
    """A 2xx or a 4xx in Frappe's error format, without SQL or driver text."""
    text = response.text
    assert response.status_code < 500, text[:3000]
    assert not any(marker in text for marker in SQL_TEXT), text[:3000]
    if response.status_code >= 400 and text.strip():
        body = response.json()
        assert body.get("exc_type") or body.get("errors") or body.get("exception"), body
    return response


def deep(depth: int) -> str:
    """``[[[...["title", "=", "x"]...]]]`` as JSON text (``json.dumps`` itself stops near 1,000)."""
    return "[" * depth + '["title", "=", "x"]' + "]" * depth


def deep_groups(depth: int) -> str:
    """``[[[c], "or", [c]], "or", [c]] ...`` nested ``depth`` times, as JSON text."""
    return "[" * depth + '[["title", "=", "x"]]' + ', "or", [["title", "=", "y"]]]' * depth


@pytest.mark.parametrize("depth", [20, 1000, 5000])
def test_deeply_nested_filters_are_a_4xx(hostile: Hostile, depth: int) -> None:
    h, client = hostile, hostile.user
    for text in (deep(depth), deep_groups(depth), '{"title": ' + deep(depth) + "}"):
        body = '{"doctype": "' + h.doctype + '", "fieldname": "title", "filters": ' + text + "}"
        urls = [(f"/api/resource/{h.doctype}", "filters"), (f"/api/resource/{h.doctype}", "or_filters"),
                (f"/api/v2/document/{h.doctype}", "filters"), (f"/api/v2/doctype/{h.doctype}/count", "filters")]  # fmt: skip
        in_url = len(text) < 8_000  # longer query strings are refused by the client library itself
        answers = [client.get(url, params={key: text}) for url, key in urls if in_url]
        answers += [
            client.post(
                "/api/v2/method/frappe.client.get_list", data={"doctype": h.doctype, "filters": text}
            ),
            client.post("/api/method/frappe.client.get_list", json={"doctype": h.doctype, "filters": text}),
            client.post("/api/method/frappe.client.get_count", data={"doctype": h.doctype, "filters": text}),
            client.post(
                "/api/method/frappe.client.get_value",
                content=body.encode(),
                headers={"Content-Type": "application/json"},
            ),
        ]
        for response in answers:
            clean(response)
            assert 400 <= response.status_code < 500, response.text[:500]


@pytest.mark.parametrize(
    "order_by",
    ["count(*)", "sum(idx) desc", "count(name)", "max(qty), title", "avg(qty) asc", "min(creation)"],
)
def test_aggregates_in_order_by_of_a_plain_list_are_a_417(hostile: Hostile, order_by: str) -> None:
    h, client = hostile, hostile.user
    for response in (
        client.get(f"/api/resource/{h.doctype}", params={"order_by": order_by}),
        client.get(f"/api/v2/document/{h.doctype}", params={"order_by": order_by}),
        client.post("/api/method/frappe.client.get_list", json={"doctype": h.doctype, "order_by": order_by}),
    ):
        assert clean(response).status_code == 417, response.text
    grouped = client.get(
        f"/api/resource/{h.doctype}",
        params={"fields": '["title", "count(name) as n"]', "group_by": "title", "order_by": order_by},
    )
    assert clean(grouped).status_code == 200  # with a grouping the same ordering is fine


@pytest.mark.parametrize("position", ["\u00b2", "\u0661", "\U0001d7d9", "1\u00b2", "\u00b3 desc"])
def test_unicode_digits_as_order_by_positions_are_a_4xx(hostile: Hostile, position: str) -> None:
    h, client = hostile, hostile.user
    for response in (
        client.get(f"/api/v2/document/{h.doctype}", params={"fields": '["title"]', "order_by": position}),
        client.get(f"/api/resource/{h.doctype}", params={"fields": '["title"]', "order_by": position}),
        client.post("/api/method/frappe.client.get_list", json={"doctype": h.doctype, "order_by": position}),
    ):
        assert 400 <= clean(response).status_code < 500, response.text
    by_position = client.get(
        f"/api/v2/document/{h.doctype}", params={"fields": '["qty"]', "order_by": "1 desc"}
    )
    qtys = [r["qty"] for r in ok(by_position)["data"]]
    assert qtys == sorted(qtys, reverse=True) and qtys[0] == 2


@pytest.mark.parametrize("name", ["\u00b2", "\u0661\u0662", "\U0001d7d9", " \u00b2 "])
def test_unicode_digits_as_autoincrement_names_are_a_4xx(hostile: Hostile, name: str) -> None:
    h, client = hostile, hostile.user
    clean(client.get(f"/api/resource/{h.auto}/{name}"))
    clean(client.get(f"/api/v2/document/{h.auto}/{name}"))
    clean(client.put(f"/api/resource/{h.auto}/{name}", json={"title": "x"}))
    clean(client.delete(f"/api/v2/document/{h.auto}/{name}"))
    made = client.post(f"/api/resource/{h.auto}", json={"title": "x", "name": name})
    assert clean(made).status_code in (200, 417)
    first = ok(client.get(f"/api/resource/{h.auto}", params={"order_by": "name asc", "limit": 1}))["data"][0]
    for url in (f"/api/resource/{h.auto}/{first['name']}", f"/api/v2/document/{h.auto}/{first['name']}"):
        with_row = client.put(url, json={"title": "rows", "rows": [{"name": name, "code": "c"}]})
        assert clean(with_row).status_code == 417, with_row.text
    new_with_row = client.post(f"/api/resource/{h.doctype}", json={"rows": [{"name": name, "code": "c"}]})
    assert clean(new_with_row).status_code == 417, new_with_row.text
    for filters in ([["name", "=", name]], [["name", "in", [name, "1"]]], {"name": [">", name]}):
        listed = client.get(f"/api/resource/{h.auto}", params={"filters": json.dumps(filters)})
        assert clean(listed).status_code in (200, 417)


# -- the campaign ---------------------------------------------------------------------------------------

SQL = [
    "1=1", "' or '1'='1", "name; drop table tabUser", "(select name from tabUser)", "sleep(5)",
    "pg_sleep(5)", "benchmark(1000000,md5(1))", "`tabUser`.`api_secret`", "tabUser.name",
    "name union select name from tabUser", "count(*)", "sum(idx) desc", "count(distinct name)",
    "max(secret)", "group_concat(name)", "string_agg(name, ',')", "concat(name, title)",
    "if(1,name,title)", "case when 1 then name end", "name collate nocase", "@@version", "version()",
    "current_user", "name--", "/* */name", "name#", "\\", "'", '"', "`", "%", "_", "*", "1", "²", "-1",
    "0x41", "NULL", "name desc, title asc", "name asc asc", "lower(name)", "cast(name as int)",
]  # fmt: skip
CONTROL = ["\x00", "\x01", "\x1b[2J", "\r\n", "\u2028", "\ud7ff", "\ufeff", "a\x00b", "\t", "\x7f"]
fragments = st.one_of(
    st.sampled_from(SQL),
    st.sampled_from(CONTROL),
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=400),
)
scalars = st.one_of(
    fragments, st.none(), st.booleans(), st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
)  # fmt: skip
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(fragments, st.sampled_from(["title"])), inner, max_size=3),
    ),
    max_leaves=12,
)
PARAMS = ["fields", "filters", "or_filters", "order_by", "group_by", "limit", "limit_start", "start",
          "limit_page_length", "distinct", "as_dict", "expand", "fieldname", "txt", "searchfield",
          "page_length", "parent", "include", "debug", "name", "doctype"]  # fmt: skip


def _param(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)  # fmt: skip
@given(
    surface=st.sampled_from(["v1", "v2", "v2count", "v2search", "v1doc", "v2doc", "get_list", "get_count",
                             "get_value", "get", "search_link", "search_widget", "reportview"]),
    params=st.dictionaries(st.sampled_from(PARAMS), json_values, max_size=5),
    as_json=st.booleans(),
    as_guest=st.booleans(),
)  # fmt: skip
def test_hostile_parameters_everywhere(
    hostile: Hostile, surface: str, params: dict[str, Any], as_json: bool, as_guest: bool
) -> None:
    h = hostile
    client = h.guest if as_guest else h.user
    params = {k: v for k, v in params.items() if k != "doctype"}
    doctype = h.doctype
    name = str(params.get("name", "x"))[:100] or "x"
    if surface in ("v1", "v2", "v2count", "v2search", "v1doc", "v2doc"):
        query = {k: _param(v) for k, v in params.items() if v is not None}
        url = {
            "v1": f"/api/resource/{doctype}",
            "v2": f"/api/v2/document/{doctype}",
            "v2count": f"/api/v2/doctype/{doctype}/count",
            "v2search": f"/api/v2/doctype/{doctype}/search",
            "v1doc": f"/api/resource/{doctype}/{name}",
            "v2doc": f"/api/v2/document/{doctype}/{name}",
        }[surface]
        try:
            response = client.get(url, params=query)
        except (UnicodeEncodeError, httpx.InvalidURL):
            return  # lone surrogates and control characters in the path cannot be sent at all
    else:
        method = {
            "search_link": "frappe.desk.search.search_link",
            "search_widget": "frappe.desk.search.search_widget",
            "reportview": "frappe.desk.reportview.get_count",
        }.get(surface, f"frappe.client.{surface}")
        body = {"doctype": doctype, **params}
        if as_json:
            content = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
            response = client.post(
                f"/api/method/{method}", content=content, headers={"Content-Type": "application/json"}
            )
        else:
            form = {k: _param(v).encode("utf-8", "surrogatepass") for k, v in body.items()}
            response = client.post(f"/api/method/{method}", data=form)
    clean(response)
    assert SECRET not in response.text  # a level-1 value the user may not read


BODIES: list[tuple[str, bytes]] = [
    ("application/json", b"{"),
    ("application/json", b'{"doctype": '),
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'{"a":' * 5000 + b"1" + b"}" * 5000),
    ("application/json", b"\xff\xfe\x00"),
    ("application/json", b'"just a string"'),
    ("application/json", b"NaN"),
    ("application/json", b'{"doctype": "x", "filters": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["title"]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}'),
    ("application/x-www-form-urlencoded", b"doctype=%ZZ&filters=%"),
    ("application/x-www-form-urlencoded", b"&" * 50_000),
    ("application/x-www-form-urlencoded", b"filters=" + b"%5B" * 3000),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data\r\n\r\n"),
    ("multipart/form-data", b"no boundary"),
    ("text/plain", b"\x00" * 1000),
    ("application/json", b'{"doctype": "' + b"A" * 2_000_000 + b'"}'),
    ("application/json", b'{"doctype": "\\u0000", "name": "\\ud800"}'),
]  # fmt: skip


@pytest.mark.parametrize(("content_type", "body"), BODIES, ids=range(len(BODIES)))
def test_malformed_and_huge_bodies(hostile: Hostile, content_type: str, body: bytes) -> None:
    h = hostile
    headers = {"Content-Type": content_type}
    for url in (
        "/api/method/frappe.client.get_list",
        "/api/method/frappe.client.get_value",
        f"/api/resource/{h.doctype}",
        f"/api/v2/document/{h.doctype}",
        "/api/v2/method/frappe.client.get_count",
    ):
        clean(h.user.post(url, content=body, headers=headers))
    clean(h.user.put(f"/api/resource/{h.doctype}/x", content=body, headers=headers))
    clean(h.guest.post("/api/method/login", content=body, headers=headers))
