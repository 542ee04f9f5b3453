"""v2 endpoints (``/api/v2``): thin — read arguments, call one operation, return ``data``.

Documents are rendered with null fields included; lists carry ``has_next_page``.
"""

from __future__ import annotations

from typing import Any

from docframe import errors
from docframe.api.params import list_args_v2, truthy
from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.http.forms import get_int
from docframe.model import operations
from docframe.model.document import Document
from docframe.query.builder import ListArgs, run_count, run_list

__all__ = ["copy", "count", "create", "delete", "list_documents", "meta", "read", "update"]


def _doc_dict(doc: Document) -> dict[str, Any]:
    out = doc.as_dict()
    for f in doc.meta.link_fields:
        value = out.get(f.fieldname)
        if isinstance(value, int) and not isinstance(value, bool):
            out[f.fieldname] = str(value)
    return out


def list_documents(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/document/{doctype}"""
    operations.read_meta(req.ctx, doctype)
    args = list_args_v2(doctype, req.form)
    rows = run_list(req.ctx, args, as_dict=truthy(req.form.get("as_dict"), True), default_dir="desc")
    page = (args.limit or 1) - 1
    return Reply(rows[:page], extra={"has_next_page": len(rows) > page})


def _body(req: ApiRequest) -> dict[str, Any]:
    return {k: v for k, v in req.form.items() if k not in ("cmd", "sid", "csrf_token")}


def create(req: ApiRequest, doctype: str) -> Reply:
    """POST /api/v2/document/{doctype}"""
    doc = operations.create_document(req.ctx, doctype, _body(req), keep_name=True)
    return Reply(_doc_dict(doc))


def read(req: ApiRequest, doctype: str, name: str) -> Reply:
    """GET /api/v2/document/{doctype}/{name}"""
    return Reply(_doc_dict(operations.get_document(req.ctx, doctype, name)))


def update(req: ApiRequest, doctype: str, name: str) -> Reply:
    """PUT or PATCH /api/v2/document/{doctype}/{name}"""
    return Reply(_doc_dict(operations.update_document(req.ctx, doctype, name, _body(req))))


def delete(req: ApiRequest, doctype: str, name: str) -> Reply:
    """DELETE /api/v2/document/{doctype}/{name}"""
    operations.delete_document(req.ctx, doctype, name)
    return Reply("ok", status=202)


def copy(req: ApiRequest, doctype: str, name: str) -> Reply:
    """GET /api/v2/document/{doctype}/{name}/copy"""
    return Reply(operations.copy_document(req.ctx, doctype, name))


def meta(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/doctype/{doctype}/meta (any logged-in user)."""
    if req.ctx.user.is_guest:
        raise errors.PermissionError("Not permitted")
    m = operations.read_meta(req.ctx, doctype)
    definition = {
        k: v for k, v in m.raw.items() if v not in (None, "", [], 0) or k in ("fields", "permissions")
    }
    definition.update({"name": m.name, "doctype": "DocType"})
    return Reply(definition)


def count(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/doctype/{doctype}/count"""
    operations.read_meta(req.ctx, doctype)
    limit = get_int(req.form, "limit", None)
    args = ListArgs(
        doctype=doctype,
        filters=req.form.get("filters"),
        or_filters=req.form.get("or_filters"),
        distinct=truthy(req.form.get("distinct"), False),
        limit=limit or None,
        null_mode="v2",
    )
    reply = Reply(run_count(req.ctx, args))
    if limit:
        req.response_headers["Cache-Control"] = "private,max-age=600,stale-while-revalidate=10800"
    return reply
