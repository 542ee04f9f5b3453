"""OpenAPI endpoints: ``/api/openapi.json``, the ``/api/docs`` page and its assets (thin).

The document is the caller's (see :mod:`docframe.openapi.spec`); the page is Swagger UI, served from
the package (see :mod:`docframe.openapi.docs_page`).

The generator (:mod:`docframe.openapi.spec` and the schema, path and method modules it imports) is
loaded by the first request for the document, not by every serving worker (issue 11, RSS per
worker): its import stays inside :func:`openapi_json`. Layer checks see it as any other import.
"""

from __future__ import annotations

from docframe import errors
from docframe.api.request import ApiRequest
from docframe.auth.csrf import csrf_token
from docframe.http.envelopes import Reply
from docframe.openapi import docs_page

__all__ = ["docs", "docs_asset", "openapi_json"]


def openapi_json(req: ApiRequest) -> Reply:
    """GET /api/openapi.json: the OpenAPI 3.1 document of the API as the caller may use it."""
    req.response_headers["content-type"] = "application/json"
    req.response_headers["cache-control"] = "private, no-cache"
    from docframe.openapi.spec import openapi_bytes  # loaded on first use (see the module doc)

    return Reply(raw=openapi_bytes(req.ctx))


def docs(req: ApiRequest) -> Reply:
    """GET /api/docs: the interactive API docs page."""
    token = csrf_token(req.ctx, req.ctx.auth) if not req.ctx.user.is_guest else None
    req.response_headers["content-type"] = "text/html; charset=utf-8"
    req.response_headers["content-security-policy"] = docs_page.CSP
    req.response_headers["x-content-type-options"] = "nosniff"
    return Reply(raw=docs_page.page(f"{req.ctx.site.name} API", token))


def docs_asset(req: ApiRequest, asset: str) -> Reply:
    """GET /api/docs/assets/{asset}: a file of the docs page (Swagger UI and its license)."""
    found = docs_page.asset(asset)
    if found is None:
        raise errors.DoesNotExistError(f"No asset {asset[:80]}")
    content, kind = found
    req.response_headers["content-type"] = kind
    req.response_headers["cache-control"] = "public, max-age=86400"
    req.response_headers["x-content-type-options"] = "nosniff"
    return Reply(raw=content)
