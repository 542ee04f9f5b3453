"""Bulk operations: delete, update or insert many documents, each item in its own savepoint.

One failing item is rolled back alone and reported (``{"name", "error"}``); the others stay. Above
the site's ``bulk_async_threshold`` (default 20) the work is queued as a background job instead and
the caller answers 202 ``{"job_id": ...}``; the job runs the same functions as the user who asked.

Result shapes (Frappe v2's; ``insert`` is docframe's own):
``{"deleted"|"updated"|"inserted": [...], "failed": [...], "total", "success_count", "failure_count"}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.jobs import enqueue
from docframe.methods.documents import v2_doc_dict
from docframe.model import operations
from docframe.model.document import Document
from docframe.realtime.progress import BulkProgress

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "BulkOutcome",
    "FrappeValueError",
    "delete_docs",
    "delete_many",
    "insert_docs",
    "insert_many",
    "items_of",
    "queue_or_run",
    "update_docs",
    "update_many",
]

log = logging.getLogger("docframe.bulk")
_progress = BulkProgress()


class FrappeValueError(errors.ValidationError):
    """A bulk request's arguments have the wrong shape (Frappe v2's 417 error class)."""


@dataclass
class BulkOutcome:
    """What a bulk operation did: the summary (``data``) and documents to return in ``docs``."""

    summary: dict[str, Any]
    docs: list[dict[str, Any]] = field(default_factory=list)


def items_of(form: dict[str, Any], key: str) -> list[Any]:
    """``form[key]`` as a list (a JSON string is accepted); 417 ``'key' must be a list`` otherwise."""
    value = form.get(key)
    if isinstance(value, str):
        try:
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            pass
    if not isinstance(value, list):
        raise FrappeValueError(f"'{key}' must be a list")
    return value


def _name_of(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FrappeValueError("'name' must be a string or integer")
    return str(value)


def _doctype_of(item: dict[str, Any]) -> str:
    doctype = item.get("doctype")
    if not isinstance(doctype, str):
        raise FrappeValueError("'doctype' must be a string")
    return doctype


def _error_text(exc: Exception) -> str:
    if isinstance(exc, errors.FrappeError):
        return str(exc) or type(exc).__name__
    log.exception("bulk item failed")
    return f"{type(exc).__name__}: internal error"


def _attempt(ctx: Context, work: Callable[[], Any]) -> tuple[Any, str | None]:
    """Run ``work`` in a savepoint; ``(result, None)`` or ``(None, error text)`` after rolling back.

    What the failed item queued for after the commit (its realtime events) is dropped with it.
    """
    queued = len(ctx.after_commit)
    try:
        with ctx.conn.begin_nested():
            return work(), None
    except Exception as exc:  # each item fails alone; the savepoint has been rolled back
        del ctx.after_commit[queued:]
        return None, _error_text(exc)
    finally:
        _progress.advance(ctx)


def _summary(key: str, done: list[Any], failed: list[Any]) -> dict[str, Any]:
    return {key: done, "failed": failed, "total": len(done) + len(failed), "success_count": len(done),
            "failure_count": len(failed)}  # fmt: skip


# -- delete ---------------------------------------------------------------------------------------


def delete_docs(ctx: Context, doctype: str, names: list[Any]) -> BulkOutcome:
    """Delete each of ``names`` of ``doctype``."""
    operations.read_meta(ctx, doctype)
    deleted: list[str] = []
    failed: list[dict[str, Any]] = []
    for raw in names:
        try:
            name = _name_of(raw)
        except FrappeValueError as exc:
            failed.append({"name": raw, "error": str(exc)})
            continue
        _result, error = _attempt(ctx, partial(operations.delete_document, ctx, doctype, name))
        if error is None:
            deleted.append(name)
        else:
            failed.append({"name": name, "error": error})
    return BulkOutcome(_summary("deleted", deleted, failed))


def _delete_item(ctx: Context, item: Any) -> dict[str, str]:
    if not isinstance(item, dict):
        raise FrappeValueError("Each document must be a dictionary with 'doctype' and 'name' keys")
    doctype, name = _doctype_of(item), _name_of(item.get("name"))
    operations.delete_document(ctx, doctype, name)
    return {"doctype": doctype, "name": name}


def delete_many(ctx: Context, docs: list[Any]) -> BulkOutcome:
    """Delete each ``{"doctype", "name"}`` of ``docs``."""
    deleted: list[dict[str, str]] = []
    failed: list[dict[str, Any]] = []
    for item in docs:
        done, error = _attempt(ctx, partial(_delete_item, ctx, item))
        if error is None:
            deleted.append(done)
        else:
            keys = item if isinstance(item, dict) else {}
            failed.append({"doctype": keys.get("doctype"), "name": keys.get("name"), "error": error})
    return BulkOutcome(_summary("deleted", deleted, failed))


# -- update ---------------------------------------------------------------------------------------


def _update_one(ctx: Context, doctype: str, item: dict[str, Any]) -> Document:
    name = _name_of(item.get("name"))
    values = {k: v for k, v in item.items() if k not in ("name", "doctype", "flags")}
    return operations.update_document(ctx, doctype, name, values)


def _update_item(ctx: Context, doctype: str | None, item: Any) -> Document:
    if not isinstance(item, dict):
        raise FrappeValueError(
            "Each update must be a dictionary with 'name' and field values"
            if doctype
            else "Each document must be a dictionary with 'doctype', 'name', and field values"
        )
    return _update_one(ctx, doctype or _doctype_of(item), item)


def _run_writes(
    ctx: Context,
    doctype: str | None,
    docs: list[Any],
    action: Callable[[Context, str | None, Any], Document],
    key: str,
    *,
    with_index: bool,
) -> BulkOutcome:
    """Apply ``action`` to each item in its own savepoint; failures are reported per item."""
    done: list[Any] = []
    failed: list[dict[str, Any]] = []
    out_docs: list[dict[str, Any]] = []
    for index, item in enumerate(docs):
        doc, error = _attempt(ctx, partial(action, ctx, doctype, item))
        if error is not None:
            keys = item if isinstance(item, dict) else {}
            entry = {"index": index} if with_index else {}
            entry.update({"name": keys.get("name"), "error": error})
            failed.append(entry if doctype else {"doctype": keys.get("doctype"), **entry})
            continue
        done.append(str(doc.name) if doctype else {"doctype": doc.doctype, "name": str(doc.name)})
        out_docs.append(v2_doc_dict(doc))
    return BulkOutcome(_summary(key, done, failed), out_docs)


def _run_updates(ctx: Context, doctype: str | None, docs: list[Any]) -> BulkOutcome:
    return _run_writes(ctx, doctype, docs, _update_item, "updated", with_index=False)


def update_docs(ctx: Context, doctype: str, docs: list[Any]) -> BulkOutcome:
    """Update each ``{"name", ...fields}`` of ``doctype``."""
    operations.read_meta(ctx, doctype)
    return _run_updates(ctx, doctype, docs)


def update_many(ctx: Context, docs: list[Any]) -> BulkOutcome:
    """Update each ``{"doctype", "name", ...fields}``."""
    return _run_updates(ctx, None, docs)


# -- insert (beyond Frappe) -----------------------------------------------------------------------


def _insert_item(ctx: Context, doctype: str | None, item: Any) -> Document:
    if not isinstance(item, dict):
        raise FrappeValueError("Each document must be a dictionary of field values")
    target = doctype or _doctype_of(item)
    values = {k: v for k, v in item.items() if k not in ("doctype", "flags")}
    return operations.create_document(ctx, target, values, keep_name=True)


def _run_inserts(ctx: Context, doctype: str | None, docs: list[Any]) -> BulkOutcome:
    return _run_writes(ctx, doctype, docs, _insert_item, "inserted", with_index=True)


def insert_docs(ctx: Context, doctype: str, docs: list[Any]) -> BulkOutcome:
    """Insert each field-value dict of ``docs`` as a new ``doctype`` document."""
    operations.read_meta(ctx, doctype)
    return _run_inserts(ctx, doctype, docs)


def insert_many(ctx: Context, docs: list[Any]) -> BulkOutcome:
    """Insert each ``{"doctype", ...fields}`` of ``docs``."""
    return _run_inserts(ctx, None, docs)


# -- jobs -----------------------------------------------------------------------------------------

_JOBS: dict[str, Callable[..., BulkOutcome]] = {
    "delete_docs": delete_docs, "delete_many": delete_many, "update_docs": update_docs,
    "update_many": update_many, "insert_docs": insert_docs, "insert_many": insert_many,
}  # fmt: skip


def run_job(ctx: Context, operation: str, **kwargs: Any) -> dict[str, Any]:
    """Background-job entry point: run a bulk ``operation``; returns its summary.

    Progress goes to the job's ``task_progress:<job id>`` room as items are done.
    """
    items = kwargs.get("names") or kwargs.get("docs") or []
    with _progress.tracking(len(items) if isinstance(items, list) else 0, f"bulk {operation}"):
        return _JOBS[operation](ctx, **kwargs).summary


def queue_or_run(ctx: Context, operation: str, count: int, **kwargs: Any) -> BulkOutcome | str:
    """Run ``operation`` now, or queue it when ``count`` is above the threshold (returns the job id)."""
    if count > ctx.site.settings.bulk_async_threshold:
        return enqueue(
            ctx.site, "docframe.methods.bulk.run_job", ctx=ctx, queue="long",
            job_name=f"bulk {operation}", operation=operation, **kwargs,
        )  # fmt: skip
    return _JOBS[operation](ctx, **kwargs)
