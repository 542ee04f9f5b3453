"""Stateless workers: two ``docframe serve`` processes on one site share everything that matters.

Run on PostgreSQL + Redis and on MariaDB + Redis: a login on one process is valid on the other, a
DocType change made through one is seen by the other at once, the site-wide rate-limit budget is
shared, and naming-series counters never hand out the same name twice under concurrent inserts
through both.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from docframe.db.provision import drop_database
from tests.conftest import (
    ADMIN_PASSWORD,
    BACKEND_URLS,
    _port_open,
    make_site,
    require_backend,
    start_server,
)


def _require_redis() -> None:
    if not _port_open(6379):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is unreachable (required under CI=true)")
        pytest.skip("Redis on 127.0.0.1:6379 is unreachable")


_SITES: dict[str, tuple[Path, str]] = {}


def _start(sites: Path, site: str) -> tuple[subprocess.Popen[bytes], str]:
    return start_server(sites, site, output=subprocess.PIPE)


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    backend = str(request.param)
    require_backend(backend)
    _require_redis()
    sites = tmp_path_factory.mktemp(f"pair-{backend}")
    (sites / "common_site_config.json").write_text("{}")
    config = {
        "redis_url": f"redis://127.0.0.1:6379/{1 if backend == 'postgresql' else 2}",
        "rate_limit": {"limit": 600, "window": 600},
        "session_prefix": secrets.token_hex(4),
    }
    site = make_site(sites, f"pair-{backend}", backend, config)
    site.dispose()
    _SITES[backend] = (sites, site.name)
    first, base_a = _start(sites, site.name)
    second, base_b = _start(sites, site.name)
    yield base_a, base_b
    for proc in (first, second):
        proc.terminate()
        proc.wait(timeout=15)
    if backend in BACKEND_URLS:
        drop_database(json.loads((sites / site.name / "site_config.json").read_text())["db_url"])


def test_login_on_one_worker_is_valid_on_the_other(pair: tuple[str, str]) -> None:
    base_a, base_b = pair
    login = httpx.post(f"{base_a}/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD})
    assert login.status_code == 200
    sid = login.cookies["sid"]
    who = httpx.get(f"{base_b}/api/method/frappe.auth.get_logged_user", cookies={"sid": sid})
    assert who.status_code == 200 and who.json()["message"] == "Administrator"
    httpx.post(f"{base_b}/api/method/logout", cookies={"sid": sid})
    time.sleep(1.2)
    after = httpx.get(f"{base_a}/api/method/frappe.auth.get_logged_user", cookies={"sid": sid})
    assert after.status_code == 403


def _admin(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    assert (
        client.post("/api/method/login", json={"usr": "Administrator", "pwd": ADMIN_PASSWORD}).status_code
        == 200
    )
    return client


def test_doctype_change_through_one_is_seen_by_the_other_at_once(pair: tuple[str, str]) -> None:
    base_a, base_b = pair
    name = f"Shared Thing {secrets.token_hex(3)}"
    perms = [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}]
    a, b = _admin(base_a), _admin(base_b)
    try:
        created = a.post("/api/resource/DocType", json={"name": name, "custom": 1, "module": "Custom",
                         "fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title"}], "permissions": perms})  # fmt: skip
        assert created.status_code == 200, created.text
        doc = b.post(f"/api/resource/{name}", json={"title": "made on b"})
        assert doc.status_code == 200, doc.text
        definition = a.get(f"/api/resource/DocType/{name}").json()["data"]
        definition["fields"].append({"fieldname": "score", "fieldtype": "Int", "label": "Score"})
        assert (
            a.put(f"/api/resource/DocType/{name}", json={"fields": definition["fields"]}).status_code == 200
        )
        scored = b.post(f"/api/resource/{name}", json={"title": "scored", "score": 7})
        assert scored.status_code == 200 and scored.json()["data"]["score"] == 7
    finally:
        a.close()
        b.close()


def test_rate_limit_budget_is_shared(pair: tuple[str, str]) -> None:
    base_a, base_b = pair
    for _ in range(5):
        httpx.get(f"{base_a}/api/method/ping")
    time.sleep(0.15)  # a worker adds its summed durations to Redis at most every 100 ms, on its next request
    used_on_a = int(httpx.get(f"{base_a}/api/method/ping").headers["X-RateLimit-Used"])
    time.sleep(0.6)  # a worker may reuse its own last answer from Redis for half a second
    used_seen_by_b = int(httpx.get(f"{base_b}/api/method/ping").headers["X-RateLimit-Used"])
    assert used_on_a > 0
    assert used_seen_by_b >= used_on_a


def test_naming_series_never_repeats_under_concurrent_inserts_through_both(pair: tuple[str, str]) -> None:
    base_a, base_b = pair
    name = f"Series Thing {secrets.token_hex(3)}"
    a = _admin(base_a)
    created = a.post("/api/resource/DocType", json={
        "name": name, "custom": 1, "module": "Custom", "autoname": "SER-.####",
        "fields": [{"fieldname": "title", "fieldtype": "Data", "label": "Title"}],
        "permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1}],
    })  # fmt: skip
    assert created.status_code == 200, created.text
    clients = [a, _admin(base_b)]

    def insert(i: int) -> str:
        response = clients[i % 2].post(f"/api/resource/{name}", json={"title": f"t{i}"})
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["name"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        names = list(pool.map(insert, range(40)))
    for client in clients:
        client.close()
    assert len(set(names)) == 40
    assert sorted(names) == [f"SER-{i:04d}" for i in range(1, 41)]


def test_a_job_queued_through_one_is_run_by_docframe_worker_and_seen_by_the_other(
    pair: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    base_a, base_b = pair
    sites, site = _SITES[request.node.callspec.params["pair"]]
    a, b = _admin(base_a), _admin(base_b)
    try:
        names = [f"job-{secrets.token_hex(4)}-{i}" for i in range(25)]  # above the threshold of 20
        for name in names:
            assert a.post("/api/resource/ToDo", json={"description": name}).status_code == 200
        todo_names = [
            r["name"]
            for r in a.get(
                "/api/resource/ToDo",
                params={"filters": json.dumps([["description", "like", "job-%"]]), "limit_page_length": 0},
            ).json()["data"]
        ]
        queued = a.post("/api/v2/document/ToDo/bulk_delete", json={"names": todo_names})
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["data"]["job_id"]
        worker = subprocess.run(
            [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites), "worker", "--site", site, "--burst", "--no-fork"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert worker.returncode == 0, worker.stderr
        status = b.get("/api/method/docframe.get_job", params={"job_id": job_id}).json()["message"]
        assert status["status"] == "finished", status
        assert (
            a.get(
                "/api/v2/doctype/ToDo/count",
                params={"filters": json.dumps([["description", "like", "job-%"]])},
            ).json()["data"]
            == 0
        )
    finally:
        a.close()
        b.close()
