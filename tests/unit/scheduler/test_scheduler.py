"""The scheduler: job types from hooks, due times, logs, purging, and one active holder per site."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from docframe.scheduler.events import declared_job_types, is_due, next_run
from docframe.scheduler.lock import SchedulerLock
from docframe.scheduler.service import SiteScheduler
from docframe.scheduler.tasks import purge_old_logs
from docframe.sites import Site
from docframe.users import User
from tests.conftest import make_site

APP = "tests.unit.scheduler.schedapp"


@pytest.fixture(scope="module")
def sched_site(sites_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    record = tmp_path_factory.mktemp("sched") / "ticks.txt"
    site = make_site(sites_root, "scheduler.test", "sqlite", {
        "apps": [APP], "schedapp_file": str(record), "scheduler_tick": 0.2, "scheduler_interval": 0.3,
        "scheduler_lock_lease": 1.5})  # fmt: skip
    yield site
    site.dispose()


def test_job_types_come_from_docframe_and_the_apps_hooks() -> None:
    jobs = {j.method: (j.frequency, j.cron_format, j.name) for j in declared_job_types((APP,))}
    assert jobs["docframe.webhooks.delivery.sweep"] == ("All", "", "delivery.sweep")
    assert jobs["docframe.scheduler.tasks.purge_old_logs"][0] == "Daily"
    assert jobs[f"{APP}.tasks.record"] == ("All", "", "tasks.record")
    assert jobs[f"{APP}.tasks.every_five"] == ("Cron", "*/5 * * * *", "tasks.every_five")


def test_due_times_follow_frequency_and_cron() -> None:
    base = datetime(2026, 3, 10, 10, 17)
    assert next_run("Hourly", "", base, 60) == datetime(2026, 3, 10, 11, 0)
    assert next_run("Daily", "", base, 60) == datetime(2026, 3, 11, 0, 0)
    assert next_run("Weekly", "", base, 60) == datetime(2026, 3, 15, 0, 0)  # Sunday
    assert next_run("Monthly", "", base, 60) == datetime(2026, 4, 1, 0, 0)
    assert next_run("Cron", "*/5 * * * *", base, 60) == datetime(2026, 3, 10, 10, 20)
    assert next_run("All", "", base, 60) == base + timedelta(seconds=60)
    row = SimpleNamespace(stopped=0, frequency="Hourly", cron_format="", last_execution=base, creation=base)
    assert not is_due(row, datetime(2026, 3, 10, 10, 59), 60) and is_due(
        row, datetime(2026, 3, 10, 11, 0), 60
    )
    row.stopped = 1
    assert not is_due(row, datetime(2026, 3, 11), 60)
    never = SimpleNamespace(stopped=0, frequency="All", cron_format="", last_execution=None, creation=base)
    assert is_due(never, base, 60)


def _rows(site: Site, doctype: str) -> list[dict[str, object]]:
    with site.unit_of_work(User.administrator(), write=False) as ctx:
        table = site.tables.get(ctx.meta(doctype))
        return [dict(r) for r in ctx.conn.execute(select(table)).mappings()]


def test_a_tick_syncs_job_types_runs_due_jobs_and_logs_failures(sched_site: Site) -> None:
    scheduler = SiteScheduler(sched_site, "test-holder")
    ran = scheduler.tick()
    assert "tasks.record" in ran and "delivery.sweep" in ran and "tasks.fail" not in ran  # daily: not yet
    types = {r["name"]: r for r in _rows(sched_site, "Scheduled Job Type")}
    assert types["tasks.record"]["last_execution"] is not None and types["tasks.fail"]["frequency"] == "Daily"
    with sched_site.unit_of_work(User.administrator()) as ctx:  # make the daily job due
        table = sched_site.tables.get(ctx.meta("Scheduled Job Type"))
        ctx.conn.execute(
            update(table).where(table.c.name == "tasks.fail").values(creation=datetime(2020, 1, 1))
        )
    assert "tasks.fail" in scheduler.tick()
    logs = [r for r in _rows(sched_site, "Scheduled Job Log") if r["scheduled_job_type"] == "tasks.fail"]
    assert (
        len(logs) == 1
        and logs[0]["status"] == "Failed"
        and "this job always fails" in str(logs[0]["details"])
    )
    assert not [
        r for r in _rows(sched_site, "Scheduled Job Log") if r["scheduled_job_type"] == "tasks.record"
    ]
    scheduler.release()


def test_purge_deletes_what_outlived_the_retention(sched_site: Site) -> None:
    old = datetime.now() - timedelta(days=45)
    with sched_site.unit_of_work(User.administrator()) as ctx:
        table = sched_site.tables.get(ctx.meta("Scheduled Job Log"))
        ctx.conn.execute(table.insert().values(name="old-log", creation=old, modified=old, status="Complete",
                                               scheduled_job_type="tasks.record"))  # fmt: skip
        ctx.conn.execute(update(table).values(modified=old))
        sessions = sched_site.tables.framework.sessions
        ctx.conn.execute(
            sessions.insert().values(sid="old-session", user="Administrator", lastupdate=old, status="Active")
        )
        ctx.conn.execute(
            sessions.insert().values(
                sid="live-session", user="Administrator", lastupdate=datetime.now(), status="Active"
            )
        )
    with sched_site.unit_of_work(User.administrator()) as ctx:
        done = purge_old_logs(ctx)
    assert done["Scheduled Job Log"] >= 1 and done["Sessions"] == 1
    assert _rows(sched_site, "Scheduled Job Log") == []
    with sched_site.unit_of_work(User.administrator(), write=False) as ctx:
        sids = set(ctx.conn.execute(select(sched_site.tables.framework.sessions.c.sid)).scalars())
    assert "live-session" in sids and "old-session" not in sids


def test_the_lock_has_one_holder_and_is_taken_over_when_it_expires(sched_site: Site) -> None:
    first, second = SchedulerLock(sched_site, "a", 0.5, "unit"), SchedulerLock(sched_site, "b", 0.5, "unit")
    assert first.acquire() and not second.acquire() and first.acquire()
    time.sleep(0.6)
    assert second.acquire() and not first.acquire()
    second.release()
    assert first.acquire()
    first.release()


def _start(sites_root: Path, site: Site) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "docframe.cli.main",
            "--sites",
            str(sites_root),
            "scheduler",
            "--site",
            site.name,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def test_two_scheduler_processes_one_active_and_takeover_when_it_dies(
    sched_site: Site, sites_root: Path
) -> None:
    record = Path(str(sched_site.settings.raw["schedapp_file"]))
    record.write_text("")
    procs = [_start(sites_root, sched_site), _start(sites_root, sched_site)]
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(record.read_text().split()) < 5:
            time.sleep(0.1)
        time.sleep(1.0)
        pids = {int(p) for p in record.read_text().split()}
        assert len(pids) == 1, f"more than one scheduler ran jobs: {pids}"
        (active,) = pids
        holder = SchedulerLock(sched_site, "observer", 1.5).holder_now()
        assert holder is not None and f":{active}:" in holder
        os.kill(active, signal.SIGKILL)
        other = next(p for p in procs if p.pid != active)
        before = len(record.read_text().split())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and str(other.pid) not in record.read_text().split()[before:]:
            time.sleep(0.1)
        ran_after = {int(p) for p in record.read_text().split()[before:]}
        assert ran_after == {other.pid}, f"after the kill, jobs ran in {ran_after}, expected only {other.pid}"
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_serve_with_two_workers_runs_one_scheduler(tmp_path: Path) -> None:
    from tests.conftest import free_port

    # A sites folder of its own: other tests' servers in the shared folder run schedulers too.
    sites_root = tmp_path / "sites"
    sites_root.mkdir()
    (sites_root / "common_site_config.json").write_text("{}")
    record = tmp_path / "ticks.txt"
    record.write_text("")
    # The lease outlives a busy machine's pauses: only a dead holder's lease may be taken over here.
    site = make_site(sites_root, "scheduler-workers.test", "sqlite", {
        "apps": [APP], "schedapp_file": str(record), "scheduler_tick": 0.2, "scheduler_interval": 0.3,
        "scheduler_lock_lease": 10})  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "docframe.cli.main", "--sites", str(sites_root), "serve", "--port", str(free_port()),
         "--workers", "2", "--site", site.name],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(record.read_text().split()) < 8:
            time.sleep(0.1)
        pids = {int(p) for p in record.read_text().split()}
        assert len(pids) == 1, f"jobs ran in several workers: {pids}"
        assert pids != {proc.pid}  # a worker process, not the supervisor
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        site.dispose()
