"""CORS: Frappe's rules for the ``allow_cors`` site setting and ``OPTIONS`` preflight (HTTP and Socket.IO).

``allow_cors`` is ``"*"``, one origin, or a list of origins (exact match). An allowed request gets
``Access-Control-Allow-Origin: <its Origin>`` (never a literal ``*``), ``Access-Control-Allow-Credentials:
true`` and ``Vary: Origin``; a preflight also echoes the requested method and headers and sets
``Access-Control-Max-Age: 86400`` (not in developer mode). A disallowed origin gets no CORS headers.
"""

from __future__ import annotations

from collections.abc import Mapping

from docframe.settings import Settings

__all__ = ["cors_headers", "origin_allowed"]


def origin_allowed(settings: Settings, origin: str | None) -> bool:
    """Whether ``origin`` may make credentialed cross-origin requests."""
    if not origin or not settings.allow_cors:
        return False
    return "*" in settings.allow_cors or origin in settings.allow_cors


def cors_headers(
    settings: Settings, request_headers: Mapping[str, str], *, preflight: bool
) -> dict[str, str]:
    """The CORS response headers for a request (empty when CORS does not apply)."""
    origin = request_headers.get("origin")
    if not origin_allowed(settings, origin):
        return {}
    headers = {
        "access-control-allow-origin": str(origin),
        "access-control-allow-credentials": "true",
        "vary": "Origin",
    }
    if preflight:
        method = request_headers.get("access-control-request-method")
        wanted = request_headers.get("access-control-request-headers")
        if method:
            headers["access-control-allow-methods"] = method
        if wanted:
            headers["access-control-allow-headers"] = wanted
        if not settings.developer_mode:
            headers["access-control-max-age"] = "86400"
    return headers
