"""Validation: defaults and the checks the framework runs itself on every insert and save.

Each check is one function ``(ctx, doc) -> None`` that raises a :mod:`docframe.errors` class with
Frappe's message text (spec §5.6); :mod:`docframe.model.lifecycle` decides when each runs. Checks
cover the parent and its child rows. :func:`coerce_values` runs first and turns every value into
its column's type, so the checks after it (and the database) only ever see storable values.
"""

from __future__ import annotations

import functools
import math
import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sqlalchemy import bindparam, select

from docframe import errors
from docframe.db.prepared import prepared
from docframe.db.types import NOT_NULL_TYPES, varchar_length
from docframe.meta.fieldtypes import DATA_FIELD_TYPES, FLOAT_TYPES, INT_TYPES, VARCHAR_TYPES
from docframe.meta.schema import DocFieldDef, Meta
from docframe.model.coerce import coerce
from docframe.model.document import Document

if TYPE_CHECKING:
    from docframe.context import Context

__all__ = [
    "STANDARD_LABELS",
    "check_data_options",
    "check_length",
    "check_links",
    "check_mandatory",
    "check_non_negative",
    "check_select",
    "check_set_only_once",
    "check_update_after_submit",
    "coerce_values",
    "int_standard",
    "set_defaults",
]

INT16 = 2**15 - 1
INT32 = 2**31 - 1
INT64 = 2**63 - 1
#: ``decimal(21,9)`` columns hold 12 digits before the point.
DECIMAL_TYPES = frozenset({"Float", "Currency", "Percent", "Duration"})
DECIMAL_LIMIT = 10**12
DECIMAL_MAX = "999999999999.999999999"
#: The ``name`` column is ``varchar(140)``.
NAME_LENGTH = 140
_DIGITS = re.compile(r"[0-9]{1,18}")
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$"
)
_PERSON_NAME = re.compile(r"^[\w][\w'\-]*( \w[\w'\-]*)*$")
_PHONE = re.compile(r"^[0-9 +_\-,.*#()]{1,20}$")
_TAGS = re.compile(r"<[^>]*>")
STANDARD_USERS = frozenset({"Administrator", "Guest"})
#: Labels of standard fields in messages.
STANDARD_LABELS = {"creation": "Created On", "owner": "Created By", "modified": "Last Updated On"}
#: Standard text columns of every row (and of child rows), checked like Data.
_STANDARD_TEXT = ("owner", "modified_by", "parent", "parenttype", "parentfield")
#: Keys ignored when comparing child rows for set-only-once.
_ROW_NOISE = frozenset({"modified", "modified_by", "creation"})


_ABSENT = object()
#: Field types whose empty value is stored as 0, so an unchanged NULL is still coerced.
_ZERO_WHEN_EMPTY = frozenset(
    {
        *INT_TYPES,
        *FLOAT_TYPES,
        "Check",
        "Int",
        "Long Int",
        "Float",
        "Currency",
        "Percent",
        "Duration",
        "Rating",
    }
)


def _rows(doc: Document) -> tuple[Document, ...]:
    """The document and its child rows (the document alone when its DocType has no table)."""
    if not doc.meta.table_fields:
        return (doc,)
    return (doc, *doc.all_children())


def _is_child(row: Document, doc: Document) -> bool:
    return row is not doc


# -- defaults -----------------------------------------------------------------------------------


def _default_for(ctx: Context, f: DocFieldDef, meta: Meta) -> Any:
    default = f.default
    if default is not None and default != "" and meta.title_field != f.fieldname:
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
    if f.fieldtype in NOT_NULL_TYPES:
        return 0
    if f.fieldtype == "Time":
        return ctx.now().time()
    return None


def _typed(f: DocFieldDef, value: Any) -> Any:
    """A default in its field's type (``"0"`` -> 0 for a Check), as Frappe's new documents hold it."""
    try:
        return coerce(f, value)
    except errors.ValidationError:
        return value  # a broken default is reported, with the field's label, when the row is saved


def set_defaults(ctx: Context, doc: Document, *, new_rows_only: bool = False) -> None:
    """Fill typed defaults into fields that are ``None`` (on new documents and new child rows)."""
    targets = [r for r in _rows(doc) if r.is_new()] if new_rows_only else list(_rows(doc))
    for row in targets:
        for f in row.meta.data_fields:
            if row._data.get(f.fieldname) is None:
                value = _default_for(ctx, f, row.meta)
                if value is not None:
                    row._data[f.fieldname] = _typed(f, value)


# -- coercion ------------------------------------------------------------------------------------


def coerce_values(ctx: Context, doc: Document, stored: Document | None = None) -> None:
    """Turn every value into its column's Python type (417 for values that cannot be one).

    With ``stored`` (the document as loaded for this save), a value of the document itself that is
    still the very object read from the database is kept as stored: only what changed is coerced.
    """
    tz = ctx.site.time_zone
    kept = stored._data if stored is not None else None
    for row in _rows(doc):
        data = row._data
        same = kept if row is doc else None
        for f in row.meta.data_fields:
            value = data[f.fieldname]
            if (
                same is not None
                and value is same.get(f.fieldname, _ABSENT)
                and (value is not None or f.fieldtype not in _ZERO_WHEN_EMPTY)
            ):
                continue
            value = coerce(f, value, tz=tz)
            if f.unique and isinstance(value, str) and not value.strip():
                value = None  # blank values never clash on a unique column
            data[f.fieldname] = value
        _coerce_standard(row, tz, same)


def _coerce_standard(row: Document, tz: Any, same: dict[str, Any] | None = None) -> None:
    data = row._data
    data["docstatus"] = int_standard(data.get("docstatus"), "docstatus")
    data["idx"] = int_standard(data.get("idx"), "idx")
    for key in ("creation", "modified"):
        value = data.get(key)
        if type(value) is datetime:
            continue  # already what the column stores (the Datetime coercion keeps it as it is)
        if same is None or value is None or value is not same.get(key, _ABSENT):
            data[key] = coerce(_standard_field(key, "Datetime"), value, tz=tz)
    for key in _STANDARD_TEXT:
        if key in data:
            value = data[key]
            if same is None or value is not same.get(key, _ABSENT):
                data[key] = coerce(_standard_field(key, "Data"), value)
    name = data.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, str | int)):
        raise errors.DataError(f"{row.doctype}: 'name' must be a string or an integer")
    if isinstance(name, str) and (len(name) > NAME_LENGTH or "\x00" in name):
        raise errors.ValidationError(f"{row.doctype}: invalid name {name[:40]!r}", title="Invalid Name")


@functools.lru_cache(maxsize=64)
def _standard_field(key: str, fieldtype: str) -> DocFieldDef:
    return DocFieldDef(fieldname=key, fieldtype=fieldtype, label=STANDARD_LABELS.get(key, key))


def int_standard(value: Any, key: str) -> int:
    """``docstatus`` / ``idx`` as an int that fits the column; 417 otherwise."""
    if value is None or value == "":
        return 0
    message = f"Value for {key} must be a whole number"
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise errors.ValidationError(message)
    try:
        number = int(float(value)) if not isinstance(value, int) else value
    except (ValueError, OverflowError):
        raise errors.ValidationError(message) from None
    if abs(number) > INT32:
        raise errors.ValidationError(f"Value for {key} is out of range")
    return number


#: Kept for callers that used the private name.
_int_standard = int_standard


# -- mandatory -----------------------------------------------------------------------------------


def _is_missing(f: DocFieldDef, value: Any) -> bool:
    if value is None or value == []:
        return True
    if isinstance(value, str):
        if "<" not in value:
            return not value.strip()  # no tags to strip
        if "<img" in value and (
            f.fieldtype == "Text Editor" or (f.fieldtype == "Code" and f.options == "HTML")
        ):
            return False
        return not _TAGS.sub("", value).strip()
    return False


def _missing_in(row: Document, doc: Document) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for f in row.meta.mandatory_fields:
        if not _is_missing(f, row._data.get(f.fieldname)):
            continue
        if f.is_table:
            text = f"Error: Data missing in table {f.display_label}"
        elif _is_child(row, doc):
            text = f"Error: {row.doctype} Row #{row.idx}: Value missing for: {f.display_label}"
        else:
            text = f"Error: Value missing for {row.doctype}: {f.display_label}"
        out.append((f.fieldname, text))
    return out


def check_mandatory(ctx: Context, doc: Document) -> None:
    """Every ``reqd`` field has a value (child rows included); :class:`MandatoryError` otherwise."""
    if doc.flags.ignore_mandatory:
        return
    missing = [item for row in _rows(doc) if row.meta.mandatory_fields for item in _missing_in(row, doc)]
    if missing:
        raise errors.MandatoryError(
            messages=[errors.Message(text, indicator="red") for _f, text in missing],
            text=f"[{doc.doctype}, {doc.name}]: {', '.join(f for f, _t in missing)}",
            doctype=doc.doctype,
        )


# -- select ----------------------------------------------------------------------------------------


def check_select(ctx: Context, doc: Document) -> None:
    """Select values are one of the options (empty is always allowed)."""
    for row in _rows(doc):
        for f in row.meta.select_fields:
            value = row._data.get(f.fieldname)
            if value in (None, "") or value in f.select_options:
                continue
            prefix = f"Row #{row.idx}:" if _is_child(row, doc) else ""
            choices = '", "'.join(f.select_options)
            raise errors.ValidationError(
                f'{prefix} {f.display_label} cannot be "{value}". It should be one of "{choices}"',
                title="Invalid Value",
            )


# -- links ----------------------------------------------------------------------------------------


def _link_target(ctx: Context, row: Document, f: DocFieldDef) -> str:
    if f.fieldtype == "Link":
        if not f.options:
            raise errors.ValidationError(f"Options not set for link field {f.fieldname}")
        return f.options
    target = row._data.get(f.options)
    if target in (None, ""):
        source = row.meta.get_field(f.options)
        raise errors.ValidationError(f"{source.display_label if source else f.options} must be set first")
    if not isinstance(target, str):
        source = row.meta.get_field(f.options)
        raise errors.ValidationError(
            f"Value for {source.display_label if source else f.options} must be text"
        )
    return target


def _fetch_fields(row: Document, link: DocFieldDef) -> tuple[tuple[DocFieldDef, str], ...]:
    return _fetch_map(row.meta).get(link.fieldname, ())


def _fetch_map(meta: Meta) -> dict[str, tuple[tuple[DocFieldDef, str], ...]]:
    """``link fieldname -> ((field, source column), ...)`` of a meta's ``fetch_from`` fields."""
    return meta.fetch_from_map


def _link_label(row: Document, doc: Document, f: DocFieldDef, value: Any) -> str:
    if _is_child(row, doc):
        return f"Row #{row.idx}: {f.display_label}: {value}"
    return f"{f.display_label}: {value}"


def check_links(ctx: Context, doc: Document) -> None:
    """Link targets exist (values get the stored spelling), ``fetch_from`` values are copied."""
    if doc.flags.ignore_links:
        return
    missing: list[str] = []
    cancelled: list[str] = []
    for row in _rows(doc):
        data = row._data
        for f in row.meta.link_fields:
            value = data.get(f.fieldname)
            if value is None or value == "":
                continue
            value = coerce(f, value)
            if value == "":
                continue
            target = _link_target(ctx, row, f)
            found = _lookup(ctx, target, value, _fetch_fields(row, f))
            label = _link_label(row, doc, f, value)
            if found is None:
                missing.append(label)
                continue
            row._data[f.fieldname] = found["name"]
            _apply_fetch(ctx, doc, row, f, target, found)
            if _is_cancelled_link(ctx, doc, f, target, found):
                cancelled.append(label)
    if missing:
        raise errors.LinkValidationError(f"Could not find {', '.join(missing)}", title="Invalid Link")
    if cancelled:
        raise errors.CancelledLinkError(f"Cannot link cancelled document: {', '.join(cancelled)}")


def _is_cancelled_link(
    ctx: Context, doc: Document, f: DocFieldDef, target: str, found: dict[str, Any]
) -> bool:
    return (
        found.get("docstatus") == 2
        and f.fieldname != "amended_from"
        and doc.meta.is_submittable
        and ctx.meta(target).is_submittable
    )


def _lookup(
    ctx: Context, target: str, value: str, fetch: tuple[tuple[DocFieldDef, str], ...]
) -> dict[str, Any] | None:
    if not ctx.meta_exists(target):
        return None
    meta = ctx.meta(target)
    if meta.issingle:
        return {"name": meta.name} if value == meta.name else None
    if not meta.has_table:
        return {"name": value}
    key: str | int = value
    if meta.naming_rule == "autoincrement":
        if not _DIGITS.fullmatch(value.strip()):
            return None
        key = int(value)
    table = ctx.site.tables.get(meta)
    sources = tuple(src for _f, src in fetch) if fetch else ()

    def build() -> Any:
        wanted = dict.fromkeys(["name", "docstatus", *(src for src in sources if src in table.c)])
        return select(*(table.c[c] for c in wanted)).where(table.c.name == bindparam("pk"))

    # Keyed by the fetched columns asked for (the statement keeps those the target table has).
    stmt = prepared(table, ("link", sources), build, ctx.site.db.engine.dialect)
    return stmt.first(ctx.conn, {"pk": key})


def _apply_fetch(
    ctx: Context, doc: Document, row: Document, link: DocFieldDef, target: str, found: dict[str, Any]
) -> None:
    source_meta = ctx.meta(target)
    for f, source in _fetch_fields(row, link):
        if source not in found:
            continue
        if not (doc.is_new() or doc.docstatus == 0 or f.allow_on_submit):
            continue
        if f.fetch_if_empty and row._data.get(f.fieldname):
            continue  # Frappe's "empty" is falsy: a 0 default is filled
        value = found[source]
        source_field = source_meta.get_field(source)
        if (
            isinstance(value, str)
            and source_field is not None
            and source_field.fieldtype == "Text Editor"
            and f.fieldtype in ("Data", "Small Text", "Text", "Read Only")
        ):
            value = _TAGS.sub("", value)
        row._data[f.fieldname] = coerce(f, value) if f.fieldtype in DATA_FIELD_TYPES else value


# -- length, non-negative ----------------------------------------------------------------------------


def _exceeds(f: DocFieldDef, value: Any) -> str | None:
    """The column's limit (as shown in the message) when ``value`` does not fit it, else ``None``."""
    if f.fieldtype in VARCHAR_TYPES and isinstance(value, str):
        limit = varchar_length(f)
        return str(limit) if len(value) > limit else None
    if f.fieldtype in ("Int", "Long Int") and isinstance(value, int):
        bound = INT64 if f.fieldtype == "Long Int" or f.length > 11 else INT32
        return str(bound) if abs(value) > bound else None
    if f.fieldtype in DECIMAL_TYPES and isinstance(value, float):
        return DECIMAL_MAX if abs(value) >= DECIMAL_LIMIT else None
    return None


def check_length(ctx: Context, doc: Document) -> None:
    """Varchar values fit their length; integers and decimals fit their column."""
    if doc.meta.issingle:
        return
    for row in _rows(doc):
        for f in row.meta.sized_fields:
            value = row._data.get(f.fieldname)
            limit = _exceeds(f, value) if value is not None else None
            if limit is None:
                continue
            ref = f"{row.doctype}, Row {row.idx}" if _is_child(row, doc) else f"{doc.doctype} {doc.name}"
            raise errors.CharacterLengthExceededError(
                f"{ref}: '{f.display_label}' ({value}) will get truncated, as max characters allowed is {limit}",
                title="Value too big",
            )


def check_non_negative(ctx: Context, doc: Document) -> None:
    """``non_negative`` Int, Float and Currency fields are not below zero."""
    for row in _rows(doc):
        for f in row.meta.non_negative_fields:
            value = row._data.get(f.fieldname)
            if isinstance(value, int | float) and value < 0:
                text = (
                    f"{row.doctype} Row #{row.idx}: Value cannot be negative for {f.display_label}"
                    if _is_child(row, doc)
                    else f"Value cannot be negative for {doc.doctype}: {f.display_label}"
                )
                raise errors.NonNegativeError(text, title="Negative Value")


# -- Data options ---------------------------------------------------------------------------------


def check_data_options(ctx: Context, doc: Document) -> None:
    """Data fields with options Email, Name, Phone or URL hold such values."""
    for row in _rows(doc):
        for f, option in row.meta.data_option_fields:
            value = row._data.get(f.fieldname)
            if not isinstance(value, str) or not value.strip():
                continue
            if option == "Email":
                _check_emails(row, value)
            elif option == "Name" and not _PERSON_NAME.match(value.strip()):
                raise errors.InvalidNameError(f"{value.strip()} is not a valid Name")
            elif option == "Phone" and not _PHONE.match(value):
                raise errors.InvalidPhoneNumberError(f"{value} is not a valid Phone Number")
            elif option == "URL" and not _is_url(value.strip()):
                raise errors.ValidationError(f"'{value}' is not a valid URL")


def _is_url(text: str) -> bool:
    """Frappe's rule: a URL with a host (any scheme), or a path starting with ``/``."""
    try:
        return bool(urlparse(text).netloc) or text.startswith("/")
    except ValueError:
        return False


def _check_emails(row: Document, value: str) -> None:
    if value.strip() in STANDARD_USERS and row._data.get("owner") in STANDARD_USERS:
        return
    for address in re.split(r"[,\n]", value):
        text = address.strip()
        if text and not _EMAIL.match(_email_part(text).lower()):
            raise errors.InvalidEmailAddressError(f"{text} is not a valid Email Address")


def _email_part(text: str) -> str:
    match = re.search(r"<([^>]+)>\s*$", text)
    return match.group(1).strip() if match else text


# -- comparing with the stored copy ------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if a is b or (type(a) is type(b) and a == b):
        return True  # equal values of one type have the same text and are within any tolerance
    if isinstance(a, date | datetime | time | timedelta) or isinstance(b, date | datetime | time | timedelta):
        return _temporal_text(a) == _temporal_text(b)
    if isinstance(a, float) or isinstance(b, float):
        try:
            return math.isclose(float(a or 0), float(b or 0), rel_tol=0, abs_tol=1e-9)
        except (TypeError, ValueError):
            return False
    return bool(a == b or (a in (None, "") and b in (None, "")))


def _temporal_text(value: Any) -> str:
    if isinstance(value, timedelta):  # MariaDB returns TIME columns as durations
        seconds = int(value.total_seconds())
        return str(time(seconds // 3600 % 24, seconds % 3600 // 60, seconds % 60, value.microseconds))
    return "" if value is None else str(value)


def _same_rows(new_rows: list[Document], old_rows: list[Document]) -> bool:
    if len(new_rows) != len(old_rows):
        return False
    for new, old in zip(new_rows, old_rows, strict=True):
        keys = [k for k in new.meta.valid_columns if k not in _ROW_NOISE]
        if not all(_same(new._data.get(k), old._data.get(k)) for k in keys):
            return False
    return True


def check_set_only_once(ctx: Context, doc: Document, stored: Document) -> None:
    """``set_only_once`` fields, ``creation`` and ``owner`` keep their stored values."""
    for key in ("creation", "owner"):
        if not _same(doc._data.get(key), stored._data.get(key)):
            raise errors.CannotChangeConstantError(f"Value cannot be changed for {STANDARD_LABELS[key]}")
    for f in doc.meta.set_only_once_fields:
        new, old = doc._data.get(f.fieldname), stored._data.get(f.fieldname)
        same = _same_rows(new or [], old or []) if f.is_table else _same(new, old)
        if not same:
            raise errors.CannotChangeConstantError(f"Value cannot be changed for {f.display_label}")


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
            _check_rows(new or [], old or [])
        elif (new or old) and not _same(new, old):
            _refuse_change(f, old, new)


def _check_rows(new_rows: list[Document], old_rows: list[Document]) -> None:
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
