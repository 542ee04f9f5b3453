"""Prepared statements: a Core statement compiled once per site and run on the driver's own cursor.

The statements that run on every request (load a document by name, its child rows, insert or update
its row, a link check, the metadata version) are built with SQLAlchemy Core from the metadata-checked
tables, compiled here once, and executed on the cursor of the unit of work's one SQLAlchemy
:class:`~sqlalchemy.engine.Connection` (``ctx.conn``), inside its transaction: there is no second
handle. Each column type's bind and result processors are applied exactly as SQLAlchemy would, and a
driver error is re-raised as SQLAlchemy's own exception class (invalidating the Connection when the
server went away), so :mod:`docframe.db.errors` translates it as usual.

Why not ``conn.execute`` with a compiled cache: measured on SQLite (SQLAlchemy 2.1, Python 3.11, this
machine, 20,000 runs, best of 5), a 22-column SELECT by primary key costs 35 µs here against 75 µs
through ``conn.execute(stmt, params)`` with ``execution_options(compiled_cache=...)``, and a one-row
UPDATE 10 µs against 27 µs: a gap of 17-40 µs per statement (execution context, events, the result
object), well above the 10 µs that would justify dropping the executor. So a small one is kept.

What a statement costs here beyond the driver's own call is kept small: everything that does not
depend on the values is worked out when the statement is built (the positional order as one
``operator.itemgetter``, the bind processors by position, the result processors that do something,
by position); a naive ``datetime``, ``date`` or ``time`` is formatted with ``isoformat`` where that
gives exactly the text the type's own processor gives (checked on sample values when the statement
is built, see :func:`_shortcut`). Measured on SQLite (busy machine, best of 5 x 20,000): a 22-column
SELECT by primary key with three datetimes 8.6 µs against 5.1 µs for the bare driver call (10.4
before these), a one-row UPDATE with a datetime 4.3 µs against 2.4 µs (5.2 before).

It uses only documented interfaces: ``Connection.connection.dbapi_connection`` (the PEP 249
connection of the pooled connection, whose ``cursor()`` it calls), ``Connection.invalidate``, and of
the dialect's :class:`~sqlalchemy.sql.compiler.SQLCompiler` ``construct_expanded_state()`` (the SQL
string and the positional order, public since 2.0), ``binds``, ``insert_prefetch``,
``update_prefetch`` and ``effective_returning`` (documented attributes of the Core internals API),
and each bound type's ``dialect_impl(dialect).bind_processor(dialect)`` / ``result_processor``
(public :class:`~sqlalchemy.types.TypeEngine` methods). pyproject.toml pins SQLAlchemy to one minor series, and tests/unit/db covers
each of these on every backend.

Logging and tracing see these statements too: while SQL echo or the ``sqlalchemy.engine`` logger is
on for INFO, or the engine has cursor-execute or execute listeners (tracers such as OpenTelemetry's),
a statement runs through ``Connection.exec_driver_sql`` with the same SQL and parameters, so the log
lines and ``before_cursor_execute`` / ``after_cursor_execute`` listeners fire as for any other
statement. :func:`observed` decides; it costs a few µs (the listener collections are not free to
ask), so a unit of work asks once when it opens its Connection (a listener added in the middle of a
unit of work sees the statements of the next one).

Only plain statements qualify: a SELECT whose columns all have names, or an INSERT / UPDATE /
DELETE without RETURNING; no expanding ``IN`` parameters and no Python-side column defaults.
:class:`Prepared` refuses anything else when it is built, so a refusal shows up in the first test
that builds one, never at run time. A parameter without a value is refused as SQLAlchemy refuses it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql import Select
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ClauseElement

__all__ = ["Prepared", "observed", "prepared"]

_ENGINE_LOG = logging.getLogger("sqlalchemy.engine.Engine")

#: Values a bind processor may be checked against (microseconds, none, a year before 1000, midnight).
_SAMPLE_DATETIMES = (
    dt.datetime(2026, 12, 6, 4, 5, 6, 123456),
    dt.datetime(2026, 1, 2, 3, 4, 5),
    dt.datetime(999, 1, 2, 0, 0, 0, 7),
    dt.datetime(2000, 2, 29),
)


def _datetime_text(value: dt.datetime) -> str:
    return value.isoformat(" ", "microseconds")


def _time_text(value: dt.time) -> str:
    return value.isoformat("microseconds")


#: Candidate shortcuts for a bind processor: (exact value type, checked samples, the shortcut).
#: A shortcut is used only where it gives exactly what the type's own processor gives for every
#: sample (see :func:`_shortcut`); only timezone-naive values of exactly that type take it.
_SHORTCUTS: tuple[tuple[type, tuple[Any, ...], Callable[[Any], Any]], ...] = (
    (dt.datetime, _SAMPLE_DATETIMES, _datetime_text),
    (dt.date, tuple(v.date() for v in _SAMPLE_DATETIMES), dt.date.isoformat),
    (dt.time, tuple(v.time() for v in _SAMPLE_DATETIMES), _time_text),
)


def _shortcut(processor: Callable[[Any], Any]) -> tuple[type | None, Callable[[Any], Any] | None]:
    """A faster equivalent of ``processor`` for one exact value type, when there is one.

    SQLite's ``DateTime``, ``Date`` and ``Time`` bind processors format values with ``%`` and a
    dict of their fields (about 1.4 µs for a datetime); the standard library's ``isoformat`` gives
    the same text in a third of the time. Which processor formats how is not asked of SQLAlchemy
    (its storage formats are not public): each candidate is compared with the processor itself on
    sample values, and kept only when every result is equal.
    """
    for kind, samples, fast in _SHORTCUTS:
        try:
            if all(processor(v) == fast(v) for v in samples):
                return kind, fast
        except Exception:  # the processor does not take this type: not a candidate
            continue
    return None, None


def observed(conn: Connection) -> bool:
    """Whether SQL on ``conn`` is being logged or traced, so statements must go through SQLAlchemy.

    True while the engine echoes SQL, while the ``sqlalchemy.engine`` logger is enabled for INFO, or
    while the engine has ``before_cursor_execute``, ``after_cursor_execute``, ``before_execute`` or
    ``after_execute`` listeners (where loggers and tracers attach). ``event.contains`` answers for
    one known function only, so the engine's listener collections (``Engine.dispatch``, the
    documented event dispatcher) are asked whether they hold any.

    A unit of work asks once, when it opens its Connection, and keeps the answer in the
    Connection's ``docframe_observed`` execution option; other Connections are asked per statement.
    """
    engine = conn.engine
    dispatch = engine.dispatch
    return bool(
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or dispatch.before_execute
        or dispatch.after_execute
        or engine.echo
        or _ENGINE_LOG.isEnabledFor(logging.INFO)
    )


class Prepared:
    """One statement compiled for one dialect, with its parameter order and type processors."""

    __slots__ = (
        "_converted",
        "_defaults",
        "_impls",
        "_processors",
        "_row_converted",
        "_values",
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
        # A statement compiles to its dialect's SQLCompiler (documented attributes only, see above).
        compiled = cast(
            SQLCompiler, stmt.compile(dialect=dialect, column_keys=list(column_keys) if column_keys else None)
        )
        binds = compiled.binds
        if any(b.expanding or b.literal_execute for b in binds.values()):
            raise ValueError(
                "docframe: a prepared statement cannot hold an expanding IN or literal_execute parameter"
            )
        if compiled.insert_prefetch or compiled.update_prefetch:
            raise ValueError("docframe: a prepared statement cannot rely on Python-side column defaults")
        if isinstance(stmt, Select):
            if any(c.key is None for c in stmt.selected_columns):
                raise ValueError("docframe: every column of a prepared SELECT needs a name (use .label())")
        elif not isinstance(stmt, UpdateBase) or compiled.effective_returning:
            raise ValueError("docframe: only a plain SELECT, INSERT, UPDATE or DELETE can be prepared")
        # The SQL and the positional order, as SQLAlchemy would execute the statement.
        # Required parameters get a placeholder value here: only the shape is read, never the values.
        state = compiled.construct_expanded_state({name: None for name, b in binds.items() if b.required})
        self.dialect = dialect
        self.sql: str = state.statement
        self.positional: bool = state.positiontup is not None
        self.names: list[str] = list(state.positiontup) if state.positiontup is not None else list(binds)
        self.bind_processors: dict[str, Callable[[Any], Any]] = {}
        for bind_name, bind in binds.items():  # TypeEngine's public dialect_impl / bind_processor
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.bind_processors[bind_name] = processor
        self._defaults: dict[str, Any] = {
            name: bind.effective_value for name, bind in binds.items() if not bind.required
        }
        if isinstance(stmt, Select):
            selected = list(stmt.selected_columns)
            self.keys: tuple[str, ...] = tuple(str(c.key) for c in selected)
            self._impls = [c.type.dialect_impl(dialect) for c in selected]
        else:
            self.keys, self._impls = (), []
        #: Positions of ``names`` whose values go through a bind processor, with the processor's
        #: shortcut for one exact value type (see :func:`_shortcut`).
        self._converted = tuple(
            (i, self.bind_processors[n], *_shortcut(self.bind_processors[n]))
            for i, n in enumerate(self.names)
            if n in self.bind_processors
        )
        #: The values of ``names`` out of a parameter mapping, in order, in one call.
        self._values: Callable[[Mapping[str, Any]], Any] | None = (
            itemgetter(*self.names) if len(self.names) > 1 else None
        )
        #: Result processors, read off the first result's cursor description (type codes are stable).
        self._processors: list[Callable[[Any], Any] | None] | None = None
        #: The result processors that do something: (position, processor).
        self._row_converted: tuple[tuple[int, Callable[[Any], Any]], ...] = ()

    # -- parameters ------------------------------------------------------------------------------

    def parameters(self, params: Mapping[str, Any]) -> Any:
        """The driver's parameters (a tuple for positional paramstyles, else a dict)."""
        defaults = self._defaults
        if defaults:
            params = {**defaults, **params}
        try:
            if self._values is not None:
                found: Any = self._values(params)
            else:
                found = tuple(params[n] for n in self.names)
        except KeyError as missing:
            raise StatementError(
                f"A value is required for bind parameter {missing}", self.sql, dict(params), None
            ) from None
        if self._converted:
            values = list(found)
            for position, processor, kind, fast in self._converted:
                value = values[position]
                if value is None:
                    continue
                if type(value) is kind and getattr(value, "tzinfo", None) is None:
                    values[position] = fast(value)  # type: ignore[misc]
                else:
                    values[position] = processor(value)
            found = values
        if self.positional:
            return tuple(found)
        return dict(zip(self.names, found, strict=True))

    # -- execution -------------------------------------------------------------------------------

    def _run(self, conn: Connection, params: Any, many: bool, fetch: bool) -> tuple[list[Any], int]:
        """Execute on ``conn``: the driver's rows (when ``fetch``) and its row count."""
        seen = conn.get_execution_options().get("docframe_observed")
        if seen if seen is not None else observed(conn):
            result = conn.exec_driver_sql(self.sql, params)
            try:
                if fetch and self._processors is None:
                    self._row_processors(result.cursor.description)
                return (list(result.fetchall()) if fetch else []), int(result.rowcount)
            finally:
                result.close()
        if not conn.in_transaction():
            conn.begin()  # SQLAlchemy's autobegin, so that closing or committing the Connection ends it
        dbapi_conn: Any = conn.connection.dbapi_connection
        cursor = dbapi_conn.cursor()
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
        try:
            if not fetch:
                return [], int(cursor.rowcount)
            if self._processors is None:
                self._row_processors(cursor.description)
            return cursor.fetchall(), 0
        finally:
            cursor.close()

    def _row_processors(self, description: Any) -> None:
        self._processors = [
            impl.result_processor(self.dialect, desc[1])
            for impl, desc in zip(self._impls, description or (), strict=True)
        ]
        self._row_converted = tuple((i, p) for i, p in enumerate(self._processors) if p is not None)

    def _convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        """One driver row, each value through its type's result processor."""
        converted = self._row_converted
        if not converted:
            return tuple(row)
        values = list(row)
        for position, processor in converted:
            value = values[position]
            if value is not None:
                values[position] = processor(value)
        return tuple(values)

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        """Every row of a SELECT, each value through its type's result processor."""
        raw, _ = self._run(conn, self.parameters(params or {}), many=False, fetch=True)
        convert = self._convert
        return [convert(r) for r in raw]

    def mappings(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of a SELECT as a dict keyed by column key."""
        keys = self.keys
        return [dict(zip(keys, r, strict=True)) for r in self.rows(conn, params)]

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
        """The first row of a SELECT as a dict, or None."""
        raw, _ = self._run(conn, self.parameters(params or {}), many=False, fetch=True)
        return dict(zip(self.keys, self._convert(raw[0]), strict=True)) if raw else None

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row, or None."""
        raw, _ = self._run(conn, self.parameters(params or {}), many=False, fetch=True)
        return self._convert(raw[0])[0] if raw else None

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run a DML statement once; the driver's row count."""
        return self._run(conn, self.parameters(params or {}), many=False, fetch=False)[1]

    def execute_many(self, conn: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
        """Run a DML statement once per parameter set (the driver's ``executemany``)."""
        params = [self.parameters(r) for r in rows]
        if not params:
            return 0
        if len(params) == 1:
            return self._run(conn, params[0], many=False, fetch=False)[1]
        return self._run(conn, params, many=True, fetch=False)[1]


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
