"""Driver errors -> docframe errors, translated once, here.

A primary-key clash is a :class:`~docframe.errors.DuplicateEntryError` (409), a unique-index clash a
:class:`~docframe.errors.UniqueValidationError`, a value the column cannot hold a
:class:`~docframe.errors.DataError` (417). Anything else propagates unchanged (a real server fault).
"""

from __future__ import annotations

from sqlalchemy.exc import DataError as SADataError
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from docframe import errors
from docframe.db.dialects import IntegrityInfo
from docframe.db.engine import Database
from docframe.db.tables import index_name
from docframe.meta.schema import Meta

__all__ = ["translate_read_error", "translate_write_error"]


def _autoname_keys(meta: Meta) -> set[str]:
    if meta.naming_rule != "field":
        return set()
    fieldname = meta.autoname.split(":", 1)[1].strip()
    return {fieldname, index_name(meta.table, fieldname, "unique")}


def translate_write_error(db: Database, exc: StatementError, meta: Meta, name: object) -> Exception:
    """Return the docframe error for a failed INSERT/UPDATE of a ``meta`` row named ``name``."""
    if isinstance(exc, IntegrityError):
        info = db.dialect.decode_integrity_error(str(exc.orig), exc.orig)
        if info.kind == "unique" and info.key in _autoname_keys(meta):
            # The name is copied from this field (``field:`` naming): the clash is a duplicate name,
            # whichever of the two indexes the backend happened to report first.
            info = IntegrityInfo("primary", "name")
        if info.kind == "primary":
            return errors.DuplicateEntryError(
                f"{meta.name} {name} already exists", title="Duplicate Name", doctype=meta.name
            )
        if info.kind == "unique":
            for f in meta.data_fields:
                if info.key in (f.fieldname, index_name(meta.table, f.fieldname, "unique")):
                    return errors.UniqueValidationError(
                        f"{f.display_label} must be unique", title="Duplicate Entry", doctype=meta.name
                    )
        return errors.DataError(f"Could not save {meta.name} {name}: a value breaks a database constraint")
    if isinstance(exc, SADataError):
        return errors.DataError(f"Could not save {meta.name} {name}: a value does not fit its column")
    if isinstance(exc, OperationalError) and "lock" in str(exc.orig).lower():
        return errors.QueryTimeoutError("The document is locked by another request. Please try again.")
    return exc


def translate_read_error(exc: StatementError) -> Exception:
    """Return the docframe error for a failed SELECT (a list or count query).

    A filter value the column cannot hold (PostgreSQL casts parameters to the column type, so
    ``flag = 32768`` on a ``smallint`` fails) is a :class:`~docframe.errors.DataError` (417), a lock
    wait a :class:`~docframe.errors.QueryTimeoutError`; anything else is returned unchanged.
    """
    if isinstance(exc, SADataError):
        return errors.DataError("A filter value does not fit the type of its field")
    if isinstance(exc, OperationalError) and "lock" in str(exc.orig).lower():
        return errors.QueryTimeoutError("The query waited too long for a lock. Please try again.")
    return exc
