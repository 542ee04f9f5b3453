"""Prepared statements (:mod:`docframe.db.prepared`) against a real table on every backend.

Each test gets its own uniquely named DocType table (built by :func:`build_table` from a small meta
with Date, Datetime, Time, Float, Currency, Int, Check and Data fields), created before and dropped
after the test. Results read through :class:`Prepared` are compared with what plain SQLAlchemy
returns for the same statement, values and Python types both.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    cast,
    event,
    func,
    insert,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError

from docframe.db.errors import translate_write_error
from docframe.db.prepared import Prepared, observed, prepared
from docframe.db.tables import build_table
from docframe.errors import DuplicateEntryError
from docframe.meta.loader import load_meta
from docframe.meta.schema import Meta
from docframe.model.operations import create_document
from docframe.model.persistence import load_doc
from docframe.sites import Site
from docframe.users import User

FIELDS = [
    {"fieldname": "title", "fieldtype": "Data"},
    {"fieldname": "d", "fieldtype": "Date"},
    {"fieldname": "dt", "fieldtype": "Datetime"},
    {"fieldname": "t", "fieldtype": "Time"},
    {"fieldname": "f", "fieldtype": "Float"},
    {"fieldname": "c", "fieldtype": "Currency"},
    {"fieldname": "i", "fieldtype": "Int"},
    {"fieldname": "chk", "fieldtype": "Check"},
]
COLUMNS = ("name", "title", "d", "dt", "t", "f", "c", "i", "chk", "docstatus", "idx", "creation")
#: A row with a value in every column (microseconds and non-integral numbers included).
FULL: dict[str, Any] = {
    "name": "full",
    "title": "Ünïcode ✓ 'quoted'",
    "d": dt.date(2024, 2, 29),
    "dt": dt.datetime(2024, 3, 1, 23, 59, 58, 123456),
    "t": dt.time(7, 8, 9, 101112),
    "f": 1234.5,
    "c": 0.125,
    "i": -42,
    "chk": 1,
    "docstatus": 1,
    "idx": 7,
    "creation": dt.datetime(2024, 1, 31, 12, 34, 56),
}
#: A row with NULL in every nullable column; the numbers take their server defaults (0).
NULLS: dict[str, Any] = {
    "name": "nulls",
    "title": None,
    "d": None,
    "dt": None,
    "t": None,
    "f": 0.0,
    "c": 0.0,
    "i": 0,
    "chk": 0,
    "docstatus": 0,
    "idx": 0,
    "creation": None,
}


@dataclass
class Probe:
    site: Site
    meta: Meta
    table: Table

    def read(self, names: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """Every row (or the rows named ``names``) read with plain SQLAlchemy, in a new connection."""
        stmt = select(*[self.table.c[c] for c in COLUMNS])
        if names is not None:
            stmt = stmt.where(self.table.c.name.in_(names))
        with self.site.db.engine.connect() as conn:
            return {r["name"]: dict(r) for r in conn.execute(stmt).mappings()}


@pytest.fixture()
def probe(site: Site) -> Iterator[Probe]:
    meta = load_meta({"name": f"Prepared Probe {secrets.token_hex(4)}", "fields": FIELDS})
    metadata = MetaData()
    table = build_table(meta, metadata)
    with site.db.engine.begin() as conn:
        metadata.create_all(conn)
        conn.execute(insert(table), FULL)
        conn.execute(insert(table).values(name="nulls"))
    try:
        yield Probe(site, meta, table)
    finally:
        with site.db.engine.begin() as conn:
            metadata.drop_all(conn)


def _uow(site: Site) -> Any:
    return site.unit_of_work(User.administrator())


def _same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal values of the same Python type (``Decimal('1.5') == 1.5``, so types are checked too)."""
    assert actual == expected
    assert {k: type(v) for k, v in actual.items()} == {k: type(v) for k, v in expected.items()}


# -- 1. result processors ------------------------------------------------------------------------


def test_select_by_primary_key_matches_sqlalchemy(probe: Probe) -> None:
    table = probe.table
    stmt = select(table).where(table.c.name == bindparam("pk"))
    with _uow(probe.site) as ctx:
        p = Prepared(stmt, ctx.conn.dialect)
        for name, expected in (("full", FULL), ("nulls", NULLS)):
            reference = ctx.conn.execute(stmt, {"pk": name}).mappings().first()
            assert reference is not None
            got = p.first(ctx.conn, {"pk": name})
            assert got is not None
            _same(got, dict(reference))
            assert list(got) == list(reference.keys()) == [c.key for c in table.columns]
            _same({c: got[c] for c in COLUMNS}, expected)


def test_result_processors_give_python_types(probe: Probe) -> None:
    table = probe.table
    with _uow(probe.site) as ctx:
        p = Prepared(select(table.c.d, table.c.dt, table.c.t, table.c.f, table.c.c), ctx.conn.dialect)
        got = p.rows(ctx.conn)
    by_date = {r[0]: r for r in got}
    assert by_date[FULL["d"]] == (FULL["d"], FULL["dt"], FULL["t"], 1234.5, 0.125)
    assert [type(v) for v in by_date[FULL["d"]]] == [dt.date, dt.datetime, dt.time, float, float]
    assert by_date[None] == (None, None, None, 0.0, 0.0)


def test_bind_processors_are_applied(probe: Probe) -> None:
    """Date/datetime/time parameters are sent as SQLAlchemy would store them (SQLite keeps text)."""
    table = probe.table
    whole = dt.datetime(2025, 6, 7, 8, 9, 10)  # no microseconds: text differs without the processor
    with _uow(probe.site) as ctx:
        ins = Prepared(insert(table), ctx.conn.dialect, column_keys=["name", "dt", "d", "t"])
        assert (
            ins.execute(ctx.conn, {"name": "b", "dt": whole, "d": dt.date(2025, 1, 2), "t": dt.time(3)}) == 1
        )
        find = Prepared(
            select(table.c.name).where(
                table.c.dt == bindparam("when"), table.c.d == bindparam("day"), table.c.t == bindparam("at")
            ),
            ctx.conn.dialect,
        )
        assert find.rows(ctx.conn, {"when": whole, "day": dt.date(2025, 1, 2), "at": dt.time(3)}) == [("b",)]
        assert find.rows(ctx.conn, {"when": whole, "day": dt.date(2025, 1, 3), "at": dt.time(3)}) == []
        reference = ctx.conn.execute(
            select(table.c.name).where(table.c.dt == whole, table.c.t == dt.time(3))
        ).all()
        assert [tuple(r) for r in reference] == [("b",)]


EDGE_VALUES: list[tuple[str, dt.datetime, dt.date, dt.time]] = [
    ("e-micro", dt.datetime(2025, 6, 7, 8, 9, 10, 5), dt.date(2025, 6, 7), dt.time(0, 0, 0, 1)),
    ("e-whole", dt.datetime(2025, 6, 7), dt.date(1, 1, 1), dt.time(23, 59, 59)),
    ("e-early", dt.datetime(999, 1, 2, 3, 4, 5, 600000), dt.date(999, 12, 31), dt.time(0)),
]


class _Stamp(dt.datetime):
    """A datetime subclass: not the exact type the shortcut is for, so the type's processor runs."""


def test_bound_dates_and_times_are_stored_as_sqlalchemy_stores_them(probe: Probe) -> None:
    """What a prepared INSERT stores equals what SQLAlchemy's own INSERT stores, read back as text.

    On SQLite dates and times are text written by bind processors (the executor formats naive
    ``datetime``/``date``/``time`` values with ``isoformat`` where that gives the same text); the
    values cover microseconds, none, a year before 1000, a timezone-aware datetime and a subclass.
    """
    table = probe.table
    aware = dt.datetime(2025, 6, 7, 8, 9, 10, 11, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    values = [*EDGE_VALUES, ("e-sub", _Stamp(2025, 6, 7, 8, 9, 10, 11), dt.date(2025, 6, 7), dt.time(1))]
    if probe.site.db.backend == "sqlite":  # the others' DATETIME columns refuse or convert an offset
        values.append(("e-aware", aware, dt.date(2025, 6, 7), dt.time(2)))
    as_text = select(
        table.c.name,
        cast(table.c.dt, String),
        cast(table.c.d, String),
        cast(table.c.t, String),
    ).where(table.c.name.like("e-%"))
    with _uow(probe.site) as ctx:
        ins = Prepared(insert(table), ctx.conn.dialect, column_keys=["name", "dt", "d", "t"])
        if probe.site.db.backend == "sqlite":  # each of the three takes its shortcut there
            assert sorted(c[2].__name__ for c in ins._converted if c[2] is not None) == [
                "date",
                "datetime",
                "time",
            ]
        for name, when, day, at in values:
            assert ins.execute(ctx.conn, {"name": name, "dt": when, "d": day, "t": at}) == 1
        ours = sorted(tuple(r) for r in ctx.conn.execute(as_text))
        ctx.conn.execute(table.delete().where(table.c.name.like("e-%")))
        for name, when, day, at in values:
            ctx.conn.execute(insert(table).values(name=name, dt=when, d=day, t=at))
        theirs = sorted(tuple(r) for r in ctx.conn.execute(as_text))
        assert ours == theirs
        assert len(ours) == len(values)
        back = {
            r[0]: r[1:] for r in Prepared(select(table.c.name, table.c.dt), ctx.conn.dialect).rows(ctx.conn)
        }
        for name, when, _, _ in EDGE_VALUES:
            assert back[name] == (when,)


# -- 2. rows, mappings, first, scalar ------------------------------------------------------------


def test_rows_mappings_first_scalar(probe: Probe) -> None:
    table = probe.table
    with _uow(probe.site) as ctx:
        dialect = ctx.conn.dialect
        listing = Prepared(select(table.c.name, table.c.i, table.c.d).order_by(table.c.name), dialect)
        assert listing.keys == ("name", "i", "d")
        assert listing.rows(ctx.conn) == [("full", -42, FULL["d"]), ("nulls", 0, None)]
        assert listing.mappings(ctx.conn) == [
            {"name": "full", "i": -42, "d": FULL["d"]},
            {"name": "nulls", "i": 0, "d": None},
        ]
        assert listing.first(ctx.conn) == {"name": "full", "i": -42, "d": FULL["d"]}

        by_pk = Prepared(select(table.c.name, table.c.dt).where(table.c.name == bindparam("pk")), dialect)
        assert by_pk.first(ctx.conn, {"pk": "missing"}) is None
        assert by_pk.rows(ctx.conn, {"pk": "missing"}) == []
        assert by_pk.mappings(ctx.conn, {"pk": "missing"}) == []
        assert by_pk.first(ctx.conn, {"pk": "full"}) == {"name": "full", "dt": FULL["dt"]}

        count = Prepared(select(func.count().label("n")).select_from(table), dialect)
        assert count.scalar(ctx.conn) == 2
        when = Prepared(select(table.c.dt).where(table.c.name == bindparam("pk")), dialect)
        assert when.scalar(ctx.conn, {"pk": "full"}) == FULL["dt"]
        assert isinstance(when.scalar(ctx.conn, {"pk": "full"}), dt.datetime)
        assert when.scalar(ctx.conn, {"pk": "nulls"}) is None
        assert when.scalar(ctx.conn, {"pk": "missing"}) is None

        # Literal values in the statement (a WHERE constant, a LIMIT) are bound from the statement.
        limited = Prepared(
            select(table.c.name).where(table.c.docstatus < 2).order_by(table.c.name.desc()).limit(1), dialect
        )
        assert limited.rows(ctx.conn) == [("nulls",)]
        assert limited.scalar(ctx.conn) == "nulls"


# -- 3. INSERT / UPDATE --------------------------------------------------------------------------


def _new_row(name: str, n: int) -> dict[str, Any]:
    return {
        "name": name,
        "title": f"row {n}",
        "d": dt.date(2023, 12, n),
        "dt": dt.datetime(2023, 12, n, 1, 2, 3, 400000 + n),
        "t": dt.time(n, 30, 15, 250000),
        "f": n + 0.5,
        "c": n * 100.25,
        "i": n,
        "chk": n % 2,
        "docstatus": 0,
        "idx": n,
        "creation": dt.datetime(2023, 12, n, 9, 0),
    }


def test_insert_execute_and_execute_many(probe: Probe) -> None:
    rows = [_new_row(f"new-{n}", n) for n in range(1, 6)]
    with _uow(probe.site) as ctx:
        ins = Prepared(insert(probe.table), ctx.conn.dialect, column_keys=list(COLUMNS))
        assert ins.execute(ctx.conn, rows[0]) == 1
        assert ins.execute_many(ctx.conn, rows[1:4]) == 3
        assert ins.execute_many(ctx.conn, rows[4:]) == 1
        assert ins.execute_many(ctx.conn, []) == 0
    stored = probe.read()
    assert set(stored) == {"full", "nulls", *(r["name"] for r in rows)}
    for row in rows:
        _same(stored[row["name"]], row)


def test_insert_with_some_columns_leaves_server_defaults(probe: Probe) -> None:
    with _uow(probe.site) as ctx:
        ins = Prepared(insert(probe.table), ctx.conn.dialect, column_keys=["name", "title"])
        assert "docstatus" not in ins.sql and "title" in ins.sql
        assert ins.execute_many(ctx.conn, [{"name": "a", "title": "A"}, {"name": "b", "title": "B"}]) == 2
    stored = probe.read(["a", "b"])
    _same(stored["a"], {**NULLS, "name": "a", "title": "A"})
    _same(stored["b"], {**NULLS, "name": "b", "title": "B"})


def test_update_rowcounts(probe: Probe) -> None:
    table = probe.table
    stmt = update(table).where(table.c.name == bindparam("pk"))
    changes = {"title": "changed", "i": 99, "dt": dt.datetime(2030, 1, 1, 0, 0, 0, 1), "f": 2.75}
    with _uow(probe.site) as ctx:
        upd = Prepared(stmt, ctx.conn.dialect, column_keys=list(changes))
        assert upd.execute(ctx.conn, {"pk": "full", **changes}) == 1
        assert upd.execute(ctx.conn, {"pk": "missing", **changes}) == 0
        # Unchanged values still count as a matched row (MariaDB reports found rows, not changed ones).
        assert upd.execute(ctx.conn, {"pk": "full", **changes}) == 1
        assert upd.execute_many(ctx.conn, [{"pk": n, **changes, "i": 7} for n in ("full", "nulls", "x")]) == 2
    stored = probe.read()
    _same(stored["full"], {**FULL, **changes, "i": 7})
    _same(stored["nulls"], {**NULLS, **changes, "i": 7})
    assert set(stored) == {"full", "nulls"}


# -- 4. integrity errors -------------------------------------------------------------------------


def test_primary_key_clash_raises_integrity_error(probe: Probe) -> None:
    site = probe.site
    with pytest.raises(IntegrityError) as raised, _uow(site) as ctx:
        ins = Prepared(insert(probe.table), ctx.conn.dialect, column_keys=list(COLUMNS))
        assert ins.execute(ctx.conn, _new_row("fresh", 1)) == 1
        ins.execute(ctx.conn, {**_new_row("full", 2)})
    exc = raised.value
    assert exc.orig is not None and isinstance(exc.orig, site.db.engine.dialect.loaded_dbapi.IntegrityError)
    assert ins.sql in str(exc)
    translated = translate_write_error(site.db, exc, probe.meta, "full")
    assert isinstance(translated, DuplicateEntryError)
    # Nothing of the unit of work was kept, and the existing row is untouched.
    stored = probe.read()
    assert set(stored) == {"full", "nulls"}
    _same(stored["full"], FULL)
    # The pooled connection is clean for the next unit of work.
    with _uow(site) as ctx:
        p = Prepared(
            select(probe.table.c.title).where(probe.table.c.name == bindparam("pk")), ctx.conn.dialect
        )
        assert p.scalar(ctx.conn, {"pk": "full"}) == FULL["title"]
        assert ins.execute(ctx.conn, _new_row("after", 3)) == 1
    assert set(probe.read()) == {"full", "nulls", "after"}


def test_clash_inside_execute_many_rolls_back_everything(probe: Probe) -> None:
    rows = [_new_row("m1", 1), _new_row("m2", 2), _new_row("nulls", 3), _new_row("m4", 4)]
    with pytest.raises(IntegrityError), _uow(probe.site) as ctx:
        ins = Prepared(insert(probe.table), ctx.conn.dialect, column_keys=list(COLUMNS))
        ins.execute_many(ctx.conn, rows)
    assert set(probe.read()) == {"full", "nulls"}
    _same(probe.read(["nulls"])["nulls"], NULLS)


def test_clash_caught_and_translated_like_persistence(probe: Probe) -> None:
    """The unit of work sees the translated error; its transaction still rolls back."""
    with pytest.raises(DuplicateEntryError), _uow(probe.site) as ctx:
        ins = Prepared(insert(probe.table), ctx.conn.dialect, column_keys=["name", "title"])
        ins.execute(ctx.conn, {"name": "first", "title": "kept?"})
        try:
            ins.execute(ctx.conn, {"name": "full", "title": "dup"})
        except IntegrityError as exc:
            raise translate_write_error(ctx.site.db, exc, probe.meta, "full") from exc
    assert set(probe.read()) == {"full", "nulls"}


# -- 5. transactions -----------------------------------------------------------------------------


class Boom(Exception):
    pass


def test_writes_are_inside_the_unit_of_work_transaction(probe: Probe) -> None:
    table = probe.table
    with pytest.raises(Boom), _uow(probe.site) as ctx:
        dialect = ctx.conn.dialect
        ins = Prepared(insert(table), dialect, column_keys=["name", "title"])
        upd = Prepared(update(table).where(table.c.name == bindparam("pk")), dialect, column_keys=["title"])
        assert ins.execute(ctx.conn, {"name": "ghost", "title": "boo"}) == 1
        assert upd.execute(ctx.conn, {"pk": "full", "title": "overwritten"}) == 1
        # The unit of work's own connection sees the writes (same transaction) ...
        seen = ctx.conn.execute(select(table.c.name, table.c.title).order_by(table.c.name)).all()
        assert [tuple(r) for r in seen] == [("full", "overwritten"), ("ghost", "boo"), ("nulls", None)]
        # ... another connection does not (not committed yet).
        assert set(probe.read()) == {"full", "nulls"}
        raise Boom
    stored = probe.read()
    assert set(stored) == {"full", "nulls"}
    assert stored["full"]["title"] == FULL["title"]


def test_writes_commit_with_the_unit_of_work(probe: Probe) -> None:
    with _uow(probe.site) as ctx:
        ins = Prepared(insert(probe.table), ctx.conn.dialect, column_keys=["name", "title"])
        assert ins.execute(ctx.conn, {"name": "kept", "title": "yes"}) == 1
    assert probe.read(["kept"])["kept"]["title"] == "yes"


def test_reads_see_uncommitted_writes_of_the_same_unit_of_work(probe: Probe) -> None:
    table = probe.table
    with pytest.raises(Boom), _uow(probe.site) as ctx:
        ctx.conn.execute(insert(table).values(name="via-core", i=5))
        p = Prepared(select(table.c.i).where(table.c.name == bindparam("pk")), ctx.conn.dialect)
        assert p.scalar(ctx.conn, {"pk": "via-core"}) == 5
        raise Boom
    assert set(probe.read()) == {"full", "nulls"}


# -- 6. refused statements -----------------------------------------------------------------------


def test_expanding_in_is_refused(site: Site) -> None:
    table = Table("tabExpanding", MetaData(), Column("name", String(140), primary_key=True))
    stmt = select(table.c.name).where(table.c.name.in_(bindparam("names", expanding=True)))
    with pytest.raises(ValueError, match="expanding IN"):
        Prepared(stmt, site.db.engine.dialect)
    with pytest.raises(ValueError, match="expanding IN"):
        Prepared(select(table.c.name).where(table.c.name.in_(["a", "b"])), site.db.engine.dialect)


def test_python_side_default_is_refused(site: Site) -> None:
    table = Table(
        "tabDefaults",
        MetaData(),
        Column("name", String(140), primary_key=True),
        Column("n", Integer, default=3),
    )
    with pytest.raises(ValueError, match="Python-side column defaults"):
        Prepared(insert(table), site.db.engine.dialect, column_keys=["name"])


# -- 7. the cache --------------------------------------------------------------------------------


def test_prepared_caches_per_table_and_key(site: Site) -> None:
    table = Table("tabCached", MetaData(), Column("name", String(140), primary_key=True))
    dialect = site.db.engine.dialect
    calls: list[str] = []

    def build(tag: str) -> Any:
        def make() -> Any:
            calls.append(tag)
            return select(table.c.name).where(table.c.name == bindparam("pk"))

        return make

    first = prepared(table, "load", build("load"), dialect)
    assert isinstance(first, Prepared)
    assert prepared(table, "load", build("load"), dialect) is first
    assert prepared(table, "load", build("load"), dialect) is first
    assert calls == ["load"]
    assert table.info["docframe_prepared"] == {"load": first}

    other = prepared(table, ("load", ("name",)), build("other"), dialect)
    assert other is not first
    assert calls == ["load", "other"]
    assert prepared(table, ("load", ("name",)), build("other"), dialect) is other
    assert calls == ["load", "other"]

    # A table described again (a new Table object) starts with an empty cache.
    again = Table("tabCached", MetaData(), Column("name", String(140), primary_key=True))
    assert prepared(again, "load", build("again"), dialect) is not first
    assert calls == ["load", "other", "again"]


def test_prepared_rebuilds_for_another_dialect(site: Site) -> None:
    table = Table("tabCached", MetaData(), Column("name", String(140), primary_key=True))
    calls: list[int] = []

    def build() -> Any:
        calls.append(1)
        return select(table.c.name)

    ours = prepared(table, "all", build, site.db.engine.dialect)
    fresh_dialect = type(site.db.engine.dialect)()
    theirs = prepared(table, "all", build, fresh_dialect)
    assert theirs is not ours and theirs.dialect is fresh_dialect
    assert len(calls) == 2


def test_cached_statement_runs(probe: Probe) -> None:
    table = probe.table
    with _uow(probe.site) as ctx:
        p = prepared(
            table, "load", lambda: select(table).where(table.c.name == bindparam("pk")), ctx.conn.dialect
        )
        got = p.first(ctx.conn, {"pk": "full"})
        assert got is not None
        _same({c: got[c] for c in COLUMNS}, FULL)
        assert prepared(table, "load", lambda: select(table), ctx.conn.dialect) is p


# -- the unit of work's one Connection ------------------------------------------------------------


def test_prepared_and_core_statements_share_the_units_transaction(probe: Probe) -> None:
    table = probe.table
    dialect = probe.site.db.engine.dialect
    ins = Prepared(insert(table), dialect, column_keys=["name", "title"])
    with pytest.raises(Boom), _uow(probe.site) as ctx:
        assert ins.execute(ctx.conn, {"name": "fast-1", "title": "via the cursor"}) == 1
        seen = ctx.conn.execute(select(table.c.title).where(table.c.name == "fast-1")).scalar()
        assert seen == "via the cursor"
        ctx.conn.execute(insert(table).values(name="core-1", i=3))
        p = Prepared(select(table.c.i).where(table.c.name == bindparam("pk")), dialect)
        assert p.scalar(ctx.conn, {"pk": "core-1"}) == 3
        assert set(probe.read()) == {"full", "nulls"}  # nothing visible outside before the commit
        raise Boom
    assert set(probe.read()) == {"full", "nulls"}

    with _uow(probe.site) as ctx:
        assert ins.execute(ctx.conn, {"name": "fast-2", "title": "kept"}) == 1
    assert probe.read(["fast-2"])["fast-2"]["title"] == "kept"


def test_results_match_sqlalchemy(probe: Probe) -> None:
    table = probe.table
    stmt = select(table).where(table.c.name == bindparam("pk"))
    with _uow(probe.site) as ctx:
        p = Prepared(stmt, probe.site.db.engine.dialect)
        got = p.first(ctx.conn, {"pk": "full"})
        reference = ctx.conn.execute(stmt, {"pk": "full"}).mappings().first()
    assert got is not None and reference is not None
    _same(got, dict(reference))


def test_clash_rolls_back(probe: Probe) -> None:
    site = probe.site
    ins = Prepared(insert(probe.table), site.db.engine.dialect, column_keys=["name", "title"])
    with pytest.raises(IntegrityError) as raised, _uow(site) as ctx:
        assert ins.execute(ctx.conn, {"name": "fresh", "title": "x"}) == 1
        ins.execute_many(ctx.conn, [{"name": "fresh2", "title": "y"}, {"name": "full", "title": "dup"}])
    assert isinstance(translate_write_error(site.db, raised.value, probe.meta, "full"), DuplicateEntryError)
    assert set(probe.read()) == {"full", "nulls"}
    with _uow(site) as ctx:
        assert ins.execute(ctx.conn, {"name": "fresh", "title": "x"}) == 1
    assert set(probe.read()) == {"full", "nulls", "fresh"}


# -- logging and tracing see prepared statements ---------------------------------------------------


@contextmanager
def _listening(engine: Any, seen: list[tuple[str, Any]]) -> Iterator[None]:
    """A ``before_cursor_execute`` listener on ``engine`` recording (statement, parameters)."""

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_nothing_observes_a_plain_site(site: Site) -> None:
    with _uow(site) as ctx:
        assert observed(ctx.conn) is False  # so prepared statements take the driver cursor


def test_engine_listener_sees_the_load_by_name_statement(site: Site) -> None:
    description = f"traced {secrets.token_hex(4)}"
    with _uow(site) as ctx:
        name = create_document(ctx, "ToDo", {"description": description}).name
    seen: list[tuple[str, Any]] = []
    with _listening(site.db.engine, seen), _uow(site) as ctx:
        assert observed(ctx.conn) is True
        doc = load_doc(ctx, ctx.meta("ToDo"), name)
        assert doc.description == description
    loads = [(sql, params) for sql, params in seen if "tabToDo" in sql and "SELECT" in sql.upper()]
    assert loads, seen
    sql, params = loads[0]
    assert "WHERE" in sql.upper()
    values = params.values() if isinstance(params, dict) else params
    assert name in values
    # the listener is gone: the next unit of work runs on the driver cursor again, unseen
    seen.clear()
    with _uow(site) as ctx:
        assert observed(ctx.conn) is False
        load_doc(ctx, ctx.meta("ToDo"), name)
    assert seen == []


def test_sql_log_sees_prepared_statements(probe: Probe, caplog: pytest.LogCaptureFixture) -> None:
    table = probe.table
    p = Prepared(select(table.c.title).where(table.c.name == bindparam("pk")), probe.site.db.engine.dialect)
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), _uow(probe.site) as ctx:
        assert observed(ctx.conn) is True
        assert p.scalar(ctx.conn, {"pk": "full"}) == FULL["title"]
    assert any(table.name in r.getMessage() and "SELECT" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("path", ["cursor", "observed"])
def test_observed_path_gives_the_same_results_and_errors(probe: Probe, path: str) -> None:
    site = probe.site
    table = probe.table
    dialect = site.db.engine.dialect
    load = Prepared(select(table).where(table.c.name == bindparam("pk")), dialect)
    ins = Prepared(insert(table), dialect, column_keys=["name", "title"])
    seen: list[tuple[str, Any]] = []
    listening = _listening(site.db.engine, seen) if path == "observed" else nullcontext()
    with listening, pytest.raises(IntegrityError), _uow(site) as ctx:
        reference = dict(ctx.conn.execute(select(table).where(table.c.name == "full")).mappings().one())
        got = load.first(ctx.conn, {"pk": "full"})
        assert got is not None
        _same(got, reference)
        many = [{"name": "m1", "title": "a"}, {"name": "m2", "title": "b"}]
        assert ins.execute_many(ctx.conn, many) in (2, -1)  # -1: a driver that does not count
        assert load.first(ctx.conn, {"pk": "m2"}) is not None
        ins.execute(ctx.conn, {"name": "full", "title": "dup"})
    assert any(ins.sql == sql for sql, _ in seen) is (path == "observed")
    assert set(probe.read()) == {"full", "nulls"}


# -- a lost connection ---------------------------------------------------------------------------


def _kill_session(site: Site, conn: Any) -> None:
    """End the server session behind ``conn`` from another connection."""
    backend = site.db.backend
    ask = "SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()"
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.execute(ask)
    pid = cursor.fetchone()[0]
    cursor.close()
    with site.db.engine.connect() as other:
        if backend == "postgresql":
            other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        else:
            other.exec_driver_sql(f"KILL {int(pid)}")
        other.commit()


@pytest.mark.parametrize("path", ["cursor", "observed"])
def test_lost_connection_is_a_dbapi_error_and_the_pool_recovers(probe: Probe, path: str) -> None:
    site = probe.site
    if site.db.backend == "sqlite":
        pytest.skip("no server session to lose on SQLite")
    table = probe.table
    p = Prepared(select(table.c.name).where(table.c.name == bindparam("pk")), site.db.engine.dialect)
    used: list[Any] = []
    seen: list[tuple[str, Any]] = []
    with (
        _listening(site.db.engine, seen) if path == "observed" else nullcontext(),
        pytest.raises(DBAPIError) as raised,
        _uow(site) as ctx,
    ):
        used.append(ctx.conn.connection)
        assert p.scalar(ctx.conn, {"pk": "full"}) == "full"
        _kill_session(site, ctx.conn)
        p.scalar(ctx.conn, {"pk": "full"})
    assert raised.value.orig is not None
    assert raised.value.connection_invalidated  # what Connection.execute reports for the same error
    # The dead connection was invalidated, as SQLAlchemy does for a disconnect, not put back in the pool.
    assert not used[0].is_valid
    for _ in range(3):
        with _uow(site) as ctx:
            assert p.scalar(ctx.conn, {"pk": "full"}) == "full"
            assert ctx.conn.execute(select(table.c.name).where(table.c.name == "nulls")).scalar() == "nulls"


# -- refusals and error reporting ----------------------------------------------------------------


def test_missing_value_is_refused_and_never_reaches_the_database(probe: Probe) -> None:
    table = probe.table
    dialect = probe.site.db.engine.dialect
    ins = Prepared(insert(table), dialect, column_keys=["name", "title"])
    upd = Prepared(update(table).where(table.c.name == bindparam("pk")), dialect, column_keys=["title"])
    for stmt, params in ((ins, {"name": "b"}), (upd, {"pk": "full"}), (upd, {"title": "x"})):
        with (
            pytest.raises(StatementError, match="A value is required for bind parameter"),
            _uow(probe.site) as ctx,
        ):
            stmt.execute(ctx.conn, params)
    stored = probe.read()
    assert stored["full"]["title"] == FULL["title"]
    assert "b" not in stored


def test_unnamed_columns_are_refused_when_built(probe: Probe) -> None:
    table = probe.table
    dialect = probe.site.db.engine.dialect
    for stmt in (select(func.count()), select(table.c.name, table.c.i + 1)):
        with pytest.raises(ValueError, match="needs a name"):
            Prepared(stmt, dialect)
    labelled = select(func.count().label("n"), func.max(table.c.i).label("top"))
    with _uow(probe.site) as ctx:
        reference = dict(ctx.conn.execute(labelled).mappings().one())
        assert Prepared(labelled, dialect).first(ctx.conn) == reference


def test_compound_select_and_returning_are_refused_when_built(probe: Probe) -> None:
    table = probe.table
    dialect = probe.site.db.engine.dialect
    with pytest.raises(ValueError, match="only a plain"):
        Prepared(union_all(select(table.c.name), select(table.c.name)), dialect)
    if dialect.insert_returning:
        with pytest.raises(ValueError, match="only a plain"):
            Prepared(insert(table).returning(table.c.name), dialect, column_keys=["name"])
