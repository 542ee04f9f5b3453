"""PostgreSQL (psycopg 3): error decoding from the constraint name."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from docframe.db.dialects import IntegrityInfo

name = "postgresql"


def prepare(engine: Engine) -> None:
    """Nothing to install: psycopg's defaults suit docframe."""


def begin_raw(dbapi_connection: Any, *, write: bool) -> None:
    """Nothing to send: psycopg opens the transaction with the first statement."""


def decode_integrity_error(message: str, orig: BaseException | None) -> IntegrityInfo:
    """Read the violated constraint from the driver's diagnostics."""
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None) or ""
    if constraint.endswith("_pkey"):
        return IntegrityInfo("primary", "name")
    if constraint:
        return IntegrityInfo("unique", constraint)
    return IntegrityInfo("other")
