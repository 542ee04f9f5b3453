"""Progress of many-item work (bulk jobs), published to the running task's room as it advances."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from docframe.context import Context
from docframe.realtime.publish import current_task, publish_progress

__all__ = ["BulkProgress"]

#: About how many progress events one job sends, whatever its size.
STEPS = 20


@dataclass
class _State:
    total: int
    title: str
    done: int = 0


class BulkProgress:
    """Counts items done inside :meth:`tracking` and publishes ``progress`` every ~5 %."""

    def __init__(self) -> None:
        self._state: contextvars.ContextVar[_State | None] = contextvars.ContextVar(
            "docframe_bulk_progress", default=None
        )

    @contextmanager
    def tracking(self, total: int, title: str) -> Iterator[None]:
        """Track ``total`` items (only inside a task: outside one nobody listens)."""
        token = self._state.set(_State(total, title) if total > 0 and current_task.get() else None)
        try:
            yield
        finally:
            self._state.reset(token)

    def advance(self, ctx: Context) -> None:
        """One item is done."""
        state = self._state.get()
        if state is None:
            return
        state.done += 1
        every = max(1, state.total // STEPS)
        if state.done % every == 0 or state.done >= state.total:
            percent = round(min(100.0, 100.0 * state.done / state.total), 1)
            publish_progress(
                percent, title=state.title, description=f"{state.done} of {state.total}", ctx=ctx
            )
