"""A serving worker loads only what its site uses (issue 11, RSS per worker).

A real ``docframe serve`` (one worker, the embedded scheduler on) on the SQLite site, which has no
``redis_url``: after start-up, after the scheduler's first webhook sweep and after requests of
every common kind (get, list, create, update, count; v1 and v2), none of the optional heavy
modules is in ``sys.modules``. The process reports its ``sys.modules`` when sent ``SIGUSR1``
(installed by the few lines of :data:`WRAPPER` before the command line runs).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import ADMIN_PASSWORD, make_site, start_server, stop_server

#: Loaded only by what needs them: Redis sites (redis, rq), webhook sending (httpx) and templates
#: (jinja2), PostgreSQL and MariaDB engines (their SQLAlchemy dialects), Password values
#: (cryptography), values holding HTML (bleach: these requests write plain text), command output
#: (rich), the commands that are not ``serve``, and the OpenAPI generator and discovery documents
#: (loaded by the first request for them).
NOT_LOADED = (
    "redis",
    "bleach",
    "rq",
    "httpx",
    "jinja2",
    "cryptography",
    "rich",
    "sqlalchemy.dialects.postgresql",
    "sqlalchemy.dialects.mysql",
    "docframe.openapi.spec",
    "docframe.openapi.discovery",
    "docframe.openapi.methods",
    "docframe.openapi.schemas",
    "docframe.openapi.paths",
    "docframe.webhooks.sending",
    "docframe.webhooks.templates",
    "docframe.cli.worker",
    "docframe.cli.ops",
    "docframe.cli.data",
    "docframe.cli.apps",
    "docframe.migrate",
    "docframe.dataio",
    "docframe.scaffold",
    "socketio",
    "psycopg",
    "pymysql",
)

WRAPPER = """
import json, os, signal, sys
def report(*_):
    path = os.environ["MODULES_REPORT"]
    with open(path + ".tmp", "w") as out:
        json.dump(sorted(sys.modules), out)
    os.replace(path + ".tmp", path)
signal.signal(signal.SIGUSR1, report)
sys.argv = ["docframe", *sys.argv[1:]]
from docframe.cli.main import main
main()
"""


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """A fresh SQLite site of its own (no webhook deliveries left by other tests to send)."""
    sites_root = tmp_path / "sites"
    sites_root.mkdir()
    (sites_root / "common_site_config.json").write_text("{}")
    site = make_site(sites_root, "lazy.test", "sqlite")
    assert not site.settings.redis_url
    site.dispose()
    report = tmp_path / "modules.json"
    proc, base = start_server(
        sites_root, "lazy.test", "--no-socketio-port",
        env={**os.environ, "MODULES_REPORT": str(report), "PYTHONUNBUFFERED": "1"},
        program=[sys.executable, "-c", WRAPPER],
    )  # fmt: skip
    try:
        yield proc, base, report
    finally:
        stop_server(proc)


def _modules(proc: subprocess.Popen[bytes], report: Path) -> set[str]:
    report.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not report.exists():
        assert time.monotonic() < deadline, "the server did not report its modules"
        time.sleep(0.05)
    return set(json.loads(report.read_text()))


def _loaded(modules: set[str]) -> list[str]:
    return sorted(m for m in NOT_LOADED if m in modules)


def test_a_sqlite_site_without_redis_loads_no_optional_module(
    served: tuple[subprocess.Popen[bytes], str, Path],
) -> None:
    proc, base, report = served
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
        assert login.status_code == 200
        # The scheduler's first tick runs the webhook sweep (frequency All, never run yet).
        deadline = time.monotonic() + 30
        while True:
            row = client.get("/api/resource/Scheduled Job Type/delivery.sweep").json()["data"]
            if row["last_execution"]:
                break
            assert time.monotonic() < deadline, "the webhook sweep did not run"
            time.sleep(0.2)
        started = _modules(proc, report)
        assert "docframe.webhooks.delivery" in started  # the sweep ran in this process
        assert _loaded(started) == []

        for i in range(3):
            created = client.post("/api/resource/ToDo", json={"description": f"lazy imports {i}"})
            assert created.status_code == 200
            name = created.json()["data"]["name"]
            assert (
                client.get(f"/api/resource/ToDo/{name}").json()["data"]["description"] == f"lazy imports {i}"
            )
            assert client.get(f"/api/v2/document/ToDo/{name}").status_code == 200
            updated = client.put(f"/api/resource/ToDo/{name}", json={"description": f"updated {i}"})
            assert updated.json()["data"]["description"] == f"updated {i}"
            assert client.patch(f"/api/v2/document/ToDo/{name}", json={"status": "Closed"}).status_code == 200
            listed = client.get("/api/resource/ToDo", params={
                "fields": '["name", "status"]', "filters": '[["status", "=", "Open"]]',
                "order_by": "modified desc", "limit_page_length": "20"})  # fmt: skip
            assert listed.status_code == 200
            assert client.get("/api/v2/document/ToDo", params={"limit": "20"}).status_code == 200
            count = client.get("/api/method/frappe.client.get_count", params={
                "doctype": "ToDo", "filters": '{"status": "Open"}'})  # fmt: skip
            assert isinstance(count.json()["message"], int)

    served_modules = _modules(proc, report)
    assert "docframe.doctypes.todo.todo" in served_modules  # the requests above did run here
    assert _loaded(served_modules) == []

    # The OpenAPI generator and the discovery documents load on their first request, and answer.
    with httpx.Client(base_url=base, timeout=30) as client:
        login = client.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
        assert login.status_code == 200
        document = client.get("/api/openapi.json")
        assert document.status_code == 200
        assert "/api/resource/ToDo" in document.json()["paths"]
        assert client.get("/api/v2/discovery").status_code == 200
    asked = _modules(proc, report)
    assert {"docframe.openapi.spec", "docframe.openapi.discovery"} <= asked
