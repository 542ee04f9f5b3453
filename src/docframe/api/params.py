"""Params: the form dict -> typed list arguments, with v1's and v2's different parameter rules."""

from __future__ import annotations

from typing import Any

from docframe import errors
from docframe.http.forms import FormDict, get_int, get_json, sbool
from docframe.query.builder import DEFAULT_ORDER, ListArgs

__all__ = ["list_args_v1", "list_args_v2", "parse_fields", "truthy"]


def parse_fields(form: FormDict, key: str = "fields") -> tuple[str, ...]:
    """``fields`` as a tuple of strings (a JSON list, a JSON string, ``*`` or a comma list)."""
    raw = get_json(form, key)
    if raw is None or raw == [] or raw == "":
        return ("name",)
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(f, str) for f in raw):
        return tuple(raw)
    raise errors.DataError("'fields' must be a list of field names")


def truthy(value: Any, default: bool) -> bool:
    """A boolean parameter (``sbool`` rules; anything unreadable keeps the default)."""
    value = sbool(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value)
    return default


def _order_by(form: FormDict) -> str | None:
    value = form.get("order_by")
    if value is None:
        return DEFAULT_ORDER
    if not isinstance(value, str):
        raise errors.DataError("'order_by' must be a string like 'modified desc'")
    return value


def _group_by(form: FormDict) -> str | None:
    value = form.get("group_by")
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise errors.DataError("'group_by' must be a string")
    return value


def list_args_v1(doctype: str, form: FormDict) -> ListArgs:
    """v1 list: ``limit_page_length`` (0 = all; absent -> ``limit`` or 20), ``limit_start``."""
    if "limit_page_length" in form:
        page = get_int(form, "limit_page_length", 20)
    else:
        page = get_int(form, "limit", 20) or 20
    return ListArgs(
        doctype=doctype,
        fields=parse_fields(form),
        filters=get_json(form, "filters"),
        or_filters=get_json(form, "or_filters"),
        order_by=_order_by(form),
        group_by=_group_by(form),
        start=get_int(form, "limit_start", 0) or 0,
        limit=page or None,
        distinct=truthy(form.get("distinct"), False),
        null_mode="v1",
    )


def list_args_v2(doctype: str, form: FormDict) -> ListArgs:
    """v2 list: ``start`` (or ``limit_start``) and ``limit`` (default 20); one extra row is fetched."""
    start = get_int(form, "start", None)
    if start is None:
        start = get_int(form, "limit_start", 0) or 0
    limit = get_int(form, "limit", 20)
    return ListArgs(
        doctype=doctype,
        fields=parse_fields(form),
        filters=get_json(form, "filters"),
        or_filters=get_json(form, "or_filters"),
        order_by=_order_by(form),
        group_by=_group_by(form),
        start=start,
        limit=(limit or 0) + 1,
        distinct=truthy(form.get("distinct"), False),
        null_mode="v2",
    )
