"""The site engine's pool (:func:`docframe.db.engine.open_engine`) on every backend.

No reset on return (units of work end their own transactions), a ping only for a server connection
that sat idle for ``ping_after`` seconds, and fork safety: a connection opened by another process is
never used, never closed, and replaced by a new one. Each test builds an engine of its own over the
shared site's database, so its pool holds only that test's connections.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from docframe.db import engine as engine_module
from docframe.db.engine import Database, open_engine
from docframe.sites import Site
from tests.unit.db.forking import in_forked_child


@pytest.fixture()
def db(site: Site) -> Iterator[Database]:
    made = open_engine(site.settings.db_url, pool_size=2)
    try:
        yield made
    finally:
        made.engine.dispose()


def _select_one(dbapi_connection: Any) -> int:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def _session_id(backend: str, dbapi_connection: Any) -> int:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT pg_backend_pid()" if backend == "postgresql" else "SELECT CONNECTION_ID()")
        return int(cursor.fetchone()[0])
    finally:
        cursor.close()


def test_pool_hands_back_the_same_connection_without_a_reset(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.engine.connect():
        pass  # the first connection initialises the dialect (which rolls back once)
    rollbacks: list[Any] = []
    monkeypatch.setattr(db.engine.dialect, "do_rollback", rollbacks.append)
    with db.engine.connect() as conn:
        first = conn.connection.dbapi_connection
        conn.begin().commit()
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection is first  # last in, first out
    assert rollbacks == []  # pool_reset_on_return=None: nothing is sent on check-in


# -- fork safety ------------------------------------------------------------------------------------


def test_connection_of_another_process_is_never_handed_out(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.engine.connect() as conn:
        parent = conn.connection.dbapi_connection
    monkeypatch.setattr(engine_module, "os", SimpleNamespace(getpid=lambda: os.getpid() + 1))
    kept_before = len(engine_module._INHERITED)
    with db.engine.connect() as conn:
        child = conn.connection.dbapi_connection
        assert child is not parent
        assert _select_one(child) == 1
    assert engine_module._INHERITED[kept_before:] == [parent]  # kept referenced, never closed
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection is child  # the "child's" own connection is reused
    monkeypatch.undo()
    engine_module._INHERITED.remove(parent)
    assert _select_one(parent) == 1  # the parent's connection was not closed
    parent.rollback()
    parent.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_never_uses_a_parent_connection(db: Database) -> None:
    with db.engine.connect() as conn:
        parent = conn.connection.dbapi_connection
        parent_id = id(parent)

    def probe() -> str:  # in the child: which driver connection it was given, and whether it works
        with db.engine.connect() as conn:
            child = conn.connection.dbapi_connection
            return f"{id(child)} {int(_select_one(child) == 1)}"

    reported = in_forked_child(probe)
    assert int(reported[0]) != parent_id, "the forked child was handed the parent's connection"
    assert reported[1] == "1"
    # the parent's connection is still its own and still works (the child neither used nor closed it)
    with db.engine.connect() as conn:
        assert conn.connection.dbapi_connection is parent
        assert _select_one(parent) == 1


# -- pings after idling -----------------------------------------------------------------------------


def test_server_connection_is_pinged_only_after_idling(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    if site.db.backend == "sqlite":
        pytest.skip("no server to lose on SQLite")
    clock = [1000.0]
    monkeypatch.setattr(engine_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    made = open_engine(site.settings.db_url, pool_size=1, ping_after=10.0)
    pinged: list[Any] = []
    ping = made.engine.dialect.do_ping

    def spy(dbapi_connection: Any) -> bool:
        pinged.append(dbapi_connection)
        return bool(ping(dbapi_connection))

    monkeypatch.setattr(made.engine.dialect, "do_ping", spy)
    try:
        with made.engine.connect() as conn:
            dead = conn.connection.dbapi_connection
            session = _session_id(site.db.backend, dead)
            conn.rollback()
        clock[0] += 5  # idle for less than ping_after: handed out without a ping
        with made.engine.connect() as conn:
            assert conn.connection.dbapi_connection is dead
        assert pinged == []
        with site.db.engine.connect() as other:  # end the idle session from elsewhere
            if site.db.backend == "postgresql":
                other.exec_driver_sql(f"SELECT pg_terminate_backend({session})")
            else:
                other.exec_driver_sql(f"KILL {session}")
            other.commit()
        deadline = time.monotonic() + 5
        clock[0] += 10  # idle for ping_after: pinged, found dead, replaced
        while True:
            with made.engine.connect() as conn:
                fresh = conn.connection.dbapi_connection
                if fresh is not dead or time.monotonic() > deadline:
                    break
            clock[0] += 10  # the server may take a moment to drop the session
        assert dead in pinged
        assert fresh is not dead
        assert _session_id(site.db.backend, fresh) != session
        assert _select_one(fresh) == 1
    finally:
        made.engine.dispose()


def test_sqlite_connections_are_never_pinged(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    if site.db.backend != "sqlite":
        pytest.skip("SQLite only")
    clock = [1000.0]
    monkeypatch.setattr(engine_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    made = open_engine(site.settings.db_url, pool_size=1, ping_after=0.0)
    pinged: list[Any] = []
    monkeypatch.setattr(made.engine.dialect, "do_ping", pinged.append)
    try:
        for _ in range(3):
            with made.engine.connect() as conn:
                assert conn.exec_driver_sql("SELECT 1").scalar() == 1
            clock[0] += 3600
    finally:
        made.engine.dispose()
    assert pinged == []
