"""Coercion: a client-sent value -> the Python value a column of the field's type stores.

Numbers follow Frappe (``"3.9"`` -> 3 for Int, ``""`` -> 0, Check is 0/1, Rating clamped to 0..1),
dates and times are parsed into ``date``/``datetime``/``time`` objects, JSON objects are compacted.
Unlike Frappe, a value that cannot be read as its type (``"abc"`` for an Int, ``"2024-13-45"`` for a
Date, an object for a Data field) is refused with a :class:`~docframe.errors.ValidationError`
instead of being stored as 0 or failing in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson

from docframe import errors
from docframe.meta.schema import DocFieldDef

__all__ = ["coerce", "parse_date", "parse_datetime", "parse_time"]


def _bad(field: DocFieldDef, value: Any, kind: str) -> errors.ValidationError:
    shown = repr(value) if not isinstance(value, str) else f"'{value[:60]}'"
    return errors.ValidationError(f"Value for {field.display_label} must be {kind}, got {shown}")


def _number_text(value: str) -> str:
    return value.strip().replace(",", "")


def _to_check(field: DocFieldDef, value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool | int | float):
        return 1 if value else 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "yes"):
            return 1
        if low in ("false", "no"):
            return 0
        try:
            return 1 if int(float(_number_text(value))) else 0
        except ValueError:
            raise _bad(field, value, "0 or 1") from None
    raise _bad(field, value, "0 or 1")


def _to_int(field: DocFieldDef, value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _bad(field, value, "a whole number")
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(_number_text(value)))
        except (ValueError, OverflowError):
            raise _bad(field, value, "a whole number") from None
    raise _bad(field, value, "a whole number")


def _to_float(field: DocFieldDef, value: Any) -> float:
    if value is None or value == "":
        number = 0.0
    elif isinstance(value, bool | int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(_number_text(value))
        except ValueError:
            raise _bad(field, value, "a number") from None
    else:
        raise _bad(field, value, "a number")
    if number != number or number in (float("inf"), float("-inf")):
        raise _bad(field, value, "a finite number")
    if field.fieldtype == "Rating":
        number = min(max(number, 0.0), 1.0)
    return number


def parse_date(value: str) -> date:
    """Parse ``YYYY-MM-DD`` (single-digit parts and a trailing time allowed)."""
    text = value.strip().replace("T", " ").split(" ", 1)[0]
    parts = text.split("-")
    if len(parts) != 3:
        raise ValueError(value)
    return date(int(parts[0]), int(parts[1]), int(parts[2]))


def parse_datetime(value: str) -> datetime:
    """Parse ``YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]`` (``T`` separator and offsets allowed)."""
    text = value.strip()
    if len(text) <= 10:
        return datetime.combine(parse_date(text), time())
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone().replace(tzinfo=None)
    return parsed


def parse_time(value: str) -> time:
    """Parse ``H:MM[:SS[.ffffff]]``."""
    text = value.strip()
    main, _, frac = text.partition(".")
    parts = [int(p) for p in main.split(":")]
    if not 2 <= len(parts) <= 3:
        raise ValueError(value)
    hour, minute = parts[0], parts[1]
    second = parts[2] if len(parts) == 3 else 0
    micro = int((frac + "000000")[:6]) if frac else 0
    return time(hour, minute, second, micro)


def _to_date(field: DocFieldDef, value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value)
        except ValueError:
            raise _bad(field, value, "a date (YYYY-MM-DD)") from None
    raise _bad(field, value, "a date (YYYY-MM-DD)")


def _to_datetime(field: DocFieldDef, value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except ValueError:
            raise _bad(field, value, "a date and time (YYYY-MM-DD HH:MM:SS)") from None
    raise _bad(field, value, "a date and time (YYYY-MM-DD HH:MM:SS)")


def _to_time(field: DocFieldDef, value: Any) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, timedelta):
        seconds = int(value.total_seconds()) % 86400
        return time(seconds // 3600, seconds % 3600 // 60, seconds % 60, value.microseconds)
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            raise _bad(field, value, "a time (HH:MM:SS)") from None
    raise _bad(field, value, "a time (HH:MM:SS)")


def _to_json_text(field: DocFieldDef, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    if isinstance(value, str):
        return value
    raise _bad(field, value, "a JSON object or a JSON string")


def _to_text(field: DocFieldDef, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() if field.fieldtype == "Select" else value
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    raise _bad(field, value, "text")


_COERCERS: dict[str, Callable[[DocFieldDef, Any], Any]] = {
    "Check": _to_check,
    "Int": _to_int,
    "Long Int": _to_int,
    "Float": _to_float,
    "Currency": _to_float,
    "Percent": _to_float,
    "Duration": _to_float,
    "Rating": _to_float,
    "Date": _to_date,
    "Datetime": _to_datetime,
    "Time": _to_time,
    "JSON": _to_json_text,
}


def coerce(field: DocFieldDef, value: Any) -> Any:
    """The stored form of ``value`` for ``field``; raises ValidationError if it cannot be one."""
    return _COERCERS.get(field.fieldtype, _to_text)(field, value)
