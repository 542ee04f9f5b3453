"""Webhooks and the scheduler lease on every database: outbox in the transaction, delivery, claims."""

from __future__ import annotations

import json
import time

import pytest

from docframe import errors
from docframe.auth.users import User
from docframe.model import lifecycle, persistence
from docframe.scheduler.lock import SchedulerLock
from docframe.sites import Site
from docframe.webhooks.delivery import deliver_one
from tests.conftest import SiteClient
from tests.unit.webhooks.conftest import Hooks, log_rows, wait_rows
from tests.unit.webhooks.receiver import Receiver


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
    time.sleep(0.1)  # the immediate job has claimed it by now
    (row,) = log_rows(site, hook)
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
