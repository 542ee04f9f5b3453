"""The test app's boot values (they end up as window keys in its page)."""

from __future__ import annotations

from typing import Any

from docframe.context import Context


def get_boot(ctx: Context) -> dict[str, Any]:
    """Values for the page: the user, and a value that tries to close the boot script."""
    return {"spa_user": ctx.user.name, "tricky": "</script><script>alert(1)</script>"}
