"""Discovery endpoints (``/api/v2/discovery/...``, Frappe develop's): thin wrappers over
:mod:`docframe.openapi.discovery`, System Managers only."""

from __future__ import annotations

from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.openapi import discovery

__all__ = ["doctype_method", "doctype_methods", "method", "methods", "root", "search"]


def root(req: ApiRequest) -> Reply:
    """GET /api/v2/discovery"""
    return Reply(discovery.root(req.ctx))


def search(req: ApiRequest) -> Reply:
    """GET /api/v2/discovery/search?q="""
    return Reply(discovery.search(req.ctx, req.form.get("q")))


def methods(req: ApiRequest) -> Reply:
    """GET /api/v2/discovery/method"""
    return Reply(discovery.methods(req.ctx))


def method(req: ApiRequest, method: str) -> Reply:
    """GET /api/v2/discovery/method/{method}"""
    return Reply(discovery.method(req.ctx, method))


def doctype_methods(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/discovery/doctype/{doctype}"""
    return Reply(discovery.doctype_method_index(req.ctx, doctype))


def doctype_method(req: ApiRequest, doctype: str, method: str) -> Reply:
    """GET /api/v2/discovery/doctype/{doctype}/method/{method}"""
    return Reply(discovery.doctype_method(req.ctx, doctype, method))
