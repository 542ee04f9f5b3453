"""Field levels: which fields a user may read and write, by ``permlevel``.

:func:`mask_for_read` removes fields above the user's read levels from a document about to be
returned; :func:`reset_unwritable` puts back the stored (or default) value of fields the user may
not write, silently, as Frappe does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docframe.model.document import Document

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["mask_for_read", "reset_unwritable"]


def mask_for_read(ctx: Context, doc: Document) -> None:
    """Clear fields ``ctx.user`` may not read (no-op until field levels are enforced)."""
    return None


def reset_unwritable(ctx: Context, doc: Document, stored: Document | None) -> None:
    """Undo changes to fields ``ctx.user`` may not write (no-op until field levels are enforced)."""
    return None
