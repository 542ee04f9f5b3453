"""Connections kept between units of work (:mod:`docframe.db.connections`) on every backend.

``Site.unit_of_work`` takes a driver connection from the site's :class:`ConnectionCache`, ends its
transaction (commit or roll back) and hands it back; the next unit of work gets the same driver
connection and the same SQLAlchemy Connection over it. These tests check that reuse, that nothing
(an open transaction, an old snapshot, a dead server session) is carried from one unit of work to
the next, and the cache's own bookkeeping against SQLAlchemy's pool (``pool.checkedout()``).

Each test that writes gets its own uniquely named table, created before and dropped after it.
"""

from __future__ import annotations

import gc
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.engine import Connection, Engine

from docframe.db import connections
from docframe.db.connections import ConnectionCache
from docframe.db.engine import open_engine
from docframe.db.prepared import Prepared
from docframe.model.operations import create_document
from docframe.sites import Site
from docframe.users import User


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
    """End a server session from another connection and wait until the server has dropped it."""
    postgres = site.db.backend == "postgresql"
    with site.db.engine.connect() as other:
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


@pytest.fixture()
def cache(site: Site) -> Iterator[ConnectionCache]:
    """A cache of its own over the site's engine (closed afterwards)."""
    made = ConnectionCache(site.db.engine, size=2, ping_after=0.0)
    try:
        yield made
    finally:
        made.close()


def _checked_out(engine: Engine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


# -- 1. reuse -------------------------------------------------------------------------------------


def test_consecutive_units_reuse_the_driver_connection(site: Site) -> None:
    seen: list[Any] = []
    for write in (False, True, False):
        with _uow(site, write=write) as ctx:
            seen.append(ctx.raw.dbapi_connection)
            assert ctx.raw.dbapi_connection is not None
    assert seen[0] is seen[1] is seen[2]


def test_sqlalchemy_connection_is_handed_to_the_next_unit_that_asks(site: Site) -> None:
    with _uow(site, write=True) as ctx:
        first = ctx.conn
        first_raw = ctx.raw
        assert first.connection is first_raw  # made over the unit's driver connection
        assert first.get_execution_options()["docframe_write"] is True
    with _uow(site, write=False) as ctx:
        ctx.raw  # noqa: B018 - a unit that only uses the driver connection keeps the Connection too
    with _uow(site, write=False) as ctx:
        second = ctx.conn
        assert second is first
        assert ctx.raw is first_raw
        assert not second.closed
        # the write flag is the new unit's, not the one the Connection was made for
        assert second.get_execution_options()["docframe_write"] is False
        assert second.execute(select(1)).scalar() == 1


# -- 2. commit, roll back, and nothing left open ---------------------------------------------------


def _write(ctx: Any, probe: Probe, handle: str, name: str) -> None:
    if handle == "raw":
        probe.add.execute(ctx.raw, {"name": name, "n": 1})
    else:
        ctx.conn.execute(insert(probe.table).values(name=name, n=1))


@pytest.mark.parametrize("handle", ["raw", "conn"])
def test_successful_write_unit_commits(probe: Probe, handle: str) -> None:
    site = probe.site
    with _uow(site) as ctx:
        _write(ctx, probe, handle, "kept")
        raw = ctx.raw
        conn = ctx.conn if handle == "conn" else None
        assert _in_transaction(site, raw.dbapi_connection)
        assert probe.stored() == set()  # not visible to others before the commit
    assert probe.stored() == {"kept"}
    assert raw.dbapi_connection is not None
    assert not _in_transaction(site, raw.dbapi_connection)
    if conn is not None:
        assert not conn.in_transaction()
    with pytest.raises(RuntimeError, match="has ended"):
        ctx.raw  # noqa: B018 - an ended unit of work no longer reaches the (reused) connection


@pytest.mark.parametrize("handle", ["raw", "conn"])
def test_failed_write_unit_rolls_back(probe: Probe, handle: str) -> None:
    site = probe.site
    with pytest.raises(Boom), _uow(site) as ctx:
        _write(ctx, probe, handle, "dropped")
        raw = ctx.raw
        assert _in_transaction(site, raw.dbapi_connection)
        raise Boom
    assert probe.stored() == set()
    assert not _in_transaction(site, raw.dbapi_connection)
    # the connection is still good: the next unit gets it and commits its own work only
    with _uow(site) as ctx:
        assert ctx.raw is raw
        _write(ctx, probe, handle, "next")
        assert probe.count.scalar(ctx.raw) == 1
    assert probe.stored() == {"next"}
    assert not _in_transaction(site, raw.dbapi_connection)


@pytest.mark.parametrize("handle", ["raw", "conn"])
def test_read_only_unit_rolls_its_writes_back(probe: Probe, handle: str) -> None:
    site = probe.site
    with _uow(site, write=False) as ctx:
        _write(ctx, probe, handle, "not kept")
        assert probe.count.scalar(ctx.raw) == 1  # its own write is visible inside it
        raw = ctx.raw
    assert probe.stored() == set()
    assert not _in_transaction(site, raw.dbapi_connection)


def test_database_error_inside_a_unit_leaves_a_clean_connection(probe: Probe) -> None:
    """A failed statement (PostgreSQL aborts the transaction) is rolled back before reuse."""
    site = probe.site
    probe.commit_row("dup")
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), _uow(site) as ctx:
        probe.add.execute(ctx.raw, {"name": "ok", "n": 1})
        raw = ctx.raw
        probe.add.execute(ctx.raw, {"name": "dup", "n": 1})
    assert probe.stored() == {"dup"}
    assert not _in_transaction(site, raw.dbapi_connection)
    with _uow(site) as ctx:
        assert ctx.raw is raw
        probe.add.execute(ctx.raw, {"name": "after", "n": 1})
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
        raw = ctx.raw
        raise Boom
    assert stored() == 0
    assert not _in_transaction(site, raw.dbapi_connection)
    with _uow(site) as ctx:
        doc = create_document(ctx, "ToDo", {"description": description})
        assert ctx.raw is raw
    assert stored() == 1
    assert not _in_transaction(site, raw.dbapi_connection)
    with _uow(site) as ctx:
        table = site.tables.get(ctx.meta("ToDo"))
        ctx.conn.execute(table.delete().where(table.c.name == doc.name))
    assert stored() == 0


# -- 3. no stale snapshot --------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["raw", "conn"])
def test_read_only_unit_sees_rows_committed_since_the_last_one(probe: Probe, handle: str) -> None:
    site = probe.site

    def count(ctx: Any) -> int:
        return int(probe.count.scalar(ctx.raw if handle == "raw" else ctx.conn))

    with _uow(site, write=False) as ctx:
        assert count(ctx) == 0
        raw = ctx.raw
    probe.commit_row("one")
    with _uow(site, write=False) as ctx:
        assert ctx.raw is raw  # the same driver connection...
        assert count(ctx) == 1  # ...in a new transaction
    probe.commit_row("two")
    with _uow(site, write=True) as ctx:
        assert ctx.raw is raw
        assert count(ctx) == 2
    probe.commit_row("three")
    with pytest.raises(Boom), _uow(site, write=False) as ctx:
        assert count(ctx) == 3
        raise Boom
    probe.commit_row("four")
    with _uow(site, write=False) as ctx:
        assert count(ctx) == 4


# -- 4. the cache itself ---------------------------------------------------------------------------


def test_cache_keeps_at_most_size_connections(site: Site, cache: ConnectionCache) -> None:
    engine = site.db.engine
    start = _checked_out(engine)
    held = [cache.acquire() for _ in range(3)]
    assert len({id(h.fairy.dbapi_connection) for h in held}) == 3
    assert _checked_out(engine) == start + 3
    for h in held:
        cache.release(h)
    assert _checked_out(engine) == start + 2  # the third went back to the pool
    again = [cache.acquire(), cache.acquire()]
    assert _checked_out(engine) == start + 2  # both came from the cache, last in first out
    assert again[0] is held[1]
    assert again[1] is held[0]
    assert held[2].fairy.dbapi_connection is None  # its proxy was closed
    for h in again:
        cache.release(h)
    cache.close()
    assert _checked_out(engine) == start


def test_release_not_reusable_gives_the_connection_back(site: Site, cache: ConnectionCache) -> None:
    engine = site.db.engine
    start = _checked_out(engine)
    held = cache.acquire()
    held.conn = Connection(engine, connection=held.fairy)
    assert _checked_out(engine) == start + 1
    cache.release(held, reusable=False)
    assert _checked_out(engine) == start
    assert held.conn.closed
    fresh = cache.acquire()
    assert fresh is not held
    assert fresh.conn is None
    cache.release(fresh)


@pytest.mark.parametrize("when", ["before release", "while cached"])
@pytest.mark.parametrize("which", ["fairy", "sqlalchemy connection"])
def test_invalidated_connection_is_not_handed_out(
    site: Site, cache: ConnectionCache, when: str, which: str
) -> None:
    engine = site.db.engine
    start = _checked_out(engine)
    held = cache.acquire()
    held.conn = Connection(engine, connection=held.fairy)
    old = held.fairy.dbapi_connection

    def invalidate() -> None:
        if which == "fairy":
            held.fairy.invalidate()
        else:
            held.conn.invalidate()  # type: ignore[union-attr]
        assert not held.usable

    if when == "before release":
        invalidate()
        cache.release(held)
        assert _checked_out(engine) == start
    else:
        cache.release(held)
        invalidate()
    fresh = cache.acquire()
    assert fresh is not held
    assert fresh.fairy.dbapi_connection is not None
    assert fresh.fairy.dbapi_connection is not old
    assert _checked_out(engine) == start + 1
    cache.release(fresh)
    cache.close()
    assert _checked_out(engine) == start


def test_close_gives_every_connection_back(site: Site) -> None:
    engine = site.db.engine
    start = _checked_out(engine)
    made = ConnectionCache(engine, size=3)
    held = [made.acquire() for _ in range(3)]
    held[0].conn = Connection(engine, connection=held[0].fairy)
    for h in held:
        made.release(h)
    assert _checked_out(engine) == start + 3
    made.close()
    assert _checked_out(engine) == start
    assert held[0].conn.closed
    assert all(h.fairy.dbapi_connection is None for h in held)
    made.close()  # twice is harmless
    assert _checked_out(engine) == start


def test_changed_pid_does_not_reuse_the_cached_connections(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(site.settings.db_url)  # a child disposes its engine's pool: not the shared site's
    made = ConnectionCache(db.engine, size=2)
    try:
        parent = made.acquire()
        made.release(parent)
        monkeypatch.setattr(connections, "os", SimpleNamespace(getpid=lambda: os.getpid() + 1))
        child = made.acquire()
        assert child is not parent
        assert child.fairy is not parent.fairy
        assert child.fairy.dbapi_connection is not parent.fairy.dbapi_connection
        made.release(child)
        assert made.acquire() is child  # the child's own connections are cached again
        made.release(child)
    finally:
        made.close()
        db.engine.dispose()


def test_changed_pid_never_hands_out_a_parent_driver_connection(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = open_engine(site.settings.db_url)  # an engine of its own: its pool holds only this test's
    try:
        made = ConnectionCache(db.engine, size=2)
        held = [made.acquire(), made.acquire()]
        parent_ids = {id(h.fairy.dbapi_connection) for h in held}
        parent_dbapi = [h.fairy.dbapi_connection for h in held]  # keeps the ids unique
        for h in held:
            made.release(h)
        del held, h  # the cache holds the only references, as in a server process
        parent_pool = db.engine.pool
        assert parent_pool.checkedout() == 2  # type: ignore[attr-defined]
        monkeypatch.setattr(connections, "os", SimpleNamespace(getpid=lambda: os.getpid() + 1))
        child = made.acquire()
        gc.collect()
        assert id(child.fairy.dbapi_connection) not in parent_ids, "the child got a parent's connection"
        # the parent's connections were neither reset nor returned to (the child's copy of) its pool
        assert parent_pool.checkedout() == 2  # type: ignore[attr-defined]
        assert _checked_out(db.engine) == 1
        made.release(child)
        made.close()
        del parent_dbapi
    finally:
        db.engine.dispose()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_never_uses_a_parent_driver_connection(site: Site) -> None:
    db = open_engine(site.settings.db_url)  # an engine of its own: its pool holds only this test's
    made = ConnectionCache(db.engine, size=2)
    try:
        held = made.acquire()
        made.release(held)
        parent_id = id(held.fairy.dbapi_connection)
        del held
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: report which driver connection it was given, and leave at once
            try:
                child = made.acquire()
                os.write(write_end, str(id(child.fairy.dbapi_connection)).encode())
            finally:
                os._exit(0)
        os.close(write_end)
        with os.fdopen(read_end, "rb") as pipe:
            child_id = int(pipe.read() or 0)
        os.waitpid(pid, 0)
        assert child_id, "the child reported nothing"
        assert child_id != parent_id, "the forked child was handed the parent's cached connection"
        # the parent's cached connection is still its own and still works
        again = made.acquire()
        assert id(again.fairy.dbapi_connection) == parent_id
        cursor = again.fairy.dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchone()[0] == 1
        cursor.close()
        again.fairy.dbapi_connection.rollback()
        made.release(again)
    finally:
        made.close()
        db.engine.dispose()


# -- 5. lost server sessions -----------------------------------------------------------------------


def test_killed_cached_connection_is_replaced_after_ping_after(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    _require_server(site)
    clock = [1000.0]
    monkeypatch.setattr(connections, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    engine = site.db.engine
    pinged: list[Any] = []
    ping = engine.dialect.do_ping

    def spy(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", spy)
    start = _checked_out(engine)
    made = ConnectionCache(engine, size=2, ping_after=10.0)
    try:
        held = made.acquire()
        dead = held.fairy.dbapi_connection
        session = _session_id(site, dead)
        dead.rollback()
        made.release(held)
        pinged.clear()  # the pool's own pre-ping at checkout
        clock[0] += 5  # idle for less than ping_after: handed out without a ping
        assert made.acquire() is held
        assert dead not in pinged
        made.release(held)
        _kill_session(site, session)
        clock[0] += 10  # idle for ping_after: pinged, found dead, replaced
        fresh = made.acquire()
        assert dead in pinged
        assert fresh is not held
        assert not held.fairy.is_valid
        assert fresh.fairy.dbapi_connection is not dead
        assert _session_id(site, fresh.fairy.dbapi_connection) != session
        fresh.fairy.dbapi_connection.rollback()
        assert _checked_out(engine) == start + 1  # the dead one went back to the pool (discarded)
        made.release(fresh)
    finally:
        made.close()
    assert _checked_out(engine) == start


def test_ping_leaves_no_transaction_open(site: Site, cache: ConnectionCache) -> None:
    _require_server(site)
    held = cache.acquire()
    cache.release(held)
    assert cache.acquire() is held  # ping_after=0: pinged, alive
    assert not _in_transaction(site, held.fairy.dbapi_connection)
    cache.release(held)


def test_sqlite_connections_are_never_pinged(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    if site.db.backend != "sqlite":
        pytest.skip("SQLite only")
    pinged: list[Any] = []
    monkeypatch.setattr(site.db.engine.dialect, "do_ping", pinged.append)
    made = ConnectionCache(site.db.engine, size=1, ping_after=0.0)
    try:
        held = made.acquire()
        made.release(held)
        assert made.acquire() is held
        made.release(held)
    finally:
        made.close()
    assert pinged == []


@pytest.mark.parametrize("handle", ["raw", "conn"])
def test_unit_after_a_killed_idle_session_succeeds(
    probe: Probe, monkeypatch: pytest.MonkeyPatch, handle: str
) -> None:
    site = probe.site
    _require_server(site)
    monkeypatch.setattr(site.connections, "ping_after", 0.0)
    with _uow(site) as ctx:
        used = ctx.conn if handle == "conn" else ctx.raw  # conn: the Connection is cached too
        dead = ctx.raw.dbapi_connection
        session = _session_id(site, dead)
        probe.add.execute(used, {"name": "before", "n": 1})
    _kill_session(site, session)
    with _uow(site) as ctx:
        assert ctx.raw.dbapi_connection is not dead
        assert _session_id(site, ctx.raw.dbapi_connection) != session
        handle_now = ctx.conn if handle == "conn" else ctx.raw
        probe.add.execute(handle_now, {"name": "after", "n": 1})
        assert probe.count.scalar(handle_now) == 2
    assert probe.stored() == {"before", "after"}
    with _uow(site, write=False) as ctx:
        assert probe.count.scalar(ctx.raw) == 2


# -- 6. callbacks ----------------------------------------------------------------------------------


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
            probe.add.execute(ctx.raw, {"name": "row", "n": 1})
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
        ctx.raw  # noqa: B018
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
            dbapi_connection = ctx.raw.dbapi_connection
            ctx.after_commit.append(callback)
        assert len(late) == 1
        assert isinstance(late[0], RuntimeError) and "has ended" in str(late[0])
        assert not conn.in_transaction()
        assert not _in_transaction(own, dbapi_connection)
        with _uow(own, write=False) as ctx:
            assert ctx.conn.execute(select(1)).scalar() == 1
    finally:
        own.dispose()


# -- 7. dispose ------------------------------------------------------------------------------------


def test_dispose_returns_every_connection_before_the_engine_goes(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Site(site.settings)
    engine = fresh.db.engine
    with _uow(fresh, write=False) as ctx:
        ctx.raw  # noqa: B018
    with _uow(fresh) as ctx:
        conn = ctx.conn
        assert conn.execute(select(1)).scalar() == 1
    # a second connection in the cache: two units open at once
    with _uow(fresh, write=False) as outer, _uow(fresh, write=False) as inner:
        assert outer.raw is not inner.raw
    assert _checked_out(engine) == 2
    at_dispose: list[int] = []
    dispose = engine.dispose

    def recording_dispose(*args: Any, **kwargs: Any) -> None:
        at_dispose.append(_checked_out(engine))
        dispose(*args, **kwargs)

    monkeypatch.setattr(engine, "dispose", recording_dispose)
    fresh.dispose()
    assert at_dispose == [0]
    assert conn.closed


@pytest.mark.parametrize("handle", ["raw", "conn"])
def test_a_failed_rollback_does_not_hide_the_error_and_drops_the_connection(site: Site, handle: str) -> None:
    if site.db.backend == "sqlite":
        pytest.skip("no server session to lose on SQLite")
    own = Site(site.settings)  # a site of its own: its cache and pool hold only this test's connections
    try:
        with pytest.raises(Boom), _uow(own) as ctx:
            if handle == "conn":
                ctx.conn.execute(select(1))
            dbapi_connection = ctx.raw.dbapi_connection
            _kill_session(own, _session_id(own, dbapi_connection))
            raise Boom  # the rollback that follows fails on the dead session
        assert own.connections._idle == []  # the dead connection was not kept for reuse
        with _uow(own, write=False) as ctx:
            assert ctx.raw.dbapi_connection is not dbapi_connection
            assert ctx.conn.execute(select(1)).scalar() == 1
    finally:
        own.dispose()


def test_threads_sharing_the_cache_never_hold_the_same_connection(site: Site) -> None:
    """Request threads share the cache: a connection is in one unit of work at a time, and at most
    ``size`` stay kept. Every unit of work runs a query on its connection while others do too."""
    cache = ConnectionCache(site.db.engine, size=4)
    in_use: set[int] = set()
    lock = threading.Lock()
    clashes: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                held = cache.acquire()
                key = id(held.fairy.dbapi_connection)
                with lock:
                    if key in in_use:
                        clashes.append(key)
                    in_use.add(key)
                cursor = held.fairy.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute("SELECT 1")
                cursor.fetchall()
                cursor.close()
                held.fairy.dbapi_connection.rollback()  # type: ignore[union-attr]
                with lock:
                    in_use.discard(key)
                cache.release(held)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == [] and clashes == []
    assert len(cache._idle) <= 4
    cache.close()
