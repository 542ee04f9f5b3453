"""SiteServices: typed slots, each service built once per process even under concurrent first use."""

from __future__ import annotations

import threading
import time

from docframe.auth.sessions import SessionManager, session_manager
from docframe.permissions.docperms import RoleCache
from docframe.services import Lazy, SiteServices
from docframe.sites import Site


def test_a_slot_builds_its_service_once_under_concurrent_first_use() -> None:
    slot: Lazy[list[int]] = Lazy()
    built: list[int] = []
    barrier = threading.Barrier(8)

    def make() -> list[int]:
        built.append(1)
        time.sleep(0.01)  # widen the window in which a second builder could slip in
        return [len(built)]

    seen: list[list[int]] = []

    def worker() -> None:
        barrier.wait()
        seen.append(slot.get(make))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert built == [1]
    assert all(value is seen[0] for value in seen)
    slot.clear()
    assert slot.peek() is None
    assert slot.get(make) == [2]


def test_each_site_has_its_own_typed_services(sqlite_site: Site) -> None:
    assert isinstance(sqlite_site.services, SiteServices)
    manager = session_manager(sqlite_site)
    assert isinstance(manager, SessionManager)
    assert session_manager(sqlite_site) is manager
    assert sqlite_site.services.sessions.peek() is manager
    assert SiteServices().sessions.peek() is None  # a new site starts empty


def test_role_cache_recomputes_when_the_rows_change(sqlite_site: Site) -> None:
    meta = sqlite_site.metas.get("ToDo")
    cache: RoleCache[int] = RoleCache()
    calls: list[frozenset[str]] = []

    def compute(perms: object, roles: frozenset[str]) -> int:
        calls.append(roles)
        return len(calls)

    roles = frozenset({"System Manager"})
    assert cache.get(meta, meta.permissions, roles, compute) == 1
    assert cache.get(meta, meta.permissions, roles, compute) == 1  # same rows: kept
    edited = tuple(list(meta.permissions))  # equal rows, but another object (as after an edit)
    assert cache.get(meta, edited, roles, compute) == 2
    assert cache.get(meta, edited, roles, compute) == 2
    assert cache.get(meta, edited, frozenset(), compute) == 3  # another role set
