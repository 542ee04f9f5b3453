"""Exception handlers: the one place an error becomes an HTTP response.

The status comes from the error class (:mod:`docframe.errors`); anything else is a 500 and is
logged with its traceback. The body is the v1 or v2 error envelope; tracebacks are included only
for System Users when System Settings ``allow_error_traceback`` is on, never for 404s or for errors
that forbid it. Non-JSON clients (browser navigation) get a small HTML page with the same status.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

import redis
from starlette.responses import HTMLResponse, Response

from docframe import errors
from docframe.auth.users import User
from docframe.http.envelopes import dumps, error_body

if TYPE_CHECKING:
    from docframe.sites import Site

__all__ = ["render_error"]

log = logging.getLogger("docframe.errors")
_TITLES = {
    401: "Session Expired",
    403: "Not Permitted",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Request Too Large",
}
_HEADERS = {"cache-control": "no-store,no-cache,must-revalidate,max-age=0"}


def _tracebacks_enabled(site: Site | None) -> bool:
    if site is None:
        return False
    try:
        with site.db.engine.connect() as conn:
            value = site.tables.framework.single_value(conn, "System Settings", "allow_error_traceback")
    except Exception:  # a broken database must not hide the original error
        return False
    return value is None or str(value) not in ("0", "")


def _class_allows_traceback(exc: BaseException) -> bool:
    """Whether the error itself permits a traceback.

    A 404 masked as a 403 (the caller may not read the DocType) is raised while handling the
    :class:`~docframe.errors.DoesNotExistError`, so that error is its ``__context__``; its traceback
    would reveal the lookup, so it is never shown.
    """
    if not isinstance(exc, errors.FrappeError):
        return True
    if isinstance(exc, errors.PermissionError) and isinstance(exc.__context__, errors.DoesNotExistError):
        return False
    return exc.traceback_allowed


def render_error(
    exc: BaseException,
    version: int,
    messages: list[errors.Message],
    *,
    user: User,
    wants_json: bool,
    site: Site | None,
) -> Response:
    """The response for ``exc``."""
    if isinstance(exc, redis.RedisError):
        log.error("Redis is unavailable: %s", exc)
        exc = errors.ServiceUnavailable("The site's Redis server is unavailable. Please try again shortly.")
    status = exc.http_status if isinstance(exc, errors.FrappeError) else 500
    if status >= 500:
        log.error("request failed", exc_info=exc)
    if not wants_json:
        title = _TITLES.get(status, "Server Error")
        return HTMLResponse(
            f"<!doctype html><title>{title}</title><h1>{title}</h1>", status_code=status, headers=_HEADERS
        )
    allowed = (
        user.is_system_user and status != 404 and _class_allows_traceback(exc) and _tracebacks_enabled(site)
    )
    text = "".join(traceback.format_exception(exc)) if allowed else None
    extra = exc.body if isinstance(exc, errors.FrappeError) else None
    body = error_body(version, exc, messages, traceback_text=text, extra=extra)
    headers = dict(_HEADERS)
    if isinstance(exc, errors.MethodNotAllowed):
        headers["allow"] = ", ".join(exc.allowed)
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")
