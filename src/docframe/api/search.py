"""v2 link search: ``GET /api/v2/doctype/{doctype}/search`` -> ``{"data": [{value, label, description}]}``.

Parameters: ``txt``, ``filters``, ``searchfield``, ``query`` (a whitelisted custom search method),
``limit`` (page length, default 10) and ``start``. Answers carry Frappe's short private cache header.
"""

from __future__ import annotations

from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.methods.client_read import link_search
from docframe.methods.params import get_json

__all__ = ["search"]

CACHE_CONTROL = "private,max-age=60,stale-while-revalidate=300"


def search(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/doctype/{doctype}/search"""
    form = req.form
    results = link_search(
        req.ctx,
        doctype,
        form.get("txt") or "",
        query=form.get("query"),
        filters=get_json(form, "filters"),
        searchfield=form.get("searchfield"),
        start=form.get("start") or 0,
        page_length=form.get("limit") or form.get("page_length") or 10,
    )
    req.response_headers["Cache-Control"] = CACHE_CONTROL
    return Reply(results)
