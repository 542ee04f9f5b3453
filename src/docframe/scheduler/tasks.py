"""docframe's own periodic work: SQLite statistics and purging what outlived its retention.

``log_retention_days`` (site config, default 30) bounds how long finished webhook deliveries
(Success / Exhausted), Scheduled Job Logs and finished or failed RQ Job rows are kept; sessions
stored in the database are deleted once past the session expiry (Redis expires its own).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from docframe.auth.settings import auth_settings
from docframe.db.dialects import sqlite
from docframe.db.repos import rows, sessions

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["optimize_sqlite", "purge_old_logs", "retention_days"]

DEFAULT_RETENTION_DAYS = 30


def retention_days(ctx: Context) -> float:
    """The site's ``log_retention_days``."""
    return ctx.site.settings.log_retention_days


def optimize_sqlite(ctx: Context) -> str:
    """``PRAGMA optimize`` on a SQLite site (keeps the query planner's statistics fresh)."""
    if ctx.site.db.engine.dialect.name != "sqlite":
        return "not SQLite"
    sqlite.optimize(ctx.conn)
    return "optimized"


def purge_old_logs(ctx: Context) -> dict[str, int]:
    """Delete logs older than the retention and expired database sessions; counts per table."""
    cutoff = ctx.now() - timedelta(days=retention_days(ctx))
    done: dict[str, int] = {}
    for doctype, statuses in (
        ("Webhook Request Log", ("Success", "Exhausted")),
        ("Scheduled Job Log", None),
        ("RQ Job", ("finished", "failed")),
    ):
        table = ctx.site.tables.get(ctx.meta(doctype))
        where = None if statuses is None else {"status": statuses}
        done[doctype] = rows.delete_older(ctx.conn, table, "modified", cutoff, where)
    expiry = auth_settings(ctx.site, ctx.conn).session_expiry
    done["Sessions"] = sessions.delete_expired(
        ctx.conn, ctx.site.tables.framework.sessions, ctx.now() - expiry
    )
    return done
