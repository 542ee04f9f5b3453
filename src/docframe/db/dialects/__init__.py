"""Backend quirks, one module per database: connection set-up and error decoding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import Engine

__all__ = ["Dialect", "IntegrityInfo"]


@dataclass(frozen=True, slots=True)
class IntegrityInfo:
    """What a driver's integrity error says: the violated column or index, if it can be read."""

    kind: str  # "primary" | "unique" | "other"
    key: str | None = None


class Dialect(Protocol):
    """What every backend module provides."""

    name: str

    def prepare(self, engine: Engine) -> None:
        """Install connection hooks (pragmas, session settings, how a transaction begins) on a new engine.

        A unit of work begins its transaction with ``Connection.begin()`` after setting the execution
        option ``docframe_write``; a backend that needs to say how (SQLite: ``BEGIN IMMEDIATE`` for a
        write) does it in its SQLAlchemy dialect's ``do_begin`` (see ``sqlite.DocframeSQLiteDialect``).
        """

    def maintain(self, fairy: Any) -> None:
        """Between two units of work on a kept connection: periodic upkeep (planner statistics)."""

    def commits_seen(self, fairy: Any) -> int | None:
        """A number that changes whenever another connection has committed to the database.

        Read inside the current transaction; the same number twice on one connection means no other
        connection (of any process) committed in between. ``None`` where the backend has none.
        """

    def analyze(self, fairy: Any, tables: list[str] | None = None) -> None:
        """Renew the planner statistics of ``tables`` (default: all), outside a transaction."""

    def decode_integrity_error(self, message: str, orig: BaseException | None) -> IntegrityInfo:
        """Read which key an integrity error violated."""
