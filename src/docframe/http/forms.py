"""Form dict: every request's parameters merged into one dict, exactly as Frappe builds it.

A JSON object body *is* the form dict (the query string is then ignored); a JSON array body
becomes ``{"data": [...]}``; otherwise query-string parameters are overlaid by form fields (form
wins, first value of a repeated key wins). The jQuery cache-buster ``_`` is dropped.
The typed getters of its parameters are in :mod:`docframe.methods.params`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote

import orjson

from docframe import errors
from docframe.methods.params import FormDict

__all__ = ["FormDict", "form_from_parts", "is_json_content"]


def is_json_content(content_type: str) -> bool:
    """``application/json`` or any ``*+json`` media type."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


#: Longest query-string part whose decoded form is remembered.
_MEMO_PART = 2048


@lru_cache(maxsize=1024)
def _decoded(part: str) -> str:
    """A query-string name or value with ``+`` as a space and ``%XX`` decoded (UTF-8, errors replaced).

    Remembered: the same ``fields``/``filters``/``order_by`` texts come back request after request,
    and decoding them (pure Python in the standard library) costs more than the lookup.
    """
    return unquote(part.replace("+", " "), encoding="utf-8", errors="replace")


def _decode(part: str) -> str:
    if "%" not in part and "+" not in part:
        return part
    return _decoded(part) if len(part) <= _MEMO_PART else unquote(part.replace("+", " "))


def parse_query(query: str) -> dict[str, str]:
    """The query string's parameters, the first value of a repeated name winning.

    Exactly :func:`urllib.parse.parse_qsl` with ``keep_blank_values`` (``&``-separated; a part
    without ``=`` is a name with an empty value; empty parts are skipped).
    """
    out: dict[str, str] = {}
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        key = _decode(name)
        if key not in out:
            out[key] = _decode(value)
    return out


def form_from_parts(
    query_string: bytes, content_type: str, body: bytes, form_fields: dict[str, Any] | None
) -> FormDict:
    """Build the form dict from the raw query string, body and already-parsed form fields."""
    if body and is_json_content(content_type):
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise errors.DataError(
                f"Invalid request body: malformed JSON ({exc.msg} at position {exc.pos})"
            ) from None
        if isinstance(parsed, dict):
            form: FormDict = parsed
        elif isinstance(parsed, list):
            form = {"data": parsed}
        else:
            raise errors.ValidationError("Invalid request arguments")
    else:
        form = parse_query(query_string.decode("latin-1")) if query_string else {}
        if form_fields:
            form.update(form_fields)
    form.pop("_", None)
    return form
