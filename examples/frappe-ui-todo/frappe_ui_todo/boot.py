"""Boot values of the ToDo page, beside docframe's own (csrf_token, site_name, socketio_port)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from docframe.context import Context


def get_boot(ctx: Context) -> dict[str, Any]:
    """``window.todo_user``: who opened the page (``Guest`` before logging in)."""
    return {"todo_user": ctx.user.name}
