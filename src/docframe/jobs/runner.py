"""Runner: run one job inside a fresh unit of work, as the user who enqueued it, and record the outcome.

The job's function is found by its dotted path (docframe's or an installed app's); a first
parameter named ``ctx`` receives the unit of work. The job commits on success and rolls back on
error; its ``RQ Job`` row moves to ``started`` and then ``finished`` or ``failed`` (with the
traceback in ``exc_info``).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import time
import traceback
from collections.abc import Callable
from typing import Any

from docframe import errors
from docframe.auth.identity import identity_cache
from docframe.hooks import installed
from docframe.jobs.records import JobSpec, mark, now_for
from docframe.realtime.publish import task_scope
from docframe.sites import Site
from docframe.users import User

__all__ = ["execute", "job_function"]

log = logging.getLogger("docframe.jobs")


def job_function(method: str, apps: tuple[str, ...]) -> Callable[..., Any]:
    """The function a job runs: ``package.module.function`` in docframe or an installed app."""
    module_path, _, attr = method.rpartition(".")
    if not module_path or not all(part.isidentifier() for part in method.split(".")):
        raise errors.ValidationError(f"Invalid job method {method!r}: use a dotted path")
    if not installed(method, apps):
        raise errors.ValidationError(f"Invalid job method {method!r}: app is not installed")
    try:
        func: object = getattr(importlib.import_module(module_path), attr)
    except (ImportError, AttributeError) as exc:
        raise errors.ValidationError(f"Invalid job method {method!r}: {exc}") from None
    if not callable(func):
        raise errors.ValidationError(f"Invalid job method {method!r}: not a function")
    return func


def _wants_ctx(func: Callable[..., Any]) -> bool:
    params = list(inspect.signature(func).parameters)
    return bool(params) and params[0] == "ctx"


def _run(site: Site, job: JobSpec) -> Any:
    func = job_function(job.method, site.settings.apps)
    # The user is looked up in a read-only unit of its own, so a job that does not touch the
    # database through ``ctx`` (e.g. one sending HTTP requests) never holds a write transaction.
    with site.unit_of_work(User.guest(), write=False) as lookup:
        user = identity_cache(site).user(lookup, job.user)
    if user is None:
        raise errors.AuthenticationError(f"User {job.user} is disabled or missing")
    with site.unit_of_work(user) as ctx:
        return func(ctx, **job.kwargs) if _wants_ctx(func) else func(**job.kwargs)


def execute(site: Site, job: JobSpec, keep: Callable[[Any], None] | None = None) -> Any:
    """Run ``job`` now, recording ``started`` then ``finished`` or ``failed``; re-raises failures.

    ``keep`` receives the return value before the job is marked finished, so a reader who sees
    ``finished`` also finds the result.
    """
    started = time.monotonic()
    mark(site, job.job_id, "started", started_at=now_for(site))
    try:
        with task_scope(job.job_id):  # realtime progress goes to the job's task_progress room
            result = _run(site, job)
        if keep is not None:
            keep(result)
    except BaseException as exc:
        mark(site, job.job_id, "failed", ended_at=now_for(site), time_taken=time.monotonic() - started,
             exc_info="".join(traceback.format_exception(exc)))  # fmt: skip
        raise
    mark(site, job.job_id, "finished", ended_at=now_for(site), time_taken=time.monotonic() - started)
    return result
