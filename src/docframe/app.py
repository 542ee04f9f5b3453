"""App: ``create_app(sites_path) -> Starlette`` — the ASGI application for a sites folder.

Starlette supplies the lifespan (sites closed on shutdown); every request goes to
:class:`~docframe.http.pipeline.Pipeline`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount

from docframe.http.pipeline import Pipeline
from docframe.logs import configure_logging
from docframe.sites import SiteRegistry

__all__ = ["create_app", "default_app"]


def create_app(sites_path: Path, default_site: str | None = None) -> Starlette:
    """The ASGI app serving every site in ``sites_path``."""
    sites = SiteRegistry(sites_path, default_site)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        sites.close()

    app = Starlette(routes=[Mount("/", app=Pipeline(sites))], lifespan=lifespan)
    app.state.sites = sites
    return app


def default_app() -> Starlette:
    """The app for ``$DOCFRAME_SITES`` (default ``./sites``); used by ``uvicorn --factory``."""
    configure_logging(
        os.environ.get("DOCFRAME_LOG_LEVEL", "INFO"),
        json=os.environ.get("DOCFRAME_LOG_FORMAT", "json") == "json",
    )
    return create_app(
        Path(os.environ.get("DOCFRAME_SITES", "sites")), os.environ.get("DOCFRAME_SITE") or None
    )
