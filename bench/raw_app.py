"""The raw reference for ``bench/workloads.py``: a bare ASGI callable over stdlib ``sqlite3`` + ``orjson``.

No framework, no ORM, no metadata: the SQL each workload needs, run inline on the event loop (the
fastest arrangement on one core). It still does what every server must: it looks the API key up and
checks the secret's SHA-256 on every request, parses Frappe's ``fields``/``filters``/``order_by``/
``limit_start``/``limit_page_length`` (columns checked against the table's), reads JSON bodies, and
answers in Frappe's envelopes (``{"data": ...}``, ``{"message": n}``). It is the ceiling docframe is
measured against, not a competitor.

Serves (database file from ``$BENCH_RAW_DB``):

- ``GET /api/resource/ToDo/<name>``: the row, every column, plus ``"doctype"``
- ``GET /api/resource/ToDo?fields=..&filters=..&order_by=..&limit_start=..&limit_page_length=..``
- ``POST /api/resource/ToDo``: insert with a 10-character hash name; ``PUT /api/resource/ToDo/<name>``
- ``GET /api/method/frappe.client.get_count?doctype=ToDo&filters=..``
- ``GET /api/method/ping``
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs, unquote

import orjson

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

OPERATORS = {"=": "=", "!=": "!=", ">": ">", "<": "<", ">=": ">=", "<=": "<=", "like": "LIKE"}


def open_db(path: str) -> sqlite3.Connection:
    """The connection every request uses (autocommit mode: transactions are explicit)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RawApp:
    """The reference application."""

    def __init__(self, path: str) -> None:
        self.db = open_db(path)
        self.columns = [row[1] for row in self.db.execute("PRAGMA table_info('tabToDo')")]
        self.allowed = set(self.columns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            status, payload = self.handle(scope, body)
        except HttpError as exc:
            status, payload = exc.status, {"exception": str(exc)}
        except (ValueError, sqlite3.Error) as exc:
            status, payload = 417, {"exception": str(exc)}
        data = orjson.dumps(payload)
        await send({
            "type": "http.response.start", "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        })  # fmt: skip
        await send({"type": "http.response.body", "body": data})

    def authenticate(self, scope: Scope) -> str:
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode()
        if not header.startswith("token ") or ":" not in header:
            raise HttpError(401, "missing token")
        key, secret = header[6:].split(":", 1)
        row = self.db.execute(
            "SELECT name, api_secret_hash FROM tabUser WHERE api_key = ?", (key,)
        ).fetchone()
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if row is None or not hmac.compare_digest(row[1], digest):
            raise HttpError(401, "invalid token")
        return str(row[0])

    def handle(self, scope: Scope, body: bytes) -> tuple[int, Any]:
        path, method = scope["path"], scope["method"]
        if path == "/api/method/ping":
            return 200, {"message": "pong"}
        user = self.authenticate(scope)
        query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}
        if path == "/api/method/frappe.client.get_count":
            where, params = self.where(query.get("filters"))
            count = self.db.execute(f"SELECT COUNT(*) FROM tabToDo{where}", params).fetchone()[0]
            return 200, {"message": count}
        if path == "/api/resource/ToDo":
            if method == "POST":
                return 200, {"data": self.insert(orjson.loads(body or b"{}"), user)}
            return 200, {"data": self.list(query)}
        if path.startswith("/api/resource/ToDo/"):
            name = unquote(path[len("/api/resource/ToDo/") :])
            if method == "PUT":
                return 200, {"data": self.update(name, orjson.loads(body or b"{}"), user)}
            return 200, {"data": self.get(name)}
        raise HttpError(404, "not found")

    def get(self, name: str) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM tabToDo WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise HttpError(404, f"ToDo {name} not found")
        return {**dict(zip(self.columns, row, strict=True)), "doctype": "ToDo"}

    def where(self, filters: str | None) -> tuple[str, list[Any]]:
        if not filters:
            return "", []
        parsed = orjson.loads(filters)
        items = [[k, "=", v] for k, v in parsed.items()] if isinstance(parsed, dict) else parsed
        clauses, params = [], []
        for item in items:
            column, op, value = item[-3], item[-2], item[-1]
            if column not in self.allowed or op not in OPERATORS:
                raise HttpError(417, f"bad filter {item!r}")
            clauses.append(f'"{column}" {OPERATORS[op]} ?')
            params.append(value)
        return " WHERE " + " AND ".join(clauses), params

    def list(self, query: dict[str, str]) -> list[dict[str, Any]]:
        fields = orjson.loads(query.get("fields", '["name"]'))
        if not all(isinstance(f, str) and f in self.allowed for f in fields):
            raise HttpError(417, "bad fields")
        order = query.get("order_by", "creation desc").split()
        if order[0] not in self.allowed or order[-1].lower() not in ("asc", "desc"):
            raise HttpError(417, "bad order_by")
        where, params = self.where(query.get("filters"))
        start, length = int(query.get("limit_start", 0)), int(query.get("limit_page_length", 20))
        sql = (
            f"SELECT {', '.join(f'{chr(34)}{f}{chr(34)}' for f in fields)} FROM tabToDo{where} "
            f'ORDER BY "{order[0]}" {order[-1]} LIMIT ? OFFSET ?'
        )
        rows = self.db.execute(sql, [*params, length, start]).fetchall()
        return [dict(zip(fields, row, strict=True)) for row in rows]

    def insert(self, doc: dict[str, Any], user: str) -> dict[str, Any]:
        now = dt.datetime.now().isoformat(sep=" ", timespec="microseconds")
        values = {k: v for k, v in doc.items() if k in self.allowed}
        values.update(name=secrets.token_hex(5), creation=now, modified=now, owner=user, modified_by=user)
        values.setdefault("docstatus", 0)
        values.setdefault("idx", 0)
        columns = ", ".join(f'"{c}"' for c in values)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                f"INSERT INTO tabToDo ({columns}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self.get(values["name"])

    def update(self, name: str, doc: dict[str, Any], user: str) -> dict[str, Any]:
        values = {
            k: v for k, v in doc.items() if k in self.allowed and k not in ("name", "creation", "owner")
        }
        values.update(
            modified=dt.datetime.now().isoformat(sep=" ", timespec="microseconds"), modified_by=user
        )
        self.db.execute("BEGIN IMMEDIATE")
        try:
            if self.db.execute("SELECT 1 FROM tabToDo WHERE name = ?", (name,)).fetchone() is None:
                raise HttpError(404, f"ToDo {name} not found")
            sets = ", ".join(f'"{c}" = ?' for c in values)
            self.db.execute(f"UPDATE tabToDo SET {sets} WHERE name = ?", [*values.values(), name])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return self.get(name)


app = RawApp(os.environ.get("BENCH_RAW_DB", "raw.db")) if os.environ.get("BENCH_RAW_DB") else None
