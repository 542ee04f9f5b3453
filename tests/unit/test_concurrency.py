"""RequestThreads: units of work run off the loop, and waiting work starts once they leave it alone."""

from __future__ import annotations

import asyncio
import threading

from docframe.concurrency import RequestThreads


def test_a_waiter_starts_only_after_the_running_unit_ends() -> None:
    threads = RequestThreads(2, "test-quiet")
    release = threading.Event()
    started = threading.Event()
    order: list[str] = []

    def unit() -> None:
        started.set()
        release.wait(5)
        order.append("unit ended")

    def waiter() -> None:
        started.wait(5)
        quiet = threads.wait_quiet(0.01, 5.0)
        order.append(f"waiter went on (quiet={quiet})")

    async def main() -> None:
        running = asyncio.ensure_future(threads.run(unit))
        side = threading.Thread(target=waiter)
        side.start()
        await asyncio.to_thread(started.wait, 5)
        assert threads.busy == 1
        await asyncio.sleep(0.05)
        assert order == []  # the waiter is still waiting while the unit runs
        release.set()
        await running
        await asyncio.to_thread(side.join, 5)

    try:
        asyncio.run(main())
    finally:
        threads.close()
    assert order == ["unit ended", "waiter went on (quiet=True)"]
    assert threads.busy == 0


def test_a_waiter_gives_up_under_a_steady_load() -> None:
    threads = RequestThreads(1, "test-steady")
    release = threading.Event()
    started = threading.Event()

    def unit() -> None:
        started.set()
        release.wait(5)

    async def main() -> bool:
        running = asyncio.ensure_future(threads.run(unit))
        await asyncio.to_thread(started.wait, 5)
        quiet = await asyncio.to_thread(threads.wait_quiet, 0.01, 0.05)
        release.set()
        await running
        return quiet

    try:
        assert asyncio.run(main()) is False  # it went on while the unit still ran
    finally:
        threads.close()


def test_an_idle_pool_lets_a_waiter_through_and_failures_are_counted_out() -> None:
    threads = RequestThreads(1, "test-idle")

    def broken() -> None:
        raise ValueError("boom")

    async def main() -> None:
        try:
            await threads.run(broken)
        except ValueError:
            pass
        else:  # pragma: no cover - the unit raised
            raise AssertionError("the unit's error was lost")

    try:
        asyncio.run(main())
        assert threads.busy == 0  # a unit that raised is no longer counted
        assert threads.wait_quiet(0.0, 1.0) is True
    finally:
        threads.close()
