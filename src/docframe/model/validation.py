"""Validation: defaults and the checks the framework runs itself on every insert and save.

Each check is one function ``(ctx, doc) -> None`` that raises a :mod:`docframe.errors` class with
Frappe's message text; :mod:`docframe.model.lifecycle` decides when each runs. Checks cover the
parent and its child rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from docframe import errors
from docframe.meta.fieldtypes import DATA_FIELD_TYPES, VARCHAR_TYPES
from docframe.meta.schema import DocFieldDef, Meta
from docframe.model.coerce import coerce
from docframe.model.document import Document

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "check_data_options",
    "check_length",
    "check_links",
    "check_mandatory",
    "check_non_negative",
    "check_select",
    "check_set_only_once",
    "check_update_after_submit",
    "coerce_values",
    "set_defaults",
]

INT32 = 2**31 - 1
INT64 = 2**63 - 1
_EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
_PHONE = re.compile(r"^[0-9 +_\-,.*#()]{1,20}$")
_URL = re.compile(r"^(https?|ftp)://[^\s]+$", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]*>")
STANDARD_LABELS = {"creation": "Created On", "owner": "Created By", "modified": "Last Updated On"}


def _rows(doc: Document) -> Iterator[Document]:
    yield doc
    yield from doc.all_children()


# -- defaults -----------------------------------------------------------------------------------


def _default_for(ctx: Context, f: DocFieldDef, meta: Meta) -> Any:
    default = f.default
    if default is not None and meta.title_field != f.fieldname:
        low = default.lower()
        if default == "__user":
            return ctx.user.name
        if low in ("today", "__today"):
            return ctx.now().date()
        if low == "now" and f.fieldtype in ("Datetime", "Time"):
            return ctx.now() if f.fieldtype == "Datetime" else ctx.now().time()
        if not default.startswith(":"):
            return default
    if f.fieldtype == "Select" and f.options:
        return f.select_options[0] or None
    if f.fieldtype == "Check":
        return 0
    if f.fieldtype == "Time":
        return ctx.now().time()
    return None


def set_defaults(ctx: Context, doc: Document, *, new_rows_only: bool = False) -> None:
    """Fill defaults into fields that are ``None`` (on new documents and new child rows)."""
    targets = [r for r in _rows(doc) if r.is_new()] if new_rows_only else list(_rows(doc))
    for row in targets:
        for f in row.meta.data_fields:
            if row._data.get(f.fieldname) is None:
                value = _default_for(ctx, f, row.meta)
                if value is not None:
                    row._data[f.fieldname] = value


def coerce_values(ctx: Context, doc: Document) -> None:
    """Turn every value into its column's Python type (raises for values that cannot be one)."""
    for row in _rows(doc):
        data = row._data
        for f in row.meta.data_fields:
            data[f.fieldname] = coerce(f, data[f.fieldname])
        data["docstatus"] = _int_standard(data.get("docstatus"), "docstatus")
        data["idx"] = _int_standard(data.get("idx"), "idx")


def _int_standard(value: Any, key: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise errors.ValidationError(f"Value for {key} must be a whole number")
    try:
        return int(float(value))
    except ValueError:
        raise errors.ValidationError(f"Value for {key} must be a whole number") from None


# -- framework checks ------------------------------------------------------------------------------


def _is_missing(f: DocFieldDef, value: Any) -> bool:
    if value is None or value == []:
        return True
    if isinstance(value, str):
        if f.fieldtype in ("Text Editor", "Code") and "<img" in value:
            return False
        return not _TAGS.sub("", value).strip()
    return False


def check_mandatory(ctx: Context, doc: Document) -> None:
    """Every ``reqd`` field has a value (child rows included); :class:`MandatoryError` otherwise."""
    if doc.flags.ignore_mandatory:
        return
    messages: list[errors.Message] = []
    missing: list[str] = []
    for f in doc.meta.fields:
        if not f.reqd or not (f.has_column or f.is_table):
            continue
        if _is_missing(f, doc._data.get(f.fieldname)):
            missing.append(f.fieldname)
            text = (
                f"Error: Data missing in table {f.display_label}"
                if f.is_table
                else f"Error: Value missing for {doc.doctype}: {f.display_label}"
            )
            messages.append(errors.Message(text, indicator="red"))
    for row in doc.all_children():
        for f in row.meta.data_fields:
            if f.reqd and _is_missing(f, row._data.get(f.fieldname)):
                missing.append(f.fieldname)
                messages.append(
                    errors.Message(
                        f"Error: {row.doctype} Row #{row.idx}: Value missing for: {f.display_label}",
                        indicator="red",
                    )
                )
    if missing:
        raise errors.MandatoryError(
            messages=messages, text=f"[{doc.doctype}, {doc.name}]: {', '.join(missing)}", doctype=doc.doctype
        )


def check_select(ctx: Context, doc: Document) -> None:
    """Select values are one of the options."""
    for row in _rows(doc):
        for f in row.meta.data_fields:
            if f.fieldtype != "Select" or f.fieldname == "naming_series" or not f.options:
                continue
            value = row._data.get(f.fieldname)
            if value in (None, "") or value in f.select_options:
                continue
            prefix = f"Row #{row.idx}:" if row is not doc else ""
            choices = ", ".join(f'"{o}"' for o in f.select_options if o)
            raise errors.ValidationError(
                f'{prefix} {f.display_label} cannot be "{value}". It should be one of {choices}',
                title="Invalid Value",
            )


def _link_target(ctx: Context, row: Document, f: DocFieldDef) -> str | None:
    if f.fieldtype == "Link":
        if not f.options:
            raise errors.ValidationError(f"Options not set for link field {f.fieldname}")
        return f.options
    target = row._data.get(f.options)
    if not target:
        source = row.meta.get_field(f.options)
        raise errors.ValidationError(f"{source.display_label if source else f.options} must be set first")
    return str(target)


def _fetch_fields(row: Document, link: DocFieldDef) -> list[tuple[DocFieldDef, str]]:
    out = []
    for f in row.meta.data_fields:
        if f.fetch_from and f.fetch_from.split(".", 1)[0] == link.fieldname and "." in f.fetch_from:
            out.append((f, f.fetch_from.split(".", 1)[1]))
    return out


def check_links(ctx: Context, doc: Document) -> None:
    """Link targets exist (values get the stored spelling), ``fetch_from`` values are copied."""
    if doc.flags.ignore_links:
        return
    missing: list[str] = []
    cancelled: list[str] = []
    for row in _rows(doc):
        for f in row.meta.link_fields:
            value = row._data.get(f.fieldname)
            if value in (None, ""):
                continue
            target = _link_target(ctx, row, f)
            found = _lookup(ctx, target, value, _fetch_fields(row, f)) if target else None
            label = (
                f"{f.display_label}: {value}" if row is doc else f"Row #{row.idx}: {f.display_label}: {value}"
            )
            if found is None:
                missing.append(label)
                continue
            row._data[f.fieldname] = found["name"]
            _apply_fetch(doc, row, f, found)
            if (
                found.get("docstatus") == 2
                and f.fieldname != "amended_from"
                and doc.meta.is_submittable
                and target is not None
                and ctx.site.metas.get(target, ctx.conn).is_submittable
            ):
                cancelled.append(label)
    if missing:
        raise errors.LinkValidationError(f"Could not find {', '.join(missing)}", title="Invalid Link")
    if cancelled:
        raise errors.CancelledLinkError(f"Cannot link cancelled document: {', '.join(cancelled)}")


def _lookup(
    ctx: Context, target: str, value: Any, fetch: list[tuple[DocFieldDef, str]]
) -> dict[str, Any] | None:
    metas = ctx.site.metas
    if not metas.exists(target, ctx.conn):
        return None
    meta = metas.get(target, ctx.conn)
    if meta.issingle:
        return {"name": meta.name} if str(value) == meta.name else None
    if not meta.has_table:
        return {"name": value}
    table = ctx.site.tables.get(meta)
    wanted = ["name", "docstatus"] + [src for _f, src in fetch if src in table.c]
    if meta.naming_rule == "autoincrement":
        try:
            value = int(value)
        except (TypeError, ValueError):
            return None
    elif not isinstance(value, str):
        value = str(value)
    row = ctx.conn.execute(
        select(*(table.c[c] for c in dict.fromkeys(wanted))).where(table.c.name == value)
    ).first()
    return dict(row._mapping) if row is not None else None


def _apply_fetch(doc: Document, row: Document, link: DocFieldDef, found: dict[str, Any]) -> None:
    for f, source in _fetch_fields(row, link):
        if source not in found:
            continue
        if not (doc.is_new() or doc.docstatus == 0 or f.allow_on_submit):
            continue
        if f.fetch_if_empty and row._data.get(f.fieldname) not in (None, ""):
            continue
        value = found[source]
        row._data[f.fieldname] = coerce(f, value) if f.fieldtype in DATA_FIELD_TYPES else value


def check_length(ctx: Context, doc: Document) -> None:
    """Varchar values fit their length; integers fit their column."""
    if doc.meta.issingle:
        return
    for row in _rows(doc):
        for f in row.meta.data_fields:
            value = row._data.get(f.fieldname)
            if value is None:
                continue
            limit: int | None = None
            size: int | None = None
            if f.fieldtype in VARCHAR_TYPES and isinstance(value, str):
                limit = f.length if 0 < f.length <= 1000 else 140
                size = len(value)
            elif f.fieldtype in ("Int", "Long Int") and isinstance(value, int):
                limit = INT64 if f.fieldtype == "Long Int" or f.length > 11 else INT32
                size = abs(value)
            if limit is not None and size is not None and size > limit:
                ref = f"{doc.doctype} {doc.name}" if row is doc else f"{row.doctype}, Row {row.idx}"
                shown = (
                    value if not isinstance(value, str) else value[:40] + ("..." if len(value) > 40 else "")
                )
                raise errors.CharacterLengthExceededError(
                    f"{ref}: '{f.display_label}' ({shown}) will get truncated, as max characters allowed is {limit}",
                    title="Value too big",
                )


def check_non_negative(ctx: Context, doc: Document) -> None:
    """``non_negative`` Int, Float and Currency fields are not below zero."""
    for row in _rows(doc):
        for f in row.meta.data_fields:
            if not f.non_negative or f.fieldtype not in ("Int", "Float", "Currency"):
                continue
            value = row._data.get(f.fieldname)
            if isinstance(value, int | float) and value < 0:
                text = (
                    f"Value cannot be negative for {doc.doctype}: {f.display_label}"
                    if row is doc
                    else f"{row.doctype} Row #{row.idx}: Value cannot be negative for {f.display_label}"
                )
                raise errors.NonNegativeError(text, title="Negative Value")


def check_data_options(ctx: Context, doc: Document) -> None:
    """Data fields with options Email, Phone, URL or Name hold such values."""
    for row in _rows(doc):
        for f in row.meta.data_fields:
            value = row._data.get(f.fieldname)
            if f.fieldtype != "Data" or not f.options or not isinstance(value, str) or not value.strip():
                continue
            option = f.options.strip()
            if option == "Email":
                for address in re.split(r"[,\n]", value):
                    if address.strip() and not _EMAIL.match(_email_part(address.strip())):
                        raise errors.InvalidEmailAddressError(
                            f"{address.strip()} is not a valid Email Address"
                        )
            elif option == "Phone" and not _PHONE.match(value):
                raise errors.InvalidPhoneNumberError(f"{value} is not a valid Phone Number")
            elif option == "URL" and not _URL.match(value.strip()):
                raise errors.ValidationError(f"'{value}' is not a valid URL")


def _email_part(text: str) -> str:
    match = re.search(r"<([^>]+)>", text)
    return match.group(1).strip() if match else text


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, date | datetime | time) or isinstance(b, date | datetime | time):
        return str(a or "") == str(b or "")
    return bool(a == b or (a in (None, "") and b in (None, "")))


def check_set_only_once(ctx: Context, doc: Document, stored: Document) -> None:
    """``set_only_once`` fields, ``creation`` and ``owner`` keep their stored values."""
    keys = ["creation", "owner"] + [f.fieldname for f in doc.meta.data_fields if f.set_only_once]
    for key in keys:
        if not _same(doc._data.get(key), stored._data.get(key)):
            f = doc.meta.get_field(key)
            label = f.display_label if f else STANDARD_LABELS.get(key, key)
            raise errors.CannotChangeConstantError(f"Value cannot be changed for {label}")


def check_update_after_submit(ctx: Context, doc: Document, stored: Document) -> None:
    """Only ``allow_on_submit`` fields changed on a submitted document."""
    if doc.flags.ignore_validate_update_after_submit:
        return
    for f in doc.meta.fields:
        if f.allow_on_submit or not (f.has_column or f.is_table):
            continue
        new, old = doc._data.get(f.fieldname), stored._data.get(f.fieldname)
        if f.is_table:
            if len(new or []) != len(old or []):
                _refuse_change(f, len(old or []), len(new or []))
            _check_rows(f, new or [], old or [])
        elif (new or old) and not _same(new, old):
            _refuse_change(f, old, new)


def _check_rows(table_field: DocFieldDef, new_rows: list[Document], old_rows: list[Document]) -> None:
    old_by_name = {r.name: r for r in old_rows}
    for row in new_rows:
        old = old_by_name.get(row.name)
        if old is None:
            continue
        for f in row.meta.data_fields:
            a, b = row._data.get(f.fieldname), old._data.get(f.fieldname)
            if not f.allow_on_submit and (a or b) and not _same(a, b):
                _refuse_change(f, b, a, prefix=f"Row #{row.idx}: ")


def _refuse_change(f: DocFieldDef, old: Any, new: Any, prefix: str = "") -> None:
    raise errors.UpdateAfterSubmitError(
        f"{prefix}Not allowed to change {f.display_label} after submission from {old} to {new}",
        title="Cannot Update After Submit",
    )
