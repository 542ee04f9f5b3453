"""Pipeline: one HTTP request, start to finish, as Frappe orders it.

1. resolve the site; 2. read the body (size-limited) and build the form dict; 3. pick the target
(``cmd`` at any path, login, the API route table); 4. open the unit of work,
authenticate, call the endpoint, and render the envelope — commit only for POST/PUT/DELETE/PATCH;
5. any error is rendered by :mod:`docframe.http.exception_handlers` in the version's format.

Around every request: CORS headers (:mod:`docframe.cors`), an ``X-Frappe-Request-Id``, the
site-wide rate-limit budget (checked before, charged with the request's duration after, reported in
``X-RateLimit-*``), and the API Request Log when System Settings ``log_api_requests`` is on.

Threads: the event loop only reads the request, parses the form, picks the target and writes the
response. Everything that may block (the rate-limit store, opening a site, the unit of work with its
database work, authentication and password hashing, rendering the envelope) runs in the site's
bounded :class:`~docframe.concurrency.RequestThreads`, one hop per request, so a slow request never
holds up the others.

It works on the ASGI scope directly: headers are read into a dict once, the body straight from
``receive``; Starlette's ``Request`` is built only to parse form and multipart bodies.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from docframe import errors
from docframe.api.request import ApiRequest
from docframe.api.routes import ROUTES, ApiRoute, match_route
from docframe.api.rpc import call as rpc_call
from docframe.auth import login as login_module
from docframe.auth.backends import AuthState, RequestCredentials, authenticate
from docframe.auth.csrf import check_csrf
from docframe.auth.identity import identity_cache
from docframe.concurrency import RequestThreads
from docframe.context import Context
from docframe.cors import cors_headers
from docframe.http import cookies
from docframe.http.client_ip import TrustedProxies, client_ip
from docframe.http.envelopes import Reply, dumps, success_body
from docframe.http.exception_handlers import render_error
from docframe.http.forms import form_from_parts, is_json_content
from docframe.http.request_log import request_log
from docframe.logs import new_request_id, request_fields
from docframe.ratelimit.limiter import SiteLimiter
from docframe.ratelimit.stores import site_counters
from docframe.services import SlotKey
from docframe.sites import Site, SiteRegistry
from docframe.users import User

__all__ = ["Pipeline"]

#: The site's trusted proxy networks (X-Forwarded-For is read only from them).
TRUSTED_PROXIES: SlotKey[TrustedProxies] = SlotKey("trusted_proxies")


log = logging.getLogger("docframe.http")
UNSAFE = frozenset({"POST", "PUT", "DELETE", "PATCH"})
JSON_HEADERS = {"cache-control": "no-store,no-cache,must-revalidate,max-age=0"}


@dataclass
class Target:
    """What a request will run: an endpoint with its arguments."""

    call: Callable[[ApiRequest], Reply]
    version: int
    rpc: bool
    login: bool = False


@dataclass
class Incoming:
    """The parts of a request the worker thread needs."""

    method: str
    path: str
    form: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    creds: RequestCredentials
    https: bool
    files: dict[str, UploadFile] = field(default_factory=dict)
    client_ip: str = "127.0.0.1"
    request_id: str = ""


class Pipeline:
    """The ASGI application that serves every site of a sites folder."""

    def __init__(self, sites: SiteRegistry, routes: tuple[ApiRoute, ...] = ROUTES) -> None:
        self.sites = sites
        self.routes = routes
        #: Threads that open sites (their first request only; requests then run in the site's threads).
        self.opener = RequestThreads(2, "open-site")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handle(scope, receive)
        await response(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive) -> Response:
        """Turn one request (its ASGI scope and body stream) into one response."""
        started = time.perf_counter()
        request_id = new_request_id()
        # The decoded path from the server, not a re-parsed URL: a document name may hold an
        # encoded ``?`` or ``#`` that re-parsing would cut off.
        path: str = scope["path"]
        method: str = scope["method"]
        version = 2 if path.startswith("/api/v2") else 1
        headers = request_headers(scope)
        site_header, host = headers.get("x-frappe-site-name"), headers.get("host")
        site = self.sites.resolve_open(site_header, host)
        if site is None:
            try:  # opening a site reads its files and database: not on the event loop
                site = await self.opener.run(self.sites.resolve, site_header, host)
            except errors.DoesNotExistError as exc:
                return render_error(exc, version, [], user=User.guest(), wants_json=True, site=None)
        edge = cors_headers(site.settings, headers, preflight=method == "OPTIONS")
        edge["x-frappe-request-id"] = request_id
        if method == "OPTIONS":
            return Response(status_code=200, headers={**JSON_HEADERS, **edge})
        try:
            incoming = await self._read(scope, receive, headers, site)
            incoming.request_id = request_id
            target = self._target(incoming, version)
        except errors.FrappeError as exc:
            response = render_error(
                exc, version, [], user=User.guest(), wants_json=_wants_json(scope["path"], headers), site=None
            )
            add_headers(response, exc.headers)
            limiter = site_limiter(site)
            if limiter.enabled:  # charging may write to Redis: in a request thread too
                await site.threads.run(limiter.record, int((time.perf_counter() - started) * 1_000_000))
            return response
        response = await site.threads.run(self._run, site, incoming, target, started)
        add_headers(response, edge)
        return response

    def _run(self, site: Site, incoming: Incoming, target: Target, started: float) -> Response:
        """In a request thread: check the site-wide budget, run the unit of work, charge its time."""
        limiter = site_limiter(site)
        try:
            budget = limiter.check()
        except errors.FrappeError as exc:
            response = render_error(
                exc,
                target.version,
                [],
                user=User.guest(),
                wants_json=_wants_json(incoming.path, incoming.headers),
                site=None,
            )
            add_headers(response, exc.headers)
            limiter.record(int((time.perf_counter() - started) * 1_000_000))
            return response
        response = self._execute(site, incoming, target)
        if budget is not None:
            add_headers(response, budget.headers())
        limiter.record(int((time.perf_counter() - started) * 1_000_000))
        return response

    async def _read(self, scope: Scope, receive: Receive, headers: dict[str, str], site: Site) -> Incoming:
        limit = site.settings.max_body_size
        length = headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            raise errors.RequestEntityTooLarge(f"Request body is larger than the site allows ({limit} bytes)")
        body = await read_body(receive, limit)
        content_type = headers.get("content-type", "")
        fields: dict[str, Any] = {}
        files: dict[str, UploadFile] = {}
        if (
            body
            and not is_json_content(content_type)
            and (
                content_type.startswith("application/x-www-form-urlencoded")
                or content_type.startswith("multipart/form-data")
            )
        ):
            request = Request(scope, receive)
            request._body = body  # parsed from the body already read, not the (spent) stream
            try:
                parsed = await request.form(max_files=100, max_fields=10000)
            except Exception as exc:  # python-multipart raises several types for malformed bodies
                raise errors.DataError(f"Malformed form body: {exc}") from None
            for key, value in parsed.multi_items():
                if isinstance(value, UploadFile):
                    files.setdefault(key, value)
                else:
                    fields.setdefault(key, value)
        form = form_from_parts(scope.get("query_string", b""), content_type, body, fields)
        sid = form.pop("sid", None)
        if not isinstance(sid, str):
            cookie = headers.get("cookie")
            sid = cookie_parser(cookie).get("sid") if cookie else None
        creds = RequestCredentials(sid=sid, authorization=headers.get("authorization"))
        client = scope.get("client")
        return Incoming(
            method=scope["method"],
            path=scope["path"],
            form=form,
            body=body,
            headers=headers,
            creds=creds,
            https=scope.get("scheme") == "https",
            files=files,
            client_ip=client_ip(
                client[0] if client else None, headers.get("x-forwarded-for"), trusted_proxies(site)
            ),
        )

    def _target(self, incoming: Incoming, version: int) -> Target:
        cmd = incoming.form.get("cmd")
        if isinstance(cmd, str) and cmd:
            if cmd == "login":
                return Target(lambda req: Reply(None), 1, True, login=True)
            return Target(lambda req: rpc_call(req, cmd), 1, True)
        if incoming.path.rstrip("/") == "/api/method/login":
            return Target(lambda req: Reply(None), 1, True, login=True)
        if not incoming.path.startswith("/api/"):
            raise errors.DoesNotExistError()
        found = match_route(incoming.path, incoming.method, self.routes)
        if found.route is None:
            if found.allowed:
                raise errors.MethodNotAllowed(sorted(found.allowed))
            raise errors.DoesNotExistError()
        route, params = found.route, found.params
        return Target(lambda req: route.endpoint(req, **params), route.version, route.rpc)

    def _execute(self, site: Site, incoming: Incoming, target: Target) -> Response:
        write = incoming.method in UNSAFE or target.login
        state = AuthState()
        ctx: Context | None = None
        try:
            with site.unit_of_work(User.guest(), write=write, form=incoming.form) as ctx:
                ctx.request_ip, ctx.http_method = incoming.client_ip, incoming.method
                ctx.auth = state
                state = authenticate(ctx, incoming.creds)
                ctx.auth = state
                if state.user != "Guest":
                    user = identity_cache(site).user(ctx, state.user)
                    if user is None:
                        raise errors.AuthenticationError(text="User disabled or missing")
                    ctx.user = user
                _log_request(site, incoming, state.user, ctx)
                request_fields.set({"request_id": incoming.request_id, "site": site.name, "user": state.user})
                if not target.login:
                    check_csrf(ctx, state, incoming.method, incoming.headers, incoming.form)
                req = ApiRequest(
                    ctx,
                    incoming.method,
                    incoming.path,
                    target.version,
                    incoming.form,
                    incoming.body,
                    incoming.headers,
                    files=incoming.files,
                )
                if target.login:
                    reply = Reply(extra=login_module.login(ctx, incoming.form, state))
                else:
                    reply = target.call(req)
                messages = list(ctx.messages)
                queued = (ctx.response_headers, req.response_headers)
            if state.session_expired:
                reply.extra["session_expired"] = 1
            if reply.raw is not None:
                encoded = reply.raw
            else:
                encoded = dumps(success_body(target.version, reply, messages, rpc=target.rpc))
            response: Response = JSONBody(encoded, reply.status, _headers(*queued))
        except Exception as exc:  # every error is rendered in the version's format
            response = render_error(
                exc,
                target.version,
                list(ctx.messages) if ctx is not None else [],
                user=ctx.user if ctx is not None else User.guest(),
                wants_json=_wants_json(incoming.path, incoming.headers),
                site=site,
            )
            if isinstance(exc, errors.FrappeError):
                add_headers(response, exc.headers)
            if state.session_expired or (
                isinstance(exc, errors.AuthenticationError) and type(exc) is errors.AuthenticationError
            ):
                cookies.clear_session_cookies(response)
            return response
        cookies.apply(response, state, site, https=incoming.https, user=ctx.user)
        return response


class JSONBody(Response):
    """A JSON response built straight from its encoded body and header pairs (no re-encoding)."""

    def __init__(self, body: bytes, status: int, headers: list[tuple[bytes, bytes]]) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        own = [(b"content-length", str(len(body)).encode("latin-1"))]
        if not any(name == b"content-type" for name, _value in headers):
            own.append((b"content-type", b"application/json"))
        self.raw_headers = [*own, *(pair for pair in headers if pair[0] != b"content-length")]


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers as a dict of lower-case names (the first of a repeated header wins)."""
    out: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name = raw_name.decode("latin-1").lower()
        if name not in out:
            out[name] = raw_value.decode("latin-1")
    return out


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body; :class:`RequestEntityTooLarge` as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise errors.RequestEntityTooLarge(
                    f"Request body is larger than the site allows ({limit} bytes)"
                )
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def add_headers(response: Response, headers: dict[str, str]) -> None:
    """Set ``headers`` on ``response`` (a header it already has is replaced)."""
    if not headers:
        return
    raw = response.raw_headers
    names = {name.lower().encode("latin-1") for name in headers}
    if any(name in names for name, _value in raw):
        raw[:] = [(name, value) for name, value in raw if name not in names]
    raw.extend((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items())


_JSON_RAW_HEADERS = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in JSON_HEADERS.items()]


def _headers(*queued: dict[str, str]) -> list[tuple[bytes, bytes]]:
    """The default JSON headers overlaid by the headers an endpoint queued (names case-insensitive)."""
    if not any(queued):
        return list(_JSON_RAW_HEADERS)
    out = dict(JSON_HEADERS)
    for headers in queued:
        out.update({key.lower(): value for key, value in headers.items()})
    return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in out.items()]


def _log_request(site: Site, incoming: Incoming, user: str, ctx: Any) -> None:
    """Queue an API Request Log entry for ``/api`` calls when System Settings ask for it."""
    if incoming.path.startswith("/api/"):
        writer = request_log(site)
        if writer.enabled():
            writer.add(incoming.path, incoming.method, user, ctx.now())


def site_limiter(site: Site) -> SiteLimiter:
    """The site's site-wide rate limiter (built on first use)."""
    return site.services.site_limiter.get(lambda: SiteLimiter(site.settings, site_counters(site)))


def trusted_proxies(site: Site) -> TrustedProxies:
    """The site's ``trusted_proxies`` (parsed once)."""
    return site.services.slot(TRUSTED_PROXIES).get(lambda: TrustedProxies(site.settings.trusted_proxies))


def _wants_json(path: str, headers: Any) -> bool:
    accept = headers.get("accept") or ""
    if headers.get("x-requested-with") == "XMLHttpRequest" or "application/json" in accept:
        return True
    return path.startswith("/api/") and not accept.startswith("text")
