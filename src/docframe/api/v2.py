"""v2 endpoints (``/api/v2``): thin — read arguments, call one operation, return ``data``.

Documents are rendered with null fields included; lists carry ``has_next_page``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from docframe import errors
from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.methods.documents import v2_doc_dict
from docframe.methods.params import count_args, get_int, get_json, include_parts, list_args_v2, truthy
from docframe.model import operations
from docframe.model.field_levels import mask_for_read
from docframe.query.expand import expand_links, link_fields_to_expand
from docframe.query.include import document_parts, meta_parts, parse_include
from docframe.query.listing import run_count, run_count_capped, run_list

__all__ = ["copy", "count", "create", "delete", "list_documents", "meta", "no_such_route", "read", "update"]


def list_documents(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/document/{doctype} (``include=count`` adds ``count`` and ``count_capped``)"""
    operations.read_meta(req.ctx, doctype)
    args = list_args_v2(doctype, req.form)
    parts = include_parts(req.form, ("count",))
    as_dict = truthy(req.form.get("as_dict"), True)
    rows = run_list(req.ctx, args, as_dict=as_dict, expand=get_json(req.form, "expand"), json_ready=True)
    page = (args.limit or 1) - 1
    extra: dict[str, Any] = {"has_next_page": len(rows) > page}
    if "count" in parts:
        counted, capped = run_count_capped(req.ctx, replace(args, start=0, limit=None, order_by=None))
        extra.update(count=counted, count_capped=capped)
    return Reply(rows[:page], extra=extra)


def _body(req: ApiRequest) -> dict[str, Any]:
    return {k: v for k, v in req.form.items() if k not in ("cmd", "sid", "csrf_token")}


def create(req: ApiRequest, doctype: str) -> Reply:
    """POST /api/v2/document/{doctype}"""
    doc = operations.create_document(req.ctx, doctype, _body(req), keep_name=True)
    mask_for_read(req.ctx, doc)
    return Reply(v2_doc_dict(doc))


def read(req: ApiRequest, doctype: str, name: str) -> Reply:
    """GET /api/v2/document/{doctype}/{name} (``expand`` replaces Link values by the linked documents;
    ``include`` adds named parts beside ``data``)."""
    include = parse_include(get_json(req.form, "include"))
    doc = operations.get_document(req.ctx, doctype, name)
    out = v2_doc_dict(doc)
    names = link_fields_to_expand(doc.meta, get_json(req.form, "expand"), ("*",))
    if names:
        expand_links(req.ctx, doc.meta, [out], names)
    return Reply(out, extra=document_parts(req.ctx, doc, include) if include else {})


def update(req: ApiRequest, doctype: str, name: str) -> Reply:
    """PUT or PATCH /api/v2/document/{doctype}/{name}"""
    return Reply(v2_doc_dict(operations.update_document(req.ctx, doctype, name, _body(req))))


def delete(req: ApiRequest, doctype: str, name: str) -> Reply:
    """DELETE /api/v2/document/{doctype}/{name}"""
    operations.delete_document(req.ctx, doctype, name)
    return Reply("ok", status=202)


def copy(req: ApiRequest, doctype: str, name: str) -> Reply:
    """GET /api/v2/document/{doctype}/{name}/copy"""
    return Reply(operations.copy_document(req.ctx, doctype, name))


def meta(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/doctype/{doctype}/meta (any logged-in user; ``include=children`` adds the child
    DocTypes' definitions)."""
    include = parse_include(get_json(req.form, "include"))
    definition = operations.doctype_definition(req.ctx, doctype)
    parts = meta_parts(req.ctx, doctype, include, lambda child: operations.doctype_definition(req.ctx, child))
    return Reply(definition, extra=parts)


def no_such_route(req: ApiRequest, doctype: str, name: str) -> Reply:
    """A method Frappe's v2 router has no rule for on this path: its 404 ``DoesNotExistError``."""
    raise errors.DoesNotExistError()


def count(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/v2/doctype/{doctype}/count (report-view counting; ``limit`` counts at most that many)"""
    operations.read_meta(req.ctx, doctype)
    args = count_args(doctype, req.form)
    limit = get_int(req.form, "limit", None)
    if not limit:
        return Reply(run_count(req.ctx, args))
    req.response_headers["Cache-Control"] = "private,max-age=600,stale-while-revalidate=10800"
    return Reply(run_count_capped(req.ctx, args, limit)[0])
