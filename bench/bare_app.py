"""The bare handler: the floor that docframe's throughput is compared against.

A minimal Starlette app over one stdlib ``sqlite3`` connection, answering with ``orjson``. It serves
the same URLs as the benchmark scenarios, returns the same JSON envelopes (``{"data": ...}`` /
``{"message": ...}``) and runs the same SQL that a document framework cannot avoid: one SELECT by
primary key, one filtered and ordered SELECT with a LIMIT, one COUNT, an INSERT with a random
10-character name and a commit, an UPDATE followed by a SELECT back and a commit. There is no
authentication, no metadata, no validation beyond a column whitelist, no thread pool: handlers run
on the event loop.

The database path comes from ``$BENCH_BARE_DB``; :func:`create_schema` builds the table (the same
columns and index as docframe's ``tabToDo``) and is used by ``bench/run.py`` to seed it.

Run: ``uvicorn --app-dir bench bare_app:app --loop uvloop --http httptools``.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["COLUMNS", "app", "create_schema", "open_db"]

#: The columns of docframe's ``tabToDo`` (standard columns, then the ToDo fields), in order.
COLUMNS: tuple[str, ...] = (
    "name", "creation", "modified", "modified_by", "owner", "docstatus", "idx",
    "_user_tags", "_comments", "_assign", "_liked_by", "_seen",
    "status", "priority", "color", "date", "description", "reference_type", "reference_name",
    "role", "assigned_by", "assigned_by_full_name", "sender", "assignment_rule", "allocated_to",
)  # fmt: skip
_COLUMN_SET = frozenset(COLUMNS)
_SELECT_ONE = f"SELECT {', '.join(COLUMNS)} FROM tabToDo WHERE name = ?"

SCHEMA = """
CREATE TABLE IF NOT EXISTS tabToDo (
    name VARCHAR(140) NOT NULL PRIMARY KEY,
    creation DATETIME, modified DATETIME, modified_by VARCHAR(140), owner VARCHAR(140),
    docstatus SMALLINT DEFAULT '0' NOT NULL, idx INTEGER DEFAULT '0' NOT NULL,
    _user_tags TEXT, _comments TEXT, _assign TEXT, _liked_by TEXT, _seen TEXT,
    status VARCHAR(140), priority VARCHAR(140), color VARCHAR(140), date DATE, description TEXT,
    reference_type VARCHAR(140), reference_name VARCHAR(140), role VARCHAR(140),
    assigned_by VARCHAR(140), assigned_by_full_name VARCHAR(140), sender VARCHAR(140),
    assignment_rule VARCHAR(140), allocated_to VARCHAR(140)
);
CREATE INDEX IF NOT EXISTS "tabToDo_creation_index" ON tabToDo (creation);
"""


def open_db(path: str) -> sqlite3.Connection:
    """Open ``path`` with the pragmas docframe uses for SQLite (WAL, synchronous=NORMAL)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the ``tabToDo`` table and its ``creation`` index."""
    conn.executescript(SCHEMA)


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _doc(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row as Frappe's v1 document JSON: null fields left out, ``doctype`` added."""
    out = {k: v for k, v in zip(COLUMNS, row, strict=True) if v is not None}
    out["doctype"] = "ToDo"
    return out


def _not_found(name: str) -> Response:
    return _json({"exc_type": "DoesNotExistError", "exception": f"ToDo {name} not found"}, 404)


def _now() -> str:
    return dt.datetime.now().isoformat(sep=" ", timespec="microseconds")


_DB: sqlite3.Connection | None = None


def _db() -> sqlite3.Connection:
    global _DB
    if _DB is None:
        _DB = open_db(os.environ.get("BENCH_BARE_DB", "bare.db"))
        create_schema(_DB)
    return _DB


async def ping(request: Request) -> Response:
    """GET /api/method/ping"""
    return _json({"message": "pong"})


async def read(request: Request) -> Response:
    """GET /api/resource/ToDo/{name}"""
    name = request.path_params["name"]
    row = _db().execute(_SELECT_ONE, (name,)).fetchone()
    return _not_found(name) if row is None else _json({"data": _doc(row)})


async def list_documents(request: Request) -> Response:
    """GET /api/resource/ToDo?fields=[...]&filters=[[f, "=", v], ...]&limit_page_length=N"""
    params = request.query_params
    fields = orjson.loads(params.get("fields", '["name"]'))
    filters = orjson.loads(params.get("filters", "[]"))
    limit = int(params.get("limit_page_length", "20"))
    start = int(params.get("limit_start", "0"))
    if not all(f in _COLUMN_SET for f in fields) or not all(
        len(f) == 3 and f[0] in _COLUMN_SET and f[1] == "=" for f in filters
    ):
        return _json({"exc_type": "DataError", "exception": "Field not permitted in query"}, 417)
    where = " AND ".join(f"{f[0]} = ?" for f in filters) or "1 = 1"
    sql = f"SELECT {', '.join(fields)} FROM tabToDo WHERE {where} ORDER BY creation DESC LIMIT ? OFFSET ?"
    cursor = _db().execute(sql, (*(f[2] for f in filters), limit, start))
    return _json({"data": [dict(zip(fields, row, strict=True)) for row in cursor]})


async def create(request: Request) -> Response:
    """POST /api/resource/ToDo with a JSON body."""
    body = orjson.loads(await request.body())
    now = _now()
    values: dict[str, Any] = {"status": "Open", "priority": "Medium", "date": now[:10]}
    values.update({k: v for k, v in body.items() if k in _COLUMN_SET})
    values.update(
        name=secrets.token_hex(5), creation=now, modified=now, modified_by="Administrator",
        owner="Administrator", docstatus=0, idx=0,
    )  # fmt: skip
    db = _db()
    db.execute("BEGIN IMMEDIATE")
    try:
        db.execute(
            f"INSERT INTO tabToDo ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return _json({"data": {**{k: v for k, v in values.items() if v is not None}, "doctype": "ToDo"}})


async def update(request: Request) -> Response:
    """PUT /api/resource/ToDo/{name} with a JSON body: UPDATE, SELECT back, commit."""
    name = request.path_params["name"]
    body = orjson.loads(await request.body())
    values = {k: v for k, v in body.items() if k in _COLUMN_SET and k != "name"}
    values["modified"] = _now()
    db = _db()
    db.execute("BEGIN IMMEDIATE")
    try:
        assignments = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE tabToDo SET {assignments} WHERE name = ?", (*values.values(), name))
        row = db.execute(_SELECT_ONE, (name,)).fetchone()
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return _not_found(name) if row is None else _json({"data": _doc(row)})


def _count() -> int:
    return int(_db().execute("SELECT COUNT(*) FROM tabToDo").fetchone()[0])


async def count_v1(request: Request) -> Response:
    """GET /api/method/frappe.client.get_count?doctype=ToDo"""
    return _json({"message": _count()})


async def count_v2(request: Request) -> Response:
    """GET /api/v2/doctype/ToDo/count"""
    return _json({"data": _count()})


app = Starlette(
    routes=[
        Route("/api/method/ping", ping, methods=["GET", "POST"]),
        Route("/api/method/frappe.client.get_count", count_v1, methods=["GET", "POST"]),
        Route("/api/v2/doctype/ToDo/count", count_v2, methods=["GET"]),
        Route("/api/resource/ToDo", list_documents, methods=["GET"]),
        Route("/api/resource/ToDo", create, methods=["POST"]),
        Route("/api/resource/ToDo/{name}", read, methods=["GET"]),
        Route("/api/resource/ToDo/{name}", update, methods=["PUT"]),
    ]
)
