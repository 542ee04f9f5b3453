"""Job types: what the scheduler runs and when (Frappe's ``scheduler_events`` and Scheduled Job Type).

An app declares ``scheduler_events`` in its ``hooks`` module as Frappe does: ``{"all": [...],
"hourly": [...], "daily": [...], "weekly": [...], "monthly": [...], "yearly": [...], "hourly_long":
[...], ..., "cron": {"*/5 * * * *": [...]}}`` with dotted paths. docframe adds its own
(:data:`BUILTIN`). Each becomes a ``Scheduled Job Type`` (named like Frappe's: the last two parts
of the method). ``All`` runs every ``scheduler_interval`` seconds (site config, default 60); the
others follow their cron expression from the last execution (or from when the type was created).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from croniter import croniter

from docframe.hooks import app_hooks, as_list

__all__ = ["BUILTIN", "CRON", "JobType", "declared_job_types", "is_due", "next_run"]

#: Frequency -> cron expression (``All`` and ``Cron`` are handled apart).
CRON = {
    "Hourly": "0 * * * *", "Hourly Long": "0 * * * *", "Daily": "0 0 * * *", "Daily Long": "0 0 * * *",
    "Weekly": "0 0 * * 0", "Weekly Long": "0 0 * * 0", "Monthly": "0 0 1 * *", "Monthly Long": "0 0 1 * *",
    "Yearly": "0 0 1 1 *", "Annual": "0 0 1 1 *",
}  # fmt: skip
_HOOK_KEYS = {
    "all": "All", "hourly": "Hourly", "hourly_long": "Hourly Long", "daily": "Daily",
    "daily_long": "Daily Long", "weekly": "Weekly", "weekly_long": "Weekly Long", "monthly": "Monthly",
    "monthly_long": "Monthly Long", "yearly": "Yearly", "annual": "Annual",
}  # fmt: skip


@dataclass(frozen=True)
class JobType:
    """One periodic job: a dotted path, a frequency and (for ``Cron``) its expression."""

    method: str
    frequency: str
    cron_format: str = ""

    @property
    def name(self) -> str:
        """Frappe's name for it: the last two parts of the dotted path."""
        return ".".join(self.method.split(".")[-2:])


#: docframe's own periodic work.
BUILTIN: tuple[JobType, ...] = (
    JobType("docframe.webhooks.delivery.sweep", "All"),
    JobType("docframe.scheduler.tasks.optimize_sqlite", "Daily"),
    JobType("docframe.scheduler.tasks.purge_old_logs", "Daily"),
)


def app_job_types(apps: tuple[str, ...]) -> list[JobType]:
    """The job types the apps' ``hooks.scheduler_events`` declare."""
    found: list[JobType] = []
    for app in apps:
        module = app_hooks(app)
        if module is None:
            continue
        for key, value in (getattr(module, "scheduler_events", None) or {}).items():
            if key == "cron":
                for expression, methods in (value or {}).items():
                    if not croniter.is_valid(expression):
                        raise ValueError(f"{app}.hooks scheduler_events: invalid cron {expression!r}")
                    found += [JobType(m, "Cron", expression) for m in as_list(methods)]
            elif key in _HOOK_KEYS:
                found += [JobType(m, _HOOK_KEYS[key]) for m in as_list(value)]
            else:
                raise ValueError(f"{app}.hooks scheduler_events: unknown frequency {key!r}")
    return found


def declared_job_types(apps: tuple[str, ...]) -> list[JobType]:
    """docframe's job types, then the apps' (the first declaration of a method wins)."""
    seen: dict[str, JobType] = {}
    for job in (*BUILTIN, *app_job_types(apps)):
        seen.setdefault(job.method, job)
    return list(seen.values())


def next_run(frequency: str, cron_format: str, since: datetime, all_interval: float) -> datetime:
    """When a job last run (or created) at ``since`` is next due."""
    if frequency == "All":
        return since + timedelta(seconds=all_interval)
    expression = cron_format if frequency == "Cron" else CRON.get(frequency, "0 0 * * *")
    due = croniter(expression, since).get_next(datetime)
    if not isinstance(due, datetime):  # croniter has no type information
        raise TypeError(f"croniter returned {due!r} for {expression!r}")
    return due


def is_due(row: Any, now: datetime, all_interval: float) -> bool:
    """Whether the Scheduled Job Type ``row`` should run at ``now``."""
    if row.stopped:
        return False
    if row.frequency == "All" and row.last_execution is None:
        return True
    since = row.last_execution or row.creation
    return next_run(str(row.frequency), str(row.cron_format or ""), since, all_interval) <= now
