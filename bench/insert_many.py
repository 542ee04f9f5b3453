"""``frappe.client.insert_many`` of 1,000 ToDo documents in one call, on SQLite and PostgreSQL.

For each backend, in a temporary sites folder of its own: ``docframe new-site`` creates a fresh site
(PostgreSQL: a new database ``dfbench_insert_<hex>`` on 127.0.0.1), ``insert_many_limit`` is set to
the batch size in its ``site_config.json`` (Frappe's and docframe's default cap is 200), one
``docframe serve`` worker serves it, and the Administrator gets an API key through ``generate_keys``.
Then ``POST /api/method/frappe.client.insert_many`` with ``{"docs": [1000 ToDo dicts]}`` (doctype
``ToDo`` and a distinct description each) runs once to warm up and ``--runs`` times measured, one
call at a time. The time of a call is the client's wall time from sending the (pre-encoded) body to
reading the whole answer: request parsing, 1,000 validated inserts in one transaction, the commit
and the reply. At the end the PostgreSQL database is dropped and the temporary folders removed.

Prints a markdown table on stdout (progress on stderr): median seconds per call, documents per
second at the median, the fastest and slowest call, and whether every call (warm-up included)
answered 200 with 1,000 distinct names and the table then held exactly that many ToDos.

Usage: ``.venv/bin/python bench/insert_many.py [--runs 5] [--docs 1000] [--backends sqlite,postgresql]
[--pg-url postgresql://postgres@127.0.0.1] [--keep]``. Needs PostgreSQL on 127.0.0.1:5432 for the
PostgreSQL row. Exit status: 0 when every check passed, 1 when one failed, 2 when the harness could
not run. Speed is reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from workers import docframe, free_port, stop  # the same server helpers as bench/workers.py

PYTHON = sys.executable
SITE = "bench"
PASSWORD = "bench"
METHOD = "/api/method/frappe.client.insert_many"


@dataclass
class Result:
    """What one backend measured."""

    backend: str
    seconds: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def port_open(host: str, port: int) -> bool:
    """Whether something listens on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def create_site(sites: Path, db_url: str | None, limit: int) -> None:
    """``docframe new-site`` (default SQLite file, or ``db_url``) with ``insert_many_limit`` set."""
    docframe(sites, "new-site", SITE, "--admin-password", PASSWORD, *(["--db-url", db_url] if db_url else []))
    path = sites / SITE / "site_config.json"
    config = json.loads(path.read_text())
    config["insert_many_limit"] = limit
    path.write_text(json.dumps(config, indent=1) + "\n")


def serve(sites: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start one ``docframe serve`` worker and wait until it answers."""
    with log.open("ab") as out:
        proc = subprocess.Popen([PYTHON, "-m", "docframe.cli.main", "--sites", str(sites), "serve", "--port", str(port),
                                 "--workers", "1", "--site", SITE], stdout=out, stderr=subprocess.STDOUT)  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/method/ping", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    stop(proc)
    raise RuntimeError(f"docframe serve did not start:\n{log.read_text()[-2000:]}")


def api_key(client: httpx.Client) -> str:
    """Log in as Administrator and generate an API key; returns the ``Authorization`` value."""
    client.post("/api/method/login", json={"usr": "Administrator", "pwd": PASSWORD}).raise_for_status()
    keys = client.post(
        "/api/method/frappe.core.doctype.user.user.generate_keys", json={"user": "Administrator"}
    ).json()["message"]
    client.cookies.clear()
    return f"token {keys['api_key']}:{keys['api_secret']}"


def batch(label: str, count: int) -> bytes:
    """The JSON body of one call: ``count`` ToDos with distinct descriptions."""
    docs = [{"doctype": "ToDo", "description": f"insert_many bench {label} #{i}"} for i in range(count)]
    return json.dumps({"docs": docs}).encode()


def check(response: httpx.Response, count: int) -> str | None:
    """Why ``response`` is not ``count`` distinct names, or None."""
    if response.status_code != 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        reason = str(body.get("exception") or response.text) if isinstance(body, dict) else response.text
        return f"status {response.status_code}: {reason[:200]}".replace("|", "/").replace("\n", " ")
    names = response.json().get("message")
    if not isinstance(names, list) or len(names) != count:
        return f"{len(names) if isinstance(names, list) else type(names).__name__} names, not {count}"
    if len(set(names)) != count or not all(isinstance(n, str) and n for n in names):
        return "names are not distinct non-empty strings"
    return None


def measure(backend: str, sites: Path, db_url: str | None, runs: int, count: int) -> Result:
    """Create, serve and measure one backend's site."""
    result = Result(backend)
    print(f"{backend}: creating the site", file=sys.stderr)
    create_site(sites, db_url, count)
    port = free_port()
    proc = serve(sites, port, sites / "serve.log")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=300) as client:
            client.headers["Authorization"] = api_key(client)
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            for run in range(runs + 1):
                body = batch(f"{backend} {run}", count)
                start = time.perf_counter()
                response = client.post(METHOD, content=body, headers=headers)
                response.read()
                elapsed = time.perf_counter() - start
                problem = check(response, count)
                label = "warm-up" if run == 0 else f"run {run}"
                if problem:
                    result.problems.append(f"{label}: {problem}")
                if run:
                    result.seconds.append(elapsed)
                print(f"  {label:8} {elapsed:7.3f} s  {count / elapsed:8,.0f} docs/s  {problem or 'ok'}",
                      file=sys.stderr)  # fmt: skip
            total = client.get("/api/method/frappe.client.get_count", params={"doctype": "ToDo"})
            stored = total.json().get("message") if total.status_code == 200 else total.status_code
            if stored != (runs + 1) * count:
                result.problems.append(f"tabToDo holds {stored} rows, not {(runs + 1) * count}")
    finally:
        stop(proc)
    return result


def drop_postgres(db_url: str) -> None:
    """Drop the benchmark's PostgreSQL database (with psql, else psycopg)."""
    parts = urlsplit(db_url)
    database = parts.path.lstrip("/")
    statement = f'DROP DATABASE IF EXISTS "{database}"'
    if shutil.which("psql"):
        subprocess.run(["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
                        "-U", parts.username or "postgres", "-d", "postgres", "-qc", statement],
                       check=True, capture_output=True, timeout=60)  # fmt: skip
        return
    import psycopg

    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(statement)


def table(results: list[Result], count: int) -> str:
    """The markdown table of ``results``."""
    lines = [
        f"| backend | calls of {count:,} docs | median s/call | docs/s (median) | min s | max s | checks |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        median = statistics.median(r.seconds)
        checks = "; ".join(r.problems) if r.problems else f"ok: every call returned {count:,} names"
        lines.append(f"| {r.backend} | {len(r.seconds)} | {median:.3f} | {count / median:,.0f} | "
                     f"{min(r.seconds):.3f} | {max(r.seconds):.3f} | {checks} |")  # fmt: skip
    return "\n".join(lines)


def main() -> int:
    """Measure every requested backend and print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="measured calls per backend (after one warm-up)")
    parser.add_argument(
        "--docs", type=int, default=1000, help="ToDos per call (also the site's insert_many_limit)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1", help="PostgreSQL server, no database"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the sites folders and the PostgreSQL database"
    )
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.runs < 1 or args.docs < 1 or not backends or set(backends) - {"sqlite", "postgresql"}:
        parser.error("--runs and --docs must be positive; --backends takes sqlite and/or postgresql")
    pg = urlsplit(args.pg_url)
    if "postgresql" in backends and not port_open(pg.hostname or "127.0.0.1", pg.port or 5432):
        print(f"PostgreSQL is not reachable at {args.pg_url}", file=sys.stderr)
        return 2
    results: list[Result] = []
    for backend in backends:
        sites = Path(tempfile.mkdtemp(prefix=f"dfinsert-{backend}-"))
        db_url = None
        if backend == "postgresql":
            db_url = f"{args.pg_url.rstrip('/')}/dfbench_insert_{secrets.token_hex(4)}"
        try:
            results.append(measure(backend, sites, db_url, args.runs, args.docs))
        except (subprocess.CalledProcessError, RuntimeError, httpx.HTTPError, KeyError, ValueError) as exc:
            detail = exc.stderr if isinstance(exc, subprocess.CalledProcessError) else exc
            print(f"{backend}: the harness failed: {detail}", file=sys.stderr)
            return 2
        finally:
            if args.keep:
                print(f"{backend}: kept {sites}" + (f" and {db_url}" if db_url else ""), file=sys.stderr)
            else:
                if db_url:
                    try:
                        drop_postgres(db_url)
                    except (subprocess.SubprocessError, OSError) as exc:
                        print(f"could not drop {db_url}: {exc}", file=sys.stderr)
                shutil.rmtree(sites, ignore_errors=True)
    print(table(results, args.docs))
    return 1 if any(r.problems for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
