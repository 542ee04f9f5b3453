"""System Settings parsing and the lock-out policy on each counter store (memory, Redis, database)."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine

from docframe import errors
from docframe.auth.lockout import Attempt, LoginLockout
from docframe.auth.settings import AuthSettings, parse_expiry
from docframe.db.tables import FrameworkTables
from docframe.ratelimit.stores import CounterStore, DatabaseStore, MemoryStore, RedisStore


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("06:00", timedelta(hours=6)),
        ("240:00:00", timedelta(hours=240)),
        ("00:00:02", timedelta(seconds=2)),
        ("1", timedelta(hours=1)),
        (None, timedelta(hours=240)),
        ("", timedelta(hours=240)),
        ("bad", timedelta(hours=240)),
        ("1:2:3:4", timedelta(hours=240)),
        ("-5:00", timedelta(hours=240)),
        ("00:00", timedelta(hours=240)),
    ],
)
def test_parse_expiry(text: str | None, expected: timedelta) -> None:
    assert parse_expiry(text) == expected


def test_settings_fall_back_to_defaults() -> None:
    values = {
        "allow_consecutive_login_attempts": "",
        "allow_login_after_fail": "30",
        "deny_multiple_sessions": "0",
    }
    settings = AuthSettings.from_values(
        values, {"allow_consecutive_login_attempts": "10"}, deny_multiple_sessions=True
    )
    assert settings.allow_consecutive_login_attempts == 10 and settings.allow_login_after_fail == 30
    assert settings.deny_multiple_sessions  # the site config may force it
    assert settings.session_expiry == timedelta(hours=240)


def _lockout(store: CounterStore, attempts: int = 2, interval: int = 2) -> LoginLockout:
    return LoginLockout(
        store, AuthSettings(allow_consecutive_login_attempts=attempts, allow_login_after_fail=interval)
    )


def _locked(lockout: LoginLockout, attempt: Attempt, last: str | None = None) -> bool:
    try:
        lockout.check(attempt, last)
    except errors.SecurityException as exc:
        assert exc.messages[0].message.startswith("Your account has been locked and will resume after")
        return True
    return False


def _exercise(store: CounterStore) -> None:
    lockout = _lockout(store)
    user = f"u-{secrets.token_hex(4)}"
    attacker, victim, other = (f"10.1.{secrets.randbelow(200)}.{i}" for i in (1, 2, 3))
    for _ in range(3):
        assert not _locked(lockout, Attempt(attacker, user))
        lockout.failed(Attempt(attacker, user))
    assert _locked(lockout, Attempt(attacker, user))  # this account from this address
    assert _locked(lockout, Attempt(attacker, f"{user}-else"))  # anything from this address
    assert not _locked(lockout, Attempt(victim, user))  # the owner from elsewhere is not locked out
    lockout.succeeded(Attempt(victim, user))
    assert _locked(lockout, Attempt(attacker, user))  # a success elsewhere does not unlock the attacker
    time.sleep(2.1)
    assert not _locked(lockout, Attempt(attacker, user))  # the count lasts the interval
    # Distributed guessing: more than 10 x N failures from many addresses lock the account,
    # except from the address it last logged in from.
    lockout, user = _lockout(store, interval=60), f"{user}-2"
    for i in range(21):
        lockout.failed(Attempt(f"10.2.{i}.1", user))
    assert _locked(lockout, Attempt(other, user))
    assert not _locked(lockout, Attempt(victim, user), last=victim)
    store.clear(Attempt(other, user).account_key)
    assert not _locked(lockout, Attempt(other, user))


def test_memory_counters_lockout() -> None:
    _exercise(MemoryStore())


def test_redis_counters_lockout() -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("redis on 127.0.0.1:6379 is unreachable")
    _exercise(RedisStore("redis://127.0.0.1:6379/0", f"dftest:{secrets.token_hex(4)}:"))


def test_database_counters_lockout(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'counters.db'}")
    table = FrameworkTables(MetaData()).counters
    table.create(engine)
    _exercise(DatabaseStore(engine, table))
    engine.dispose()


def test_disabled_lockout_never_locks() -> None:
    store = MemoryStore()
    lockout = _lockout(store, attempts=0)
    for _ in range(20):
        lockout.failed(Attempt("10.0.0.1", "k"))
    lockout.check(Attempt("10.0.0.1", "k"))
    assert store.get(Attempt("10.0.0.1", "k").address_key) == 0
