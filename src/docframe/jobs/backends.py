"""Job backends: where queued jobs run, behind a two-method protocol.

* :class:`InProcessBackend` (default): a small thread pool inside the server process; no extra
  service to run. Results are kept in memory (the last 1000) for :func:`~docframe.jobs.get_job`.
  A job yields to requests: it starts once the site's request threads have been idle for
  ``JOB_SETTLE`` seconds, or after ``JOB_LONGEST_WAIT`` seconds under a steady load, so a job queued
  by a request (a webhook delivery, a bulk job) does not run while that request's response is still
  being built and sent, on the same interpreter lock.
* :class:`RQBackend` (when the site config has ``redis_url``): jobs go to RQ queues named
  ``docframe:<site>:<queue>`` on that Redis and run in ``docframe worker`` processes
  (:func:`run_rq_job`); results are kept in Redis for an hour.

Both keep a job's result before its record says ``finished``.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from docframe.jobs.records import JobSpec
from docframe.jobs.runner import execute
from docframe.optional import redis_from_url, rq_queue
from docframe.sites import Site

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["Backend", "InProcessBackend", "RQBackend", "queue_name", "run_rq_job"]

log = logging.getLogger("docframe.jobs")
RESULT_TTL = 3600
KEPT_RESULTS = 1000
#: Seconds the request threads must have been idle before an in-process job starts, and the most
#: a job waits for that (measured with bench/webhooks.py: a job started at commit ran inside the
#: insert_many call that queued it and doubled its server time).
JOB_SETTLE = 0.02
JOB_LONGEST_WAIT = 2.0
_MISSING = object()
_LIVE: weakref.WeakSet[InProcessBackend] = weakref.WeakSet()


class Backend(Protocol):
    """Somewhere jobs run."""

    def submit(self, job: JobSpec) -> None:
        """Start (or queue) ``job``; its RQ Job row already exists."""

    def result(self, job_id: str) -> tuple[bool, Any]:
        """``(True, value)`` when the finished job's return value is still known, else ``(False, None)``."""


class InProcessBackend:
    """A thread pool in this process."""

    def __init__(self, site: Site, workers: int = 4) -> None:
        self.site = site
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"docframe-jobs-{site.name}")
        self._results: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        _LIVE.add(self)

    def _keep(self, job_id: str, value: Any) -> None:
        with self._lock:
            self._results[job_id] = value
            while len(self._results) > KEPT_RESULTS:
                self._results.popitem(last=False)

    def _run(self, job: JobSpec) -> None:
        self.site.threads.wait_quiet(JOB_SETTLE, JOB_LONGEST_WAIT)
        try:
            execute(self.site, job, lambda value: self._keep(job.job_id, value))
        except Exception:
            log.exception("background job %s (%s) failed", job.job_id, job.method)

    def submit(self, job: JobSpec) -> None:
        """Run ``job`` on a pool thread."""
        self._pool.submit(self._run, job)

    def result(self, job_id: str) -> tuple[bool, Any]:
        """The kept return value of ``job_id``."""
        with self._lock:
            value = self._results.get(job_id, _MISSING)
        return (False, None) if value is _MISSING else (True, value)

    def shutdown(self) -> None:
        """Wait for running jobs and stop the threads."""
        self._pool.shutdown(wait=True)


def queue_name(site_name: str, queue: str) -> str:
    """The RQ queue of a site's ``queue``."""
    return f"docframe:{site_name}:{queue}"


class RQBackend:
    """RQ queues on the site's Redis."""

    def __init__(self, site: Site, redis_url: str) -> None:
        self.site = site
        self.redis: Redis = redis_from_url(redis_url)

    @staticmethod
    def _result_key(job_id: str) -> str:
        return f"docframe:job-result:{job_id}"

    def submit(self, job: JobSpec) -> None:
        """Put ``job`` on its RQ queue (run by ``docframe worker``)."""
        queue = rq_queue(queue_name(self.site.name, job.queue), self.redis)
        queue.enqueue_call(
            "docframe.jobs.backends.run_rq_job",
            kwargs={"job": job.as_dict()},
            job_id=job.job_id,
            timeout=job.timeout,
            result_ttl=RESULT_TTL,
            failure_ttl=RESULT_TTL,
            description=job.job_name or job.method,
        )

    def keep(self, job_id: str, value: Any) -> None:
        """Store the return value of ``job_id`` (called by the worker before it marks the job finished)."""
        self.redis.set(self._result_key(job_id), orjson.dumps(value, default=str), ex=RESULT_TTL)

    def result(self, job_id: str) -> tuple[bool, Any]:
        """The stored return value of ``job_id``."""
        raw = self.redis.get(self._result_key(job_id))
        return (False, None) if raw is None else (True, orjson.loads(raw))


_WORKER_SITES: dict[str, Site] = {}
_WORKER_LOCK = threading.Lock()


def _worker_site(site_path: str) -> Site:
    site = _WORKER_SITES.get(site_path)
    if site is None:
        with _WORKER_LOCK:
            site = _WORKER_SITES.get(site_path)
            if site is None:
                site = _WORKER_SITES[site_path] = Site.open(Path(site_path))
    return site


def run_rq_job(job: dict[str, Any]) -> Any:
    """RQ entry point: run the job described by ``job`` (a :meth:`JobSpec.as_dict`), once per worker."""
    spec = JobSpec(**job)
    site = _worker_site(spec.site_path)
    backend = RQBackend(site, str(site.settings.redis_url))
    return execute(site, spec, lambda value: backend.keep(spec.job_id, value))


def shutdown_in_process() -> None:
    """Let every in-process backend of this process finish its running jobs (server shutdown)."""
    for backend in list(_LIVE):
        backend.shutdown()


__all__ += ["shutdown_in_process"]
