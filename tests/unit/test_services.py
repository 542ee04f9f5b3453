"""SiteServices: typed slots, each service built once per process even under concurrent first use."""

from __future__ import annotations

import threading
import time
from pathlib import Path

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


def test_slots_of_higher_layers_are_typed_by_their_key_and_closed_with_the_site() -> None:
    from docframe.services import SlotKey

    services = SiteServices()
    numbers: SlotKey[list[int]] = SlotKey("numbers")
    other: SlotKey[list[int]] = SlotKey("numbers")  # same name, another key: another slot
    made = services.slot(numbers).get(lambda: [1])
    assert services.slot(numbers).get(lambda: [2]) is made
    assert services.slot(other).peek() is None
    closed: list[str] = []
    services.on_close(lambda: closed.append("first"))
    services.on_close(lambda: closed.append("second"))
    services.close()
    services.close()  # each closer runs once
    assert closed == ["second", "first"]


def test_the_request_log_writer_is_flushed_when_its_site_closes(tmp_path: Path) -> None:
    from docframe.http.request_log import REQUEST_LOG, request_log
    from tests.conftest import make_site

    root = tmp_path / "sites"
    root.mkdir()
    (root / "common_site_config.json").write_text("{}")
    site = make_site(root, "closing.test", "sqlite")
    writer = request_log(site)
    assert site.services.slot(REQUEST_LOG).peek() is writer
    site.dispose()
    assert writer._stop.is_set()  # its thread was asked to stop after a last flush
