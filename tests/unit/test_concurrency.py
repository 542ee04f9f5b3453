"""RequestThreads: units of work run off the loop, and waiting work starts once they leave it alone."""

from __future__ import annotations

import asyncio
import contextvars
import threading

import pytest

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


def test_many_calls_get_their_own_results_errors_and_context() -> None:
    threads = RequestThreads(3, "test-many")
    tag: contextvars.ContextVar[str] = contextvars.ContextVar("tag", default="none")
    seen_threads: set[str] = set()

    def unit(i: int) -> tuple[int, str]:
        seen_threads.add(threading.current_thread().name)
        if i % 7 == 0:
            raise KeyError(i)
        value = tag.get()
        tag.set("changed in the thread")  # must not leak into the caller or into other calls
        return i * 2, value

    async def one(i: int) -> object:
        tag.set(f"caller {i}")
        try:
            result = await threads.run(unit, i)
        except KeyError as exc:
            return ("error", exc.args[0])
        assert tag.get() == f"caller {i}"
        return result

    async def main() -> list[object]:
        return list(await asyncio.gather(*(asyncio.ensure_future(one(i)) for i in range(200))))

    try:
        # two event loops one after the other: the pool hands results to the loop that waits
        for _ in range(2):
            out = asyncio.run(main())
            assert out == [("error", i) if i % 7 == 0 else (i * 2, f"caller {i}") for i in range(200)]
    finally:
        threads.close()
    assert 1 <= len(seen_threads) <= 3
    assert all(name.startswith("docframe-test-many") for name in seen_threads)
    assert threads.busy == 0


def test_a_queued_call_whose_caller_gave_up_is_not_run() -> None:
    threads = RequestThreads(1, "test-cancel")
    release = threading.Event()
    started = threading.Event()
    ran: list[str] = []

    def blocker() -> None:
        started.set()
        release.wait(5)
        ran.append("blocker")

    def queued() -> None:
        ran.append("queued")

    async def main() -> None:
        first = asyncio.ensure_future(threads.run(blocker))
        await asyncio.to_thread(started.wait, 5)
        second = asyncio.ensure_future(threads.run(queued))
        await asyncio.sleep(0)  # the call is queued behind the blocker
        second.cancel()
        release.set()
        await first
        assert second.cancelled()
        assert (await threads.run(ran.copy)) == ["blocker"]

    try:
        asyncio.run(main())
    finally:
        threads.close()
    assert ran == ["blocker"]


def test_close_lets_queued_work_finish_and_refuses_new_work() -> None:
    threads = RequestThreads(1, "test-close")
    done: list[int] = []

    async def main() -> None:
        await asyncio.gather(*(threads.run(done.append, i) for i in range(5)))

    asyncio.run(main())
    threads.close()
    assert done == [0, 1, 2, 3, 4]

    async def late() -> None:
        await threads.run(done.append, 99)

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(late())
    assert done == [0, 1, 2, 3, 4]


def test_a_lazy_pool_wakes_another_thread_when_its_calls_are_held() -> None:
    # A lazy pool runs calls on one thread while it keeps up; when every awake thread is held by
    # slow calls, the queued ones must still run (the stall check wakes another thread).
    threads = RequestThreads(3, "test-lazy", lazy=True)
    release = threading.Event()
    held: list[str] = []
    order: list[str] = []
    both_held = threading.Event()

    def slow(label: str) -> str:
        held.append(threading.current_thread().name)
        if len(held) == 2:
            both_held.set()
        release.wait(10)
        order.append(label)
        return label

    def quick() -> str:
        order.append("quick")
        return threading.current_thread().name

    async def main() -> None:
        first = asyncio.ensure_future(threads.run(slow, "slow-1"))
        second = asyncio.ensure_future(threads.run(slow, "slow-2"))
        assert await asyncio.to_thread(both_held.wait, 10)  # the second needed a second thread
        quick_thread = await threads.run(quick)  # answered while both slow calls are held
        assert order == ["quick"]
        assert len(set(held)) == 2 and quick_thread not in held
        release.set()
        assert sorted(await asyncio.gather(first, second)) == ["slow-1", "slow-2"]

    try:
        asyncio.run(main())
    finally:
        release.set()
        threads.close()
    assert order[0] == "quick"
