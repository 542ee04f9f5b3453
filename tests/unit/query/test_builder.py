"""The list plan cache of :mod:`docframe.query.builder`: a kept shape answers every page and user right.

Each test runs real requests through the API on the session's site (every backend) and looks at
the site's :class:`~docframe.query.builder.PlanCache` to see what was kept.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from docframe.auth.users import User
from docframe.db.prepared import Prepared
from docframe.query.builder import PLAN_CACHE, ListArgs, PlanCache, plan_list, run_rows
from docframe.sites import Site
from tests.api.test_permissions_matrix import make_role, make_user, ok, rule
from tests.api.v1.doctypes import make_doctype
from tests.conftest import SiteClient


def _cache(site: Site) -> PlanCache:
    return site.services.slot(PLAN_CACHE).get(PlanCache)


def _request_text(request: Any) -> str:
    """A plan key's request part as text: the ``repr`` of parsed values (calls in Python, counts),
    or the request's own parameter texts joined by spaces (lists from query strings)."""
    if isinstance(request, str):
        return request
    return " ".join(text for text in request[2] if text is not None)


def _kept(site: Site, doctype: str, marker: str = "") -> list[tuple[Any, ...]]:
    """Kept shapes of ``doctype`` whose request parameters contain ``marker``."""
    return [key for key in _cache(site)._shapes if key[0] == doctype and marker in _request_text(key[1])]


def _list(client: SiteClient, doctype: str, **params: Any) -> list[dict[str, Any]]:
    encoded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return list(ok(client.get(f"/api/resource/{doctype}", params=encoded))["data"])


@pytest.fixture(scope="module")
def world(admin: SiteClient, sites_root: Path) -> dict[str, Any]:
    owner_role, reader_role = make_role(admin, "Plan Owner"), make_role(admin, "Plan Reader")
    doctype = make_doctype(
        admin,
        "Plan Cache",
        [
            {"fieldname": "title", "fieldtype": "Data"},
            {"fieldname": "rank", "fieldtype": "Int"},
            {"fieldname": "day", "fieldtype": "Date"},
            {"fieldname": "secret", "fieldtype": "Data", "permlevel": 1},
        ],
        permissions=[
            rule("System Manager", read=1, write=1, create=1),
            rule(owner_role, read=1, write=1, create=1, if_owner=1),
            rule(reader_role, read=1),
        ],
    )
    owner = make_user(admin, sites_root, [owner_role])
    reader = make_user(admin, sites_root, [reader_role])
    for rank in range(30):
        ok(
            admin.post(
                f"/api/resource/{doctype}", json={"title": f"t{rank}", "rank": rank, "secret": f"s{rank}"}
            )
        )
    for rank in (100, 101):
        ok(owner.post(f"/api/resource/{doctype}", json={"title": f"mine{rank}", "rank": rank}))
    return {"doctype": doctype, "owner": owner, "reader": reader}


def test_one_kept_shape_answers_every_page(admin: SiteClient, site: Site, world: dict[str, Any]) -> None:
    doctype = world["doctype"]
    shape = {"fields": ["rank"], "filters": [["rank", "<", 100]], "order_by": "rank desc"}
    marker = "rank desc"
    pages = [
        [r["rank"] for r in _list(admin, doctype, **shape, limit_start=str(start), limit_page_length="4")]
        for start in (4, 8, 12)
    ]
    assert pages == [[25, 24, 23, 22], [21, 20, 19, 18], [17, 16, 15, 14]]
    assert len(_kept(site, doctype, marker)) == 1
    # The first page (no OFFSET) and "everything" (no LIMIT) are shapes of their own.
    first = _list(admin, doctype, **shape, limit_page_length="2")
    everything = _list(admin, doctype, **shape, limit_page_length="0")
    assert [r["rank"] for r in first] == [29, 28]
    assert len(everything) == 30
    assert len(_kept(site, doctype, marker)) == 3


def test_a_kept_shape_still_gets_each_users_row_conditions(
    admin: SiteClient, site: Site, world: dict[str, Any]
) -> None:
    doctype, owner = world["doctype"], world["owner"]
    shape = {"fields": ["title"], "order_by": "rank asc", "limit_page_length": "0"}
    assert len(_list(admin, doctype, **shape)) == 32
    assert [r["title"] for r in _list(owner, doctype, **shape)] == ["mine100", "mine101"]
    assert len(_list(world["reader"], doctype, **shape)) == 32
    assert [r["title"] for r in _list(owner, doctype, **shape)] == ["mine100", "mine101"]
    # The owner and the reader read the same columns: they share one shape, but not its rows.
    kept = _kept(site, doctype, "rank asc")
    assert len(kept) == 2
    assert sorted(k[2] is None for k in kept) == [False, True]


def test_users_who_read_different_columns_never_share_a_shape(
    admin: SiteClient, site: Site, world: dict[str, Any]
) -> None:
    doctype, reader = world["doctype"], world["reader"]
    shape = {"fields": ["rank", "secret"], "filters": [["rank", "=", 3]]}
    assert _list(admin, doctype, **shape) == [{"rank": 3, "secret": "s3"}]
    assert _list(reader, doctype, **shape) == [{"rank": 3}]
    assert _list(admin, doctype, **shape) == [{"rank": 3, "secret": "s3"}]
    assert len(_kept(site, doctype, '"secret"')) == 2
    refused = reader.get(f"/api/resource/{doctype}", params={"filters": json.dumps([["secret", "=", "s3"]])})
    assert refused.status_code == 403


def test_values_of_different_types_are_different_shapes(
    admin: SiteClient, site: Site, world: dict[str, Any]
) -> None:
    doctype = world["doctype"]
    as_number = _list(admin, doctype, fields=["title"], filters=[["rank", "=", 7]])
    as_text = _list(admin, doctype, fields=["title"], filters=[["rank", "=", "7"]])
    as_other = _list(admin, doctype, fields=["title"], filters=[["rank", "=", 8]])
    assert as_number == as_text == [{"title": "t7"}]
    assert as_other == [{"title": "t8"}]
    assert len(_kept(site, doctype, '["title"] [["rank", "=",')) == 3


def test_date_filters_are_planned_for_every_request(
    admin: SiteClient, site: Site, world: dict[str, Any]
) -> None:
    doctype = world["doctype"]
    _cache(site).clear()
    assert _list(admin, doctype, fields=["title"], filters=[["day", "timespan", "today"]]) == []
    assert _list(admin, doctype, fields=["title"], filters=[["day", "between", ["2024-01-01"]]]) == []
    assert _kept(site, doctype) == []


def test_a_changed_doctype_is_planned_again(admin: SiteClient, site: Site, world: dict[str, Any]) -> None:
    doctype = world["doctype"]
    shape = {"fields": ["*"], "filters": [["rank", "=", 1]]}
    before = _list(admin, doctype, **shape)[0]
    assert "extra_note" not in before
    definition = ok(admin.get(f"/api/resource/DocType/{doctype}"))["data"]
    fields = [*definition["fields"], {"fieldname": "extra_note", "fieldtype": "Data", "label": "Extra Note"}]
    ok(admin.put(f"/api/resource/DocType/{doctype}", json={"fields": fields}))
    after = _list(admin, doctype, **shape)[0]
    assert "extra_note" in after


def test_the_cache_keeps_at_most_its_size() -> None:
    cache = PlanCache(size=2)
    shapes: list[Any] = [object(), object(), object()]
    meta: Any = object()
    for i, shape in enumerate(shapes):
        cache.put((i,), shape)
    assert list(cache._shapes) == [(1,), (2,)]
    assert cache.get((0,), meta) is None


def test_kept_shapes_run_prepared_on_every_page(admin: SiteClient, site: Site, world: dict[str, Any]) -> None:
    doctype = world["doctype"]
    plain = {"fields": ["rank"], "filters": [["rank", ">=", 20]], "order_by": "rank asc"}
    listed = {"fields": ["rank"], "filters": [["rank", "in", [3, 5, 7, 9]]], "order_by": "rank asc"}
    for start in ("1", "2"):
        assert [
            r["rank"] for r in _list(admin, doctype, **plain, limit_start=start, limit_page_length="2")
        ] == [
            int(start) + 20,
            int(start) + 21,
        ]
        assert [
            r["rank"] for r in _list(admin, doctype, **listed, limit_start=start, limit_page_length="2")
        ] == [
            [3, 5, 7, 9][int(start)],
            [3, 5, 7, 9][int(start) + 1],
        ]
    shapes = _cache(site)._shapes
    dialect = site.db.engine.dialect
    (plain_key,) = _kept(site, doctype, '[["rank", ">=", 20]]')
    (listed_key,) = _kept(site, doctype, '[["rank", "in", [3, 5, 7, 9]]]')
    assert shapes[plain_key].prepared(dialect) is not None
    assert shapes[listed_key].prepared(dialect) is not None


def test_counts_keep_their_filters_but_not_the_users_row_conditions(
    admin: SiteClient, site: Site, world: dict[str, Any]
) -> None:
    doctype, owner = world["doctype"], world["owner"]
    counted = {"doctype": doctype, "filters": json.dumps([["rank", ">=", 10]])}

    def count(client: SiteClient) -> int:
        return int(ok(client.get("/api/method/frappe.client.get_count", params=counted))["message"])

    assert count(admin) == 22
    assert count(owner) == 2
    assert count(admin) == 22
    assert count(world["reader"]) == 22
    kept = [k for k in _kept(site, doctype, "[['rank', '>=', 10]]") if "count" in k]
    assert len(kept) == 2  # Administrator's, and the one of both users who read the same columns
    # Administrator's count (no row-level clause) ran prepared; the owner's has a clause, so it went
    # through SQLAlchemy with the kept shape's filters and the owner's condition.
    shapes = _cache(site)._shapes
    assert sum(isinstance(shapes[k]._prepared, Prepared) for k in kept) >= 1
    capped = {**counted, "limit": "5"}
    assert ok(admin.get("/api/method/frappe.desk.reportview.get_count", params=capped))["message"] == 5
    assert (
        ok(world["owner"].get("/api/method/frappe.desk.reportview.get_count", params=capped))["message"] == 2
    )


def test_a_plan_made_for_one_request_is_not_prepared(
    admin: SiteClient, site: Site, world: dict[str, Any]
) -> None:
    args = ListArgs(world["doctype"], fields=("title",), filters=[["day", "timespan", "today"]])
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        plan = plan_list(ctx, args)
        assert plan.shape is None
        assert run_rows(ctx, plan) == []
        kept = plan_list(ctx, ListArgs(world["doctype"], fields=("title",), filters=[["rank", "=", 4]]))
        assert kept.shape is not None
        assert run_rows(ctx, kept) == [{"title": "t4"}]
