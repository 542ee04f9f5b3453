"""System Settings parsing, the lock-out tracker and the failed-login counter stores."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pytest

from docframe import errors
from docframe.auth.lockout import LoginAttemptTracker, request_ip
from docframe.auth.settings import AuthSettings, parse_expiry
from docframe.auth.stores import AttemptStore, MemoryAttemptStore, RedisAttemptStore


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
        values, {"allow_consecutive_login_attempts": "10"}, {"deny_multiple_sessions": 1}
    )
    assert settings.allow_consecutive_login_attempts == 10 and settings.allow_login_after_fail == 30
    assert settings.deny_multiple_sessions  # the site config may force it
    assert settings.session_expiry == timedelta(hours=240)


def test_request_ip() -> None:
    assert request_ip({"x-forwarded-for": "1.2.3.4, 10.0.0.1"}) == "1.2.3.4"
    assert request_ip({"remote_addr": "5.6.7.8"}) == "5.6.7.8"
    assert request_ip({}) == "127.0.0.1"
    assert len(request_ip({"x-forwarded-for": "x" * 1000})) == 64


def _tracker(store: AttemptStore, attempts: int = 2, interval: int = 2) -> LoginAttemptTracker:
    return LoginAttemptTracker(
        store, AuthSettings(allow_consecutive_login_attempts=attempts, allow_login_after_fail=interval)
    )


def _exercise(store: AttemptStore) -> None:
    tracker, key = _tracker(store), f"user:{secrets.token_hex(4)}"
    for _ in range(3):
        tracker.check(key)
        tracker.fail(key)
    with pytest.raises(errors.SecurityException) as raised:
        tracker.check(key)
    assert raised.value.messages[0].message == "Your account has been locked and will resume after 2 seconds"
    tracker.succeed(key)
    tracker.check(key)
    tracker.fail(key)
    assert store.get(key) is not None and store.get(key)[1] == 1  # type: ignore[index]
    time.sleep(2.1)
    tracker.fail(key)  # outside the interval the count starts again
    assert store.get(key)[1] == 1  # type: ignore[index]


def test_memory_store_tracker() -> None:
    _exercise(MemoryAttemptStore())


def test_redis_store_tracker() -> None:
    import redis

    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("redis on 127.0.0.1:6379 is unreachable")
    _exercise(RedisAttemptStore(client, f"dftest:{secrets.token_hex(4)}:"))


def test_disabled_tracker_never_locks() -> None:
    store = MemoryAttemptStore()
    tracker = _tracker(store, attempts=0)
    for _ in range(20):
        tracker.fail("k")
    tracker.check("k")
    assert store.get("k") is None
