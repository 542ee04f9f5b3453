"""The scheduler loop: per site, take the lease, sync job types, run what is due, record it.

:class:`SiteScheduler` does one site's tick; :class:`Scheduler` runs ticks for every site of a sites
folder every ``tick`` seconds until stopped, in the foreground (``docframe scheduler``) or on a
thread inside ``docframe serve`` (the embedded default). Each job runs in a unit of work of its own
as Administrator (a first parameter named ``ctx`` receives it); its ``Scheduled Job Type`` gets
``last_execution`` and a ``Scheduled Job Log`` records the outcome (for ``All`` jobs only failures,
unless the type has ``create_log``). A failing job never stops the scheduler.

Site config: ``scheduler_tick`` (seconds between ticks, default 10), ``scheduler_interval`` (the
``All`` frequency, default 60), ``scheduler_lock_lease`` (default 60; a dead holder's lease is
taken over after it), ``pause_scheduler`` (1 to run nothing).
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from docframe.db.repos import rows
from docframe.jobs.runner import job_function
from docframe.model import lifecycle, persistence
from docframe.scheduler.events import JobType, declared_job_types, is_due
from docframe.scheduler.lock import SchedulerLock, holder_id
from docframe.users import User

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site, SiteRegistry

__all__ = ["Scheduler", "SchedulerSettings", "SiteScheduler"]

log = logging.getLogger("docframe.scheduler")


@dataclass(frozen=True)
class SchedulerSettings:
    """The scheduler's site config."""

    tick: float = 10.0
    all_interval: float = 60.0
    lease: float = 60.0
    paused: bool = False

    @classmethod
    def of(cls, site: Site) -> SchedulerSettings:
        """Parsed from the site config."""
        settings = site.settings
        return cls(
            tick=settings.scheduler_tick, all_interval=settings.scheduler_interval,
            lease=settings.scheduler_lock_lease, paused=settings.pause_scheduler,
        )  # fmt: skip


class SiteScheduler:
    """One site's scheduler state in this process."""

    def __init__(self, site: Site, holder: str) -> None:
        self.site = site
        self.settings = SchedulerSettings.of(site)
        self.lock = SchedulerLock(site, holder, self.settings.lease)
        self.synced = False

    def sync(self) -> None:
        """Create a Scheduled Job Type for every declared job (existing ones keep their state)."""
        with self.site.unit_of_work(User.administrator()) as ctx:
            meta = ctx.meta("Scheduled Job Type")
            table = ctx.site.tables.get(meta)
            known = {str(n) for n in rows.values(ctx.conn, table, "name")}
            for job in declared_job_types(self.site.settings.apps):
                if job.name in known:
                    rows.update_rows(ctx.conn, table, {"name": job.name}, {
                        "method": job.method, "frequency": job.frequency, "cron_format": job.cron_format})  # fmt: skip
                    continue
                doc = persistence.new_document(ctx, meta, {
                    "method": job.method, "frequency": job.frequency, "cron_format": job.cron_format})  # fmt: skip
                lifecycle.insert(ctx, doc, set_name=job.name, ignore_permissions=True)
        self.synced = True

    def tick(self) -> list[str]:
        """Run what is due if this process holds the lease; the names of the jobs run."""
        if self.settings.paused or not self.lock.acquire():
            return []
        if not self.synced:
            self.sync()
        with self.site.unit_of_work(User.administrator(), write=False) as ctx:
            table = ctx.site.tables.get(ctx.meta("Scheduled Job Type"))
            now = ctx.now()
            stored = (SimpleNamespace(**row) for row in rows.select_rows(ctx.conn, table))
            due = [row for row in stored if is_due(row, now, self.settings.all_interval)]
        ran = []
        for row in due:
            self.run(JobType(str(row.method), str(row.frequency), str(row.cron_format or "")), row)
            ran.append(str(row.name))
        return ran

    def run(self, job: JobType, row: Any) -> bool:
        """Run one job now and record it; True when it succeeded."""
        try:
            func = job_function(job.method, self.site.settings.apps)
            with self.site.unit_of_work(User.administrator()) as ctx:
                result = func(ctx) if _wants_ctx(func) else func()
            ok, details = True, "" if result is None else str(result)[:2000]
        except Exception as exc:
            log.warning("scheduled job %s failed: %s: %s", job.method, type(exc).__name__, exc)
            ok, details = False, "".join(traceback.format_exception(exc))
        self._record(job, row, ok, details)
        return ok

    def _record(self, job: JobType, row: Any, ok: bool, details: str) -> None:
        with self.site.unit_of_work(User.administrator()) as ctx:
            table = ctx.site.tables.get(ctx.meta("Scheduled Job Type"))
            rows.update_rows(ctx.conn, table, {"name": row.name}, {"last_execution": ctx.now()})
            if ok and job.frequency == "All" and not row.create_log:
                return
            _log(ctx, str(row.name), "Complete" if ok else "Failed", details)

    def release(self) -> None:
        """Give up the lease (clean shutdown)."""
        try:
            self.lock.release()
        except Exception:
            log.debug("could not release the scheduler lock of %s", self.site.name, exc_info=True)


def _wants_ctx(func: Any) -> bool:
    code = getattr(func, "__code__", None)
    return bool(code and code.co_argcount and code.co_varnames[0] == "ctx")


def _log(ctx: Context, job_type: str, status: str, details: str) -> None:
    meta = ctx.meta("Scheduled Job Log")
    doc = persistence.new_document(
        ctx, meta, {"scheduled_job_type": job_type, "status": status, "details": details}
    )
    lifecycle.insert(ctx, doc, ignore_permissions=True)


class Scheduler:
    """Ticks every site of a sites folder (or the given ones) until :meth:`stop`."""

    def __init__(
        self, sites: SiteRegistry, names: list[str] | None = None, holder: str | None = None
    ) -> None:
        self.sites = sites
        self.names = names
        self.holder = holder or holder_id()
        self._per_site: dict[str, SiteScheduler] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _site_scheduler(self, name: str) -> SiteScheduler:
        found = self._per_site.get(name)
        if found is None:
            found = self._per_site[name] = SiteScheduler(self.sites.get(name), self.holder)
        return found

    def tick(self) -> float:
        """One tick over every site; returns the seconds to wait before the next."""
        wait = 10.0
        for name in self.names or self.sites.names():
            try:
                scheduler = self._site_scheduler(name)
                wait = min(wait, scheduler.settings.tick)
                scheduler.tick()
            except Exception:
                log.exception("scheduler tick failed for site %s", name)
        return wait

    def run_forever(self) -> None:
        """Tick until :meth:`stop` is called."""
        log.info("scheduler %s started", self.holder)
        while not self._stop.is_set():
            self._stop.wait(self.tick())
        for scheduler in self._per_site.values():
            scheduler.release()

    def start(self) -> None:
        """Run :meth:`run_forever` on a daemon thread."""
        self._thread = threading.Thread(target=self.run_forever, name="docframe-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop ticking and release the leases."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
