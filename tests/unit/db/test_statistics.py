"""Planner statistics: a 20-row page filtered on ``status`` and sorted on ``modified desc`` uses an
index, not a sort of every matching row, once docframe has renewed the statistics.

SQLite keeps none unless ANALYZE runs: docframe's first unit of work in a process (and an hourly
check) analyzes tables that have grown, and connections already open reload statistics renewed by
another. PostgreSQL and MariaDB keep their own; their plans are checked after an ANALYZE. Row counts
are moderate (20,000); the 1,000,000-row plans belong to the benchmark (bench/README.md).
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Connection

from docframe.db.provision import drop_database
from docframe.db.tables import index_name
from docframe.sites import Site
from docframe.users import User
from tests.conftest import SiteClient, api_key_for, make_site

ROWS = 20_000


@pytest.fixture()
def loaded(backend: str, tmp_path: Path) -> Iterator[tuple[Site, str]]:
    """A fresh site with a DocType indexed on ``status`` and ``ROWS`` rows bulk-loaded into it."""
    sites = tmp_path / "sites"
    sites.mkdir()
    (sites / "common_site_config.json").write_text("{}")
    site = make_site(sites, f"plans-{backend}", backend)
    doctype = f"Plan Row {secrets.token_hex(2)}"
    created = SiteClient(site, sites, api_key_for(site)).post("/api/resource/DocType", json={
        "name": doctype, "custom": 1, "module": "Custom", "sort_field": "modified", "sort_order": "DESC",
        "fields": [{"fieldname": "status", "fieldtype": "Select", "options": "Open\nClosed\nCancelled",
                    "search_index": 1, "label": "Status"},
                   {"fieldname": "description", "fieldtype": "Data", "label": "Description"}],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
    })  # fmt: skip
    assert created.status_code == 200, created.text
    pick = random.Random(7)
    start = datetime(2024, 1, 1)
    rows = [
        {"name": f"PR-{i:06d}", "creation": start + timedelta(seconds=i), "modified": start + timedelta(seconds=i),
         "owner": "Administrator", "modified_by": "Administrator", "docstatus": 0, "idx": 0,
         "status": pick.choices(["Open", "Closed", "Cancelled"], [3, 6, 1])[0], "description": f"row {i}"}
        for i in range(ROWS)
    ]  # fmt: skip
    with site.unit_of_work(User.administrator()) as ctx:  # a bulk load that bypasses docframe's lifecycle
        ctx.conn.execute(insert(_table(site, doctype)), rows)
    yield site, doctype
    site.dispose()
    if backend != "sqlite":
        drop_database(site.settings.db_url)


def _table(site: Site, doctype: str) -> Table:
    return site.tables.get(site.metas.get(doctype))


def _page_sql(conn: Connection, table: Table) -> str:
    stmt = (
        select(table.c.name, table.c.description, table.c.status, table.c.modified)
        .where(table.c.status == "Open")
        .order_by(table.c.modified.desc())
        .limit(20)
        .offset(500)
    )
    return str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))


def _sqlite_plan(site: Site, doctype: str) -> list[str]:
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        sql = _page_sql(ctx.conn, _table(site, doctype))
        return [str(row[-1]) for row in ctx.conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]


def _uses_modified_index_without_sorting(plan: list[str], doctype: str) -> bool:
    return any(
        f"USING INDEX {index_name(f'tab{doctype}', 'modified', 'index')}" in step for step in plan
    ) and not any("TEMP B-TREE" in step for step in plan)


def test_sqlite_page_uses_the_modified_index_once_docframe_renewed_statistics(
    backend: str, loaded: tuple[Site, str]
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's statistics upkeep (the other backends: test_list_page_plan_uses_an_index)")
    site, doctype = loaded
    # Straight after a bulk load nothing has statistics for the table: the planner sorts.
    before = _sqlite_plan(site, doctype)
    assert any("USE TEMP B-TREE FOR ORDER BY" in step for step in before), before
    # A process opening the site: its first unit of work analyzes the grown table.
    reopened = Site.open(site.settings.site_path)
    try:
        after = _sqlite_plan(reopened, doctype)
    finally:
        reopened.dispose()
    assert _uses_modified_index_without_sorting(after, doctype), after
    # The first process's kept connection still has the old statistics; an analysis in this process
    # (as `docframe migrate` or a restore run) makes every kept connection reload them.
    site.db.analyze([f"tab{doctype}"])
    assert _uses_modified_index_without_sorting(_sqlite_plan(site, doctype), doctype)


def _postgres_nodes(plan: Any) -> Iterator[dict[str, Any]]:
    stack = [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.get("Plans", []))


def test_list_page_plan_uses_an_index(backend: str, loaded: tuple[Site, str]) -> None:
    site, doctype = loaded
    site.db.analyze([f"tab{doctype}"])
    indexes = {index_name(f"tab{doctype}", column, "index") for column in ("modified", "status")}
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        sql = _page_sql(ctx.conn, _table(site, doctype))
        if backend == "postgresql":
            raw = ctx.conn.exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql).scalar_one()
            nodes = list(_postgres_nodes(json.loads(raw) if isinstance(raw, str) else raw))
            assert not any(n["Node Type"] == "Seq Scan" for n in nodes), nodes
            assert {n.get("Index Name") for n in nodes} & indexes, nodes
        elif backend == "mariadb":
            rows = ctx.conn.exec_driver_sql("EXPLAIN " + sql).mappings().all()
            assert all(row["type"] != "ALL" for row in rows), rows  # no full table scan
            assert {row["key"] for row in rows} & indexes, rows
        else:
            plan = [str(row[-1]) for row in ctx.conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
            assert _uses_modified_index_without_sorting(plan, doctype), plan
