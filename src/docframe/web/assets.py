"""Assets: ``GET /assets/<app>/<path>`` serves ``<app package>/public/<path>`` of an installed app.

Only apps installed on the request's site are served; paths that leave the ``public`` folder, hidden
files and folders are a 404. Files whose name carries a build hash (Vite's ``index-4f3a9c1b.js``) are
cached for a year as immutable; everything else must be revalidated (``ETag`` / ``Last-Modified``
answer 304s). Every answer has ``X-Content-Type-Options: nosniff``.
"""

from __future__ import annotations

import re
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from docframe.web.spa import app_root

__all__ = ["AssetServer", "cache_control"]

PREFIX = "/assets/"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"
#: ``name-<hash>.ext`` or ``name.<hash>.ext`` with a hash of 8+ URL-safe characters holding a digit.
_HASHED = re.compile(r"[.-](?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$")


def cache_control(path: str) -> str:
    """The ``Cache-Control`` of an asset: immutable when its name carries a build hash."""
    return IMMUTABLE if _HASHED.search(path.rsplit("/", 1)[-1]) else REVALIDATE


async def not_found(send: Send) -> None:
    """A plain 404 page."""
    body = b"<!doctype html><title>Not Found</title><h1>Not Found</h1>"
    await send(
        {
            "type": "http.response.start",
            "status": 404,
            "headers": [
                (b"content-type", b"text/html; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AssetServer:
    """Static files of installed apps (one Starlette ``StaticFiles`` per app, built on first use)."""

    def __init__(self) -> None:
        self._static: dict[str, StaticFiles] = {}

    def _files(self, app: str) -> StaticFiles:
        static = self._static.get(app)
        if static is None:
            folder: Path = app_root(app) / "public"
            static = self._static.setdefault(app, StaticFiles(directory=folder, check_dir=False))
        return static

    async def serve(self, scope: Scope, receive: Receive, send: Send, apps: tuple[str, ...]) -> None:
        """Serve ``scope["path"]`` (which starts with ``/assets/``) from one of ``apps``."""
        app, _, rest = scope["path"][len(PREFIX) :].partition("/")
        if app not in apps or not rest or any(part.startswith(".") for part in rest.split("/")):
            await not_found(send)
            return
        cache = cache_control(rest)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                headers.append((b"cache-control", cache.encode()))
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        inner = {**scope, "path": "/" + rest, "root_path": ""}
        try:
            await self._files(app)(inner, receive, send_with_headers)
        except HTTPException:  # StaticFiles answers a missing file (or a bad method) by raising
            await not_found(send)
