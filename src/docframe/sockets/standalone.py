"""Standalone: the ASGI app of ``docframe realtime`` (Socket.IO only, every other path a 404).

Run by ``docframe serve`` as its sibling, it is given the read end of a pipe (``--parent-fd``)
whose closing means ``serve`` has gone: the app then stops its own server (a SIGTERM to itself,
uvicorn's graceful shutdown), so a killed ``serve`` leaves no orphan listening on its port.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from pathlib import Path
from typing import Any

from docframe.sites import SiteRegistry
from docframe.sockets.cli import PARENT_FD_ENV
from docframe.sockets.server import RealtimeServer

__all__ = ["RealtimeApp", "default_app"]

log = logging.getLogger("docframe.realtime")


class RealtimeApp:
    """Socket.IO for a sites folder, with the ASGI lifespan (sites closed at shutdown)."""

    def __init__(self, sites: SiteRegistry, parent_fd: int | None = None) -> None:
        self.sites = sites
        self.realtime = RealtimeServer(sites)
        self.parent_fd = parent_fd

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    if self.parent_fd is not None:
                        asyncio.get_running_loop().add_reader(self.parent_fd, self._parent_gone)
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.realtime.close()
                    self.sites.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.realtime(scope, receive, send)

    def _parent_gone(self) -> None:
        """The lifeline is readable: end of file (or an error) means the parent process has gone."""
        assert self.parent_fd is not None
        try:
            data = os.read(self.parent_fd, 64)
        except OSError:
            data = b""
        if data:
            return
        asyncio.get_running_loop().remove_reader(self.parent_fd)
        log.warning("realtime: the docframe serve that started this process has gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)


def default_app() -> RealtimeApp:
    """The app for ``$DOCFRAME_SITES`` (and ``$DOCFRAME_SITE``)."""
    registry = SiteRegistry(
        Path(os.environ.get("DOCFRAME_SITES", "sites")), os.environ.get("DOCFRAME_SITE") or None
    )
    parent = os.environ.pop(PARENT_FD_ENV, "")
    return RealtimeApp(registry, int(parent) if parent.isdigit() else None)
