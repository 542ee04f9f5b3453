"""Webhooks and the scheduler lease on every database: outbox in the transaction, delivery, claims."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue

from docframe import errors
from docframe.jobs.backends import queue_name
from docframe.model import lifecycle, persistence
from docframe.scheduler.lock import SchedulerLock
from docframe.sites import Site
from docframe.users import User
from docframe.webhooks.sending import deliver_one
from tests.conftest import SiteClient, api_key_for, make_site
from tests.unit.webhooks.conftest import Hooks, wait_rows
from tests.unit.webhooks.receiver import Receiver

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def receiver() -> Receiver:
    found = Receiver().start()
    yield found  # type: ignore[misc]
    found.stop()


@pytest.fixture()
def site_hooks(admin: SiteClient) -> Hooks:
    made = Hooks(admin)
    yield made  # type: ignore[misc]
    made.cleanup()


def test_outbox_commits_with_the_document_and_is_delivered(
    site: Site, site_hooks: Hooks, receiver: Receiver
) -> None:
    hook = site_hooks.make(receiver.url, webhook_data=[{"fieldname": "description", "key": "d"}])
    with pytest.raises(errors.ValidationError), site.unit_of_work(User.administrator()) as ctx:
        lifecycle.insert(ctx, persistence.new_document(ctx, ctx.meta("ToDo"), {"description": "rolled back"}))
        raise errors.ValidationError("no")
    with site.unit_of_work(User.administrator()) as ctx:
        doc = lifecycle.insert(ctx, persistence.new_document(ctx, ctx.meta("ToDo"), {"description": "kept"}))
    (request,) = receiver.wait_for(1)
    assert json.loads(request.body) == {"d": "kept"}
    (row,) = wait_rows(site, hook, lambda rows: bool(rows) and rows[0]["status"] == "Success")
    assert row["reference_document"] == doc.name and row["attempts"] == 1


def test_a_delivery_is_claimed_once(site: Site, site_hooks: Hooks, receiver: Receiver) -> None:
    import httpx

    hook = site_hooks.make(receiver.url)
    receiver.hang = 0.5
    with site.unit_of_work(User.administrator()) as ctx:
        lifecycle.insert(ctx, persistence.new_document(ctx, ctx.meta("ToDo"), {"description": "once"}))
    (row,) = wait_rows(site, hook, lambda rows: bool(rows) and rows[0]["attempts"] == 1)  # claimed, sending
    with httpx.Client() as client:
        assert deliver_one(site, row["name"], client) == "skipped"
    wait_rows(site, hook, lambda rows: rows[0]["status"] == "Success")
    assert len(receiver.requests) == 1


def test_scheduler_lease_on_this_database(site: Site) -> None:
    name = f"conformance-{time.monotonic_ns()}"
    first, second = SchedulerLock(site, "a", 0.4, name), SchedulerLock(site, "b", 0.4, name)
    assert first.acquire() and not second.acquire()
    time.sleep(0.5)
    assert second.acquire() and not first.acquire() and second.holder_now() == "b"
    second.release()


def _redis_up() -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", 6379)) == 0


def test_with_redis_deliveries_go_to_the_webhooks_rq_queue(sites_root: Path, receiver: Receiver) -> None:
    if not _redis_up():
        if os.environ.get("CI") == "true":
            pytest.fail("redis on 127.0.0.1:6379 is unreachable (required under CI=true)")
        pytest.skip("redis on 127.0.0.1:6379 is unreachable")
    rq_site = make_site(
        sites_root, f"wh-rq-{secrets.token_hex(4)}.test", "sqlite", {"redis_url": "redis://127.0.0.1:6379/0"}
    )
    try:
        client = SiteClient(rq_site, sites_root, api_key_for(rq_site))
        hook = Hooks(client).make(receiver.url, background_jobs_queue="short")
        assert client.post("/api/v2/document/ToDo", json={"description": "via rq"}).status_code == 200
        time.sleep(0.3)
        assert receiver.requests == []  # queued on RQ, waiting for a worker
        redis = Redis.from_url("redis://127.0.0.1:6379/0")
        assert Queue(queue_name(rq_site.name, "short"), connection=redis).count == 1
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
        done = subprocess.run(
            [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "worker", "--site", rq_site.name, "--burst"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        (_request,) = receiver.wait_for(1)
        (row,) = wait_rows(rq_site, hook, lambda rows: rows[0]["status"] == "Success")
        assert row["queue"] == "short"
    finally:
        rq_site.dispose()
