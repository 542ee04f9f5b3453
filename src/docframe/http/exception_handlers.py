"""Exception handlers: the one place an error becomes an HTTP response.

The status comes from the error class (:mod:`docframe.errors`); anything else is a 500 and is
logged with its traceback. The body is the v1 or v2 error envelope; tracebacks are included only
for System Users when System Settings ``allow_error_traceback`` is on, never for 404s or for errors
that forbid it. A 500 raised by the database layer is answered as ``DatabaseError`` without its text
or traceback (they carry the SQL statement and its parameters); the log keeps them. Input nested so
deeply that Python's recursion limit is reached is a 417, not a 500. Non-JSON clients (browser
navigation) get a small HTML page with the same status.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import HTMLResponse, Response

from docframe import errors
from docframe.http.envelopes import dumps, error_body
from docframe.optional import is_redis_error
from docframe.users import User

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


class DatabaseError(errors.FrappeError):
    """A database error nobody translated: logged in full, answered without its SQL or traceback."""

    traceback_allowed = False


_DRIVER_MODULES = ("sqlite3", "psycopg", "pymysql", "MySQLdb", "mariadb")


def _is_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` or an error it was raised from came from the database layer (its text and
    traceback carry the SQL statement and its parameters)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__ or ""
        if isinstance(current, SQLAlchemyError) or module.split(".")[0] in _DRIVER_MODULES:
            return True
        if current.__cause__ is not None:
            current = current.__cause__
        else:
            current = None if current.__suppress_context__ else current.__context__
    return False


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
    if is_redis_error(exc):
        log.error("Redis is unavailable: %s", exc)
        exc = errors.ServiceUnavailable("The site's Redis server is unavailable. Please try again shortly.")
    if isinstance(exc, RecursionError):  # input nested deeper than any parser guard expected
        exc = errors.DataError("The request is nested too deeply")
    status = exc.http_status if isinstance(exc, errors.FrappeError) else 500
    if status >= 500:
        log.error("request failed", exc_info=exc)
        if _is_database_error(exc):
            exc = DatabaseError("The database could not complete this request", title="Server Error")
    if not wants_json:
        title = _TITLES.get(status, "Server Error")
        return HTMLResponse(
            f"<!doctype html><title>{title}</title><h1>{title}</h1>", status_code=status, headers=_HEADERS
        )
    allowed = (
        user.is_system_user and status != 404 and _class_allows_traceback(exc) and _tracebacks_enabled(site)
    )
    # A 4xx translated from a driver error (a duplicate name, a value too long) shows its own frames
    # only: the driver error it was raised from carries the SQL statement and its parameters.
    text = "".join(traceback.format_exception(exc, chain=not _is_database_error(exc))) if allowed else None
    extra = exc.body if isinstance(exc, errors.FrappeError) else None
    body = error_body(version, exc, messages, traceback_text=text, extra=extra)
    headers = dict(_HEADERS)
    if isinstance(exc, errors.MethodNotAllowed):
        headers["allow"] = ", ".join(exc.allowed)
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")
