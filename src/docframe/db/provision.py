"""Provision: create a site's database on a PostgreSQL or MariaDB server when it does not exist yet."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from docframe.db.engine import normalise_url

__all__ = ["drop_database", "ensure_database"]


def _server_url(url: str) -> tuple[str, str, str]:
    parsed = make_url(normalise_url(url))
    backend = parsed.get_backend_name()
    name = parsed.database or ""
    # URL.set() ignores None, so the database part is replaced directly.
    server = parsed._replace(database="postgres" if backend == "postgresql" else None)
    return backend, name, server.render_as_string(hide_password=False)


def _valid(name: str) -> bool:
    return bool(name) and all(ch.isalnum() or ch == "_" for ch in name) and len(name) <= 63


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if missing (PostgreSQL, MariaDB); True if created."""
    backend, name, server = _server_url(url)
    if backend == "sqlite":
        return False
    if not _valid(name):
        raise ValueError(f"Database name {name!r} must be letters, digits and underscores")
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                exists = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
                ).first()
                if not exists:
                    conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
                    return True
            else:
                exists = conn.execute(
                    text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"), {"n": name}
                ).first()
                if not exists:
                    conn.exec_driver_sql(
                        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                    )
                    return True
    finally:
        engine.dispose()
    return False


def drop_database(url: str) -> None:
    """Drop the database named in ``url`` (PostgreSQL, MariaDB; used by tests and ``drop-site``)."""
    backend, name, server = _server_url(url)
    if backend == "sqlite" or not _valid(name):
        return
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            else:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
    except (OperationalError, ProgrammingError):
        pass
    finally:
        engine.dispose()
