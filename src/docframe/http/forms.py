"""Form dict: every request's parameters merged into one dict, exactly as Frappe builds it.

A JSON object body *is* the form dict (the query string is then ignored); a JSON array body
becomes ``{"data": [...]}``; otherwise query-string parameters are overlaid by form fields (form
wins, first value of a repeated key wins). The jQuery cache-buster ``_`` is dropped. Typed getters
read parameters the way Frappe's ``cint``/``sbool``/JSON-string conventions do.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import orjson

from docframe import errors

__all__ = ["FormDict", "form_from_parts", "get_int", "get_json", "is_json_content", "sbool"]

FormDict = dict[str, Any]


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
