"""Form dict: every request's parameters merged into one dict, exactly as Frappe builds it.

A JSON object body *is* the form dict (the query string is then ignored); a JSON array body
becomes ``{"data": [...]}``; otherwise query-string parameters are overlaid by form fields (form
wins, first value of a repeated key wins). The jQuery cache-buster ``_`` is dropped.
The typed getters of its parameters are in :mod:`docframe.methods.params`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from docframe import errors
from docframe.methods.params import FormDict

__all__ = ["FormDict", "form_from_parts", "is_json_content"]


def is_json_content(content_type: str) -> bool:
    """``application/json`` or any ``*+json`` media type."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def _first_values(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in pairs:
        out.setdefault(key, value)
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
        form = (
            _first_values(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
            if query_string
            else {}
        )
        if form_fields:
            form.update(form_fields)
    form.pop("_", None)
    return form
