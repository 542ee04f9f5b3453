"""Benchmark: how long building the OpenAPI document takes, and how large it is.

Two cases on a fresh SQLite site, as Administrator (every DocType, every operation): the built-in
DocTypes only, then with 200 generated DocTypes added (15 fields each of mixed types, every tenth with
a child table). The generated DocTypes are put into the site's metadata registry directly (the
document is built from metadata alone, so no tables are needed). Reports the median of ``--runs``
uncached builds (``build_document``), the JSON size, and a cached fetch (``openapi_bytes`` hit).

    .venv/bin/python bench/openapi_spec.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from docframe.meta.loader import load_meta  # noqa: E402
from docframe.openapi.spec import build_document, openapi_bytes  # noqa: E402
from docframe.sites import Site  # noqa: E402
from docframe.users import User  # noqa: E402

TYPES = ["Data", "Int", "Float", "Currency", "Check", "Date", "Datetime", "Select", "Small Text",
         "Text Editor", "Link", "Percent", "Time", "JSON", "Long Text"]  # fmt: skip


def generated(n: int) -> list[dict[str, object]]:
    """``n`` DocType definitions (and their child tables)."""
    out: list[dict[str, object]] = []
    for i in range(n):
        fields: list[dict[str, object]] = []
        for j, kind in enumerate(TYPES):
            field: dict[str, object] = {
                "fieldname": f"f{j}",
                "fieldtype": kind,
                "label": f"Field {j}",
                "reqd": int(j == 0),
            }
            if kind == "Select":
                field["options"] = "A\nB\nC"
            if kind == "Link":
                field["options"] = "User"
            fields.append(field)
        if i % 10 == 0:
            child = f"Bench Child {i}"
            out.append({"name": child, "module": "Custom", "custom": 1, "istable": 1,
                        "fields": [{"fieldname": "item", "fieldtype": "Data", "reqd": 1}, {"fieldname": "qty", "fieldtype": "Int"}]})  # fmt: skip
            fields.append({"fieldname": "rows", "fieldtype": "Table", "options": child})
        out.append({"name": f"Bench Thing {i}", "module": "Custom", "custom": 1, "fields": fields,
                    "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}]})  # fmt: skip
    return out


def measure(site: Site, runs: int) -> dict[str, float]:
    """Median uncached build time, JSON size, and a cached fetch."""
    times = []
    size = 0
    for _ in range(runs):
        with site.unit_of_work(User.administrator(), write=False) as ctx:
            started = time.perf_counter()
            document = build_document(ctx)
            encoded = orjson.dumps(document)
            times.append(time.perf_counter() - started)
            size = len(encoded)
            paths = len(document["paths"])
            operations = sum(1 for item in document["paths"].values() for k in item if k != "parameters")
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        openapi_bytes(ctx)
        started = time.perf_counter()
        openapi_bytes(ctx)
        cached = time.perf_counter() - started
    return {"build_s": statistics.median(times), "size_bytes": size, "paths": paths,
            "operations": operations, "cached_fetch_s": cached}  # fmt: skip


def main() -> int:
    """Run both cases and print one JSON line each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from tests.conftest import make_site

    root = Path(tempfile.mkdtemp(prefix="df-openapi-bench-"))
    (root / "common_site_config.json").write_text("{}")
    site = make_site(root, "bench.test", "sqlite")
    print(json.dumps({"case": "built-in DocTypes", **measure(site, args.runs)}))
    definitions = generated(200)
    for definition in definitions:
        site.metas.put(load_meta(definition))
    extra = [str(d["name"]) for d in definitions]
    original = site.metas.all_names
    site.metas.all_names = lambda conn=None: sorted({*original(conn), *extra})  # type: ignore[method-assign]
    print(json.dumps({"case": "built-in + 200 generated DocTypes", **measure(site, args.runs)}))
    site.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
