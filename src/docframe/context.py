"""Context: what one unit of work (a request, a job, a CLI command) carries, passed explicitly.

Core code receives a :class:`Context` as a parameter. The only global is :data:`current`, a
``ContextVar`` that the HTTP edge sets so that ported controller code can reach the context; it
fails loudly outside a unit of work.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection

from docframe.errors import DoesNotExistError, Message
from docframe.users import User

if TYPE_CHECKING:
    from docframe.meta.schema import Meta
    from docframe.sites import Site

__all__ = ["Context", "current", "get_current"]


@dataclass
class Context:
    """One unit of work on one site: its user, its database connection, its queued messages."""

    site: Site
    user: User
    form: dict[str, Any] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    response_headers: dict[str, str] = field(default_factory=dict)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Run when the unit of work's transaction is rolled back instead (errors, read-only units).
    after_rollback: list[Callable[[], None]] = field(default_factory=list)
    #: Run just before a write unit of work commits, inside its transaction (e.g. the webhook
    #: outbox writes its rows here); an error raised here rolls the unit of work back.
    before_commit: list[Callable[[], None]] = field(default_factory=list)
    #: Per-unit-of-work state other modules own, keyed by owner name (today only the webhook outbox).
    state: dict[str, Any] = field(default_factory=dict)
    in_install: bool = False
    #: The client's address (see docframe.http.client_ip); "127.0.0.1" outside requests.
    request_ip: str = "127.0.0.1"
    #: The HTTP method of the request ("" outside requests).
    http_method: str = ""
    #: How the request was authenticated (set by the HTTP edge; None in jobs and CLI commands).
    auth: Any = None
    #: Whether the unit of work commits (set by ``Site.unit_of_work``).
    write: bool = False
    #: Opens the unit of work's one SQLAlchemy Connection and its transaction on first use.
    opener: Callable[[], Connection] | None = field(default=None, repr=False)
    _conn: Connection | None = field(default=None, repr=False)

    @property
    def conn(self) -> Connection:
        """The unit of work's SQLAlchemy Connection, opened (in the unit's transaction) on first use.

        It is the unit's only database handle: SQLAlchemy statements and prepared statements
        (:mod:`docframe.db.prepared`, run on its driver cursor) share its one transaction.
        """
        if self._conn is None:
            if self.opener is None:
                raise RuntimeError("docframe: this context has no database connection")
            self._conn = self.opener()
        return self._conn

    @property
    def writable(self) -> bool:
        """Whether the unit of work commits its writes (a write transaction)."""
        if self.opener is not None:  # made by Site.unit_of_work, which knows
            return self.write
        return bool(self.conn.get_execution_options().get("docframe_write"))

    @property
    def has_connection(self) -> bool:
        """Whether the database was touched in this unit of work."""
        return self._conn is not None

    def now(self) -> datetime:
        """The current time, naive, in the site's time zone (what Frappe stores)."""
        tz = self.site.time_zone
        return datetime.now(tz).replace(tzinfo=None) if tz else datetime.now()

    def msgprint(self, message: str, title: str = "Message", indicator: str | None = None) -> None:
        """Queue a message for the client (rendered by the response envelope)."""
        self.messages.append(Message(message, title=title, indicator=indicator))

    def meta(self, doctype: str) -> Meta:
        """The site's meta of ``doctype`` (404 when there is none).

        A cached meta is returned without touching the database; a writing unit of work opens its
        transaction first, because that is where it checks that cached definitions are current.
        """
        if self.write and self._conn is None and self.opener is not None:
            self.conn  # noqa: B018 - opening it runs the write path's metadata check
        found = self.site.metas.cached(doctype)
        return found if found is not None else self.site.metas.get(doctype, self.conn)

    def meta_exists(self, doctype: str) -> bool:
        """Whether ``doctype`` is a known DocType (see :meth:`meta`)."""
        if not isinstance(doctype, str) or not doctype:
            return False
        try:
            self.meta(doctype)
        except DoesNotExistError:
            return False
        return True


current: contextvars.ContextVar[Context] = contextvars.ContextVar("docframe_context")


def get_current() -> Context:
    """The context of the running unit of work; raises outside one."""
    try:
        return current.get()
    except LookupError:
        raise RuntimeError(
            "docframe: no context is active (this code must run inside a request or job)"
        ) from None
