"""Prepared statements: a Core statement compiled once per site and run on the driver's own cursor.

``Connection.execute`` spends about 50 µs of Python per statement (execution context, events, the
result object) before and after the driver does its work. The statements that run on every request
(load a document by name, its child rows, insert or update its row, a link check, the metadata
version) are still built with SQLAlchemy Core from the metadata-checked tables, but compiled here
once and then executed on the unit of work's pooled driver connection (``Context.raw``, or the one
behind a SQLAlchemy :class:`~sqlalchemy.engine.Connection`), inside its transaction. Each column type's bind and result
processors are applied exactly as SQLAlchemy would, and a driver error is re-raised as SQLAlchemy's
own exception class, so :mod:`docframe.db.errors` translates it as usual.

Only plain statements qualify: a SELECT whose columns all have names, or an INSERT / UPDATE /
DELETE without RETURNING; no expanding ``IN`` parameters and no Python-side column defaults.
:class:`Prepared` refuses anything else when it is built, so a refusal shows up in the first test
that builds one, never at run time. A parameter without a value is refused as SQLAlchemy refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["Handle", "Prepared", "prepared"]

#: Where a prepared statement runs: a SQLAlchemy Connection, or the pooled driver connection of a
#: unit of work that has not needed a SQLAlchemy Connection (``Context.raw``).
Handle = Connection | PoolProxiedConnection


class Prepared:
    """One statement compiled for one dialect, with its parameter order and type processors."""

    __slots__ = (
        "_converted",
        "_defaults",
        "_impls",
        "_processors",
        "bind_processors",
        "dialect",
        "keys",
        "names",
        "positional",
        "sql",
    )

    def __init__(
        self, stmt: ClauseElement, dialect: Dialect, column_keys: Sequence[str] | None = None
    ) -> None:
        # A statement compiles to its dialect's SQLCompiler, whose binds and positions are read here.
        compiled = cast(
            SQLCompiler, stmt.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        )
        binds = compiled.binds
        if any(b.expanding for b in binds.values()):
            raise ValueError("docframe: a prepared statement cannot hold an expanding IN parameter")
        prefetch = [*getattr(compiled, "insert_prefetch", ()), *getattr(compiled, "update_prefetch", ())]
        if prefetch:
            raise ValueError("docframe: a prepared statement cannot rely on Python-side column defaults")
        if isinstance(stmt, Select):
            if any(c.key is None for c in stmt.selected_columns):
                raise ValueError("docframe: every column of a prepared SELECT needs a name (use .label())")
        elif not isinstance(stmt, UpdateBase) or compiled.effective_returning:
            raise ValueError("docframe: only a plain SELECT, INSERT, UPDATE or DELETE can be prepared")
        self.dialect = dialect
        self.sql: str = compiled.string
        self.positional: bool = bool(compiled.positional)
        self.names: list[str] = list(compiled.positiontup or ()) if self.positional else list(binds)
        self.bind_processors: dict[str, Callable[[Any], Any]] = {}
        self._defaults: dict[str, Any] = {}
        for bind_name, bind in binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.bind_processors[bind_name] = processor
            if not bind.required:  # a literal or a bindparam with a value; the others must be given
                self._defaults[bind_name] = bind.effective_value
        if isinstance(stmt, Select):
            selected = list(stmt.selected_columns)
            self.keys: tuple[str, ...] = tuple(str(c.key) for c in selected)
            self._impls = [c.type.dialect_impl(dialect) for c in selected]
        else:
            self.keys, self._impls = (), []
        #: Positions of ``names`` whose values go through a bind processor.
        self._converted = tuple(
            (i, self.bind_processors[n]) for i, n in enumerate(self.names) if n in self.bind_processors
        )
        #: Result processors, read off the first result's cursor description (type codes are stable).
        self._processors: list[Callable[[Any], Any] | None] | None = None

    # -- parameters ------------------------------------------------------------------------------

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters (a tuple for positional paramstyles, else a dict)."""
        defaults = self._defaults
        try:
            values = [params[n] if n in params else defaults[n] for n in self.names]
        except KeyError as missing:
            raise StatementError(
                f"A value is required for bind parameter {missing}", self.sql, dict(params), None
            ) from None
        for position, processor in self._converted:
            value = values[position]
            if value is not None:
                values[position] = processor(value)
        if self.positional:
            return tuple(values)
        return dict(zip(self.names, values, strict=True))

    # -- execution -------------------------------------------------------------------------------

    def _run(self, conn: Handle, params: Any, many: bool = False) -> Any:
        fairy = conn.connection if isinstance(conn, Connection) else conn
        dbapi_conn = fairy.dbapi_connection
        cursor = dbapi_conn.cursor()  # type: ignore[union-attr]
        try:
            if many:
                cursor.executemany(self.sql, params)
            else:
                cursor.execute(self.sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            lost = self.dialect.is_disconnect(exc, dbapi_conn, cursor)
            if lost:
                conn.invalidate(exc)
            raise DBAPIError.instance(
                self.sql,
                params,
                exc,
                self.dialect.loaded_dbapi.Error,
                dialect=self.dialect,
                connection_invalidated=lost,
            ) from exc
        return cursor

    def _row_processors(self, cursor: Any) -> list[Callable[[Any], Any] | None]:
        processors = self._processors
        if processors is None:
            description = cursor.description or ()
            processors = [
                impl.result_processor(self.dialect, desc[1])
                for impl, desc in zip(self._impls, description, strict=True)
            ]
            self._processors = processors
        return processors

    def rows(self, conn: Handle, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of a SELECT, each value through its type's result processor."""
        cursor = self._run(conn, self.parameters(params or {}))
        try:
            raw = cursor.fetchall()
            processors = self._row_processors(cursor)
        finally:
            cursor.close()
        if not any(processors):
            return [tuple(r) for r in raw]
        return [
            tuple(p(v) if p is not None and v is not None else v for p, v in zip(processors, r, strict=True))
            for r in raw
        ]

    def mappings(self, conn: Handle, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a SELECT as a dict keyed by column key."""
        keys = self.keys
        return [dict(zip(keys, r, strict=True)) for r in self.rows(conn, params)]

    def first(self, conn: Handle, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first row of a SELECT as a dict, or None."""
        found = self.rows(conn, params)
        return dict(zip(self.keys, found[0], strict=True)) if found else None

    def scalar(self, conn: Handle, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        found = self.rows(conn, params)
        return found[0][0] if found else None

    def execute(self, conn: Handle, params: Mapping[str, Any] | None = None) -> int:
        """Run a DML statement once; the driver's row count."""
        cursor = self._run(conn, self.parameters(params or {}))
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()

    def execute_many(self, conn: Handle, rows: Iterable[Mapping[str, Any]]) -> int:
        """Run a DML statement once per parameter set (the driver's ``executemany``)."""
        params = [self.parameters(r) for r in rows]
        if not params:
            return 0
        cursor = self._run(conn, params[0]) if len(params) == 1 else self._run(conn, params, many=True)
        try:
            return int(cursor.rowcount)
        finally:
            cursor.close()


def prepared(
    table: Table,
    key: Any,
    build: Callable[[], ClauseElement],
    dialect: Dialect,
    column_keys: Sequence[str] | None = None,
) -> Prepared:
    """The statement ``key`` of ``table``, built and compiled on first use, cached on the table."""
    cache: dict[Any, Prepared] | None = table.info.get("docframe_prepared")
    if cache is None:
        cache = table.info.setdefault("docframe_prepared", {})
    found = cache.get(key)
    if found is None or found.dialect is not dialect:
        found = cache[key] = Prepared(build(), dialect, column_keys)
    return found
