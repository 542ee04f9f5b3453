"""Serving stored files: ``GET /files/<name>`` (public) and ``GET /private/files/<name>``.

Public files are served to anyone. A private file is served only to a logged-in user (session
cookie, ``sid``, or an ``Authorization`` header) who may read one of the File documents that refer
to it (Frappe's rule: its owner, or readers of the document it is attached to); everybody else gets
a 403 page, and unknown files a 404. Paths that try to leave the files folder are a 404.
HTML, SVG and XML files are always sent as downloads so they cannot run scripts on the site.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from docframe import errors
from docframe.auth.backends import RequestCredentials, authenticate
from docframe.auth.identity import identity_cache
from docframe.files.permissions import may_read_url
from docframe.files.service import site_storage
from docframe.files.storage import PRIVATE_PREFIX, PUBLIC_PREFIX, is_stored_file
from docframe.users import User

if TYPE_CHECKING:
    from docframe.sites import Site, SiteRegistry

__all__ = ["FileServer"]

_ATTACHMENT_SUFFIXES = (".html", ".htm", ".svg", ".xml", ".xhtml")
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=0"}


def _page(status: int, title: str) -> Response:
    return HTMLResponse(f"<!doctype html><title>{title}</title><h1>{title}</h1>", status_code=status)


def _file_response(path: str, url: str) -> Response:
    name = url.rsplit("/", 1)[-1]
    disposition = "attachment" if name.lower().endswith(_ATTACHMENT_SUFFIXES) else "inline"
    return FileResponse(path, headers=_HEADERS, content_disposition_type=disposition, filename=name)


class FileServer:
    """Starlette endpoints for one sites folder."""

    def __init__(self, sites: SiteRegistry) -> None:
        self.sites = sites

    async def _site(self, request: Request) -> Site | None:
        site_header, host = request.headers.get("x-frappe-site-name"), request.headers.get("host")
        site = self.sites.resolve_open(site_header, host)
        if site is not None:
            return site
        try:  # opening a site reads its files and database: not on the event loop
            return await run_in_threadpool(self.sites.resolve, site_header, host)
        except errors.DoesNotExistError:
            return None

    async def public(self, request: Request) -> Response:
        """``GET /files/{path}``."""
        site = await self._site(request)
        if site is None:
            return _page(404, "Not Found")
        url = PUBLIC_PREFIX + request.path_params["path"]
        try:
            path = site_storage(site).path(url)
        except errors.ValidationError:
            return _page(404, "Not Found")
        if not is_stored_file(path):
            return _page(404, "Not Found")
        return _file_response(str(path), url)

    async def private(self, request: Request) -> Response:
        """``GET /private/files/{path}`` (File read permission needed)."""
        site = await self._site(request)
        if site is None:
            return _page(404, "Not Found")
        url = PRIVATE_PREFIX + request.path_params["path"]
        creds = RequestCredentials(
            sid=request.query_params.get("sid") or request.cookies.get("sid"),
            authorization=request.headers.get("authorization"),
        )
        status = await site.threads.run(self._allowed, site, url, creds)
        if status != 200:
            return _page(status, "Not Found" if status == 404 else "Not Permitted")
        return _file_response(str(site_storage(site).path(url)), url)

    def _allowed(self, site: Site, url: str, creds: RequestCredentials) -> int:
        """200 when the requester may read ``url``, else 403 or 404."""
        try:
            path = site_storage(site).path(url)
        except errors.ValidationError:
            return 404
        try:
            with site.unit_of_work(User.guest(), write=False) as ctx:
                state = authenticate(ctx, creds)
                user = identity_cache(site).user(ctx, state.user) if state.user != "Guest" else None
                if user is None:
                    return 403
                ctx.user = user
                if not may_read_url(ctx, url):
                    return 404 if user.is_admin else 403
        except errors.FrappeError:
            return 403
        return 200 if is_stored_file(path) else 404
