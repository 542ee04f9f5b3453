"""RPC Widget controller: whitelisted document methods for the document-method tests."""

from __future__ import annotations

from sqlalchemy import func, select

from docframe.context import Context
from docframe.methods.registry import whitelist
from docframe.model import lifecycle
from docframe.model.document import Document


class RPCWidget(Document):
    """A widget with a counter."""

    @whitelist()
    def bump(self, by: int = 1) -> int:
        """Add ``by`` to the counter and save."""
        self.count = int(self.count or 0) + by
        lifecycle.save(self.ctx, self)
        return int(self.count)

    @whitelist(methods=["GET"])
    def peek(self) -> str:
        """Read-only (GET only)."""
        return f"{self.title}:{self.count}"

    @whitelist(allow_guest=True)
    def describe(self, args: object = None) -> dict[str, object]:
        """Echo what run_doc_method passed as ``args``."""
        return {"title": self.title, "args": args}

    def hidden(self) -> str:
        """Not whitelisted."""
        return "hidden"


@whitelist()
def widget_count(ctx: Context) -> int:
    """Module-level method reachable as /api/v2/method/RPC Widget/widget_count."""
    table = ctx.site.tables.get(ctx.site.metas.get("RPC Widget", ctx.conn))
    return int(ctx.conn.execute(select(func.count()).select_from(table)).scalar_one())
