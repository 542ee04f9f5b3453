"""Job records: one ``RQ Job`` row per job, in the shape of Frappe's RQ Job DocType.

Frappe builds its RQ Job documents from Redis; docframe keeps them as rows of the ``RQ Job`` table
so that every backend (in-process or RQ) reports through the same place and clients read them with
``GET /api/resource/RQ Job/<job_id>``. ``name`` and ``job_id`` are the job's id, ``status`` moves
``queued`` -> ``started`` -> ``finished`` | ``failed``, ``exc_info`` holds the traceback of a
failure, ``arguments`` the JSON of the keyword arguments; ``owner`` is the user who enqueued it.
Status changes are written in their own short transactions, so they are visible at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from docframe.db.repos import rows
from docframe.model import persistence

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site

__all__ = ["JobSpec", "insert_record", "mark", "read_record"]

QUEUES = ("default", "short", "long")
DEFAULT_TIMEOUT = {"default": 300, "short": 300, "long": 1500}


@dataclass(frozen=True)
class JobSpec:
    """Everything a backend needs to run one job (JSON-friendly, so it can travel through Redis)."""

    job_id: str
    site_path: str
    method: str
    kwargs: dict[str, Any]
    user: str
    queue: str = "default"
    timeout: int = 300
    job_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The plain form RQ stores."""
        return {
            "job_id": self.job_id, "site_path": self.site_path, "method": self.method,
            "kwargs": self.kwargs, "user": self.user, "queue": self.queue, "timeout": self.timeout,
            "job_name": self.job_name,
        }  # fmt: skip


def _table(site: Site, conn: Any = None) -> Any:
    return site.tables.get(site.metas.get("RQ Job", conn))


def insert_record(ctx: Context, job: JobSpec) -> None:
    """Write the ``queued`` row of ``job`` in the context's transaction."""
    meta = ctx.meta("RQ Job")
    doc = persistence.new_document(ctx, meta)
    now = ctx.now()
    doc.update(
        {
            "name": job.job_id, "job_id": job.job_id, "owner": job.user, "modified_by": job.user,
            "creation": now, "modified": now, "queue": job.queue, "status": "queued",
            "job_name": job.job_name or job.method, "timeout": float(job.timeout),
            "arguments": orjson.dumps(job.kwargs, default=str).decode(),
        },
        with_name=True,
    )  # fmt: skip
    persistence.insert_doc(ctx, doc)


def _now(site: Site) -> datetime:
    tz = site.time_zone
    return datetime.now(tz).replace(tzinfo=None) if tz else datetime.now()


def mark(site: Site, job_id: str, status: str, **values: Any) -> None:
    """Set the status (and other columns) of a job's row in a transaction of its own."""
    table = _table(site)
    values = {"status": status, "modified": _now(site), **values}
    with site.connect() as conn:
        conn = conn.execution_options(docframe_write=True)
        with conn.begin():
            rows.update_rows(conn, table, {"name": job_id}, values)


def read_record(ctx: Context, job_id: str) -> dict[str, Any] | None:
    """The row of ``job_id`` as a dict, or None."""
    table = _table(ctx.site, ctx.conn)
    row = rows.first(ctx.conn, table, None, {"name": job_id})
    return None if row is None else {k: v for k, v in row.items() if not k.startswith("_")}


def now_for(site: Site) -> datetime:
    """The site's current time (naive, as stored)."""
    return _now(site)


__all__ += ["DEFAULT_TIMEOUT", "QUEUES", "now_for"]
