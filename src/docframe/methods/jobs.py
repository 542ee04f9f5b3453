"""Job methods: read a background job's status and result (``docframe.get_job``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from docframe.jobs import get_job as read_job
from docframe.methods.registry import alias, whitelist

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["get_job"]


@alias("docframe.get_job")
@whitelist(methods=["GET", "POST"])
def get_job(ctx: Context, job_id: str) -> dict[str, Any]:
    """The job's ``RQ Job`` record (``status``, ``exc_info``, timings) plus ``result`` when finished."""
    return read_job(ctx, job_id)
