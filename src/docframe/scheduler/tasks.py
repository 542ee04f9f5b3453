"""docframe's own periodic work: SQLite statistics and purging what outlived its retention.

``log_retention_days`` (site config, default 30) bounds how long finished webhook deliveries
(Success / Exhausted), Scheduled Job Logs and finished or failed RQ Job rows are kept; sessions
stored in the database are deleted once past the session expiry (Redis expires its own).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete

from docframe.auth.settings import auth_settings

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
    ctx.conn.exec_driver_sql("PRAGMA optimize")
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
        stmt = delete(table).where(table.c.modified < cutoff)
        if statuses is not None:
            stmt = stmt.where(table.c.status.in_(statuses))
        done[doctype] = ctx.conn.execute(stmt).rowcount
    sessions = ctx.site.tables.framework.sessions
    expiry = auth_settings(ctx.site, ctx.conn).session_expiry
    done["Sessions"] = ctx.conn.execute(
        delete(sessions).where(sessions.c.lastupdate < ctx.now() - expiry)
    ).rowcount
    return done
