"""Both session stores behave the same: create, read, touch, list by user (newest first), delete."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta

import pytest

from docframe.auth.stores import DatabaseSessionStore, RedisSessionStore, SessionRecord, SessionStore
from docframe.sites import Site
from docframe.users import User


def _exercise(store: SessionStore, site: Site) -> None:
    user = f"store-{secrets.token_hex(4)}@example.com"
    now = datetime.now().replace(microsecond=123456)
    first = SessionRecord(secrets.token_hex(28), user, now - timedelta(minutes=5), {"full_name": "S", "n": 1})
    second = SessionRecord(secrets.token_hex(28), user, now, {"full_name": "S", "n": 2})
    with site.unit_of_work(User.administrator()) as ctx:
        store.create(ctx, first, 60)
    time.sleep(0.01)
    with site.unit_of_work(User.administrator()) as ctx:
        store.create(ctx, second, 60)
    loaded = store.get(first.sid)
    assert loaded is not None and loaded.user == user and loaded.data == {"full_name": "S", "n": 1}
    assert loaded.last_updated == first.last_updated
    assert store.sids_of(None, user) == [second.sid, first.sid]
    touched = SessionRecord(first.sid, user, now + timedelta(seconds=1), {"csrf_token": "t"})
    store.touch(None, touched, 60)
    again = store.get(first.sid)
    assert (
        again is not None and again.data == {"csrf_token": "t"} and again.last_updated == touched.last_updated
    )
    assert store.sids_of(None, user)[0] == first.sid
    store.delete(None, [first.sid])
    assert store.get(first.sid) is None and store.sids_of(None, user) == [second.sid]
    assert store.get("no-such-sid") is None
    store.delete(None, [second.sid, "no-such-sid"])
    assert store.sids_of(None, user) == []


def test_database_store(sqlite_site: Site) -> None:
    _exercise(DatabaseSessionStore(sqlite_site), sqlite_site)


def test_redis_store(sqlite_site: Site) -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("redis on 127.0.0.1:6379 is unreachable")
    store = RedisSessionStore(client, f"dftest:{secrets.token_hex(4)}:")
    _exercise(store, sqlite_site)
    record = SessionRecord(secrets.token_hex(28), "ttl@example.com", datetime.now(), {})
    store.touch(None, record, 1)
    time.sleep(1.2)
    assert store.get(record.sid) is None and store.sids_of(None, "ttl@example.com") == []
    client.set(f"{store.prefix}session:broken", b"not json")
    assert store.get("broken") is None


def test_shared_epoch_tells_other_processes_about_changes() -> None:
    import redis

    from docframe.auth.stores import SharedEpoch

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("redis on 127.0.0.1:6379 is unreachable")
    key = f"dftest:{secrets.token_hex(4)}:epoch"
    here, there = SharedEpoch(client, key), SharedEpoch(client, key)
    here.check_every = there.check_every = 0.0
    assert not there.changed()  # the first look only records the value
    here.bump()
    assert there.changed() and not there.changed()
    assert not SharedEpoch(None, key).changed()
