"""The app loads only what a site uses: Socket.IO on the first Socket.IO request, no other database's driver."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from docframe.sites import Site

# Runs in a fresh interpreter, so sys.modules shows what the app itself imported.
SCRIPT = """
import asyncio, json, sys
from pathlib import Path
import docframe.cli.main
from docframe.app import create_app

DRIVERS = ("psycopg", "psycopg2", "pymysql", "MySQLdb")

async def get(app, path, query=b""):
    sent = []
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
             "root_path": "", "headers": [(b"host", b"localhost")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 8000)}
    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}
    async def send(message):
        sent.append(message)
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body.decode()

async def main():
    app = create_app(Path(sys.argv[1]), forced_site=sys.argv[2])
    out = {"ping": await get(app, "/api/method/ping")}
    out["after_ping"] = sorted(m for m in ("socketio", "engineio", *DRIVERS) if m in sys.modules)
    status, body = await get(app, "/socket.io/", b"EIO=4&transport=polling")
    out["polling"] = [status, body[:2]]
    out["after_polling"] = sorted(m for m in ("socketio", "engineio", *DRIVERS) if m in sys.modules)
    print(json.dumps(out))

asyncio.run(main())
"""


def test_socketio_loads_on_the_first_socketio_request_and_no_other_driver(
    sqlite_site: Site, sites_root: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(sites_root), sqlite_site.name],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["ping"] == [200, '{"message":"pong"}']
    assert out["after_ping"] == []
    assert out["polling"] == [200, "0{"]
    assert out["after_polling"] == ["engineio", "socketio"]
