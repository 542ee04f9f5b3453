"""A real ``docframe serve`` killed with SIGKILL after the commit, before the delivery completed:
the delivery still arrives once the server is back (the outbox row survives, the scheduler resends)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from docframe.scheduler.lock import SchedulerLock
from docframe.sites import Site
from docframe.users import User
from tests.conftest import api_key_for, make_site, start_server
from tests.unit.webhooks.receiver import Receiver

CONFIG = {"scheduler_tick": 0.2, "scheduler_interval": 0.3, "scheduler_lock_lease": 2,
          "webhook_outbox_grace": 1, "webhook_claim_margin": 1}  # fmt: skip


def _serve(sites_root: Path, site: Site, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    return start_server(sites_root, site.name, *flags, timeout=20)


@pytest.fixture()
def own_root(tmp_path: Path) -> Path:
    """A sites folder of the test's own: the session's ``server`` fixture runs an embedded scheduler
    over every site of the shared folder, which would take these sites' lease and deliveries."""
    root = tmp_path / "sites"
    root.mkdir()
    (root / "common_site_config.json").write_text("{}")
    return root


def _rows(site: Site) -> list[dict[str, object]]:
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        table = site.tables.get(ctx.meta("Webhook Request Log"))
        return [dict(r) for r in ctx.conn.execute(table.select()).mappings()]


def test_a_delivery_survives_kill_9_between_commit_and_delivery(own_root: Path) -> None:
    sites_root = own_root
    site = make_site(sites_root, "webhook-crash.test", "sqlite", CONFIG)
    token = api_key_for(site)
    receiver = Receiver(
        hold=threading.Event()
    ).start()  # the first request is held: the server is mid-delivery
    proc, base = _serve(sites_root, site)
    try:
        headers = {"Authorization": token}
        hook = {"name": "crash-hook", "webhook_doctype": "ToDo", "webhook_docevent": "after_insert", "timeout": 2,
                "request_url": receiver.url, "webhook_data": [{"fieldname": "description", "key": "d"}]}  # fmt: skip
        assert httpx.post(f"{base}/api/v2/document/Webhook", json=hook, headers=headers).status_code == 200
        created = httpx.post(
            f"{base}/api/v2/document/ToDo", json={"description": "survives"}, headers=headers
        )
        assert created.status_code == 200  # committed
        receiver.wait_for(1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        (row,) = _rows(site)
        assert row["status"] == "Queued"  # committed, not delivered
        receiver.hold = None
        assert receiver.hold is None
        proc, base = _serve(sites_root, site)
        requests = receiver.wait_for(2, timeout=30)
        assert json.loads(requests[-1].body) == {"d": "survives"}
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and _rows(site)[0]["status"] != "Success":
            time.sleep(0.1)
        (row,) = _rows(site)
        assert row["status"] == "Success" and row["attempts"] == 2
    finally:
        proc.kill()
        proc.wait()
        receiver.stop()
        site.dispose()


def test_serve_runs_the_scheduler_unless_told_not_to(own_root: Path) -> None:
    sites_root = own_root
    site = make_site(sites_root, "scheduler-flag.test", "sqlite", CONFIG)
    lock = SchedulerLock(site, "observer", 2)
    try:
        proc, _ = _serve(sites_root, site, "--no-scheduler")
        time.sleep(1.5)
        assert lock.holder_now() is None
        proc.kill()
        proc.wait()
        proc, _ = _serve(sites_root, site)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and lock.holder_now() is None:
            time.sleep(0.1)
        assert f":{proc.pid}:" in str(lock.holder_now())
    finally:
        proc.kill()
        proc.wait()
        site.dispose()
