"""The ``__Auth`` table: password hashes, API-secret digests and sealed Password-field values."""

from __future__ import annotations

from sqlalchemy import Table, and_, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

__all__ = ["delete_value", "encrypted_values", "get_value", "replace_value", "set_value"]


def _key(auth: Table, doctype: str, name: str, fieldname: str) -> ColumnElement[bool]:
    return and_(auth.c.doctype == doctype, auth.c.name == name, auth.c.fieldname == fieldname)


def get_value(conn: Connection, auth: Table, doctype: str, name: str, fieldname: str) -> str | None:
    """The stored value of (doctype, name, fieldname), or None."""
    value = conn.execute(select(auth.c.password).where(_key(auth, doctype, name, fieldname))).scalar()
    return None if value is None else str(value)


def set_value(
    conn: Connection, auth: Table, doctype: str, name: str, fieldname: str, value: str, encrypted: int
) -> None:
    """Store ``value`` for (doctype, name, fieldname), replacing any old value."""
    conn.execute(delete(auth).where(_key(auth, doctype, name, fieldname)))
    conn.execute(
        insert(auth),
        {"doctype": doctype, "name": name, "fieldname": fieldname, "password": value, "encrypted": encrypted},
    )


def delete_value(conn: Connection, auth: Table, doctype: str, name: str, fieldname: str) -> None:
    """Forget the value of (doctype, name, fieldname)."""
    conn.execute(delete(auth).where(_key(auth, doctype, name, fieldname)))


def encrypted_values(conn: Connection, auth: Table) -> list[tuple[str, str, str, str | None]]:
    """Every sealed value: (doctype, name, fieldname, stored value)."""
    stmt = select(auth.c.doctype, auth.c.name, auth.c.fieldname, auth.c.password).where(auth.c.encrypted == 1)
    return [
        (str(d), str(n), str(f), None if v is None else str(v)) for d, n, f, v in conn.execute(stmt).all()
    ]


def replace_value(conn: Connection, auth: Table, doctype: str, name: str, fieldname: str, value: str) -> None:
    """Overwrite the stored value of (doctype, name, fieldname), keeping its ``encrypted`` flag."""
    conn.execute(update(auth).where(_key(auth, doctype, name, fieldname)).values(password=value))
