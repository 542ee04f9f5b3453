"""Benchmark harness: the same HTTP requests served by a bare handler and by docframe, measured with wrk.

For each server in turn (one at a time, one uvicorn worker each, pinned to CPU 0 with ``taskset``)
the harness runs every selected :class:`Scenario` with ``wrk`` (one thread, pinned to CPU 1): a
short warm-up, then a measured run. Both servers hold the same seeded ToDo rows: docframe in the
``tabToDo`` table of a freshly created SQLite site, the bare handler (``bench/bare_app.py``) in its
own SQLite file with the same columns and index. docframe requests authenticate with
``Authorization: token key:secret``; the bare handler has no authentication.

Output: a markdown table on stdout (throughput of each server, the docframe/bare ratio next to the
issue's target, docframe's p50/p99 latency) and the full figures in ``bench/results/<time>.json``.
Speed is never asserted: the exit status is 1 only when a request failed (a non-2xx status or a
socket error), 2 when the harness cannot run (wrk missing, a server that does not start).

Usage: ``.venv/bin/python bench/run.py [--duration 6] [--scenarios get_by_name,create] [--list]``.
Add a scenario by appending a :class:`Scenario` to :data:`SCENARIOS`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
SITE_NAME = "bench"
ADMIN_PASSWORD = "x"
ADMINISTRATOR = "Administrator"
SERVERS = ("bare", "docframe")
BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
JSON_MARK = "BENCH_JSON "
#: Requests to the servers under test never go through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class HarnessError(Exception):
    """The harness cannot go on (a missing tool, a server that does not start, bad setup)."""


# --------------------------------------------------------------------------------------------------
# Scenarios (data): add one here to benchmark it.


def query(path: str, **params: Any) -> str:
    """``path`` with ``params`` URL-encoded as its query string (non-strings sent as compact JSON)."""
    encoded = {
        k: v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for k, v in params.items()
    }
    return f"{path}?{urllib.parse.urlencode(encoded, quote_via=urllib.parse.quote)}"


@dataclass(frozen=True)
class Scenario:
    """One benchmarked request, sent identically to both servers.

    ``path`` may contain ``{read_doc}`` and ``{update_doc}``: names of seeded ToDo rows.
    ``alternatives`` are paths tried in order when docframe does not answer ``path`` with a 2xx
    (for endpoints docframe may not have yet); the first that works is used for both servers.
    ``user`` is the docframe user whose API token is sent (``None``: no Authorization header); a
    user other than Administrator must be described in :data:`USERS`.
    ``target`` is the minimum docframe/bare throughput ratio the project aims for (not asserted).
    Scenarios with ``default=False`` run only when named in ``--scenarios``.
    """

    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None
    user: str | None = ADMINISTRATOR
    target: float | None = None
    alternatives: tuple[str, ...] = ()
    default: bool = True
    note: str = ""


#: Users other than Administrator that scenarios may act as: e-mail -> roles granted on creation.
USERS: dict[str, tuple[str, ...]] = {
    "bench.user@example.com": (),
}

LIST_PATH = query(
    "/api/resource/ToDo",
    fields=["name", "status", "description"],
    filters=[["status", "=", "Open"]],
    limit_page_length=20,
)

#: Run in this order. Writes come last so that the reads see the seeded table only.
SCENARIOS: list[Scenario] = [
    Scenario("ping", "GET", "/api/method/ping", target=0.5),
    Scenario("get_by_name", "GET", "/api/resource/ToDo/{read_doc}", target=0.4),
    Scenario("list_filtered", "GET", LIST_PATH, note="20 rows, status = Open, default order"),
    Scenario(
        "count",
        "GET",
        "/api/method/frappe.client.get_count?doctype=ToDo",
        alternatives=("/api/v2/doctype/ToDo/count",),
    ),
    Scenario("update", "PUT", "/api/resource/ToDo/{update_doc}", body={"status": "Closed"}, target=0.3),
    Scenario("create", "POST", "/api/resource/ToDo", body={"description": "Benchmark task"}, target=0.3),
    # Not run by default: name them in --scenarios.
    Scenario("ping_guest", "GET", "/api/method/ping", user=None, default=False, note="no Authorization"),
    Scenario(
        "get_by_name_user",
        "GET",
        "/api/resource/ToDo/{read_doc}",
        user="bench.user@example.com",
        default=False,
        note="token of a System User (role All)",
    ),
]


# --------------------------------------------------------------------------------------------------
# Results


@dataclass
class Measurement:
    """What one wrk run saw."""

    requests: int = 0
    duration_s: float = 0.0
    rps: float = 0.0
    latency_ms: dict[str, float] = field(default_factory=dict)
    non_2xx: dict[str, int] = field(default_factory=dict)
    socket_errors: dict[str, int] = field(default_factory=dict)
    first_error_body: str | None = None
    error: str | None = None
    #: CPU time the server process used during the run (user + system, all threads), per request.
    server_cpu_us_per_request: float | None = None
    #: That CPU time over the run's wall time (1.0 = one core fully busy).
    server_cpu_utilisation: float | None = None

    @property
    def failed(self) -> bool:
        """Whether any request failed or wrk itself did."""
        return bool(self.error or self.non_2xx or any(self.socket_errors.values()))

    def problems(self) -> str:
        """A short human description of the failures ("" when none)."""
        parts = []
        if self.error:
            parts.append(" ".join(self.error.split()))
        if self.non_2xx:
            codes = ", ".join(f"{code}x{n}" for code, n in sorted(self.non_2xx.items()))
            parts.append(f"non-2xx: {codes}")
        errors = {k: v for k, v in self.socket_errors.items() if v}
        if errors:
            parts.append("socket errors: " + ", ".join(f"{k} {v}" for k, v in errors.items()))
        return "; ".join(parts)


@dataclass
class ScenarioResult:
    """A scenario's outcome on both servers."""

    name: str
    method: str
    path: str
    target: float | None
    note: str
    probes: dict[str, dict[str, Any]] = field(default_factory=dict)
    runs: dict[str, Measurement] = field(default_factory=dict)
    #: ``path`` with the document names filled in, as sent.
    sent_path: str = ""

    @property
    def ratio(self) -> float | None:
        """docframe req/s divided by bare req/s."""
        bare, frame = self.runs.get("bare"), self.runs.get("docframe")
        if not bare or not frame or not bare.rps or bare.error or frame.error:
            return None
        return frame.rps / bare.rps

    @property
    def cpu_ratio(self) -> float | None:
        """bare CPU µs per request divided by docframe's (what the ratio would be were both CPU-bound)."""
        bare, frame = self.runs.get("bare"), self.runs.get("docframe")
        if not bare or not frame or not bare.server_cpu_us_per_request or not frame.server_cpu_us_per_request:
            return None
        return bare.server_cpu_us_per_request / frame.server_cpu_us_per_request


# --------------------------------------------------------------------------------------------------
# Seed data


def make_rows(count: int, seed: int = 42) -> list[dict[str, Any]]:
    """``count`` ToDo rows (Python values), identical for a given seed; about half are Open."""
    rng = random.Random(seed)
    start = dt.datetime(2024, 1, 1, 8, 0, 0)
    names: set[str] = set()
    rows = []
    for i in range(count):
        name = "".join(rng.choice(BASE32HEX) for _ in range(10))
        while name in names:
            name = "".join(rng.choice(BASE32HEX) for _ in range(10))
        names.add(name)
        created = start + dt.timedelta(minutes=i, microseconds=rng.randrange(1_000_000))
        rows.append({
            "name": name, "creation": created, "modified": created, "modified_by": ADMINISTRATOR,
            "owner": ADMINISTRATOR, "docstatus": 0, "idx": 0,
            "status": rng.choices(("Open", "Closed", "Cancelled"), weights=(5, 4, 1))[0],
            "priority": rng.choice(("High", "Medium", "Low")), "date": created.date(),
            "description": f"Benchmark task {i}: " + " ".join(rng.choice(WORDS) for _ in range(8)),
            "allocated_to": ADMINISTRATOR,
        })  # fmt: skip
    return rows


WORDS = ("review", "invoice", "call", "customer", "draft", "report", "ship", "order", "fix", "plan")


def _sql_value(value: Any) -> Any:
    """A Python value as SQLAlchemy stores it in SQLite (datetimes and dates as ISO text)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def seed_bare(db_path: Path, rows: list[dict[str, Any]]) -> None:
    """Create the bare handler's database and insert ``rows``."""
    sys.path.insert(0, str(BENCH_DIR))
    import bare_app

    conn = bare_app.open_db(str(db_path))
    try:
        bare_app.create_schema(conn)
        columns = list(rows[0])
        conn.execute("BEGIN")
        conn.executemany(
            f"INSERT INTO tabToDo ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            [tuple(_sql_value(r[c]) for c in columns) for r in rows],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def docframe_command() -> list[str]:
    """The ``docframe`` command of this virtualenv."""
    script = Path(sys.executable).with_name("docframe")
    return [str(script)] if script.exists() else [sys.executable, "-m", "docframe.cli.main"]


def _run_quiet(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise HarnessError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")


def create_docframe_site(sites: Path, rows: list[dict[str, Any]], users: Sequence[str]) -> dict[str, str]:
    """Create the site, add ``users``, insert ``rows`` into ``tabToDo`` and give each user an API key.

    Returns the ``Authorization`` header value of each user.
    """
    sites.mkdir(parents=True, exist_ok=True)
    base = [*docframe_command(), "--sites", str(sites)]
    _run_quiet([*base, "new-site", SITE_NAME, "--admin-password", ADMIN_PASSWORD], "docframe new-site")
    for user in users:
        if user != ADMINISTRATOR:
            roles = [arg for role in USERS[user] for arg in ("--role", role)]
            argv = [*base, "add-user", user, "--password", secrets.token_hex(8), *roles, "--site", SITE_NAME]
            _run_quiet(argv, f"docframe add-user {user}")

    from sqlalchemy import insert

    from docframe.auth.passwords import digest_secret, set_auth_value
    from docframe.sites import Site
    from docframe.users import User

    headers = {}
    site = Site.open(sites / SITE_NAME)
    try:
        with site.unit_of_work(User.administrator()) as ctx:
            todo = site.tables.get(site.metas.get("ToDo", ctx.conn))
            unknown = set(rows[0]) - set(todo.c.keys())
            if unknown:
                raise HarnessError(f"tabToDo has no column(s) {sorted(unknown)}: update make_rows()")
            ctx.conn.execute(insert(todo), rows)
            readers = [u for u in users if u != ADMINISTRATOR]
            if readers:
                # The document the user scenarios read is owned by and assigned to the (first) bench
                # user, so the read passes ToDo's row rules instead of measuring a 403.
                read_doc = rows[len(rows) // 2]["name"]
                ctx.conn.execute(
                    todo.update()
                    .where(todo.c.name == read_doc)
                    .values(owner=readers[0], allocated_to=readers[0])
                )
            users_table = site.tables.get(site.metas.get("User", ctx.conn))
            for user in users:
                key, secret = secrets.token_hex(8), secrets.token_hex(8)
                stmt = users_table.update().where(users_table.c.name == user).values(api_key=key)
                if ctx.conn.execute(stmt).rowcount != 1:
                    raise HarnessError(f"docframe user {user} does not exist")
                set_auth_value(ctx, "User", user, "api_secret", digest_secret(secret))
                headers[user] = f"token {key}:{secret}"
        with site.db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        site.dispose()
    return headers


# --------------------------------------------------------------------------------------------------
# Servers


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pinned(argv: list[str], cpu: int | None) -> list[str]:
    """``argv`` run on CPU ``cpu`` with taskset (unchanged when ``cpu`` is None)."""
    return argv if cpu is None else ["taskset", "-c", str(cpu), *argv]


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server under test."""

    label: str
    argv: list[str]
    env: dict[str, str]


def bare_spec(db_path: Path, port: int) -> ServerSpec:
    """The bare Starlette handler under uvicorn (one worker, uvloop, httptools)."""
    argv = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "bare_app:app",
        "--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    return ServerSpec("bare", argv, {"BENCH_BARE_DB": str(db_path)})


def docframe_spec(sites: Path, port: int) -> ServerSpec:
    """``docframe serve`` with one worker on the benchmark site."""
    argv = [
        *docframe_command(), "--sites", str(sites), "serve", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--site", SITE_NAME,
    ]  # fmt: skip
    return ServerSpec("docframe", argv, {})


@contextmanager
def running(spec: ServerSpec, port: int, cpu: int | None, log_path: Path) -> Iterator[tuple[str, int]]:
    """Start the server, wait until it answers ``/api/method/ping``, yield (base URL, pid), stop it.

    taskset execs the server, so the pid is the server's own (one uvicorn worker, no children).
    """
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **spec.env}
    env.pop("DOCFRAME_SITE", None)
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            pinned(spec.argv, cpu), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, base, log_path)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds used so far by process ``pid`` (all its threads); None off Linux."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:]


def _wait_ready(proc: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise HarnessError(f"server exited with {proc.returncode}:\n{_tail(log_path)}")
        try:
            with OPENER.open(f"{base}/api/method/ping", timeout=1) as reply:
                if reply.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise HarnessError(f"server did not answer within 30 s:\n{_tail(log_path)}")


def request_headers(scenario: Scenario, auth: dict[str, str] | None) -> dict[str, str]:
    """The headers sent for ``scenario`` (``auth``: user -> Authorization value; None for bare)."""
    headers = {"Accept": "application/json"}
    if scenario.body is not None:
        headers["Content-Type"] = "application/json"
    if auth is not None and scenario.user is not None:
        headers["Authorization"] = auth[scenario.user]
    return headers


def probe(base: str, method: str, path: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
    """Send one request; its status, top-level JSON keys and (on failure) the start of its body."""
    req = urllib.request.Request(base + path, data=body, headers=headers, method=method)
    try:
        with OPENER.open(req, timeout=10) as reply:
            status, raw = reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        payload = json.loads(raw)
        keys = sorted(payload) if isinstance(payload, dict) else []
    except ValueError:
        keys = []
    out: dict[str, Any] = {"status": status, "keys": keys}
    if not 200 <= status < 300:
        out["body"] = raw[:500].decode("utf-8", "replace")
    return out


# --------------------------------------------------------------------------------------------------
# wrk


LUA_TEMPLATE = """-- Generated by bench/run.py for scenario {name} ({server}).
wrk.method = {method}
{body}
{headers}
local threads = {{}}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  statuses = {{}}
  first_error = ""
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    local key = tostring(status)
    statuses[key] = (statuses[key] or 0) + 1
    if first_error == "" and body ~= nil then first_error = string.sub(body, 1, 400) end
  end
end

local function quote(s)
  return '"' .. string.gsub(s, '[%c"\\\\]', function(c)
    return string.format("\\\\u%04x", string.byte(c))
  end) .. '"'
end

local function num(x)
  if x ~= x or x == math.huge or x == -math.huge then return "0" end
  return string.format("%.1f", x)
end

function done(summary, latency, requests)
  local ok_total, merged, first = 0, {{}}, ""
  for _, thread in ipairs(threads) do
    ok_total = ok_total + (thread:get("ok") or 0)
    for code, n in pairs(thread:get("statuses") or {{}}) do merged[code] = (merged[code] or 0) + n end
    if first == "" then first = thread:get("first_error") or "" end
  end
  local codes = {{}}
  for code, n in pairs(merged) do table.insert(codes, quote(code) .. ":" .. n) end
  local e = summary.errors
  io.write({mark} .. "{{"
    .. '"requests":' .. summary.requests .. ',"duration_us":' .. summary.duration
    .. ',"ok":' .. ok_total .. ',"non_2xx":{{' .. table.concat(codes, ",") .. "}}"
    .. ',"socket_errors":{{"connect":' .. e.connect .. ',"read":' .. e.read .. ',"write":' .. e.write
    .. ',"timeout":' .. e.timeout .. "}}"
    .. ',"latency_us":{{"p50":' .. num(latency:percentile(50)) .. ',"p90":' .. num(latency:percentile(90))
    .. ',"p99":' .. num(latency:percentile(99)) .. ',"mean":' .. num(latency.mean)
    .. ',"max":' .. num(latency.max) .. "}}"
    .. ',"first_error":' .. quote(first) .. "}}\\n")
end
"""


def lua_string(text: str) -> str:
    """``text`` as a Lua long-bracket string literal."""
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    return f"[{eq}[{text}]{eq}]"


def lua_script(scenario: Scenario, server: str, headers: dict[str, str]) -> str:
    """The wrk script for ``scenario``: method, body, headers and the status-counting hooks."""
    body = (
        f"wrk.body = {lua_string(json.dumps(scenario.body))}"
        if scenario.body is not None
        else "wrk.body = nil"
    )
    header_lines = "\n".join(f"wrk.headers[ {lua_string(k)} ] = {lua_string(v)}" for k, v in headers.items())
    return LUA_TEMPLATE.format(
        name=scenario.name,
        server=server,
        method=lua_string(scenario.method),
        body=body,
        headers=header_lines,
        mark=lua_string(JSON_MARK),
    )


@dataclass(frozen=True)
class WrkOptions:
    """How wrk is run."""

    duration: int
    warmup: int
    connections: int
    threads: int
    cpu: int | None


def run_wrk(url: str, script: Path, seconds: int, opts: WrkOptions) -> Measurement:
    """One wrk run of ``seconds`` against ``url`` with ``script``."""
    argv = pinned(
        [
            "wrk", f"-t{opts.threads}", f"-c{opts.connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(script), url,
        ],
        opts.cpu,
    )  # fmt: skip
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    except subprocess.TimeoutExpired:
        return Measurement(error="wrk did not finish")
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith(JSON_MARK)), None)
    if done.returncode != 0 or line is None:
        return Measurement(error=f"wrk exited {done.returncode}: {(done.stderr or done.stdout)[-500:]}")
    raw = json.loads(line[len(JSON_MARK) :])
    seconds_run = raw["duration_us"] / 1e6
    return Measurement(
        requests=raw["requests"],
        duration_s=round(seconds_run, 3),
        rps=round(raw["requests"] / seconds_run, 1) if seconds_run else 0.0,
        latency_ms={k: round(v / 1000, 3) for k, v in raw["latency_us"].items()},
        non_2xx=raw["non_2xx"],
        socket_errors=raw["socket_errors"],
        first_error_body=raw["first_error"] or None,
    )


# --------------------------------------------------------------------------------------------------
# The run


def fill(path: str, docs: dict[str, str]) -> str:
    """``path`` with ``{read_doc}`` / ``{update_doc}`` replaced by seeded document names."""
    for key, value in docs.items():
        path = path.replace("{" + key + "}", urllib.parse.quote(value, safe=""))
    return path


def resolve_paths(
    base: str, scenarios: Sequence[Scenario], docs: dict[str, str], auth: dict[str, str]
) -> dict[str, tuple[str, list[str]]]:
    """For each scenario with alternatives, the first of its paths that docframe answers with a 2xx.

    Returns name -> (path, ["<path> answered <status>", ...] for the paths passed over). A scenario
    whose every path fails keeps its main path: its failure shows in the results.
    """
    chosen: dict[str, tuple[str, list[str]]] = {}
    for sc in scenarios:
        if not sc.alternatives:
            continue
        body = json.dumps(sc.body).encode() if sc.body is not None else None
        headers = request_headers(sc, auth)
        skipped: list[str] = []
        for path in (sc.path, *sc.alternatives):
            status = probe(base, sc.method, fill(path, docs), headers, body)["status"]
            if 200 <= status < 300:
                chosen[sc.name] = (path, skipped)
                break
            skipped.append(f"{path} answered {status}")
        else:
            chosen[sc.name] = (sc.path, [])
    return chosen


def measure_server(
    label: str,
    base: str,
    pid: int,
    scenarios: Sequence[Scenario],
    paths: dict[str, str],
    docs: dict[str, str],
    auth: dict[str, str] | None,
    opts: WrkOptions,
    workdir: Path,
    results: dict[str, ScenarioResult],
) -> None:
    """Probe and measure every scenario on one running server."""
    for sc in scenarios:
        path = results[sc.name].sent_path = fill(paths[sc.name], docs)
        headers = request_headers(sc, auth)
        body = json.dumps(sc.body).encode() if sc.body is not None else None
        results[sc.name].probes[label] = probe(base, sc.method, path, headers, body)
        script = workdir / f"{label}-{sc.name}.lua"
        script.write_text(lua_script(sc, label, headers))
        if opts.warmup:
            run_wrk(base + path, script, opts.warmup, opts)
        print(f"  {label:<9} {sc.name:<18}", end="", flush=True, file=sys.stderr)
        cpu_before, started = process_cpu_seconds(pid), time.monotonic()
        result = run_wrk(base + path, script, opts.duration, opts)
        cpu_after, elapsed = process_cpu_seconds(pid), time.monotonic() - started
        if cpu_before is not None and cpu_after is not None and result.requests:
            used = cpu_after - cpu_before
            result.server_cpu_us_per_request = round(used * 1e6 / result.requests, 1)
            result.server_cpu_utilisation = round(used / elapsed, 3)
        results[sc.name].runs[label] = result
        summary = result.problems() or (
            f"p50 {result.latency_ms.get('p50', 0):.2f} ms, p99 {result.latency_ms.get('p99', 0):.2f} ms, "
            f"server CPU {result.server_cpu_us_per_request} µs/req at {result.server_cpu_utilisation} cores"
        )
        print(f"{result.rps:>10.1f} req/s  {summary}", file=sys.stderr)


def select_scenarios(names: str | None) -> list[Scenario]:
    """The scenarios named in ``names`` (comma-separated), else every default one, in list order."""
    if not names:
        return [s for s in SCENARIOS if s.default]
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    known = {s.name for s in SCENARIOS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return [s for s in SCENARIOS if s.name in wanted]


def check_tools(pin: bool) -> int | None:
    """Exit status 2 with a message when wrk (or taskset, when pinning) is missing; else None."""
    if shutil.which("wrk") is None:
        print(
            "bench: wrk is not installed. Install it (Debian/Ubuntu: "
            "`sudo apt-get update && sudo apt-get install -y wrk`) and run again.",
            file=sys.stderr,
        )
        return 2
    if pin and shutil.which("taskset") is None:
        print("bench: taskset is missing (util-linux); install it or pass --no-pin.", file=sys.stderr)
        return 2
    return None


def machine_info() -> dict[str, Any]:
    """CPU, OS, load and versions, recorded next to the figures."""
    from importlib.metadata import PackageNotFoundError, version

    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                ln.split(":", 1)[1].strip()
                for ln in cpuinfo.read_text().splitlines()
                if ln.startswith("model name")
            ),
            "",
        )
    versions: dict[str, str | None] = {}
    for pkg in ("docframe", "starlette", "uvicorn", "uvloop", "httptools", "sqlalchemy", "orjson"):
        try:
            versions[pkg] = version(pkg)
        except PackageNotFoundError:
            versions[pkg] = None
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else None,
        "loadavg_start": list(os.getloadavg()),
        "packages": versions,
        "docframe_source": docframe_source(),
    }


def docframe_source() -> dict[str, Any]:
    """Where the docframe under test comes from: its folder, the git commit and uncommitted files."""
    import importlib.util

    found = importlib.util.find_spec("docframe")
    origin = Path(found.origin).parent if found and found.origin else None
    out: dict[str, Any] = {"path": str(origin) if origin else None}
    if origin is not None:
        git = ["git", "-C", str(origin)]
        head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.returncode == 0:
            dirty = subprocess.run([*git, "status", "--porcelain", "."], capture_output=True, text=True)
            out["commit"] = head.stdout.strip()
            out["uncommitted"] = [ln[3:] for ln in dirty.stdout.splitlines()]
    return out


def fmt_ratio(ratio: float | None, target: float | None) -> tuple[str, str]:
    """The ratio cell and the target cell (with a pass/miss mark)."""
    if ratio is None:
        return "n/a", f">= {target:.2f}" if target is not None else ""
    if target is None:
        return f"{ratio:.2f}", ""
    return f"{ratio:.2f}", f">= {target:.2f} {'ok' if ratio >= target else 'MISS'}"


def _cpu_cell(bare: Measurement | None, frame: Measurement | None) -> str:
    """``bare / docframe (bare/docframe)`` CPU µs per request: the ratio that a busy machine blurs least."""
    costs = [m.server_cpu_us_per_request if m is not None else None for m in (bare, frame)]
    text = " / ".join("-" if c is None else f"{c:,.0f}" for c in costs)
    if costs[0] and costs[1]:
        text += f" ({costs[0] / costs[1]:.2f})"  # the same as ScenarioResult.cpu_ratio
    return text


def probe_notes(result: ScenarioResult) -> list[str]:
    """Warnings from the single requests sent before each run: failures, differing envelopes."""
    notes = []
    for label, seen in result.probes.items():
        if not 200 <= seen["status"] < 300:
            notes.append(f"{label} probe {seen['status']}")
    keys = {label: tuple(seen["keys"]) for label, seen in result.probes.items()}
    if len(set(keys.values())) > 1:
        notes.append("envelopes differ: " + ", ".join(f"{k} {list(v)}" for k, v in keys.items()))
    return notes


def markdown_table(results: Sequence[ScenarioResult]) -> str:
    """The summary table."""
    lines = [
        "| scenario | request | bare req/s | docframe req/s | docframe/bare | target | docframe p50 ms "
        "| docframe p99 ms | server CPU µs/req: bare / docframe (ratio) | notes |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        bare, frame = r.runs.get("bare"), r.runs.get("docframe")
        ratio, target = fmt_ratio(r.ratio, r.target)
        notes = [r.note] if r.note else []
        notes += probe_notes(r)
        for label, m in (("bare", bare), ("docframe", frame)):
            if m is not None and m.failed:
                notes.append(f"{label} {m.problems()}")
        request = f"`{r.method} {r.path if len(r.path) <= 48 else r.path[:45] + '...'}`"
        ok_bare, ok_frame = bare is not None and not bare.error, frame is not None and not frame.error
        cells = [
            r.name,
            request,
            f"{bare.rps:,.0f}" if bare is not None and ok_bare else "-",
            f"{frame.rps:,.0f}" if frame is not None and ok_frame else "-",
            ratio,
            target,
            f"{frame.latency_ms.get('p50', 0):.2f}" if frame is not None and ok_frame else "-",
            f"{frame.latency_ms.get('p99', 0):.2f}" if frame is not None and ok_frame else "-",
            _cpu_cell(bare, frame),
            "; ".join(notes),
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--duration", type=int, default=6, help="seconds per measured wrk run (1-60, default 6)")
    p.add_argument("--warmup", type=int, default=1, help="seconds of unmeasured warm-up per scenario (0-10)")
    p.add_argument("--connections", type=int, default=16, help="wrk connections (1-256, default 16)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1)")
    p.add_argument("--rows", type=int, default=10_000, help="ToDo rows seeded (default 10000)")
    p.add_argument("--scenarios", help="comma-separated scenario names (default: every default scenario)")
    p.add_argument("--servers", default="bare,docframe", help="which servers to run (default bare,docframe)")
    p.add_argument("--server-cpu", type=int, default=0, help="CPU the server is pinned to (default 0)")
    p.add_argument("--wrk-cpu", type=int, default=1, help="CPU wrk is pinned to (default 1)")
    p.add_argument("--no-pin", action="store_true", help="do not pin with taskset")
    p.add_argument("--results-dir", type=Path, default=RESULTS_DIR, help="where the JSON goes")
    p.add_argument(
        "--docframe-src",
        type=Path,
        help="serve docframe from this source folder (the parent of its docframe/ package) "
        "instead of the installed one, e.g. a `git archive` snapshot",
    )
    p.add_argument("--note", default="", help="free text stored with the results (e.g. the commit measured)")
    p.add_argument("--keep", action="store_true", help="keep the temporary sites, databases, logs, scripts")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = p.parse_args(argv)
    if not 1 <= args.duration <= 60 or not 0 <= args.warmup <= 10:
        p.error("--duration must be 1-60 and --warmup 0-10 seconds")
    if not 1 <= args.connections <= 256 or not 1 <= args.threads <= args.connections:
        p.error("--connections must be 1-256 and --threads 1..connections")
    if not 100 <= args.rows <= 1_000_000:
        p.error("--rows must be 100-1000000")
    args.servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not args.servers or any(s not in SERVERS for s in args.servers):
        p.error(f"--servers takes a comma-separated subset of {', '.join(SERVERS)}")
    return args


def list_scenarios() -> None:
    """Print the scenario table."""
    for s in SCENARIOS:
        flag = "" if s.default else "  (not default)"
        print(f"{s.name:<18} {s.method:<5} {s.path}{flag}")


def run(args: argparse.Namespace, scenarios: list[Scenario], workdir: Path) -> list[ScenarioResult]:
    """Seed both databases, then measure each server in turn."""
    pin = not args.no_pin
    if pin and (os.cpu_count() or 1) < 2:
        print("bench: fewer than 2 CPUs: running without pinning", file=sys.stderr)
        pin = False
    opts = WrkOptions(
        args.duration, args.warmup, args.connections, args.threads, args.wrk_cpu if pin else None
    )
    server_cpu = args.server_cpu if pin else None
    rows = make_rows(args.rows)
    docs = {"read_doc": rows[len(rows) // 2]["name"], "update_doc": rows[len(rows) // 3]["name"]}
    users = sorted({s.user for s in scenarios if s.user is not None} | {ADMINISTRATOR})
    unknown = [u for u in users if u != ADMINISTRATOR and u not in USERS]
    if unknown:
        raise HarnessError(f"scenario user(s) not described in USERS: {unknown}")

    print(f"bench: seeding {len(rows)} ToDo rows in {workdir}", file=sys.stderr)
    sites = workdir / "sites"
    auth = create_docframe_site(sites, rows, users)
    seed_bare(workdir / "bare.db", rows)

    results = {s.name: ScenarioResult(s.name, s.method, s.path, s.target, s.note, {}, {}) for s in scenarios}
    paths = {s.name: s.path for s in scenarios}
    order = ["docframe", "bare"]  # docframe first: it decides which path of each scenario is used
    for label in [s for s in order if s in args.servers]:
        port = free_port()
        spec = docframe_spec(sites, port) if label == "docframe" else bare_spec(workdir / "bare.db", port)
        with running(spec, port, server_cpu, workdir / f"{label}.log") as (base, pid):
            if label == "docframe":
                for name, (path, skipped) in resolve_paths(base, scenarios, docs, auth).items():
                    paths[name] = results[name].path = path
                    if skipped:
                        results[name].note = "; ".join(filter(None, [results[name].note, *skipped]))
            measure_server(
                label, base, pid, scenarios, paths, docs, auth if label == "docframe" else None,
                opts, workdir, results,
            )  # fmt: skip
    return [results[s.name] for s in scenarios]


def write_json(args: argparse.Namespace, results: list[ScenarioResult], info: dict[str, Any]) -> Path:
    """Write the full results to ``results_dir/<timestamp>.json``."""
    info["loadavg_end"] = list(os.getloadavg())
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    payload = {
        "timestamp": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": info,
        "config": {
            "duration_s": args.duration, "warmup_s": args.warmup, "connections": args.connections,
            "wrk_threads": args.threads, "rows": args.rows, "pinned": not args.no_pin,
            "note": args.note,
            "server_cpu": args.server_cpu, "wrk_cpu": args.wrk_cpu, "servers": args.servers,
        },
        "scenarios": [
            {**asdict(r), "ratio": round(r.ratio, 3) if r.ratio is not None else None,
             "cpu_ratio": round(r.cpu_ratio, 3) if r.cpu_ratio is not None else None,
             "meets_target": None if r.ratio is None or r.target is None else r.ratio >= r.target}
            for r in results
        ],
    }  # fmt: skip
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"{stamp}.json"
    out.write_text(json.dumps(payload, indent=1) + "\n")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 when every request succeeded, 1 when some failed, 2 on harness errors."""
    args = parse_args(argv)
    if args.list:
        list_scenarios()
        return 0
    missing = check_tools(not args.no_pin)
    if missing is not None:
        return missing
    scenarios = select_scenarios(args.scenarios)
    if args.docframe_src:
        src = args.docframe_src.resolve()
        if not (src / "docframe" / "__init__.py").exists():
            print(f"bench: {src} holds no docframe package", file=sys.stderr)
            return 2
        sys.path.insert(0, str(src))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), os.environ.get("PYTHONPATH")]))
    info = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="docframe-bench-"))
    try:
        results = run(args, scenarios, workdir)
    except HarnessError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"bench: kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    out = write_json(args, results, info)
    print(markdown_table(results))
    print(
        f"\n{args.connections} connections, {args.duration} s per run, {args.rows} rows, "
        f"{info['cpus']} CPUs ({info['cpu_model'] or 'unknown CPU'}); full results: {out}"
    )
    starved = [
        f"{r.name} {m.server_cpu_utilisation:.2f}"
        for r in results
        for label, m in r.runs.items()
        if label == "docframe" and m.server_cpu_utilisation is not None and m.server_cpu_utilisation < 0.8
    ]
    if starved:
        print(
            "\nNote: the docframe server used less than 0.8 of a core during "
            f"{', '.join(starved)}: it waited (locks, sleeps) or shared its CPU with other processes "
            f"(load average {info['loadavg_end'][0]:.1f}). The CPU µs/req column is the steadier figure."
        )
    failed = [r for r in results if any(m.failed for m in r.runs.values())]
    for r in failed:
        for label, m in r.runs.items():
            if m.failed:
                print(f"FAILED {r.name} on {label}: {m.problems()}", file=sys.stderr)
                if m.first_error_body:
                    print(f"  first failing body: {m.first_error_body[:400]}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
