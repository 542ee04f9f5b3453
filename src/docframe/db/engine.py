"""Engines: one SQLAlchemy engine per site, chosen by the database URL, with the backend's module.

URLs: ``sqlite:///path/to/site.db``, ``postgresql://host/db`` (psycopg 3) and ``mariadb://`` or
``mysql://`` (PyMySQL). :func:`open_engine` normalises the driver part so users need not know it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine, make_url

from docframe.db.dialects import mariadb, postgres, sqlite

__all__ = ["Database", "normalise_url", "open_engine"]

_DIALECTS: dict[str, ModuleType] = {
    "sqlite": sqlite,
    "postgresql": postgres,
    "mysql": mariadb,
    "mariadb": mariadb,
}


def normalise_url(url: str) -> str:
    """Give a database URL the driver docframe uses for its backend."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend in ("mysql", "mariadb"):
        parsed = parsed.set(drivername="mysql+pymysql")
        query = dict(parsed.query)
        query.setdefault("charset", "utf8mb4")
        parsed = parsed.set(query=query)
    elif backend != "sqlite":
        raise ValueError(f"Unsupported database URL: {url!r} (use sqlite, postgresql or mariadb)")
    return parsed.render_as_string(hide_password=False)


@dataclass(frozen=True, slots=True)
class Database:
    """A site's engine and the module that knows its backend."""

    engine: Engine
    dialect: ModuleType

    @property
    def backend(self) -> str:
        """``sqlite``, ``postgresql`` or ``mariadb``."""
        return str(self.dialect.name)

    def analyze(self, tables: list[str] | None = None) -> None:
        """Renew the planner statistics of ``tables`` (default: every table) on a connection of its own."""
        fairy = self.engine.raw_connection()
        try:
            self.dialect.analyze(fairy, tables)
        finally:
            fairy.close()


def open_engine(url: str, *, pool_size: int = 8) -> Database:
    """Create the engine for ``url`` with the backend's connection hooks installed.

    ``pool_size`` connections are kept open (one per request thread); up to 16 more may open for
    background work (jobs, the request log) and are closed when returned.
    """
    full = normalise_url(url)
    parsed = make_url(full)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            # Each connection is used by one thread at a time (the unit of work holding it), but not
            # always the thread that opened it: pysqlite's same-thread check is turned off for that.
            full,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=pool_size,
            max_overflow=16,
        )
    else:
        engine = create_engine(
            full, pool_size=pool_size, max_overflow=16, pool_pre_ping=True, pool_recycle=3600
        )
    module = _DIALECTS[backend]
    module.prepare(engine)
    return Database(engine=engine, dialect=module)
