"""API Request Log: record every ``/api`` call without slowing it down.

When System Settings ``log_api_requests`` is on, the pipeline hands each call's path, method and
user to :class:`RequestLogWriter`, which queues it in memory; a background thread writes queued
entries as ``API Request Log`` rows in batches (every second, or sooner when 200 are waiting), in
its own transaction, so logging survives request rollbacks and costs a request only a queue append.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

from docframe.db.repos import rows as stored
from docframe.model.naming import make_hash
from docframe.services import SlotKey

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["RequestLogWriter", "request_log"]

#: The site's request-log writer.
REQUEST_LOG: SlotKey[RequestLogWriter] = SlotKey("request_log")


log = logging.getLogger("docframe.request_log")
FLUSH_SECONDS = 1.0
BATCH = 200
SETTING_TTL = 5.0


class RequestLogWriter:
    """Batched writer of API Request Log rows for one site."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self._queue: queue.SimpleQueue[dict[str, object]] = queue.SimpleQueue()
        self._enabled: tuple[float, bool] = (0.0, False)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def enabled(self) -> bool:
        """Whether System Settings ``log_api_requests`` is on (re-read every few seconds)."""
        checked, value = self._enabled
        now = time.monotonic()
        if now - checked < SETTING_TTL:
            return value
        try:
            with self.site.db.engine.connect() as conn:
                stored = self.site.tables.framework.single_value(conn, "System Settings", "log_api_requests")
        except Exception as exc:  # logging must never break a request
            log.warning("could not read log_api_requests: %s", exc)
            stored = None
        value = str(stored or "0") not in ("0", "", "None")
        self._enabled = (now, value)
        return value

    def refresh(self) -> None:
        """Forget the cached setting (System Settings changed in this process)."""
        self._enabled = (0.0, False)

    def add(self, path: str, method: str, user: str, when: datetime) -> None:
        """Queue one entry (starts the writer thread on first use)."""
        self._queue.put({"path": path[:140], "method": method[:140], "user": user, "when": when})
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="docframe-request-log", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()
        self.flush()

    def flush(self) -> int:
        """Write every queued entry now; returns how many were written."""
        entries: list[dict[str, object]] = []
        while True:
            try:
                entries.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if not entries:
            return 0
        table = self.site.tables.get(self.site.metas.get("API Request Log"))
        rows = [
            {"name": make_hash(), "owner": e["user"], "modified_by": e["user"], "creation": e["when"], "modified": e["when"],
             "docstatus": 0, "idx": 0, "path": e["path"], "method": e["method"], "user": e["user"]}
            for e in entries
        ]  # fmt: skip
        try:
            with self.site.db.engine.begin() as conn:
                stored.insert_rows(conn, table, rows, batch=BATCH)
        except Exception as exc:  # a failed log write is reported, never raised into a request
            log.error("could not write %d API Request Log rows: %s", len(rows), exc)
            return 0
        return len(rows)

    def close(self) -> None:
        """Stop the writer thread after a last flush."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.flush()


def request_log(site: Site) -> RequestLogWriter:
    """The site's request-log writer (created on first use)."""

    def make() -> RequestLogWriter:
        writer = RequestLogWriter(site)
        site.services.on_close(writer.close)
        return writer

    return site.services.slot(REQUEST_LOG).get(make)
