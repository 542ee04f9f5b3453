"""Background-job functions of the test app."""

from __future__ import annotations

from typing import Any

from docframe.context import Context
from docframe.model import lifecycle, persistence


def make_todo(ctx: Context, description: str) -> dict[str, Any]:
    """Insert a ToDo as the job's user; returns its name and owner."""
    doc = persistence.new_document(ctx, ctx.site.metas.get("ToDo", ctx.conn), {"description": description})
    lifecycle.insert(ctx, doc)
    return {"name": doc.name, "owner": doc.owner}


def whoami(ctx: Context) -> str:
    """The user the job runs as."""
    return ctx.user.name


def explode(reason: str) -> None:
    """Always fails."""
    raise RuntimeError(f"job exploded: {reason}")
