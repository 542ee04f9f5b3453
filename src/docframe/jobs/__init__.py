"""Background jobs: enqueue a dotted function with keyword arguments, run it later in its own unit of work."""

from __future__ import annotations

from docframe.jobs.queue import enqueue as enqueue
from docframe.jobs.queue import get_job as get_job

__all__ = ["enqueue", "get_job"]
