"""Document methods: the standard whitelisted methods of every document and how they are run.

Every document answers ``submit``, ``cancel``, ``rename`` and ``add_comment`` (Frappe's
``Document`` methods); a controller adds its own with ``@whitelist()`` on a method. Both are run
by :func:`run_on_document` (v2 ``/document/{dt}/{name}/method/{m}``, v1 ``run_method``) and by
``run_doc_method`` (v1 desk calls with ``docs``/``dt``/``dn``; v2 with ``document``/``kwargs``),
which may act on an unsaved, in-memory document. Results that carry the document back to the
client are :class:`WithDocs`; the API layer turns them into ``{"message"|"data": ..., "docs": [...]}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.meta.schema import Meta
from docframe.methods.call import bind_arguments, call_doc_method, check_access, json_argument
from docframe.methods.registry import (
    MethodSpec,
    alias,
    doc_method_spec,
    parameters,
    standard_doc_method,
    whitelist,
)
from docframe.model import lifecycle, operations, persistence
from docframe.model.document import Document
from docframe.model.field_levels import mask_for_read
from docframe.model.rename import add_comment as insert_comment
from docframe.model.rename import rename_doc
from docframe.permissions.rules import check_permission

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "PERMISSION_FOR_METHOD",
    "WithDocs",
    "doc_from_dict",
    "run_doc_method",
    "run_doc_method_v2",
    "run_on_document",
]

#: HTTP method -> the document permission a document-method call needs (Frappe's PERMISSION_MAP).
PERMISSION_FOR_METHOD = {"GET": "read", "HEAD": "read", "QUERY": "read", "POST": "write"}


@dataclass
class WithDocs:
    """A method result plus documents to send back in the response's ``docs`` list."""

    value: Any
    docs: list[dict[str, Any]] = field(default_factory=list)
    #: Other top-level keys of the response (the desk's ``docinfo``, ``user_settings``).
    extra: dict[str, Any] = field(default_factory=dict)
    #: False leaves ``docs`` out of the response (Frappe drops an empty ``docs`` list).
    with_docs: bool = True


# -- standard document methods ---------------------------------------------------------------------


@standard_doc_method("submit")
def submit(ctx: Context, doc: Document) -> None:
    """Submit the document (docstatus 0 -> 1)."""
    doc.docstatus = 1
    lifecycle.save(ctx, doc)


@standard_doc_method("cancel")
def cancel(ctx: Context, doc: Document) -> None:
    """Cancel the submitted document (docstatus 1 -> 2)."""
    doc.docstatus = 2
    lifecycle.save(ctx, doc)


def _reload_into(doc: Document, fresh: Document) -> None:
    doc.refresh_from(fresh)


@standard_doc_method("rename")
def rename(
    ctx: Context, doc: Document, name: str | int, merge: bool = False, force: bool = False,
    validate_rename: bool = True,
) -> None:  # fmt: skip
    """Rename the document to ``name`` (or merge it into ``name``); the document is reloaded."""
    check_permission(ctx, doc.meta, "write", doc)
    new = rename_doc(ctx, doc.doctype, doc.name, name, merge=merge, force=force)
    _reload_into(doc, persistence.load_doc(ctx, doc.meta, new))


@standard_doc_method("add_comment")
def add_comment(
    ctx: Context, doc: Document, comment_type: str = "Comment", text: str | None = None,
    comment_email: str | None = None, comment_by: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Add a Comment to the document; returns the Comment."""
    comment = insert_comment(ctx, doc, comment_type, text, comment_email, comment_by)
    return comment.as_dict(no_nulls=True)


# -- running a method on a document ----------------------------------------------------------------


def _permission_target(ctx: Context, doc: Document) -> tuple[Meta, Document | None]:
    if doc.meta.istable and doc.get("parenttype"):
        return ctx.meta(str(doc.parenttype)), None
    return doc.meta, doc


def check_document(ctx: Context, doc: Document, ptype: str) -> None:
    """Raise 403 unless the user may ``ptype`` the document (child rows follow their parent)."""
    meta, target = _permission_target(ctx, doc)
    check_permission(ctx, meta, ptype, target)


def method_spec(ctx: Context, doc: Document, method: Any, http_method: str) -> MethodSpec:
    """The whitelisted method ``method`` of ``doc``, checked for Guest and the HTTP method."""
    spec = doc_method_spec(doc, method)
    check_access(ctx, spec, http_method)
    return spec


def run_on_document(ctx: Context, doc: Document, method: Any, form: dict[str, Any], http_method: str) -> Any:
    """Check whitelist, HTTP method and permission (read for GET, write for POST), then call."""
    spec = method_spec(ctx, doc, method, http_method)
    check_document(ctx, doc, PERMISSION_FOR_METHOD.get(http_method, "write"))
    return call_doc_method(ctx, doc, spec, form)


def _check_latest(doc: Document, stored: Document, values: dict[str, Any]) -> None:
    if str(stored.get("modified")) != str(values.get("modified")):
        raise errors.TimestampMismatchError(
            f"Error: {doc.name} ({doc.doctype}) has been modified after you have opened it "
            f"({stored.get('modified')}, {values.get('modified')}). "
            "Please refresh to get the latest document.",
            title="Document has been modified",
        )


def doc_from_dict(ctx: Context, values: Any, ptype: str) -> Document:
    """An in-memory document from a client's dict (not stale, and ``ptype`` permitted)."""
    if not isinstance(values, dict):
        raise errors.DataError("The document must be a JSON object")
    doctype = values.get("doctype")
    if not isinstance(doctype, str) or not doctype:
        raise errors.DataError("The document must have a 'doctype'")
    meta = operations.read_meta(ctx, doctype)
    name = values.get("name")
    stored = None
    if name not in (None, "") and not values.get("__islocal") and persistence.doc_exists(ctx, meta, name):
        stored = persistence.load_doc(ctx, meta, name)
    doc = persistence.new_document(ctx, meta)
    doc.update({k: v for k, v in values.items() if k not in operations.PROTECTED_KEYS}, with_name=True)
    if stored is not None:
        _check_latest(doc, stored, values)
        doc.mark_new(False)
        doc.set("owner", stored.owner)
        doc.set("creation", stored.creation)
        object.__setattr__(doc, "_loaded_modified", stored.modified)
    check_document(ctx, doc, ptype)
    return doc


def _positional_call(ctx: Context, doc: Document, spec: MethodSpec, args: Any) -> Any:
    """Frappe's ``run_doc_method`` calling rules for ``args``."""
    skip = 2 if spec.doc_function else 0
    params = parameters(spec.func)[skip:]
    prefix = (ctx, doc) if spec.doc_function else ()
    if not params:
        return spec.func(*prefix)
    if "args" in {p.name for p in params} or not isinstance(args, dict):
        return spec.func(*prefix, args)
    return spec.func(*prefix, **bind_arguments(spec.func, args, path=spec.path, skip=skip))


def _parse_loose(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


@alias("run_doc_method", "runserverobj", "frappe.handler.run_doc_method", "frappe.handler.runserverobj")
@whitelist(allow_guest=True)
def run_doc_method(
    ctx: Context, method: str, docs: Any = None, dt: str | None = None, dn: str | int | None = None,
    arg: Any = None, args: Any = None, *, http_method: str = "POST",
) -> WithDocs:  # fmt: skip
    """v1 desk call: run ``method`` on ``docs`` (in memory) or on ``dt``/``dn`` (stored)."""
    if dt:
        doc = operations.get_document(ctx, dt, dn if dn not in (None, "") else dt)
    else:
        doc = doc_from_dict(ctx, json_argument("docs", docs, dict), "read")
    spec = method_spec(ctx, doc, method, http_method)
    value = _positional_call(ctx, doc, spec, _parse_loose(args if args not in (None, "") else arg))
    mask_for_read(ctx, doc)
    return WithDocs(value, [doc.as_dict(no_nulls=True)])


def run_doc_method_v2(
    ctx: Context, http_method: str, method: Any, document: Any, kwargs: Any = None
) -> WithDocs:
    """v2 ``/api/v2/method/run_doc_method``: read (GET) or write (POST) permission on ``document``."""
    if isinstance(document, str):
        document = json_argument("document", document, dict)
    if not isinstance(document, dict):
        raise errors.ValidationError("'document' must be a dictionary")
    extra = {} if kwargs in (None, "") else json_argument("kwargs", kwargs, dict)
    doc = doc_from_dict(ctx, document, PERMISSION_FOR_METHOD.get(http_method, "write"))
    spec = method_spec(ctx, doc, method, http_method)
    value = call_doc_method(ctx, doc, spec, extra)
    mask_for_read(ctx, doc)
    return WithDocs(value, [doc.as_dict(no_nulls=True)])


def v2_doc_dict(doc: Document) -> dict[str, Any]:
    """A document as v2 returns it: nulls included, integer Link values as strings."""
    out = doc.as_dict()
    for f in doc.meta.link_fields:
        value = out.get(f.fieldname)
        if isinstance(value, int) and not isinstance(value, bool):
            out[f.fieldname] = str(value)
    return out


__all__ += ["v2_doc_dict"]
