"""Operations over HTTP on every backend: CORS, request ids, the rate-limit budget, the request log."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from docframe.http.request_log import request_log
from docframe.sites import Site
from tests.conftest import SiteClient, api_key_for, make_site

ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def ops_site(backend: str, sites_root: Path) -> Iterator[Site]:
    site = make_site(
        sites_root,
        f"ops-{backend}",
        backend,
        {"allow_cors": [ORIGIN], "rate_limit": {"limit": 1000, "window": 3600}},
    )
    yield site
    site.dispose()


@pytest.fixture()
def ops(ops_site: Site, sites_root: Path) -> SiteClient:
    return SiteClient(ops_site, sites_root, api_key_for(ops_site))


def test_preflight_is_empty_200_with_cors_headers_and_no_cookies(ops: SiteClient) -> None:
    response = ops.options("/api/resource/ToDo", headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type, x-frappe-csrf-token"})  # fmt: skip
    assert response.status_code == 200 and response.content == b""
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-allow-methods"] == "PUT"
    assert response.headers["access-control-allow-headers"] == "content-type, x-frappe-csrf-token"
    assert response.headers["access-control-max-age"] == "86400"
    assert "set-cookie" not in response.headers


def test_allowed_origin_gets_cors_headers_on_normal_and_error_responses(ops: SiteClient) -> None:
    ok = ops.get("/api/method/ping", headers={"Origin": ORIGIN})
    assert ok.headers["access-control-allow-origin"] == ORIGIN and ok.headers["vary"] == "Origin"
    missing = ops.get("/api/resource/ToDo/does-not-exist", headers={"Origin": ORIGIN})
    assert missing.status_code == 404 and missing.headers["access-control-allow-origin"] == ORIGIN
    other = ops.get("/api/method/ping", headers={"Origin": "https://evil.example"})
    assert other.status_code == 200 and "access-control-allow-origin" not in other.headers


def test_every_response_has_a_request_id(ops: SiteClient) -> None:
    first = ops.get("/api/method/ping").headers["x-frappe-request-id"]
    second = ops.get("/api/resource/ToDo/nope").headers["x-frappe-request-id"]
    assert len(first) == 32 and first != second


def test_rate_limit_headers_count_server_time(ops: SiteClient) -> None:
    before = ops.get("/api/method/ping")
    assert before.headers["x-ratelimit-limit"] == str(1000 * 1_000_000)
    used = int(before.headers["x-ratelimit-used"])
    after = ops.get("/api/method/ping")
    assert int(after.headers["x-ratelimit-used"]) > used
    assert int(after.headers["x-ratelimit-remaining"]) == 1000 * 1_000_000 - int(
        after.headers["x-ratelimit-used"]
    )
    assert 0 < int(after.headers["x-ratelimit-reset"]) <= 3600


def test_spent_budget_is_429_in_each_versions_format(backend: str, sites_root: Path) -> None:
    site = make_site(
        sites_root, f"ops-tight-{backend}", backend, {"rate_limit": {"limit": 0.000001, "window": 3600}}
    )
    try:
        client = SiteClient(site, sites_root)
        client.get("/api/method/ping")  # spends the one-microsecond budget
        v1 = client.get("/api/method/ping")
        assert v1.status_code == 429 and v1.json() == {"exc_type": "TooManyRequestsError"}
        assert int(v1.headers["retry-after"]) > 0
        v2 = client.get("/api/v2/method/ping")
        assert v2.status_code == 429 and v2.json()["errors"][0]["type"] == "TooManyRequestsError"
    finally:
        site.dispose()


def test_request_log_records_api_calls_when_enabled(ops: SiteClient, ops_site: Site) -> None:
    assert (
        ops.put("/api/resource/System Settings/System Settings", json={"log_api_requests": 1}).status_code
        == 200
    )
    writer = request_log(ops_site)
    writer.refresh()
    marker = f"/api/resource/ToDo/log-probe-{time.monotonic_ns()}"
    assert ops.get(marker).status_code == 404  # unmatched or missing documents are logged too
    writer.flush()
    table = ops_site.tables.get(ops_site.metas.get("API Request Log"))
    with ops_site.db.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.path, table.c.method, table.c.user).where(table.c.path == marker)
        ).all()
    assert [tuple(r) for r in rows] == [(marker, "GET", "Administrator")]
    listed = ops.get(
        "/api/resource/API Request Log",
        params={"fields": json.dumps(["path"]), "filters": json.dumps({"path": marker})},
    )
    assert listed.json()["data"] == [{"path": marker}]
    assert (
        ops.put("/api/resource/System Settings/System Settings", json={"log_api_requests": 0}).status_code
        == 200
    )


def test_redis_outage_is_a_clear_503_and_redis_free_calls_still_work(sites_root: Path) -> None:
    site = make_site(sites_root, "ops-redis-down", "sqlite")
    site.dispose()
    config_path = sites_root / "ops-redis-down" / "site_config.json"
    config = json.loads(config_path.read_text())
    config_path.write_text(
        json.dumps(
            {**config, "redis_url": "redis://127.0.0.1:1/0", "rate_limit": {"limit": 100, "window": 60}}
        )
    )
    down = Site.open(sites_root / "ops-redis-down")
    try:
        client = SiteClient(down, sites_root)
        assert client.get("/api/method/ping").status_code == 200  # rate limiter fails open
        login = client.post("/api/method/login", json={"usr": "Administrator", "pwd": "x"})
        assert login.status_code == 503 and login.json()["exc_type"] == "ServiceUnavailable"
        client.http.cookies.set("sid", "a" * 56)
        v2 = client.get("/api/v2/method/frappe.auth.get_logged_user")
        assert v2.status_code == 503 and v2.json()["errors"][0]["type"] == "ServiceUnavailable"
    finally:
        down.dispose()
