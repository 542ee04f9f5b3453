"""W1-W5 on 100,000 ToDo rows: docframe as a ratio to a raw reference, in the same run.

The reference (``bench/raw_app.py``) is a bare ASGI callable over stdlib ``sqlite3`` and ``orjson``
doing the same SQL with a per-request API-key check, under uvicorn (uvloop, httptools, one worker).
Both serve the same deterministic rows (``status`` Open 30 % / Closed 60 % / Cancelled 10 %,
names ``TD-000001``...) with indexes on ``modified`` and ``status``. docframe's copy is a site made by
``docframe new-site``; the rows and the two indexes go straight into its SQLite file, as an import
outside docframe would, and no ANALYZE is run by the harness (docframe's own statistics upkeep is
part of what is measured).

| | request |
|---|---|
| W1 | ``GET /api/resource/ToDo/<random name>`` |
| W2 | 20 rows, ``status = Open``, ``modified desc``, random ``limit_start`` < 1000 |
| W3 | ``POST /api/resource/ToDo`` |
| W4 | ``PUT /api/resource/ToDo/<random name>`` (new description) |
| W5 | ``frappe.client.get_count`` with ``{"status": "Open"}`` |
| W1+slow | W1 while one more client keeps a slow request (a count over a ``like '%...%'`` filter that reads every row) in flight all the time; docframe only |

Every server start gets a fresh copy of its database. Servers are pinned to CPU 0, wrk (one thread,
32 connections) to CPU 1. ``--variant label=SRC`` runs docframe from another source tree too (e.g.
``--variant before=/path/to/old/src``), in the same invocation. Results: a Markdown table on stdout
and JSON in ``bench/results/``. Speed is never asserted.

Usage: ``python bench/workloads.py [--rows 100000] [--duration 10] [--warmup 3] [--reps 1]
[--workloads W1,W2,W3,W4,W5,W1+slow] [--variant before=/old/src]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from run import (  # noqa: E402
    JSON_MARK,
    LUA_TEMPLATE,
    OPENER,
    RESULTS_DIR,
    HarnessError,
    Measurement,
    ServerSpec,
    WrkOptions,
    docframe_command,
    free_port,
    lua_string,
    process_cpu_seconds,
    run_wrk,
    running,
)

SITE = "bench"
KEY, SECRET = "bench_key_0001", "bench_secret_0001"
AUTH = f"token {KEY}:{SECRET}"
FIELDS = ["name", "description", "status", "priority", "modified"]
WORKLOADS = ("W1", "W2", "W3", "W4", "W5", "W1+slow")
SLOW_PATH = "/api/method/frappe.client.get_count?" + urllib.parse.urlencode(
    {"doctype": "ToDo", "filters": json.dumps([["description", "like", "%no such words%"]])}
)
COLUMNS = (
    "name", "creation", "modified", "modified_by", "owner", "docstatus", "idx", "status", "priority",
    "date", "description", "allocated_to",
)  # fmt: skip
WORDS = ("review", "invoice", "call", "customer", "draft", "report", "ship", "order", "fix", "plan", "sync")


def make_rows(count: int, seed: int = 11) -> list[tuple[Any, ...]]:
    """``count`` ToDo rows, identical for a seed; ``modified`` grows with the name."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 8, 0, 0)
    rows = []
    for i in range(1, count + 1):
        stamp = (start + dt.timedelta(seconds=37 * i, microseconds=rng.randrange(1_000_000))).isoformat(
            sep=" ", timespec="microseconds"
        )
        status = rng.choices(("Open", "Closed", "Cancelled"), weights=(3, 6, 1))[0]
        text = " ".join(rng.choice(WORDS) for _ in range(30))[:200]
        rows.append((
            f"TD-{i:06d}", stamp, stamp, "Administrator", "Administrator", 0, 0, status,
            rng.choice(("Low", "Medium", "High")), stamp[:10], text, "Administrator",
        ))  # fmt: skip
    return rows


def build_raw_db(path: Path, rows: list[tuple[Any, ...]]) -> None:
    """The reference's database: ToDo with docframe's columns, its two indexes, one user with a key."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(
        "CREATE TABLE tabToDo (name VARCHAR(140) PRIMARY KEY, creation DATETIME, modified DATETIME, "
        "modified_by VARCHAR(140), owner VARCHAR(140), docstatus INTEGER DEFAULT 0, idx INTEGER DEFAULT 0, "
        "status VARCHAR(140), priority VARCHAR(140), date DATE, description TEXT, allocated_to VARCHAR(140), "
        "reference_type VARCHAR(140), reference_name VARCHAR(140), role VARCHAR(140), assigned_by VARCHAR(140), "
        "assigned_by_full_name VARCHAR(140), sender VARCHAR(140), assignment_rule VARCHAR(140), color VARCHAR(140))"
    )
    conn.execute(
        "CREATE TABLE tabUser (name VARCHAR(140) PRIMARY KEY, api_key VARCHAR(140), api_secret_hash TEXT)"
    )
    conn.execute("CREATE UNIQUE INDEX user_api_key ON tabUser (api_key)")
    conn.execute(
        "INSERT INTO tabUser VALUES (?, ?, ?)",
        ("Administrator", KEY, hashlib.sha256(SECRET.encode()).hexdigest()),
    )
    conn.execute("BEGIN")
    conn.executemany(
        f"INSERT INTO tabToDo ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})", rows
    )
    conn.execute("COMMIT")
    conn.execute('CREATE INDEX "tabToDo_modified_index" ON tabToDo (modified)')
    conn.execute('CREATE INDEX "tabToDo_status_index" ON tabToDo (status)')
    conn.execute("ANALYZE")  # the reference knows its data (a peer's copy carries ANALYZE statistics)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def build_docframe_site(sites: Path, raw_db: Path) -> None:
    """``docframe new-site``, then the reference's rows and indexes copied into its file, and the key."""
    sites.mkdir(parents=True)
    made = subprocess_run(
        [*docframe_command(), "--sites", str(sites), "new-site", SITE, "--admin-password", "x"]
    )
    if made.returncode != 0:
        raise HarnessError(f"docframe new-site failed:\n{made.stdout}{made.stderr}")
    conn = sqlite3.connect(sites / SITE / "db" / "site.db", isolation_level=None)
    conn.execute("ATTACH DATABASE ? AS src", (f"file:{raw_db}?mode=ro",))
    ours = {row[1] for row in conn.execute("PRAGMA main.table_info('tabToDo')")}
    cols = ", ".join(f'"{c}"' for c in COLUMNS if c in ours)
    conn.execute("BEGIN")
    conn.execute(f'INSERT INTO main."tabToDo" ({cols}) SELECT {cols} FROM src.tabToDo')
    conn.execute('CREATE INDEX IF NOT EXISTS "bench_modified" ON "tabToDo" (modified)')
    conn.execute('CREATE INDEX IF NOT EXISTS "bench_status" ON "tabToDo" (status)')
    conn.execute("UPDATE tabUser SET api_key = ? WHERE name = 'Administrator'", (KEY,))
    conn.execute(
        "DELETE FROM __Auth WHERE doctype = 'User' AND name = 'Administrator' AND fieldname = 'api_secret'"
    )
    conn.execute(
        "INSERT INTO __Auth (doctype, name, fieldname, password, encrypted) VALUES ('User', 'Administrator', "
        "'api_secret', ?, 0)",
        (hashlib.sha256(SECRET.encode()).hexdigest(),),
    )
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE src")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def copy_site(pristine: Path, target: Path, extra: dict[str, Any] | None = None) -> None:
    """A copy of the pristine sites folder whose site uses its own database file (the config holds
    the absolute path of the pristine one), with ``extra`` site config keys."""
    shutil.copytree(pristine, target)
    config_path = target / SITE / "site_config.json"
    config = json.loads(config_path.read_text())
    config["db_url"] = f"sqlite:///{target / SITE / 'db' / 'site.db'}"
    config.update(extra or {})
    config_path.write_text(json.dumps(config))


def subprocess_run(argv: list[str], env: dict[str, str] | None = None) -> Any:
    import subprocess

    return subprocess.run(argv, capture_output=True, text=True, timeout=600, env=env)


def raw_spec(db: Path, port: int) -> ServerSpec:
    argv = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "raw_app:app", "--host", "127.0.0.1",
        "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return ServerSpec("raw", argv, {"BENCH_RAW_DB": str(db)})


def docframe_spec(sites: Path, port: int, src: str | None) -> ServerSpec:
    argv = [
        sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--site", SITE,
    ]  # fmt: skip
    return ServerSpec("docframe", argv, {"PYTHONPATH": src} if src else {})


REQUEST_LUA = """
math.randomseed({seed})
local n = 0
request = function()
  n = n + 1
  local i = math.random({rows})
  local name = string.format("TD-%06d", i)
  {body}
end
"""

BODIES = {
    "W1": 'return wrk.format("GET", "/api/resource/ToDo/" .. name)',
    "W2": 'return wrk.format("GET", {list_path} .. "&limit_start=" .. math.random(0, 999))',
    "W3": (
        'return wrk.format("POST", "/api/resource/ToDo", nil, '
        '\'{{"description": "bench created \' .. n .. \'", "status": "Open", "priority": "Medium", '
        '"allocated_to": "Administrator"}}\')'
    ),
    "W4": (
        'return wrk.format("PUT", "/api/resource/ToDo/" .. name, nil, '
        "'{{\"description\": \"bench updated ' .. n .. '\"}}')"
    ),
    "W5": 'return wrk.format("GET", {count_path})',
}


def list_path() -> str:
    return "/api/resource/ToDo?" + urllib.parse.urlencode({
        "fields": json.dumps(FIELDS), "filters": json.dumps([["status", "=", "Open"]]),
        "order_by": "modified desc", "limit_page_length": "20",
    })  # fmt: skip


def count_path() -> str:
    return "/api/method/frappe.client.get_count?" + urllib.parse.urlencode(
        {"doctype": "ToDo", "filters": json.dumps({"status": "Open"})}
    )


def script_for(workload: str, rows: int) -> str:
    base = LUA_TEMPLATE.format(
        name=workload, server="any", method=lua_string("GET"), body="wrk.body = nil",
        headers="\n".join(f"wrk.headers[ {lua_string(k)} ] = {lua_string(v)}" for k, v in {
            "Authorization": AUTH, "Accept": "application/json", "Content-Type": "application/json"}.items()),
        mark=lua_string(JSON_MARK),
    )  # fmt: skip
    body = BODIES[workload.split("+")[0]].format(
        list_path=lua_string(list_path()), count_path=lua_string(count_path())
    )
    return base + REQUEST_LUA.format(seed=7, rows=rows, body=body)


def check(base: str, rows: int) -> list[str]:
    """One request of each read shape, compared across servers by the caller."""
    out = []
    for path in (f"/api/resource/ToDo/TD-{rows // 2:06d}", list_path() + "&limit_start=500", count_path()):
        req = urllib.request.Request(
            base + path, headers={"Authorization": AUTH, "Accept": "application/json"}
        )
        with OPENER.open(req, timeout=30) as reply:
            payload = json.loads(reply.read())
        data = payload.get("data", payload.get("message"))
        if isinstance(data, dict):
            data = {k: data[k] for k in ("name", "status", "description", "modified")}
        elif isinstance(data, list):
            data = [row["name"] for row in data]
        out.append(json.dumps(data, sort_keys=True))
    return out


class SlowClient:
    """Keeps one slow request in flight for as long as it runs (a thread, one request at a time)."""

    def __init__(self, base: str) -> None:
        self.base, self.done, self.latencies = base, threading.Event(), []
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        req = urllib.request.Request(self.base + SLOW_PATH, headers={"Authorization": AUTH})
        while not self.done.is_set():
            started = time.perf_counter()
            with OPENER.open(req, timeout=60) as reply:
                reply.read()
            self.latencies.append((time.perf_counter() - started) * 1000)

    def __enter__(self) -> SlowClient:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join(60)


@dataclass
class Row:
    server: str
    workload: str
    rep: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float | None
    problems: str
    slow_ms: float | None = None


def measure(
    label: str, spec: ServerSpec, workloads: list[str], args: argparse.Namespace, work: Path, rep: int
) -> list[Row]:
    out: list[Row] = []
    opts = WrkOptions(args.duration, args.warmup, args.connections, 1, None if args.no_pin else 1)
    port = int(spec.argv[spec.argv.index("--port") + 1])
    with running(spec, port, None if args.no_pin else 0, work / f"{label}-{rep}.log") as (base, pid):
        print(f"  {label}: check {check(base, args.rows)[0][:60]}...", file=sys.stderr)
        for workload in workloads:
            script = work / f"{label}-{workload}.lua"
            script.write_text(script_for(workload, args.rows))
            slow = SlowClient(base) if workload.endswith("+slow") else None
            if slow:
                slow.__enter__()
            try:
                if opts.warmup:
                    run_wrk(base + "/", script, opts.warmup, opts)
                cpu = process_cpu_seconds(pid)
                result: Measurement = run_wrk(base + "/", script, opts.duration, opts)
                used = process_cpu_seconds(pid)
            finally:
                if slow:
                    slow.__exit__()
            per = (
                round((used - cpu) * 1e6 / result.requests, 1)
                if cpu is not None and used is not None and result.requests
                else None
            )
            row = Row(label, workload, rep, result.rps, result.latency_ms.get("p50", 0.0), result.latency_ms.get("p99", 0.0),
                      per, result.problems(), round(statistics.median(slow.latencies), 1) if slow and slow.latencies else None)  # fmt: skip
            print(
                f"  {label:<10} {workload:<8} {row.rps:>9.1f} req/s  p50 {row.p50_ms:.2f}  p99 {row.p99_ms:.2f} ms  {row.problems}",
                file=sys.stderr,
            )
            out.append(row)
    return out


def table(rows: list[Row], servers: list[str], workloads: list[str]) -> str:
    def med(server: str, workload: str, attr: str) -> float | None:
        values = [
            getattr(r, attr)
            for r in rows
            if r.server == server and r.workload == workload and getattr(r, attr) is not None
        ]
        return statistics.median(values) if values else None

    lines = [
        "| server | workload | req/s (median) | p50 ms | p99 ms | CPU µs/req | / raw req/s |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for workload in workloads:
        ref = med("raw", workload, "rps")
        for server in servers:
            rps = med(server, workload, "rps")
            if rps is None:
                continue
            ratio = f"{rps / ref:.2f}" if ref else "-"
            cpu = med(server, workload, "cpu_us_per_request")
            slow = med(server, workload, "slow_ms")
            extra = f" (slow request {slow:.0f} ms)" if slow else ""
            lines.append(f"| {server} | {workload}{extra} | {rps:.0f} | {med(server, workload, 'p50_ms'):.1f} | "
                         f"{med(server, workload, 'p99_ms'):.1f} | {cpu if cpu is not None else '-'} | {ratio} |")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument(
        "--variant", action="append", default=[], help="LABEL=SRC: docframe from another src tree"
    )
    parser.add_argument(
        "--config", action="append", default=[], help="LABEL:KEY=VALUE: a site config key for one variant"
    )
    parser.add_argument("--no-pin", action="store_true")
    parser.add_argument("--label", default="workloads")
    args = parser.parse_args(argv)
    args.duration, args.warmup = min(args.duration, 60), min(args.warmup, 30)
    if shutil.which("wrk") is None:
        print("wrk is missing: apt-get install -y wrk", file=sys.stderr)
        return 2
    workloads = [w for w in args.workloads.split(",") if w in WORKLOADS]
    variants = [("docframe", None), *((v.split("=", 1)[0], v.split("=", 1)[1] or None) for v in args.variant)]
    configs: dict[str, dict[str, Any]] = {}
    for item in args.config:
        label, setting = item.split(":", 1)
        key, value = setting.split("=", 1)
        configs.setdefault(label, {})[key] = json.loads(value)
    with tempfile.TemporaryDirectory(prefix="df-workloads-") as tmp:
        work = Path(tmp)
        raw_db = work / "raw.db"
        print(f"building {args.rows} rows...", file=sys.stderr)
        build_raw_db(raw_db, make_rows(args.rows))
        build_docframe_site(work / "pristine-sites", raw_db)
        rows: list[Row] = []
        for rep in range(1, args.reps + 1):
            copy = work / f"raw-{rep}.db"
            shutil.copy(raw_db, copy)
            rows += measure(
                "raw", raw_spec(copy, free_port()), [w for w in workloads if "+" not in w], args, work, rep
            )
            for label, src in variants:
                sites = work / f"sites-{label}-{rep}"
                copy_site(work / "pristine-sites", sites, configs.get(label))
                rows += measure(label, docframe_spec(sites, free_port(), src), workloads, args, work, rep)
    servers = ["raw", *(label for label, _ in variants)]
    print(table(rows, servers, workloads))
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H%M%SZ")
    out = RESULTS_DIR / f"{stamp}-{args.label}.json"
    out.write_text(json.dumps({"args": vars(args), "rows": [asdict(r) for r in rows]}, indent=1))
    print(f"saved {out}", file=sys.stderr)
    return 1 if any(r.problems for r in rows) else 0


if __name__ == "__main__":
    os.environ.pop("DOCFRAME_SITE", None)
    sys.exit(main())
