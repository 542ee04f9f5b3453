"""Queue: ``enqueue(site, "dotted.path", **kwargs) -> job_id`` and reading a job back.

The job's ``RQ Job`` row (status ``queued``) is written in the caller's transaction when there is
one (``ctx=``, or the running request's context for the same site) and the job is handed to the
backend only after that transaction commits, so a job never runs against data its request rolled
back. Without a context the row is written in a transaction of its own and the job starts at once.
The backend is the in-process thread pool, or RQ when the site config has ``redis_url``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.context import Context, current
from docframe.jobs.backends import Backend, InProcessBackend, RQBackend
from docframe.jobs.records import DEFAULT_TIMEOUT, QUEUES, JobSpec, insert_record, mark, read_record
from docframe.jobs.runner import job_function
from docframe.permissions.rules import has_permission
from docframe.services import SlotKey
from docframe.users import User

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["backend_for", "enqueue", "get_job"]

#: The site's job backend (in-process or RQ).
JOB_BACKEND: SlotKey[Backend] = SlotKey("jobs")


def backend_for(site: Site) -> Backend:
    """The site's job backend (created on first use)."""

    def make() -> Backend:
        redis_url = site.settings.redis_url
        return RQBackend(site, redis_url) if redis_url else InProcessBackend(site)

    return site.services.slot(JOB_BACKEND).get(make)


def _dispatch(site: Site, job: JobSpec) -> None:
    try:
        backend_for(site).submit(job)
    except Exception as exc:  # the row is committed: record why the job will never run
        mark(site, job.job_id, "failed", exc_info=f"Could not queue the job: {type(exc).__name__}: {exc}")


def _writable(ctx: Context) -> bool:
    return ctx.writable


def _running_context(site: Site, ctx: Context | None) -> Context | None:
    if ctx is None:
        ctx = current.get(None)
    return ctx if ctx is not None and ctx.site is site else None


def enqueue(
    site: Site,
    method: str,
    *,
    ctx: Context | None = None,
    queue: str = "default",
    timeout: int | None = None,
    job_name: str | None = None,
    user: str | None = None,
    **kwargs: Any,
) -> str:
    """Queue ``method(**kwargs)`` (``method(ctx, **kwargs)`` when it takes ``ctx``); returns the job id."""
    if queue not in QUEUES:
        raise errors.ValidationError(f"Unknown queue {queue!r}: use one of {', '.join(QUEUES)}")
    job_function(method, site.settings.apps)
    try:
        arguments = orjson.loads(orjson.dumps(kwargs))
    except TypeError as exc:
        raise errors.ValidationError(f"Job arguments must be JSON values: {exc}") from None
    running = _running_context(site, ctx)
    active = running if running is not None and _writable(running) else None
    job = JobSpec(
        job_id=str(uuid.uuid4()),
        site_path=str(site.settings.site_path),
        method=method,
        kwargs=arguments,
        user=user or (running.user.name if running is not None else "Administrator"),
        queue=queue,
        timeout=int(timeout or DEFAULT_TIMEOUT[queue]),
        job_name=job_name or method,
    )
    if active is not None:
        insert_record(active, job)
        active.after_commit.append(lambda: _dispatch(site, job))
    else:
        with site.unit_of_work(User.administrator()) as own:
            insert_record(own, job)
        _dispatch(site, job)
    return job.job_id


def get_job(ctx: Context, job_id: str) -> dict[str, Any]:
    """The ``RQ Job`` record of ``job_id`` plus ``result`` (while the backend keeps it).

    Readable by whoever may read RQ Job (System Manager) and by the user who enqueued the job.
    """
    record = read_record(ctx, job_id) if isinstance(job_id, str) else None
    meta = ctx.meta("RQ Job")
    if record is None or not (record.get("owner") == ctx.user.name or has_permission(ctx, meta, "read")):
        raise errors.DoesNotExistError(f"RQ Job {job_id} not found", doctype="RQ Job")
    record["doctype"] = "RQ Job"
    if record.get("status") == "finished":
        known, value = backend_for(ctx.site).result(job_id)
        if known:
            record["result"] = value
    return record
