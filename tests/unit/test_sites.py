"""Units of work (:class:`docframe.sites.UnitOfWork`) and their one Connection, on every backend.

``Site.unit_of_work`` takes one SQLAlchemy Connection from the site's :class:`ConnectionCache`
(or the pool), begins one transaction on it, ends it (commit or roll back) and hands the Connection
back; the next unit of work gets the same Connection. Neither the cache nor the pool resets it, so
these tests check that nothing (an open transaction, an old snapshot, a dead server session) is
carried from one unit of work to the next, whichever way its statements ran (prepared on the driver
cursor, or through SQLAlchemy), the cache's own bookkeeping against the pool
(``pool.checkedout()``), fork safety and idle pings.

Each test that writes gets its own uniquely named table, created before and dropped after it.
"""

from __future__ import annotations

import logging
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, func, insert, literal, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

import docframe.sites as sites_module
from docframe.auth.users import User
from docframe.db.engine import open_engine
from docframe.db.prepared import Prepared
from docframe.model.operations import create_document
from docframe.sites import Site


class Boom(Exception):
    """Raised inside a unit of work to make it roll back."""


def _uow(site: Site, *, write: bool = True) -> Any:
    return site.unit_of_work(User.administrator(), write=write)


def _in_transaction(site: Site, dbapi_connection: Any) -> bool:
    """Whether the driver connection is inside a transaction, as the driver itself tracks it."""
    backend = site.db.backend
    if backend == "sqlite":
        return bool(dbapi_connection.in_transaction)
    if backend == "postgresql":
        from psycopg.pq import TransactionStatus

        return dbapi_connection.info.transaction_status != TransactionStatus.IDLE
    from pymysql.constants import SERVER_STATUS

    return bool(dbapi_connection.server_status & SERVER_STATUS.SERVER_STATUS_IN_TRANS)


def _session_id(site: Site, dbapi_connection: Any) -> int:
    """The server's id of the session behind ``dbapi_connection`` (call it inside a transaction)."""
    ask = "SELECT pg_backend_pid()" if site.db.backend == "postgresql" else "SELECT CONNECTION_ID()"
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(ask)
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def _kill_session(site: Site, session_id: int) -> None:
    """End a server session from another connection and wait until the server has dropped it.

    The other connection comes from an engine of its own: the site's pool would hand out the very
    connection being killed (it is the one most recently returned).
    """
    postgres = site.db.backend == "postgresql"
    killer = open_engine(site.settings.db_url, pool_size=1)
    with killer.engine.connect() as other:
        other.exec_driver_sql(
            f"SELECT pg_terminate_backend({session_id})" if postgres else f"KILL {session_id}"
        )
        other.commit()
        listed = (
            f"SELECT count(*) FROM pg_stat_activity WHERE pid = {session_id}"
            if postgres
            else f"SELECT count(*) FROM information_schema.processlist WHERE id = {session_id}"
        )
        deadline = time.monotonic() + 5
        while other.exec_driver_sql(listed).scalar():
            other.rollback()
            assert time.monotonic() < deadline, f"session {session_id} is still there"
            time.sleep(0.01)
        other.rollback()
    killer.engine.dispose()


def _require_server(site: Site) -> None:
    if site.db.backend == "sqlite":
        pytest.skip("no server session on SQLite")


@dataclass
class Probe:
    site: Site
    table: Table
    add: Prepared
    count: Prepared

    def stored(self) -> set[str]:
        """The rows' names, read in a new connection (what others see: committed rows only)."""
        with self.site.db.engine.connect() as conn:
            names = {r[0] for r in conn.execute(select(self.table.c.name))}
            conn.rollback()
        return names

    def commit_row(self, name: str) -> None:
        """Insert and commit a row from a connection outside any unit of work."""
        with self.site.db.engine.begin() as conn:
            conn.execute(insert(self.table).values(name=name, n=1))


@pytest.fixture()
def probe(site: Site) -> Iterator[Probe]:
    metadata = MetaData()
    table = Table(
        f"tabConnProbe{secrets.token_hex(4)}",
        metadata,
        Column("name", String(64), primary_key=True),
        Column("n", Integer, nullable=False, server_default="0"),
    )
    with site.db.engine.begin() as conn:
        metadata.create_all(conn)
    dialect = site.db.engine.dialect
    add = Prepared(insert(table), dialect, column_keys=["name", "n"])
    count = Prepared(select(func.count().label("c")).select_from(table), dialect)
    try:
        yield Probe(site, table, add, count)
    finally:
        with site.db.engine.begin() as conn:
            metadata.drop_all(conn)


def _checked_out(engine: Engine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


def _dbapi(ctx: Any) -> Any:
    """The driver connection behind the unit of work's Connection."""
    return ctx.conn.connection.dbapi_connection


# -- 1. one Connection per unit of work, from the pool ---------------------------------------------


def test_consecutive_units_reuse_the_connection(site: Site) -> None:
    conns: list[Any] = []
    for write in (False, True, False):
        with _uow(site, write=write) as ctx:
            conns.append(ctx.conn)
            assert ctx.conn.get_execution_options()["docframe_write"] is write  # this unit's flag
            assert ctx.conn.in_transaction()
        assert not conns[-1].in_transaction()
    assert conns[0] is conns[1] is conns[2]  # kept between units of work, last in first out
    assert not conns[0].closed


def test_at_most_request_threads_connections_stay_checked_out(site: Site) -> None:
    own = Site(site.settings)  # a site of its own: its pool holds only this test's connections
    engine = own.db.engine
    size = own.connections.size
    try:
        with ExitStack() as stack:
            units = [stack.enter_context(_uow(own, write=False)) for _ in range(size + 1)]
            assert len({id(_dbapi(ctx)) for ctx in units}) == size + 1
            assert _checked_out(engine) == size + 1
        assert _checked_out(engine) == size  # the last one went back to the pool
        with _uow(own, write=False) as ctx:
            ctx.conn  # noqa: B018
            assert _checked_out(engine) == size  # taken from the cache, not the pool
    finally:
        own.dispose()
    assert _checked_out(engine) == 0


def test_work_without_the_database_opens_no_connection(site: Site) -> None:
    with _uow(site, write=False) as ctx:
        assert not ctx.has_connection
    assert not ctx.has_connection


def test_logging_turned_on_gets_a_connection_that_logs(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    with _uow(site, write=False) as ctx:
        quiet = ctx.conn
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"), _uow(site, write=False) as ctx:
        assert ctx.conn is not quiet  # SQLAlchemy decides whether to log when a Connection is made
        assert ctx.conn.get_execution_options()["docframe_observed"] is True
        ctx.conn.execute(select(literal(7).label("seven")))
    assert any("seven" in r.getMessage() for r in caplog.records)


# -- 2. commit, roll back, and nothing left open ---------------------------------------------------


def _write(ctx: Any, probe: Probe, path: str, name: str) -> None:
    if path == "prepared":
        probe.add.execute(ctx.conn, {"name": name, "n": 1})
    else:
        ctx.conn.execute(insert(probe.table).values(name=name, n=1))


@pytest.mark.parametrize("path", ["prepared", "core"])
def test_successful_write_unit_commits(probe: Probe, path: str) -> None:
    site = probe.site
    with _uow(site) as ctx:
        _write(ctx, probe, path, "kept")
        dbapi = _dbapi(ctx)
        conn = ctx.conn
        assert _in_transaction(site, dbapi)
        assert probe.stored() == set()  # not visible to others before the commit
    assert probe.stored() == {"kept"}
    assert not _in_transaction(site, dbapi)
    assert not conn.in_transaction()
    with pytest.raises(RuntimeError, match="has ended"):
        ctx.conn  # noqa: B018 - an ended unit of work no longer reaches the (pooled) connection


@pytest.mark.parametrize("path", ["prepared", "core"])
def test_failed_write_unit_rolls_back(probe: Probe, path: str) -> None:
    site = probe.site
    with pytest.raises(Boom), _uow(site) as ctx:
        _write(ctx, probe, path, "dropped")
        dbapi = _dbapi(ctx)
        assert _in_transaction(site, dbapi)
        raise Boom
    assert probe.stored() == set()
    assert not _in_transaction(site, dbapi)
    # the connection is still good: the next unit gets it and commits its own work only
    with _uow(site) as ctx:
        assert _dbapi(ctx) is dbapi
        _write(ctx, probe, path, "next")
        assert probe.count.scalar(ctx.conn) == 1
    assert probe.stored() == {"next"}
    assert not _in_transaction(site, dbapi)


@pytest.mark.parametrize("path", ["prepared", "core"])
def test_read_only_unit_rolls_its_writes_back(probe: Probe, path: str) -> None:
    site = probe.site
    with _uow(site, write=False) as ctx:
        _write(ctx, probe, path, "not kept")
        assert probe.count.scalar(ctx.conn) == 1  # its own write is visible inside it
        dbapi = _dbapi(ctx)
    assert probe.stored() == set()
    assert not _in_transaction(site, dbapi)


def test_database_error_inside_a_unit_leaves_a_clean_connection(probe: Probe) -> None:
    """A failed statement (PostgreSQL aborts the transaction) is rolled back before reuse."""
    site = probe.site
    probe.commit_row("dup")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), _uow(site) as ctx:
        probe.add.execute(ctx.conn, {"name": "ok", "n": 1})
        dbapi = _dbapi(ctx)
        probe.add.execute(ctx.conn, {"name": "dup", "n": 1})
    assert probe.stored() == {"dup"}
    assert not _in_transaction(site, dbapi)
    with _uow(site) as ctx:
        assert _dbapi(ctx) is dbapi
        probe.add.execute(ctx.conn, {"name": "after", "n": 1})
    assert probe.stored() == {"dup", "after"}


def test_document_insert_commits_or_rolls_back(site: Site) -> None:
    description = f"connections test {secrets.token_hex(4)}"

    def stored() -> int:
        with site.db.engine.connect() as conn:
            table = site.tables.get(site.metas.get("ToDo", conn))
            found = conn.execute(
                select(func.count()).select_from(table).where(table.c.description == description)
            ).scalar()
            conn.rollback()
        return int(found or 0)

    with pytest.raises(Boom), _uow(site) as ctx:
        create_document(ctx, "ToDo", {"description": description})
        dbapi = _dbapi(ctx)
        raise Boom
    assert stored() == 0
    assert not _in_transaction(site, dbapi)
    with _uow(site) as ctx:
        doc = create_document(ctx, "ToDo", {"description": description})
        assert _dbapi(ctx) is dbapi
    assert stored() == 1
    assert not _in_transaction(site, dbapi)
    with _uow(site) as ctx:
        table = site.tables.get(ctx.meta("ToDo"))
        ctx.conn.execute(table.delete().where(table.c.name == doc.name))
    assert stored() == 0


# -- 3. no stale snapshot --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["prepared", "core"])
def test_read_only_unit_sees_rows_committed_since_the_last_one(probe: Probe, path: str) -> None:
    site = probe.site

    def count(ctx: Any) -> int:
        if path == "prepared":
            return int(probe.count.scalar(ctx.conn))
        return int(ctx.conn.execute(select(func.count()).select_from(probe.table)).scalar() or 0)

    with _uow(site, write=False) as ctx:
        assert count(ctx) == 0
        dbapi = _dbapi(ctx)
    probe.commit_row("one")
    with _uow(site, write=False) as ctx:
        assert _dbapi(ctx) is dbapi  # the same driver connection...
        assert count(ctx) == 1  # ...in a new transaction
    probe.commit_row("two")
    with _uow(site, write=True) as ctx:
        assert _dbapi(ctx) is dbapi
        assert count(ctx) == 2
    probe.commit_row("three")
    with pytest.raises(Boom), _uow(site, write=False) as ctx:
        assert count(ctx) == 3
        raise Boom
    probe.commit_row("four")
    with _uow(site, write=False) as ctx:
        assert count(ctx) == 4


# -- 4. lost server sessions -----------------------------------------------------------------------


def test_unit_after_a_killed_session_fails_once_then_the_next_succeeds(probe: Probe) -> None:
    """A session killed while its connection sat in the pool for less than ``PING_AFTER`` seconds:
    the next unit's first statement fails with the connection invalidated, the one after that gets
    a new connection."""
    site = probe.site
    _require_server(site)
    with _uow(site) as ctx:
        dead = _dbapi(ctx)
        session = _session_id(site, dead)
        probe.add.execute(ctx.conn, {"name": "before", "n": 1})
    _kill_session(site, session)
    with pytest.raises(DBAPIError) as raised, _uow(site) as ctx:
        probe.add.execute(ctx.conn, {"name": "lost", "n": 1})
    assert raised.value.connection_invalidated
    with _uow(site) as ctx:
        assert _dbapi(ctx) is not dead
        assert _session_id(site, _dbapi(ctx)) != session
        probe.add.execute(ctx.conn, {"name": "after", "n": 1})
        assert probe.count.scalar(ctx.conn) == 2
    assert probe.stored() == {"before", "after"}


@pytest.mark.parametrize("touch", [True, False], ids=["db", "no-db"])
@pytest.mark.parametrize(
    ("write", "fails", "expected"),
    [
        (True, False, "commit"),
        (True, True, "rollback"),
        (False, False, "rollback"),
        (False, True, "rollback"),
    ],
)
def test_commit_and_rollback_callbacks(
    probe: Probe, write: bool, fails: bool, expected: str, touch: bool
) -> None:
    site = probe.site
    ran: list[tuple[str, set[str]]] = []

    with pytest.raises(Boom) if fails else _nothing(), _uow(site, write=write) as ctx:
        if touch:
            probe.add.execute(ctx.conn, {"name": "row", "n": 1})
        ctx.after_commit.append(lambda: ran.append(("commit", probe.stored())))
        ctx.after_rollback.append(lambda: ran.append(("rollback", probe.stored())))
        if fails:
            raise Boom
    # exactly one of the lists ran, after the transaction ended (the row is visible or gone)
    rows = {"row"} if touch and expected == "commit" else set()
    assert ran == [(expected, rows)]


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_failing_rollback_callback_does_not_hide_the_error(site: Site) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("callback failed")

    with pytest.raises(Boom), _uow(site) as ctx:
        ctx.conn  # noqa: B018
        ctx.after_rollback.extend([broken, lambda: ran.append("second")])
        raise Boom
    assert ran == ["second"]


def test_connection_used_by_a_commit_callback_is_not_handed_out_in_a_transaction(site: Site) -> None:
    own = Site(site.settings)  # a site of its own: a failure here must not leave the shared one dirty
    late: list[Any] = []

    def callback() -> None:
        try:
            late.append(ctx.conn.execute(select(1)).scalar())
        except Exception as exc:  # refusing is fine too: the unit of work is over
            late.append(exc)

    try:
        with _uow(own) as ctx:
            conn = ctx.conn
            dbapi_connection = _dbapi(ctx)
            ctx.after_commit.append(callback)
        assert len(late) == 1
        assert isinstance(late[0], RuntimeError) and "has ended" in str(late[0])
        assert not conn.in_transaction()
        assert not _in_transaction(own, dbapi_connection)
        with _uow(own, write=False) as ctx:
            assert ctx.conn.execute(select(1)).scalar() == 1
    finally:
        own.dispose()


# -- 6. dispose, failed rollbacks, threads --------------------------------------------------------


def test_dispose_returns_every_connection_before_the_engine_goes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Site(site.settings)
    engine = fresh.db.engine
    with _uow(fresh, write=False) as outer, _uow(fresh, write=False) as inner:
        conns = [outer.conn, inner.conn]
    assert _checked_out(engine) == 2  # both kept for the next units of work
    at_dispose: list[int] = []
    dispose = engine.dispose

    def recording_dispose(*args: Any, **kwargs: Any) -> None:
        at_dispose.append(_checked_out(engine))
        dispose(*args, **kwargs)

    monkeypatch.setattr(engine, "dispose", recording_dispose)
    fresh.dispose()
    assert at_dispose == [0]
    assert all(c.closed for c in conns)


@pytest.mark.parametrize("path", ["prepared", "core"])
def test_a_failed_rollback_does_not_hide_the_error_and_drops_the_connection(site: Site, path: str) -> None:
    if site.db.backend == "sqlite":
        pytest.skip("no server session to lose on SQLite")
    own = Site(site.settings)  # a site of its own: its pool holds only this test's connections
    try:
        with pytest.raises(Boom), _uow(own) as ctx:
            if path == "core":
                ctx.conn.execute(select(1))
            else:
                Prepared(select(literal(1).label("one")), own.db.engine.dialect).scalar(ctx.conn)
            dbapi_connection = _dbapi(ctx)
            _kill_session(own, _session_id(own, dbapi_connection))
            raise Boom  # the rollback that follows fails on the dead session
        with _uow(own, write=False) as ctx:
            assert _dbapi(ctx) is not dbapi_connection  # the pool (last in, first out) replaced it
            assert ctx.conn.execute(select(1)).scalar() == 1
    finally:
        own.dispose()


def test_threads_never_hold_the_same_connection(site: Site) -> None:
    """Request threads share the pool: a driver connection is in one unit of work at a time, and
    every unit of work runs a statement on it while others do too."""
    in_use: set[int] = set()
    lock = threading.Lock()
    clashes: list[int] = []
    errors: list[BaseException] = []
    one = Prepared(select(literal(1).label("one")), site.db.engine.dialect)
    start = _checked_out(site.db.engine)

    def work() -> None:
        try:
            for _ in range(25):
                with _uow(site, write=False) as ctx:
                    key = id(_dbapi(ctx))
                    with lock:
                        if key in in_use:
                            clashes.append(key)
                        in_use.add(key)
                    assert one.scalar(ctx.conn) == 1
                    with lock:
                        in_use.discard(key)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and clashes == []
    assert _checked_out(site.db.engine) <= start + site.connections.size
    assert len(site.connections._idle) <= site.connections.size


@pytest.mark.parametrize("write", [True, False])
def test_sqlite_write_units_take_the_write_lock_up_front(site: Site, write: bool) -> None:
    """A write unit begins with BEGIN IMMEDIATE (the write lock at once), a read unit with BEGIN."""
    if site.db.backend != "sqlite":
        pytest.skip("SQLite only")
    with _uow(site, write=write) as ctx:
        ctx.conn  # noqa: B018 - the transaction begins
        other = sqlite3.connect(site.db.engine.url.database or "", timeout=0, isolation_level=None)
        try:
            if write:
                with pytest.raises(sqlite3.OperationalError, match="locked"):
                    other.execute("BEGIN IMMEDIATE")
            else:
                other.execute("BEGIN IMMEDIATE")
                other.rollback()
        finally:
            other.close()
    assert not site.db.engine.dispatch.begin  # no connection events: SQLAlchemy skips dispatching


# -- the metadata version read of a write unit ---------------------------------------------------


@pytest.fixture()
def counted_version_reads(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every metadata-version read a unit of work makes (``docframe.sites.read_version`` calls)."""
    reads: list[Any] = []
    real = sites_module.read_version

    def counting(conn: Any, table: Any, *args: Any, **kwargs: Any) -> int:
        reads.append(conn)
        return real(conn, table, *args, **kwargs)

    monkeypatch.setattr(sites_module, "read_version", counting)
    return reads


def test_sqlite_commits_seen_moves_only_for_other_connections(site: Site) -> None:
    if site.db.backend != "sqlite":
        with site.connect() as conn:
            assert site.db.dialect.commits_seen(conn.connection) is None
        return
    table = f"commits_{secrets.token_hex(4)}"
    with site.db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {table} (x INTEGER)")
    try:
        with site.connect() as mine, site.connect() as theirs:
            first = site.db.dialect.commits_seen(mine.connection)
            with mine.begin():
                mine.exec_driver_sql(f"INSERT INTO {table} VALUES (1)")
            assert site.db.dialect.commits_seen(mine.connection) == first  # its own commit
            with theirs.begin():
                theirs.exec_driver_sql(f"INSERT INTO {table} VALUES (2)")
            assert site.db.dialect.commits_seen(mine.connection) != first
    finally:
        with site.db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE {table}")


def test_write_unit_skips_the_version_read_only_while_nobody_else_committed(
    site: Site, counted_version_reads: list[Any]
) -> None:
    """SQLite: a write unit reads the metadata version unless no other connection committed since
    its connection last read it; a DocType change by another process (another Site on the same
    database) is seen by the next write unit, which drops the cached metadata. PostgreSQL and
    MariaDB read it on every write unit."""
    other = Site(site.settings)
    forgotten: list[str | None] = []
    site.on_metadata_forgotten(forgotten.append)
    try:
        with site.unit_of_work(User.administrator()) as ctx:
            assert ctx.conn is not None
        reads = len(counted_version_reads)
        for _ in range(3):
            with site.unit_of_work(User.administrator()) as ctx:
                assert ctx.conn is not None
        skipping = site.db.backend == "sqlite"
        assert len(counted_version_reads) == reads + (0 if skipping else 3)
        before = site.metas.get("ToDo")
        with other.unit_of_work(User.administrator()) as ctx:
            other.metadata_changed(ctx)  # what a DocType save in another process does
        reads = len(counted_version_reads)
        with site.unit_of_work(User.administrator()) as ctx:
            assert ctx.meta("ToDo") is not before  # dropped and rebuilt
        assert len(counted_version_reads) == reads + 1
        assert None in forgotten
        forgotten.clear()
        # Another connection's unrelated commit: the version is read again (and has not moved).
        with other.unit_of_work(User.administrator()) as ctx:
            create_document(ctx, "ToDo", {"description": "someone else's"})
        reads = len(counted_version_reads)
        with site.unit_of_work(User.administrator()) as ctx:
            assert ctx.conn is not None
        assert len(counted_version_reads) == reads + 1
        assert forgotten == []
    finally:
        other.dispose()


def test_write_unit_reads_the_version_with_a_statement_the_log_sees(
    site: Site, counted_version_reads: list[Any]
) -> None:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with site.unit_of_work(User.administrator()) as ctx:
        assert ctx.conn is not None
    event.listen(site.db.engine, "before_cursor_execute", seen)
    try:
        reads = len(counted_version_reads)
        with site.unit_of_work(User.administrator()) as ctx:
            assert ctx.conn is not None
        assert len(counted_version_reads) == reads + 1
        assert any("version" in s for s in statements)
    finally:
        event.remove(site.db.engine, "before_cursor_execute", seen)
