"""``docframe console``: a Python shell connected to a site, like ``bench console``.

The shell holds an open unit of work as Administrator (``ctx``) and a few helpers that use it:
``get_doc``, ``new_doc``, ``get_list``, ``commit()`` and ``rollback()``. Nothing is written until
``commit()``; leaving the shell rolls back what was not committed. Commands can be piped in
(``echo 'print(get_list("ToDo"))' | docframe console``), which is also how it is tested.
"""

from __future__ import annotations

import code
import sys
from types import TracebackType
from typing import Any

import click

import docframe
from docframe.cli.common import pick_site
from docframe.model.document import Document
from docframe.sites import Site, UnitOfWork
from docframe.users import User

__all__ = ["ConsoleSession", "console_command"]


class _Rollback(Exception):
    """Ends a unit of work without committing it."""


class ConsoleSession:
    """The console's unit of work, reopened after each commit or rollback."""

    def __init__(self, site: Site, namespace: dict[str, Any]) -> None:
        self.site = site
        self.namespace = namespace
        self._uow: UnitOfWork | None = None
        self._open()

    def _open(self) -> None:
        self._uow = self.site.unit_of_work(User.administrator())
        self.namespace["ctx"] = self._uow.__enter__()

    def _end(self, error: BaseException | None) -> None:
        uow, self._uow = self._uow, None
        if uow is not None:
            kind: type[BaseException] | None = type(error) if error else None
            trace: TracebackType | None = None
            uow.__exit__(kind, error, trace)

    def commit(self) -> None:
        """Commit what was done so far and start a new unit of work."""
        self._end(None)
        self._open()

    def rollback(self) -> None:
        """Undo what was done since the last commit and start a new unit of work."""
        self._end(_Rollback())
        self._open()

    def close(self) -> None:
        """Roll back what was not committed and close the site's connections."""
        self._end(_Rollback())
        self.site.dispose()


def _namespace(site: Site) -> tuple[dict[str, Any], ConsoleSession]:
    from docframe.methods import client_read
    from docframe.model import operations

    namespace: dict[str, Any] = {"site": site, "docframe": docframe, "Document": Document}
    session = ConsoleSession(site, namespace)

    def get_doc(doctype: str, name: Any) -> Document:
        """The document ``doctype``/``name``."""
        return operations.get_document(namespace["ctx"], doctype, name)

    def new_doc(doctype: str, **values: Any) -> Document:
        """Insert a new ``doctype`` document with ``values`` (validated like an API insert)."""
        return operations.create_document(namespace["ctx"], doctype, values)

    def get_list(doctype: str, **kwargs: Any) -> list[Any]:
        """Rows of ``doctype``: ``fields=``, ``filters=``, ``order_by=``, ``limit_page_length=``..."""
        kwargs.setdefault("limit_page_length", 0)
        return client_read.get_list(namespace["ctx"], doctype, **kwargs)

    namespace.update(
        get_doc=get_doc, new_doc=new_doc, get_list=get_list,
        commit=session.commit, rollback=session.rollback,
    )  # fmt: skip
    return namespace, session


@click.command("console")
@click.option("--site", help="Site (default: the default site).")
@click.pass_context
def console_command(ctx: click.Context, site: str | None) -> None:
    """A Python shell with the site's context (ctx, site, get_doc, new_doc, get_list, commit)."""
    s = pick_site(ctx, site)
    namespace, session = _namespace(s)
    banner = (
        f"docframe {docframe.__version__} console on site {s.name} (Python {sys.version.split()[0]})\n"
        "ctx, site, get_doc(doctype, name), new_doc(doctype, **values), get_list(doctype, ...), "
        "commit(), rollback(); changes not committed are rolled back on exit."
    )
    if not sys.stdin.isatty():  # piped commands: no prompts in the output
        sys.ps1 = sys.ps2 = ""
    try:
        code.interact(banner=banner, local=namespace, exitmsg="")
    finally:
        session.close()
