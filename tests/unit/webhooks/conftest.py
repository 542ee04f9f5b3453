"""Fixtures for webhook tests: a SQLite site with a fast retry schedule, a receiver, helpers."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from docframe.sites import Site
from docframe.users import User
from docframe.webhooks.delivery import sweep
from tests.conftest import SiteClient, api_key_for, make_site
from tests.unit.webhooks.receiver import Receiver

FAST = {"webhook_retry_schedule": [0.2, 0.3], "webhook_outbox_grace": 0}


@pytest.fixture(scope="module")
def hook_site(sites_root: Path, request: pytest.FixtureRequest) -> Iterator[Site]:
    name = f"wh-{request.module.__name__.rsplit('.', 1)[-1].replace('_', '-')}.test"
    site = make_site(sites_root, name, "sqlite", FAST)
    yield site
    site.dispose()


@pytest.fixture(scope="module")
def hook_admin(hook_site: Site, sites_root: Path) -> SiteClient:
    return SiteClient(hook_site, sites_root, api_key_for(hook_site))


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


class Hooks:
    """Creates webhooks through the API and deletes them after the test."""

    def __init__(self, client: SiteClient) -> None:
        self.client = client
        self.names: list[str] = []

    def make(self, url: str, **fields: Any) -> str:
        name = f"hook-{len(self.names)}-{time.monotonic_ns()}"
        body = {"name": name, "webhook_doctype": "ToDo", "webhook_docevent": "after_insert",
                "request_url": url, "enabled": 1, "request_method": "POST", **fields}  # fmt: skip
        response = self.client.post("/api/v2/document/Webhook", json=body)
        assert response.status_code == 200, response.text
        self.names.append(name)
        return name

    def cleanup(self) -> None:
        for name in self.names:
            self.client.delete(f"/api/v2/document/Webhook/{name}")


@pytest.fixture()
def hooks(hook_admin: SiteClient) -> Iterator[Hooks]:
    made = Hooks(hook_admin)
    yield made
    made.cleanup()


def log_rows(site: Site, webhook: str) -> list[dict[str, Any]]:
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        table = site.tables.get(ctx.meta("Webhook Request Log"))
        rows = ctx.conn.execute(
            table.select().where(table.c.webhook == webhook).order_by(table.c.creation)
        ).mappings()
        return [dict(r) for r in rows]


def wait_rows(
    site: Site, webhook: str, done: Any, timeout: float = 15.0, drive: bool = False
) -> list[dict[str, Any]]:
    """Poll the log rows of ``webhook`` until ``done(rows)``; ``drive`` runs the outbox sweep meanwhile
    (what the scheduler does on each tick)."""
    deadline = time.monotonic() + timeout
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        rows = log_rows(site, webhook)
        if done(rows):
            return rows
        if drive:
            with site.unit_of_work(User.administrator()) as ctx:
                sweep(ctx)
        time.sleep(0.05)
    raise AssertionError(f"log rows never reached the expected state: {rows}")


def finished(count: int = 1) -> Any:
    return lambda rows: len(rows) >= count and all(r["status"] in ("Success", "Exhausted") for r in rows)


def settled(rows: list[dict[str, Any]]) -> bool:
    return bool(rows) and all(r["status"] != "Queued" for r in rows)
