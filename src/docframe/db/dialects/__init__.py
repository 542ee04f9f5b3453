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
        """Install connection hooks (pragmas, session settings) on a new engine."""

    def begin_raw(self, dbapi_connection: Any, *, write: bool) -> None:
        """Open a transaction on a driver connection, if the driver does not open it implicitly."""

    def maintain(self, fairy: Any) -> None:
        """Between two units of work on a kept connection: periodic upkeep (planner statistics)."""

    def analyze(self, fairy: Any, tables: list[str] | None = None) -> None:
        """Renew the planner statistics of ``tables`` (default: all), outside a transaction."""

    def decode_integrity_error(self, message: str, orig: BaseException | None) -> IntegrityInfo:
        """Read which key an integrity error violated."""
