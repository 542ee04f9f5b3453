"""Discovery endpoints (``/api/v2/discovery/...``, Frappe develop's): thin wrappers over
:mod:`docframe.openapi.discovery`, System Managers only.

:mod:`docframe.openapi.discovery` (and the method introspection it shares with the OpenAPI generator)
is loaded by the first discovery request, not by every serving worker (issue 11, RSS per worker):
each handler imports it when called. Layer checks see these as any other import.
"""

from __future__ import annotations

from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply

__all__ = ["doctype_method", "doctype_methods", "method", "methods", "root", "search"]


def root(req: ApiRequest) -> Reply:
    """GET /api/v2/discovery"""
    from docframe.openapi import discovery  # loaded on first use (see the module doc)

    return Reply(discovery.root(req.ctx))


def search(req: ApiRequest) -> Reply:
    """GET /api/v2/discovery/search?q="""
    from docframe.openapi import discovery  # loaded on first use (see the module doc)

    return Reply(discovery.search(req.ctx, req.form.get("q")))


def methods(req: ApiRequest) -> Reply:
    """GET /api/v2/discovery/method"""
    from docframe.openapi import discovery  # loaded on first use (see the module doc)

    return Reply(discovery.methods(req.ctx))


def method(req: ApiRequest, method: str) -> Reply:
    """GET /api/v2/discovery/method/{method}"""
    from docframe.openapi import discovery  # loaded on first use (see the module doc)

    return Reply(discovery.method(req.ctx, method))


def doctype_methods(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/discovery/doctype/{doctype}"""
    from docframe.openapi import discovery  # loaded on first use (see the module doc)

    return Reply(discovery.doctype_method_index(req.ctx, doctype))


def doctype_method(req: ApiRequest, doctype: str, method: str) -> Reply:
    """GET /api/v2/discovery/doctype/{doctype}/method/{method}"""
    from docframe.openapi import discovery  # loaded on first use (see the module doc)

    return Reply(discovery.doctype_method(req.ctx, doctype, method))
