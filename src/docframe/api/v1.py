"""v1 endpoints (``/api/resource``, ``/api/v1/resource``): thin — read arguments, call one operation.

Results go under ``data``; documents are rendered with null fields omitted (Frappe's v1 JSON).
"""

from __future__ import annotations

from typing import Any

import orjson

from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.methods.params import get_json, list_args_v1, truthy
from docframe.model import operations
from docframe.model.field_levels import mask_for_read
from docframe.query.listing import run_list

__all__ = ["create", "delete", "list_documents", "read", "update"]


def _payload(req: ApiRequest) -> Any:
    """Frappe's v1 body rule: the ``data`` field, else the raw body, each as JSON; else the form.

    A ``data`` value that is already parsed (a JSON body's object or array) is the payload as it is;
    anything that is not an object is refused later by the operation, never half-used.
    """
    raw = req.form.get("data")
    if raw is None:
        raw = req.body.decode("utf-8", "replace") if req.body else None
    if not isinstance(raw, str):
        return raw if raw is not None else _form_without_data(req)
    if not raw.strip():
        return _form_without_data(req)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _form_without_data(req)


def _form_without_data(req: ApiRequest) -> dict[str, Any]:
    return {k: v for k, v in req.form.items() if k != "data"}


def list_documents(req: ApiRequest, doctype: str) -> Reply:
    """GET /api/resource/{doctype}"""
    operations.read_meta(req.ctx, doctype)
    args = list_args_v1(doctype, req.form)
    as_dict = truthy(req.form.get("as_dict"), True)
    return Reply(
        run_list(req.ctx, args, as_dict=as_dict, expand=get_json(req.form, "expand"), json_ready=True)
    )


def create(req: ApiRequest, doctype: str) -> Reply:
    """POST /api/resource/{doctype}"""
    doc = operations.create_document(req.ctx, doctype, _payload(req))
    mask_for_read(req.ctx, doc)
    return Reply(doc.as_dict(no_nulls=True))


def read(req: ApiRequest, doctype: str, name: str) -> Reply:
    """GET /api/resource/{doctype}/{name}"""
    doc = operations.get_document(req.ctx, doctype, name)
    return Reply(doc.as_dict(no_nulls=True))


def update(req: ApiRequest, doctype: str, name: str) -> Reply:
    """PUT /api/resource/{doctype}/{name}"""
    doc = operations.update_document(req.ctx, doctype, name, _payload(req))
    return Reply(doc.as_dict(no_nulls=True))


def delete(req: ApiRequest, doctype: str, name: str) -> Reply:
    """DELETE /api/resource/{doctype}/{name}"""
    operations.delete_document(req.ctx, doctype, name)
    return Reply("ok", status=202)
