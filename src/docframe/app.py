"""App: ``create_app(sites_path) -> DocframeApp`` — the ASGI application for a sites folder.

A request is dispatched on its path alone: ``/socket.io`` (HTTP and WebSocket, and anything on a
Socket.IO-only port) goes to :class:`~docframe.sockets.server.RealtimeServer`, made (and Socket.IO
loaded) on the first such request; ``/files/...`` and
``/private/files/...`` go to a small Starlette router holding
:class:`~docframe.files.serve.FileServer`'s endpoints; a GET or HEAD outside ``/api/`` without
``cmd`` goes to :class:`~docframe.web.server.WebServer` (app assets, single-page apps, the login and
home pages), which hands what it does not serve on; every other request goes straight to
:class:`~docframe.pipeline.Pipeline`, with no middleware or router layer in
front of it (each would cost every API request its own scope copies and calls). The app answers the
ASGI lifespan itself: on start-up the embedded scheduler starts (when ``docframe serve`` asks for
it), on shutdown it stops, in-process background jobs are let finish and sites closed. An
error that escapes before a response has started becomes a JSON 500 in Frappe's v1 format.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

from starlette.routing import Route, Router
from starlette.types import Receive, Scope, Send

from docframe.files.serve import FileServer
from docframe.http.envelopes import dumps
from docframe.jobs.backends import shutdown_in_process
from docframe.pipeline import Pipeline
from docframe.scheduler.service import Scheduler
from docframe.sites import SiteRegistry
from docframe.web.server import WebServer, is_page_request

if TYPE_CHECKING:
    from docframe.sockets.server import RealtimeServer

__all__ = ["DocframeApp", "create_app", "default_app"]

log = logging.getLogger("docframe.http")
_FILE_PREFIXES = ("/files/", "/private/files/")
_SOCKETIO_PREFIX = "/socket.io"


class DocframeApp:
    """The ASGI application: file routes, the API pipeline, and the lifespan."""

    def __init__(self, sites: SiteRegistry, socket_only_ports: frozenset[int] = frozenset()) -> None:
        self.sites = sites
        #: Socket.IO (``/socket.io``) for every site (see docframe.sockets), once a request needed it.
        self.realtime: RealtimeServer | None = None
        self._realtime_made = asyncio.Lock()
        #: Ports that serve only Socket.IO (Frappe's ``socketio_port``); anything else there is a 404.
        self.socket_only_ports = socket_only_ports
        #: ``app.state.sites``, as on a Starlette app.
        self.state = SimpleNamespace(sites=sites)
        self.pipeline = Pipeline(sites)
        #: The embedded scheduler (``docframe serve`` without ``--no-scheduler``).
        self.scheduler: Scheduler | None = None
        self.web = WebServer(sites, self.pipeline, min(socket_only_ports) if socket_only_ports else None)
        files = FileServer(sites)
        self.files = Router(
            routes=[
                Route("/files/{path:path}", files.public, methods=["GET", "HEAD"]),
                Route("/private/files/{path:path}", files.private, methods=["GET", "HEAD"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind in ("http", "websocket") and (
            scope["path"].startswith(_SOCKETIO_PREFIX) or _port(scope) in self.socket_only_ports
        ):
            await (await self._realtime())(scope, receive, send)
            return
        if kind == "http":
            try:
                if scope["path"].startswith(_FILE_PREFIXES):
                    await self.files(scope, receive, send)
                elif is_page_request(scope):
                    await self.web(scope, receive, send)
                else:
                    await self.pipeline(scope, receive, send)
            except Exception:
                log.exception("Unhandled error serving %s %s", scope.get("method"), scope.get("path"))
                try:
                    await _server_error(send)
                except Exception:  # the response had already started: the server closes the connection
                    log.debug("Could not send a 500 after the response started", exc_info=True)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _realtime(self) -> RealtimeServer:
        """The Socket.IO server, made on the first Socket.IO request.

        Loaded on demand for memory: python-socketio's package imports its clients too (requests,
        aiohttp, websocket-client), 15-16 MiB of RSS per worker measured with bench/memory.py, which a
        worker that never serves a socket does not need. Nothing is lost by waiting: the server only
        starts delivering events on its first request anyway. The import (~0.3 s) runs in a thread so
        the event loop keeps serving meanwhile.
        """
        if self.realtime is None:
            async with self._realtime_made:
                if self.realtime is None:
                    module = await asyncio.to_thread(importlib.import_module, "docframe.sockets.server")
                    server: RealtimeServer = module.RealtimeServer(self.sites)
                    self.realtime = server
        return self.realtime

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if os.environ.get("DOCFRAME_SCHEDULER") == "1":  # set by `docframe serve`
                    self.scheduler = Scheduler(self.sites)
                    self.scheduler.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.scheduler is not None:
                    self.scheduler.stop()
                if self.realtime is not None:
                    await self.realtime.close()
                shutdown_in_process()
                self.sites.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _port(scope: Scope) -> int | None:
    server = scope.get("server")
    return server[1] if server else None


async def _server_error(send: Send) -> None:
    body = dumps({"exc_type": "Exception", "exception": "Internal Server Error"})
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(
    sites_path: Path,
    default_site: str | None = None,
    socket_only_ports: frozenset[int] = frozenset(),
    *,
    forced_site: str | None = None,
) -> DocframeApp:
    """The ASGI app serving every site in ``sites_path`` (only ``forced_site`` when given)."""
    return DocframeApp(SiteRegistry(sites_path, default_site, forced_site=forced_site), socket_only_ports)


def default_app() -> DocframeApp:
    """The app for ``$DOCFRAME_SITES`` (default ``./sites``); used by ``uvicorn --factory``.

    ``$DOCFRAME_SITE`` (set by ``docframe serve --site``) forces that site for every request.
    """
    socket_port = os.environ.get("DOCFRAME_SOCKETIO_PORT", "")
    return create_app(
        Path(os.environ.get("DOCFRAME_SITES", "sites")),
        None,
        frozenset({int(socket_port)}) if socket_port.isdigit() else frozenset(),
        forced_site=os.environ.get("DOCFRAME_SITE") or None,
    )
