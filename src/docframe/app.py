"""App: ``create_app(sites_path) -> Starlette`` — the ASGI application for a sites folder.

Starlette supplies the lifespan (in-process background jobs are let finish and sites closed on
shutdown) and the routing: ``/files/...`` and ``/private/files/...`` are served by
:class:`~docframe.files.serve.FileServer`; every other request goes to
:class:`~docframe.http.pipeline.Pipeline`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route

from docframe.files.serve import FileServer
from docframe.http.pipeline import Pipeline
from docframe.jobs.backends import shutdown_in_process
from docframe.sites import SiteRegistry

__all__ = ["create_app", "default_app"]


def create_app(sites_path: Path, default_site: str | None = None) -> Starlette:
    """The ASGI app serving every site in ``sites_path``."""
    sites = SiteRegistry(sites_path, default_site)
    files = FileServer(sites)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        shutdown_in_process()
        sites.close()

    routes = [
        Route("/files/{path:path}", files.public, methods=["GET", "HEAD"]),
        Route("/private/files/{path:path}", files.private, methods=["GET", "HEAD"]),
        Mount("/", app=Pipeline(sites)),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sites = sites
    return app


def default_app() -> Starlette:
    """The app for ``$DOCFRAME_SITES`` (default ``./sites``); used by ``uvicorn --factory``."""
    return create_app(
        Path(os.environ.get("DOCFRAME_SITES", "sites")), os.environ.get("DOCFRAME_SITE") or None
    )
