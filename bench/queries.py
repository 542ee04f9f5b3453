"""Query benchmark: a filtered, sorted 20-row page and counts at 10k, 100k and 1M rows.

Standalone: ``python bench/queries.py [--backends sqlite,postgresql] [--sizes 10000,100000,1000000]``.
For each backend it creates a throw-away site (SQLite in a temporary folder; PostgreSQL at
``DOCFRAME_BENCH_PG``, default ``postgresql://postgres@127.0.0.1:5432/{db}``), creates a DocType whose
``status`` field is indexed, grows its table with bulk INSERTs through SQLAlchemy, and at each size
times, in-process (no HTTP), the query layer's:

* ``page``   — ``status = 'Open'`` (indexed) ordered by ``creation desc`` (indexed), 20 rows (v1 rules);
* ``capped`` — the same filter counted with v2's ``include=count`` cap (1000);
* ``exact``  — the same filter counted exactly (grows with the table, for reference).

It prints one Markdown table (median milliseconds over ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from docframe.db.provision import drop_database, ensure_database  # noqa: E402
from docframe.migrate.sync import install_site  # noqa: E402
from docframe.model import operations  # noqa: E402
from docframe.query.builder import ListArgs  # noqa: E402
from docframe.query.listing import run_count, run_count_capped, run_list  # noqa: E402
from docframe.secret_box import generate_key  # noqa: E402
from docframe.sites import Site  # noqa: E402
from docframe.users import User  # noqa: E402

DOCTYPE = "Bench Ticket"
STATUSES = ("Open", "Closed", "Replied")
BATCH = 20_000


@contextmanager
def bench_site(backend: str, root: Path) -> Iterator[Site]:
    """A freshly installed site on ``backend`` (dropped afterwards)."""
    path = root / f"{backend}.bench"
    for sub in ("public/files", "private/files", "db"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    if backend == "sqlite":
        url = f"sqlite:///{path / 'db' / 'site.db'}"
    else:
        template = os.environ.get("DOCFRAME_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/{db}")
        url = template.format(db=f"dfbench_{secrets.token_hex(4)}")
        drop_database(url)
        ensure_database(url)
    (path / "site_config.json").write_text(json.dumps({"db_url": url, "encryption_key": generate_key()}))
    site = Site.open(path)
    install_site(site, "bench-admin")
    try:
        yield site
    finally:
        site.dispose()
        if backend != "sqlite":
            drop_database(url)


def create_doctype(site: Site) -> None:
    """The benchmark DocType: ``status`` (indexed Select), ``subject``, ``priority``."""
    body = {
        "name": DOCTYPE, "custom": 1, "module": "Custom",
        "fields": [
            {"fieldname": "status", "fieldtype": "Select", "options": "\n".join(STATUSES), "search_index": 1},
            {"fieldname": "subject", "fieldtype": "Data"},
            {"fieldname": "priority", "fieldtype": "Int"},
        ],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
    }  # fmt: skip
    with site.unit_of_work(User.administrator()) as ctx:
        operations.create_document(ctx, "DocType", body)


def grow(site: Site, start: int, stop: int) -> None:
    """Insert rows ``start`` .. ``stop - 1`` with bulk INSERTs (creation increases with the number)."""
    base = datetime(2020, 1, 1)
    with site.unit_of_work(User.administrator()) as ctx:
        table = site.tables.get(site.metas.get(DOCTYPE, ctx.conn))
    for first in range(start, stop, BATCH):
        rows = []
        for i in range(first, min(first + BATCH, stop)):
            when = base + timedelta(seconds=i)
            rows.append({
                "name": f"T{i:08d}", "creation": when, "modified": when, "owner": "Administrator",
                "modified_by": "Administrator", "docstatus": 0, "idx": 0,
                "status": STATUSES[i % 3], "subject": f"Ticket {i}", "priority": i % 5,
            })  # fmt: skip
        with site.db.engine.begin() as conn:
            conn.execute(insert(table), rows)
    with site.db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def timed(call: Callable[[], Any], repeat: int) -> float:
    """Median wall time of ``call`` in milliseconds (after one warm-up run)."""
    call()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def measure(site: Site, repeat: int) -> dict[str, float]:
    """Time the page, the capped count and the exact count at the current size."""
    page = ListArgs(
        doctype=DOCTYPE,
        fields=("name", "subject", "status", "creation"),
        filters={"status": "Open"},
        order_by="creation desc",
        limit=20,
    )
    count = ListArgs(doctype=DOCTYPE, filters={"status": "Open"}, order_by=None, limit=None, null_mode="v2")
    out: dict[str, float] = {}
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        rows = run_list(ctx, page)
        assert len(rows) == 20 and rows[0]["status"] == "Open"
        out["page"] = timed(lambda: run_list(ctx, page), repeat)
        out["capped"] = timed(lambda: run_count_capped(ctx, count), repeat)
        out["exact"] = timed(lambda: run_count(ctx, count), max(3, repeat // 5))
    return out


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeat", type=int, default=30)
    options = parser.parse_args()
    sizes = sorted(int(s) for s in options.sizes.split(","))
    print("| backend | rows | 20-row page (ms) | capped count (ms) | exact count (ms) |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "common_site_config.json").write_text("{}")
        for backend in options.backends.split(","):
            with bench_site(backend, root) as site:
                create_doctype(site)
                current = 0
                for size in sizes:
                    grow(site, current, size)
                    current = size
                    figures = measure(site, options.repeat)
                    print(
                        f"| {backend} | {size:,} | {figures['page']:.2f} | {figures['capped']:.2f} "
                        f"| {figures['exact']:.1f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
