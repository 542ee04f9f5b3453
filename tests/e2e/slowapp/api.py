"""A whitelisted method that keeps its request busy until the test lets it go."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from docframe.context import Context
from docframe.methods.registry import whitelist

#: Longest a held request waits for its release file (the test releases it long before).
HOLD_LIMIT_SECONDS = 30.0


@whitelist()
def hold(ctx: Context, token: str) -> int:
    """Open a transaction, say so with ``<site>/hold/<token>.started``, then block until
    ``<site>/hold/release`` exists, like a slow query would; returns the ToDo count it read."""
    if not token.isalnum():
        raise ValueError("token must be alphanumeric")
    todo = ctx.site.tables.get(ctx.site.metas.get("ToDo", ctx.conn))
    count = ctx.conn.execute(select(func.count()).select_from(todo)).scalar_one()
    folder = ctx.site.settings.site_path / "hold"
    folder.mkdir(exist_ok=True)
    (folder / f"{token}.started").touch()
    deadline = time.monotonic() + HOLD_LIMIT_SECONDS
    while not (folder / "release").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return int(count)
