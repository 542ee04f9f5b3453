"""Web server: the pages and files a browser asks for outside the API.

``GET``/``HEAD`` requests that are not for ``/api/``, ``/files/`` or ``/private/files/`` and carry
no ``cmd`` come here first: ``/assets/<app>/...`` (:mod:`.assets`), a single-page app's route
(:mod:`.spa`, the built page with its boot values), or the built-in ``/login``, ``/app`` and
``/me`` pages (:mod:`.pages`). Anything else goes on to the API pipeline (which answers 404s in
Frappe's format). The visitor is identified by the ``sid`` cookie alone (a page is never opened
with an API key); pages are ``private, no-store`` since they carry the session's CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from docframe import errors
from docframe.auth.backends import RequestCredentials, authenticate
from docframe.auth.csrf import csrf_token
from docframe.auth.identity import identity_cache
from docframe.users import User
from docframe.web.assets import PREFIX as ASSETS_PREFIX
from docframe.web.assets import AssetServer, not_found
from docframe.web.pages import home_html, login_html
from docframe.web.spa import SinglePageApp, inject_boot, site_single_page_apps

if TYPE_CHECKING:
    from docframe.context import Context
    from docframe.sites import Site, SiteRegistry

__all__ = ["WebServer", "is_page_request"]

_NOT_PAGES = ("/api/", "/files/", "/private/files/")
_HOME_PATHS = ("/app", "/me")
PAGE_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"cache-control", b"private, no-store"),
    (b"x-content-type-options", b"nosniff"),
]


def is_page_request(scope: Scope) -> bool:
    """Whether a request may be a page or an asset (else it is the API's)."""
    return (
        scope["method"] in ("GET", "HEAD")
        and not scope["path"].startswith(_NOT_PAGES)
        and b"cmd=" not in scope.get("query_string", b"")
    )


@dataclass
class Visitor:
    """Who opened a page, and the values its boot script carries."""

    user: str
    full_name: str
    boot: dict[str, Any]


def _port(scope: Scope) -> int | None:
    server = scope.get("server")
    return int(server[1]) if server and len(server) > 1 and server[1] else None


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in scope["headers"]:
        out.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return out


async def _send_html(send: Send, body: bytes, head_only: bool, status: int = 200) -> None:
    headers = [*PAGE_HEADERS, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head_only else body})


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 302,
            "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


class WebServer:
    """Pages and assets for every site of a sites folder; other requests go to ``fallback``."""

    def __init__(self, sites: SiteRegistry, fallback: ASGIApp, socketio_port: int | None = None) -> None:
        self.sites = sites
        self.fallback = fallback
        #: The port Socket.IO also listens on (``serve``'s ``socketio_port``), when it is bound.
        self.socketio_port = socketio_port
        self.assets = AssetServer()
        self._pages: dict[str, tuple[float, bytes]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = _headers(scope)
        try:
            site = self.sites.resolve(headers.get("x-frappe-site-name"), headers.get("host"))
        except errors.DoesNotExistError:
            await self.fallback(scope, receive, send)
            return
        path: str = scope["path"]
        head_only = scope["method"] == "HEAD"
        if path.startswith(ASSETS_PREFIX):
            await self.assets.serve(scope, receive, send, site.settings.apps)
            return
        spa = next((s for s in site_single_page_apps(site) if s.matches(path)), None)
        if spa is not None:
            await self._single_page_app(site, spa, headers, send, head_only, _port(scope))
        elif path in _HOME_PATHS or path.startswith("/app/"):
            visitor = await run_in_threadpool(self._visitor, site, headers, None, _port(scope))
            if visitor.user == "Guest":
                await _redirect(send, "/login?redirect-to=" + quote(path, safe="/"))
                return
            page = home_html(site.name, visitor.user, visitor.full_name, site_single_page_apps(site))
            await _send_html(send, inject_boot(page, visitor.boot), head_only)
        elif path == "/login":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            page = login_html(site.name, (query.get("redirect-to") or [""])[0])
            await _send_html(send, page, head_only)
        else:
            await self.fallback(scope, receive, send)

    async def _single_page_app(
        self,
        site: Site,
        spa: SinglePageApp,
        headers: dict[str, str],
        send: Send,
        head_only: bool,
        port: int | None,
    ) -> None:
        page = self._built_page(spa)
        if page is None:
            await not_found(send)
            return
        visitor = await run_in_threadpool(self._visitor, site, headers, spa, port)
        await _send_html(send, inject_boot(page, visitor.boot), head_only)

    def _built_page(self, spa: SinglePageApp) -> bytes | None:
        """The app's built ``index.html`` (re-read when the build changes it)."""
        try:
            mtime = spa.index.stat().st_mtime
        except OSError:
            return None
        key = str(spa.index)
        held = self._pages.get(key)
        if held is None or held[0] != mtime:
            held = (mtime, spa.index.read_bytes())
            self._pages[key] = held
        return held[1]

    def _visitor(
        self, site: Site, headers: dict[str, str], spa: SinglePageApp | None, port: int | None
    ) -> Visitor:
        """Resume the ``sid`` cookie's session and compute the boot values (mints the CSRF token)."""
        cookie = headers.get("cookie")
        creds = RequestCredentials(sid=cookie_parser(cookie).get("sid") if cookie else None)
        boot: dict[str, Any] = {
            "csrf_token": "",
            "site_name": site.name,
            "socketio_port": self._socketio_port(site, port),
        }
        with site.unit_of_work(User.guest(), write=True) as ctx:
            user, full_name = self._identify(ctx, site, creds)
            if user != "Guest":
                boot["csrf_token"] = csrf_token(ctx, ctx.auth) or ""
            if spa is not None and spa.boot is not None:
                extra = spa.boot(ctx)
                if isinstance(extra, dict):
                    boot.update(extra)
        return Visitor(user, full_name, boot)

    def _socketio_port(self, site: Site, port: int | None) -> int:
        """Where this server's Socket.IO is: its own ``socketio_port`` listener when bound, else the
        port the page came from (``/socket.io`` is served there too), else the configured port."""
        if self.socketio_port:
            return self.socketio_port
        if port:
            return port
        return site.settings.socketio_port

    @staticmethod
    def _identify(ctx: Context, site: Site, creds: RequestCredentials) -> tuple[str, str]:
        try:
            state = authenticate(ctx, creds)
        except errors.FrappeError:  # a malformed cookie: the visitor is a guest
            return "Guest", ""
        ctx.auth = state
        if state.user == "Guest":
            return "Guest", ""
        user = identity_cache(site).user(ctx, state.user)
        if user is None:
            return "Guest", ""
        ctx.user = user
        full_name = state.session.data.get("full_name") if state.session is not None else None
        return user.name, str(full_name or "")
