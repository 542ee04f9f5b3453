"""Named parts a v2 read returns beside its data (``?include=`` of newer Frappe's API v2).

``GET /api/v2/document/<dt>/<name>?include=permissions,comments`` puts each named part under its
own top-level key: the caller's ``permissions`` on the document, its ``attachments`` (File rows),
open ``assignments`` (ToDo rows), ``shares``, ``tags``, ``favourites``, ``comments``, ``seen``,
``link_titles``, and ``users`` (name and image of everyone the other parts mention, built last).
``GET /api/v2/doctype/<dt>/meta?include=children`` adds the child DocTypes' definitions.

The parts read framework tables without row permissions, as Frappe's ``get_all`` does: the caller
has already been allowed to read the document they describe. An unknown part is Frappe's 417.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from docframe import errors
from docframe.meta.schema import PERM_TYPES
from docframe.model.document import Document
from docframe.permissions import rules
from docframe.query.builder import ListArgs
from docframe.query.listing import run_list

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = ["DOCUMENT_PARTS", "META_PARTS", "check_parts", "document_parts", "meta_parts", "parse_include"]

USERS_PART = "users"
#: the parts that name users, and the row key holding the user (``None``: the row is the user)
_USER_KEYS: dict[str, str | None] = {
    "assignments": "user", "shares": "user", "favourites": "user", "comments": "owner", "seen": None,
}  # fmt: skip


def parse_include(value: Any) -> list[str]:
    """The part names of ``include``: a comma-separated string (a JSON list is accepted too)."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        parts = value
    elif isinstance(value, str):
        parts = value.split(",")
    else:
        raise errors.ValidationError("'include' must be a comma-separated string")
    return [p.strip() for p in parts if p.strip()]


def check_parts(include: list[str], known: Sequence[str]) -> None:
    """Frappe's 417 for the first part of ``include`` that is not ``known``."""
    for part in include:
        if part not in known:
            raise errors.ValidationError(f"Unknown include part {part[:40]}. Known parts: {', '.join(known)}")


def _rows(ctx: Context, doctype: str, fields: tuple[str, ...], filters: Any, order_by: str) -> list[Any]:
    if not ctx.meta_exists(doctype):
        return []
    args = ListArgs(
        doctype=doctype, fields=fields, filters=filters, order_by=order_by, limit=None,
        ignore_permissions=True,
    )  # fmt: skip
    return run_list(ctx, args)


def _permissions(ctx: Context, doc: Document) -> dict[str, int]:
    granted = rules.doc_rights(ctx, doc.meta, doc, ctx.user, "read")
    return {p: int(p in granted) for p in PERM_TYPES}


def _attachments(ctx: Context, doc: Document) -> list[Any]:
    filters = {"attached_to_doctype": doc.doctype, "attached_to_name": str(doc.name)}
    return _rows(ctx, "File", ("name", "file_name", "file_url", "is_private"), filters, "creation asc")


def _assignments(ctx: Context, doc: Document) -> list[Any]:
    filters = [
        ["reference_type", "=", doc.doctype], ["reference_name", "=", str(doc.name)],
        ["status", "not in", ["Cancelled", "Closed"]], ["allocated_to", "is", "set"],
    ]  # fmt: skip
    fields = ("allocated_to as user", "description", "priority", "date")
    return _rows(ctx, "ToDo", fields, filters, "creation asc")


def _shares(ctx: Context, doc: Document) -> list[dict[str, Any]]:
    filters = {"share_doctype": doc.doctype, "share_name": str(doc.name)}
    fields = ("user", "everyone", "read", "write", "submit", "share")
    rows = _rows(ctx, "DocShare", fields, filters, "creation asc")
    return [
        {"user": "everyone" if r["everyone"] else r["user"],
         **{k: r[k] for k in ("read", "write", "submit", "share")}}
        for r in rows
    ]  # fmt: skip


def _tags(ctx: Context, doc: Document) -> list[Any]:
    filters = {"document_type": doc.doctype, "document_name": str(doc.name)}
    return [r["tag"] for r in _rows(ctx, "Tag Link", ("tag",), filters, "creation asc")]


def _json_list(value: Any) -> list[Any]:
    if not value:
        return []
    try:
        parsed = orjson.loads(value) if isinstance(value, str | bytes) else value
    except orjson.JSONDecodeError:
        return []
    return parsed if isinstance(parsed, list) else []


def _favourites(ctx: Context, doc: Document) -> list[dict[str, Any]]:
    return [{"user": user} for user in _json_list(doc.get("_liked_by"))]


def _comments(ctx: Context, doc: Document) -> list[Any]:
    filters = {"reference_doctype": doc.doctype, "reference_name": str(doc.name), "comment_type": "Comment"}
    fields = ("name", "creation", "content", "owner", "comment_type")
    return _rows(ctx, "Comment", fields, filters, "creation asc")


def _seen(ctx: Context, doc: Document) -> list[Any]:
    return _json_list(doc.get("_seen"))


def _link_titles(ctx: Context, doc: Document) -> dict[str, Any]:
    """``{"<DocType>::<name>": title}`` for Link values whose DocType shows its title in links."""
    titles: dict[str, Any] = {}
    for field in doc.meta.link_fields:
        if field.fieldtype == "Link":
            target = str(field.options or "")
        elif field.fieldtype == "Dynamic Link":
            target = str(doc.get(str(field.options)) or "")
        else:
            continue
        value = doc.get(field.fieldname)
        if not value or not target or not ctx.meta_exists(target):
            continue
        meta = ctx.meta(target)
        title = meta.title_field
        if not meta.raw.get("show_title_field_in_link") or not title or title not in meta.all_columns:
            continue
        rows = _rows(ctx, target, (title,), {"name": str(value)}, "name asc")
        if rows:
            titles[f"{target}::{value}"] = rows[0][title]
    return titles


DOCUMENT_PARTS: dict[str, Callable[[Context, Document], Any]] = {
    "permissions": _permissions, "attachments": _attachments, "assignments": _assignments,
    "shares": _shares, "tags": _tags, "favourites": _favourites, "comments": _comments,
    "seen": _seen, "link_titles": _link_titles,
}  # fmt: skip


def _users(ctx: Context, doc: Document, parts: dict[str, Any]) -> dict[str, dict[str, Any]]:
    names = {doc.get("owner"), doc.get("modified_by")}
    for part, key in _USER_KEYS.items():
        for row in parts.get(part) or []:
            names.add(row if key is None else row.get(key))
    wanted = sorted(str(n) for n in names if n and n != "everyone")
    rows = _rows(ctx, "User", ("name", "full_name", "user_image"), [["name", "in", wanted]], "name asc")
    return {r["name"]: {"full_name": r["full_name"], "user_image": r["user_image"]} for r in rows}


def document_parts(ctx: Context, doc: Document, include: list[str]) -> dict[str, Any]:
    """Each named part of ``doc`` under its own key (``users`` last: it names the others' people)."""
    check_parts(include, [*DOCUMENT_PARTS, USERS_PART])
    out = {part: DOCUMENT_PARTS[part](ctx, doc) for part in include if part != USERS_PART}
    if USERS_PART in include:
        out[USERS_PART] = _users(ctx, doc, out)
    return out


#: Meta parts: name -> function(ctx, doctype) building it from the DocType definitions.
META_PARTS = ("children",)


def meta_parts(
    ctx: Context, doctype: str, include: list[str], definition: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """``children``: the definitions of the DocType's child DocTypes (sorted, each once)."""
    check_parts(include, META_PARTS)
    if "children" not in include:
        return {}
    meta = ctx.meta(doctype)
    children = sorted({str(f.options) for f in meta.table_fields if f.options})
    return {"children": [definition(child) for child in children if ctx.meta_exists(child)]}
