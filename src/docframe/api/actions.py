"""Document actions over HTTP: run a document's method, and bulk delete / update / insert.

* v2 ``GET|POST /api/v2/document/{dt}/{name}/method/{method}`` -> ``{"data": result, "docs": [doc]}``
* v1 ``POST /api/resource/{dt}/{name}`` with ``run_method`` (also ``GET`` with ``run_method``)
  -> ``{"data": result}``
* v2 ``POST /api/v2/document/{dt}/bulk_delete|bulk_update|bulk_insert`` and
  ``POST /api/v2/method/bulk_delete|bulk_update|bulk_insert`` -> the summary in ``data`` (updated
  and inserted documents also in ``docs``), or 202 ``{"data": {"job_id": ...}}`` when queued.

GET needs read permission on the document, POST write; the method must be whitelisted on the
controller (or be a standard document method) and allow the HTTP method.
"""

from __future__ import annotations

from typing import Any

from docframe import errors
from docframe.api import v1
from docframe.api.request import ApiRequest
from docframe.http.envelopes import Reply
from docframe.methods import bulk
from docframe.methods.documents import run_on_document, v2_doc_dict
from docframe.model import operations, persistence
from docframe.model.document import Document
from docframe.model.field_levels import mask_for_read

__all__ = [
    "bulk_delete",
    "bulk_delete_docs",
    "bulk_insert",
    "bulk_insert_docs",
    "bulk_update",
    "bulk_update_docs",
    "document_method",
    "read_or_run_v1",
    "run_method_v1",
]


def _load(req: ApiRequest, doctype: str, name: str) -> Document:
    meta = operations.read_meta(req.ctx, doctype)
    return persistence.load_doc(req.ctx, meta, name)


def _arguments(form: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in form.items() if k not in ("cmd", "run_method")}


def document_method(req: ApiRequest, doctype: str, name: str, method: str) -> Reply:
    """v2: run ``method`` on the stored document; the document after the call is in ``docs``."""
    doc = _load(req, doctype, name)
    result = run_on_document(req.ctx, doc, method, _arguments(req.form), req.method)
    mask_for_read(req.ctx, doc)
    return Reply(result, extra={"docs": [v2_doc_dict(doc)]})


def run_method_v1(req: ApiRequest, doctype: str, name: str) -> Reply:
    """v1 ``POST /api/resource/{doctype}/{name}?run_method=...``."""
    method = req.form.get("run_method")
    if not isinstance(method, str) or not method:
        raise errors.DataError("Parameter run_method is required to call a document method")
    doc = _load(req, doctype, name)
    return Reply(run_on_document(req.ctx, doc, method, _arguments(req.form), req.method))


def read_or_run_v1(req: ApiRequest, doctype: str, name: str) -> Reply:
    """v1 ``GET /api/resource/{doctype}/{name}``: a read, or a method call with ``run_method``."""
    if "run_method" in req.form:
        return run_method_v1(req, doctype, name)
    return v1.read(req, doctype, name)


def _reply(outcome: bulk.BulkOutcome | str, with_docs: bool = False) -> Reply:
    if isinstance(outcome, str):
        return Reply({"job_id": outcome}, status=202)
    return Reply(outcome.summary, extra={"docs": outcome.docs} if with_docs else {})


def bulk_delete_docs(req: ApiRequest, doctype: str) -> Reply:
    """``POST /api/v2/document/{doctype}/bulk_delete`` with ``names``."""
    names = bulk.items_of(req.form, "names")
    operations.read_meta(req.ctx, doctype)
    return _reply(bulk.queue_or_run(req.ctx, "delete_docs", len(names), doctype=doctype, names=names))


def bulk_update_docs(req: ApiRequest, doctype: str) -> Reply:
    """``POST /api/v2/document/{doctype}/bulk_update`` with ``docs`` (``{"name", ...fields}``)."""
    docs = bulk.items_of(req.form, "docs")
    operations.read_meta(req.ctx, doctype)
    return _reply(bulk.queue_or_run(req.ctx, "update_docs", len(docs), doctype=doctype, docs=docs), True)


def bulk_insert_docs(req: ApiRequest, doctype: str) -> Reply:
    """``POST /api/v2/document/{doctype}/bulk_insert`` with ``docs`` (docframe's own)."""
    docs = bulk.items_of(req.form, "docs")
    operations.read_meta(req.ctx, doctype)
    return _reply(bulk.queue_or_run(req.ctx, "insert_docs", len(docs), doctype=doctype, docs=docs), True)


def bulk_delete(req: ApiRequest) -> Reply:
    """``POST /api/v2/method/bulk_delete`` with ``docs`` (``{"doctype", "name"}``)."""
    form = req.form if "docs" in req.form else {**req.form, "docs": []}
    docs = bulk.items_of(form, "docs")
    return _reply(bulk.queue_or_run(req.ctx, "delete_many", len(docs), docs=docs))


def bulk_update(req: ApiRequest) -> Reply:
    """``POST /api/v2/method/bulk_update`` with ``docs`` (``{"doctype", "name", ...fields}``)."""
    docs = bulk.items_of(req.form, "docs")
    return _reply(bulk.queue_or_run(req.ctx, "update_many", len(docs), docs=docs), True)


def bulk_insert(req: ApiRequest) -> Reply:
    """``POST /api/v2/method/bulk_insert`` with ``docs`` (``{"doctype", ...fields}``; docframe's own)."""
    docs = bulk.items_of(req.form, "docs")
    return _reply(bulk.queue_or_run(req.ctx, "insert_many", len(docs), docs=docs), True)
