"""Background jobs: the in-process backend on every database, and RQ on Redis with ``docframe worker``."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docframe import errors
from docframe.jobs import enqueue
from docframe.jobs.backends import RQBackend
from docframe.jobs.queue import backend_for
from docframe.sites import Site
from tests.api.rpc import fixtures
from tests.api.rpc.helpers import poll_job, user_client
from tests.api.rpc.rpcapp import api as rpcapp_api
from tests.conftest import SiteClient, api_key_for, make_site

app_site, app_admin, app_guest = fixtures.app_site, fixtures.app_admin, fixtures.app_guest

JOBS = "tests.api.rpc.rpcapp.jobs"
REPO = Path(__file__).resolve().parents[2]


def test_enqueue_runs_in_process_and_reports_like_rq_job(app_site: Site, app_admin: SiteClient) -> None:
    assert not isinstance(backend_for(app_site), RQBackend)
    job_id = enqueue(app_site, f"{JOBS}.make_todo", description="from a job")
    record = poll_job(app_admin, job_id)
    assert record["status"] == "finished" and record["exc_info"] is None
    assert record["result"]["owner"] == "Administrator"
    assert record["job_name"] == f"{JOBS}.make_todo" and record["queue"] == "default"
    todo = app_admin.get(f"/api/v2/document/ToDo/{record['result']['name']}")
    assert todo.json()["data"]["description"] == "from a job"
    resource = app_admin.get(f"/api/resource/RQ Job/{job_id}").json()["data"]
    assert resource["name"] == resource["job_id"] == job_id and resource["status"] == "finished"
    assert resource["arguments"] == '{"description":"from a job"}'
    assert resource["started_at"] and resource["ended_at"] and resource["time_taken"] >= 0


def test_a_failing_job_is_failed_with_its_traceback(app_site: Site, app_admin: SiteClient) -> None:
    job_id = enqueue(app_site, f"{JOBS}.explode", reason="boom")
    record = poll_job(app_admin, job_id)
    assert record["status"] == "failed" and "RuntimeError: job exploded: boom" in record["exc_info"]
    assert "result" not in record


def test_jobs_run_as_the_user_who_queued_them_and_only_they_may_read_them(app_admin: SiteClient) -> None:
    email, user = user_client(app_admin, [])
    queued = user.post("/api/method/tests.api.rpc.rpcapp.api.queue_whoami")
    assert queued.status_code == 200
    job_id = queued.json()["message"]
    record = poll_job(user, job_id)
    assert record["result"] == email and record["owner"] == email
    _other_email, other = user_client(app_admin, [])
    hidden = other.get("/api/v2/method/docframe.get_job", params={"job_id": job_id})
    assert hidden.status_code == 404
    assert other.get(f"/api/resource/RQ Job/{job_id}").status_code == 403
    assert app_admin.get(f"/api/resource/RQ Job/{job_id}").status_code == 200


def test_a_job_queued_by_a_failed_request_never_runs(app_admin: SiteClient) -> None:
    marker = f"never-{secrets.token_hex(4)}"
    failed = app_admin.post(
        "/api/method/tests.api.rpc.rpcapp.api.queue_then_fail", json={"description": marker}
    )
    assert failed.status_code == 417
    job_id = rpcapp_api.QUEUED_BEFORE_FAILING[-1]
    time.sleep(0.3)
    assert app_admin.get(f"/api/resource/RQ Job/{job_id}").status_code == 404
    assert app_admin.get("/api/v2/method/docframe.get_job", params={"job_id": job_id}).status_code == 404


def test_enqueue_refuses_bad_methods_and_arguments(app_site: Site) -> None:
    with pytest.raises(errors.ValidationError, match="app is not installed"):
        enqueue(app_site, "os.system", command="true")
    with pytest.raises(errors.ValidationError, match="Invalid job method"):
        enqueue(app_site, f"{JOBS}.no_such_job")
    with pytest.raises(errors.ValidationError, match="JSON values"):
        enqueue(app_site, f"{JOBS}.make_todo", description=object())
    with pytest.raises(errors.ValidationError, match="Unknown queue"):
        enqueue(app_site, f"{JOBS}.whoami", queue="nowhere")


def test_get_job_of_an_unknown_id_is_404(app_admin: SiteClient) -> None:
    response = app_admin.get("/api/v2/method/docframe.get_job", params={"job_id": "no-such-job"})
    assert response.status_code == 404


# -- RQ on Redis ----------------------------------------------------------------------------------


def _redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


@pytest.fixture(scope="module")
def rq_site(sites_root: Path) -> Iterator[Site]:
    """A SQLite site whose jobs go to RQ on the local Redis."""
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("redis on 127.0.0.1:6379 is unreachable (required under CI=true)")
        pytest.skip("redis on 127.0.0.1:6379 is unreachable")
    config = {"redis_url": "redis://127.0.0.1:6379/0", "apps": [fixtures.APP]}
    site = make_site(sites_root, f"rq-{secrets.token_hex(4)}.test", "sqlite", config)
    yield site
    site.dispose()


def _worker(sites_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "worker", *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _record(client: SiteClient, job_id: str) -> dict[str, Any]:
    return dict(client.get("/api/v2/method/docframe.get_job", params={"job_id": job_id}).json()["data"])


def test_rq_jobs_wait_for_a_worker_then_finish(rq_site: Site, sites_root: Path) -> None:
    client = SiteClient(rq_site, sites_root, api_key_for(rq_site))
    assert isinstance(backend_for(rq_site), RQBackend)
    done = enqueue(rq_site, f"{JOBS}.make_todo", description="via rq")
    broken = enqueue(rq_site, f"{JOBS}.explode", reason="rq")
    time.sleep(0.3)
    assert _record(client, done)["status"] == "queued"
    result = _worker(sites_root, "--site", rq_site.name, "--burst")
    assert result.returncode == 0, result.stderr
    record = _record(client, done)
    assert record["status"] == "finished" and record["result"]["owner"] == "Administrator"
    assert client.get(f"/api/v2/document/ToDo/{record['result']['name']}").status_code == 200
    failed = _record(client, broken)
    assert failed["status"] == "failed" and "job exploded: rq" in failed["exc_info"]


def test_rq_bulk_operations_are_queued_on_redis(rq_site: Site, sites_root: Path) -> None:
    client = SiteClient(rq_site, sites_root, api_key_for(rq_site))
    docs = [
        {"doctype": "ToDo", "description": f"rq bulk {i}"}
        for i in range(rq_site.settings.bulk_async_threshold + 1)
    ]
    queued = client.post("/api/v2/method/bulk_insert", json={"docs": docs})
    assert queued.status_code == 202
    job_id = queued.json()["data"]["job_id"]
    assert _worker(sites_root, "--site", rq_site.name, "--burst", "--no-fork").returncode == 0
    record = _record(client, job_id)
    assert record["status"] == "finished" and record["result"]["success_count"] == len(docs)


def test_worker_refuses_sites_without_redis(sites_root: Path, sqlite_site: Site) -> None:
    result = _worker(sites_root, "--site", sqlite_site.name, "--burst")
    assert result.returncode != 0 and "has no redis_url" in result.stderr
    unknown = _worker(sites_root, "--site", "no-such-site.test", "--burst")
    assert unknown.returncode != 0 and "not found" in unknown.stderr
