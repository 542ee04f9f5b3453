"""Params: the form dict -> typed list and count arguments, with v1's and v2's different rules.

v1 (``/api/resource``, ``frappe.client.get_list``): ``limit_page_length`` (``0`` = all; absent ->
``limit`` or 20), ``limit_start``, ORDER BY terms default to ASC, Frappe's ``ifnull`` NULL rules.
v2 (``/api/v2/document``): ``start`` (or ``limit_start``), ``limit`` (default 20, one extra row is
fetched for ``has_next_page``), ORDER BY terms default to DESC, plain SQL NULL rules, nested filter
groups.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import orjson

from docframe import errors
from docframe.query.builder import DEFAULT_ORDER, ListArgs, keyed, paged
from docframe.query.filters import check_depth
from docframe.query.include import check_parts, parse_include

__all__ = [
    "FormDict",
    "count_args",
    "fields_value",
    "get_int",
    "get_json",
    "include_parts",
    "list_args_v1",
    "list_args_v2",
    "page_length",
    "parse_fields",
    "sbool",
    "truthy",
]


FormDict = dict[str, Any]


def sbool(value: Any) -> Any:
    """Frappe's ``sbool``: ``"true"``/``"1"`` -> True, ``"false"``/``"0"`` -> False, else unchanged."""
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0"):
            return False
    return value


def get_int(form: FormDict, key: str, default: int | None = None, *, minimum: int | None = 0) -> int | None:
    """An integer parameter; a value that is not a whole number is a 417 (not Frappe's silent 0)."""
    value = form.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise errors.DataError(f"Parameter {key} must be a whole number")
    try:
        number = int(value) if isinstance(value, int) else int(float(str(value).strip()))
    except (TypeError, ValueError, OverflowError):
        raise errors.DataError(f"Parameter {key} must be a whole number, got {str(value)[:40]!r}") from None
    if minimum is not None and number < minimum:
        raise errors.DataError(f"Parameter {key} must not be below {minimum}")
    return number


def get_json(form: FormDict, key: str, default: Any = None) -> Any:
    """A parameter that may arrive as a JSON string (query strings) or already parsed (JSON bodies)."""
    value = form.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{", '"') or text in ("null", "true", "false"):
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                raise errors.DataError(f"Parameter {key} is not valid JSON") from None
        return value
    return value


def fields_value(raw: Any) -> tuple[Any, ...]:
    """``fields`` as a tuple of strings and dicts: a list, a JSON string, ``*`` or a comma list."""
    if isinstance(raw, str):
        text = raw.strip()
        if text[:1] in ("[", '"'):
            try:
                raw = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise errors.DataError("'fields' must be a JSON list of field names") from None
        else:
            raw = [text] if text else []
    check_depth(raw, "fields")
    if raw is None or raw == [] or raw == "":
        return ("name",)
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, dict):
        return (raw,)
    if isinstance(raw, list | tuple) and all(isinstance(f, str | dict) for f in raw):
        return tuple(raw) or ("name",)
    raise errors.DataError("'fields' must be a list of field names")


def parse_fields(form: FormDict, key: str = "fields") -> tuple[Any, ...]:
    """``fields`` of the form dict (see :func:`fields_value`)."""
    return fields_value(form.get(key))


def truthy(value: Any, default: bool) -> bool:
    """A boolean parameter (``sbool`` rules; anything unreadable keeps the default)."""
    value = sbool(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
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


def page_length(form: FormDict) -> int | None:
    """v1's page size: ``limit_page_length`` as given (0 = all), else ``limit`` or 20."""
    if form.get("limit_page_length") not in (None, ""):
        return get_int(form, "limit_page_length", 20) or None
    return get_int(form, "limit", 20) or 20


#: The parameters that shape a list (everything but the page).
_SHAPE_PARAMS = ("fields", "filters", "or_filters", "order_by", "group_by", "distinct")
#: Longest total length of those parameters' texts for which the parsed arguments are remembered.
_MEMO_TEXT = 4000


def _shape_texts(form: FormDict) -> tuple[str | None, ...] | None:
    """The shaping parameters when each is a text or absent (a query string), else None."""
    texts = tuple(form.get(k) for k in _SHAPE_PARAMS)
    size = 0
    for text in texts:
        if text is not None:
            if type(text) is not str:
                return None
            size += len(text)
    return texts if size <= _MEMO_TEXT else None


@lru_cache(maxsize=256)
def _shape_v1(doctype: str, texts: tuple[str | None, ...]) -> ListArgs:
    form = {k: v for k, v in zip(_SHAPE_PARAMS, texts, strict=True) if v is not None}
    return keyed(_list_args_v1(doctype, form), ("v1", doctype, texts))


@lru_cache(maxsize=256)
def _shape_v2(doctype: str, texts: tuple[str | None, ...]) -> ListArgs:
    form = {k: v for k, v in zip(_SHAPE_PARAMS, texts, strict=True) if v is not None}
    return keyed(_list_args_v2(doctype, form, 0, 20), ("v2", doctype, texts))


def list_args_v1(doctype: str, form: FormDict) -> ListArgs:
    """v1 list arguments.

    Parsed once per distinct text of the shaping parameters (``fields``, ``filters``, ...: the same
    texts come back page after page), then given this request's page. Parsing has no side effects
    and nothing changes the parsed values afterwards (the plan cache keys on them too).
    """
    texts = _shape_texts(form)
    if texts is None:
        return _list_args_v1(doctype, form)
    shape = _shape_v1(doctype, texts)
    return paged(shape, get_int(form, "limit_start", 0) or 0, page_length(form))


def _list_args_v1(doctype: str, form: FormDict) -> ListArgs:
    return ListArgs(
        doctype=doctype,
        fields=parse_fields(form),
        filters=get_json(form, "filters"),
        or_filters=get_json(form, "or_filters"),
        order_by=_order_by(form),
        group_by=_group_by(form),
        start=get_int(form, "limit_start", 0) or 0,
        limit=page_length(form),
        distinct=truthy(form.get("distinct"), False),
        null_mode="v1",
    )


def _filters_v2(form: FormDict, key: str) -> Any:
    """v2's ``filters``/``or_filters``: a list or an object (Frappe's 417 for a string or a number)."""
    value = get_json(form, key)
    if value and not isinstance(value, list | dict):
        raise errors.FrappeValueError(f"'{key}' must be a list or dictionary")
    return value


def list_args_v2(doctype: str, form: FormDict) -> ListArgs:
    """v2 list arguments (``limit`` is the page size plus the one row that tells ``has_next_page``;
    parsed once per distinct text of the shaping parameters, as :func:`list_args_v1`)."""
    start = get_int(form, "start", None)
    if start is None:
        start = get_int(form, "limit_start", 0) or 0
    limit = get_int(form, "limit", 20)
    texts = _shape_texts(form)
    if texts is None:
        return _list_args_v2(doctype, form, start, limit)
    return paged(_shape_v2(doctype, texts), start, (limit or 0) + 1)


def _list_args_v2(doctype: str, form: FormDict, start: int, limit: int | None) -> ListArgs:
    return ListArgs(
        doctype=doctype,
        fields=parse_fields(form),
        filters=_filters_v2(form, "filters"),
        or_filters=_filters_v2(form, "or_filters"),
        order_by=_order_by(form),
        group_by=_group_by(form),
        start=start,
        limit=(limit or 0) + 1,
        distinct=truthy(form.get("distinct"), False),
        null_mode="v2",
        nested=True,
        default_dir="desc",
    )


def count_args(doctype: str, form: FormDict, *, null_mode: str = "v1") -> ListArgs:
    """Count arguments (report-view counting): ``filters``, ``or_filters``, ``distinct``."""
    return ListArgs(
        doctype=doctype,
        filters=get_json(form, "filters"),
        or_filters=get_json(form, "or_filters"),
        distinct=truthy(form.get("distinct"), False),
        limit=None,
        order_by=None,
        null_mode=null_mode,
        nested=null_mode == "v2",
    )


def include_parts(form: FormDict, known: tuple[str, ...]) -> frozenset[str]:
    """v2's ``include`` (a comma list or a JSON list); an unknown part is Frappe's 417."""
    names = parse_include(get_json(form, "include"))
    check_parts(names, known)
    return frozenset(names)
