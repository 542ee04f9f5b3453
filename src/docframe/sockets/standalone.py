"""Standalone: the ASGI app of ``docframe realtime`` (Socket.IO only, every other path a 404)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docframe.sites import SiteRegistry
from docframe.sockets.server import RealtimeServer

__all__ = ["RealtimeApp", "default_app"]


class RealtimeApp:
    """Socket.IO for a sites folder, with the ASGI lifespan (sites closed at shutdown)."""

    def __init__(self, sites: SiteRegistry) -> None:
        self.sites = sites
        self.realtime = RealtimeServer(sites)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await self.realtime.close()
                    self.sites.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        await self.realtime(scope, receive, send)


def default_app() -> RealtimeApp:
    """The app for ``$DOCFRAME_SITES`` (and ``$DOCFRAME_SITE``)."""
    registry = SiteRegistry(
        Path(os.environ.get("DOCFRAME_SITES", "sites")), os.environ.get("DOCFRAME_SITE") or None
    )
    return RealtimeApp(registry)
