"""Counter stores and the site-wide server-time budget, on memory and on a real Redis."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine

from docframe import errors
from docframe.db.tables import FrameworkTables
from docframe.ratelimit.limiter import SiteLimiter
from docframe.ratelimit.stores import CounterStore, DatabaseStore, MemoryStore, RedisStore, StoreUnavailable
from docframe.settings import Settings
from tests.conftest import _port_open


def _settings(rate_limit: dict[str, int] | None) -> Settings:
    name = f"rl-{secrets.token_hex(4)}"
    return Settings(
        site_name=name,
        site_path=Path("/tmp") / name,
        db_url="sqlite://",
        rate_limit_seconds=float(rate_limit["limit"]) if rate_limit else 0.0,
        rate_limit_window=rate_limit["window"] if rate_limit else 0,
    )


def _redis_store() -> RedisStore:
    if not _port_open(6379):
        if os.environ.get("CI") == "true":
            pytest.fail("Redis on 127.0.0.1:6379 is unreachable (required under CI=true)")
        pytest.skip("Redis on 127.0.0.1:6379 is unreachable")
    return RedisStore("redis://127.0.0.1:6379/0", f"dftest:{secrets.token_hex(4)}:")


def _database_store(root: Path) -> DatabaseStore:
    engine = create_engine(f"sqlite:///{root / 'counters.db'}")
    table = FrameworkTables(MetaData()).counters
    table.create(engine)
    return DatabaseStore(engine, table)


@pytest.fixture(params=["memory", "redis", "database"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CounterStore:
    if request.param == "database":
        return _database_store(tmp_path)
    return MemoryStore() if request.param == "memory" else _redis_store()


def test_database_counters_expire_clear_and_survive_another_engine(tmp_path: Path) -> None:
    store = _database_store(tmp_path)
    assert store.add("k", 2, 1) == 2 and store.add("k", 3, 1) == 5
    other = DatabaseStore(create_engine(f"sqlite:///{tmp_path / 'counters.db'}"), store.table)
    assert other.get("k") == 5 and other.add("k", 1, 1) == 6  # another worker sees and adds to it
    long_key = "x" * 500
    assert store.add(long_key, 1, 60) == 1 and other.get(long_key) == 1
    store.clear("k")
    assert other.get("k") == 0
    assert store.add("short", 1, 1) == 1
    time.sleep(1.1)
    assert store.get("short") == 0 and store.add("short", 4, 60) == 4  # a new window starts


def test_counters_add_up_and_are_separate(store: CounterStore) -> None:
    assert store.add("a", 5, 60) == 5
    assert store.add("a", 7, 60) == 12
    assert store.add("b", 1, 60) == 1
    assert store.get("a") == 12 and store.get("missing") == 0


def test_budget_rejects_once_spent_with_retry_after(store: CounterStore) -> None:
    limiter = SiteLimiter(_settings({"limit": 1, "window": 60}), store)
    state = limiter.check(now=1000.0)
    assert state is not None and state.limit_us == 1_000_000 and state.used_us == 0
    assert state.headers()["X-RateLimit-Remaining"] == "1000000"
    assert state.headers()["X-RateLimit-Reset"] == "20"  # 1000 % 60 = 40 seconds into the window
    limiter.record(600_000, now=1000.0)
    assert limiter.check(now=1001.0).used_us == 600_000  # type: ignore[union-attr]
    limiter.record(600_000, now=1001.0)
    with pytest.raises(errors.TooManyRequestsError) as caught:
        limiter.check(now=1002.0)
    assert caught.value.http_status == 429
    assert caught.value.headers["Retry-After"] == "18"
    # A new window starts with a fresh budget.
    assert limiter.check(now=1020.0).used_us == 0  # type: ignore[union-attr]


def test_disabled_limiter_does_nothing() -> None:
    limiter = SiteLimiter(_settings(None), MemoryStore())
    assert limiter.check() is None
    limiter.record(10**9)
    assert limiter.check() is None


def test_redis_outage_fails_open_without_counting() -> None:
    broken = RedisStore("redis://127.0.0.1:1/0", "x:")
    with pytest.raises(StoreUnavailable):
        broken.add("k", 1, 10)
    limiter = SiteLimiter(_settings({"limit": 1, "window": 60}), broken)
    assert limiter.check() is None  # the request goes through
    limiter.record(5_000_000)  # and nothing is raised


class CountingStore(MemoryStore):
    """A memory store that counts reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def get(self, key: str) -> int:
        self.reads += 1
        return super().get(key)


def test_durations_are_batched_and_reads_reuse_the_flushed_total() -> None:
    store = CountingStore()
    limiter = SiteLimiter(_settings({"limit": 10, "window": 60}), store)
    key = limiter._key(500.0)
    assert limiter.check(now=500.0).used_us == 0  # type: ignore[union-attr]
    limiter.record(1234, now=500.0)
    assert MemoryStore.get(store, key) == 0  # summed locally, not yet sent
    assert limiter.check(now=500.1).used_us == 1234  # type: ignore[union-attr]
    reads = store.reads
    assert limiter._pending is not None
    limiter._flush(limiter._pending)
    assert MemoryStore.get(store, key) == 1234
    limiter.record(100, now=500.2)
    assert limiter.check(now=500.3).used_us == 1334  # type: ignore[union-attr]
    assert store.reads == reads  # the flushed total plus the local sum: no read needed
    store.add(key, 66, 60)  # another process spends more; once our answer is stale we read again
    limiter._last = (key, 1234, 0.0)
    assert limiter.check(now=500.4).used_us == 1400  # type: ignore[union-attr]
    assert store.reads == reads + 1
