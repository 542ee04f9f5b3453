"""The cache of SQLAlchemy Connections kept between units of work (:mod:`docframe.db.connections`).

Its bookkeeping against the pool (``pool.checkedout()``), invalidated Connections, fork safety and
pings of idle server connections, on every backend. Each test uses an engine of its own over the
shared site's database, so the pool holds only that test's connections.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from docframe.db import connections
from docframe.db.connections import ConnectionCache
from docframe.db.engine import Database, open_engine
from docframe.sites import Site
from tests.unit.db.forking import in_forked_child


@pytest.fixture()
def db(site: Site) -> Iterator[Database]:
    made = open_engine(site.settings.db_url, pool_size=4)
    try:
        yield made
    finally:
        made.engine.dispose()


def _checked_out(engine: Engine) -> int:
    return int(engine.pool.checkedout())  # type: ignore[attr-defined]


def _session_id(backend: str, conn: Any) -> int:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        cursor.execute("SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def test_cache_keeps_at_most_size_connections(db: Database) -> None:
    engine = db.engine
    cache = ConnectionCache(engine, size=2)
    held = [cache.acquire() for _ in range(3)]
    assert len({id(c.connection.dbapi_connection) for c in held}) == 3
    assert _checked_out(engine) == 3
    for conn in held:
        cache.release(conn)
    assert _checked_out(engine) == 2  # the third went back to the pool
    assert held[2].closed
    again = [cache.acquire(), cache.acquire()]
    assert again == [held[1], held[0]]  # last in, first out
    for conn in again:
        cache.release(conn)
    cache.close()
    assert _checked_out(engine) == 0
    assert all(c.closed for c in held)
    cache.close()  # twice is harmless


def test_release_not_reusable_drops_the_driver_connection(db: Database) -> None:
    cache = ConnectionCache(db.engine, size=2)
    conn = cache.acquire()
    dbapi = conn.connection.dbapi_connection
    cache.release(conn, reusable=False)
    assert conn.closed and _checked_out(db.engine) == 0
    fresh = cache.acquire()
    assert fresh is not conn
    assert fresh.connection.dbapi_connection is not dbapi  # invalidated: not handed out by the pool
    cache.release(fresh)
    cache.close()


@pytest.mark.parametrize("when", ["before release", "while cached"])
def test_invalidated_connection_is_not_handed_out(db: Database, when: str) -> None:
    cache = ConnectionCache(db.engine, size=2)
    conn = cache.acquire()
    old = conn.connection.dbapi_connection
    if when == "before release":
        conn.invalidate()
        cache.release(conn)
        assert _checked_out(db.engine) == 0
    else:
        cache.release(conn)
        conn.invalidate()
    fresh = cache.acquire()
    assert fresh is not conn
    assert fresh.connection.dbapi_connection is not old
    assert fresh.execute(select(1)).scalar() == 1
    fresh.rollback()
    cache.release(fresh)
    cache.close()
    assert _checked_out(db.engine) == 0


# -- fork safety ------------------------------------------------------------------------------------


def test_changed_pid_never_hands_out_a_parent_connection(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ConnectionCache(db.engine, size=2)
    parent = cache.acquire()
    parent_dbapi = parent.connection.dbapi_connection
    cache.release(parent)
    fake = SimpleNamespace(getpid=lambda: os.getpid() + 1)
    monkeypatch.setattr(connections, "os", fake)
    monkeypatch.setattr("docframe.db.engine.os", fake)
    child = cache.acquire()
    assert child is not parent
    assert child.connection.dbapi_connection is not parent_dbapi
    assert not parent.closed  # neither closed nor returned: it is the parent's
    cache.release(child)
    assert cache.acquire() is child  # the child's own Connection is kept again
    cache.release(child)
    cache.close()
    monkeypatch.undo()
    assert parent.execute(select(1)).scalar() == 1  # the parent's connection still works
    parent.rollback()
    parent.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_never_uses_a_parent_connection(db: Database) -> None:
    cache = ConnectionCache(db.engine, size=2)
    conn = cache.acquire()
    parent_id = id(conn.connection.dbapi_connection)
    cache.release(conn)

    def probe() -> str:  # in the child: which driver connection it was given, and whether it works
        child = cache.acquire()
        return f"{id(child.connection.dbapi_connection)} {int(child.execute(select(1)).scalar() == 1)}"

    reported = in_forked_child(probe)
    assert int(reported[0]) != parent_id, "the forked child was handed the parent's cached connection"
    assert reported[1] == "1"
    again = cache.acquire()  # the parent's cached connection is still its own and still works
    assert again is conn
    assert again.execute(select(1)).scalar() == 1
    again.rollback()
    cache.release(again)
    cache.close()


# -- pings after idling -----------------------------------------------------------------------------


def test_killed_cached_connection_is_replaced_after_ping_after(
    site: Site, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if site.db.backend == "sqlite":
        pytest.skip("no server session to lose on SQLite")
    clock = [1000.0]
    monkeypatch.setattr(connections, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    pinged: list[Any] = []
    ping = db.engine.dialect.do_ping

    def spy(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    monkeypatch.setattr(db.engine.dialect, "do_ping", spy)
    cache = ConnectionCache(db.engine, size=2, ping_after=10.0)
    conn = cache.acquire()
    dead = conn.connection.dbapi_connection
    session = _session_id(site.db.backend, conn)
    conn.rollback()
    cache.release(conn)
    clock[0] += 5  # idle for less than ping_after: handed out without a ping
    assert cache.acquire() is conn
    assert pinged == []
    cache.release(conn)
    with site.db.engine.connect() as other:
        kill = (
            f"SELECT pg_terminate_backend({session})"
            if site.db.backend == "postgresql"
            else f"KILL {session}"
        )
        other.exec_driver_sql(kill)
        other.commit()
    time.sleep(0.2)  # the server drops the session
    clock[0] += 10  # idle for ping_after: pinged, found dead, replaced
    fresh = cache.acquire()
    assert dead in pinged
    assert fresh is not conn
    assert fresh.connection.dbapi_connection is not dead
    assert _session_id(site.db.backend, fresh) != session
    fresh.rollback()
    cache.release(fresh)
    cache.close()
    assert _checked_out(db.engine) == 0


def test_sqlite_connections_are_never_pinged(
    site: Site, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if site.db.backend != "sqlite":
        pytest.skip("SQLite only")
    pinged: list[Any] = []
    monkeypatch.setattr(db.engine.dialect, "do_ping", pinged.append)
    cache = ConnectionCache(db.engine, size=1, ping_after=0.0)
    conn = cache.acquire()
    cache.release(conn)
    assert cache.acquire() is conn
    cache.release(conn)
    cache.close()
    assert pinged == []
