"""Dates: Frappe's ``timespan``, ``previous`` and ``next`` filter values -> (first day, last day).

``today`` is passed in (the site's local date), and the first day of the week comes from System
Settings, so these functions are pure and testable on their own.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date, timedelta

from docframe import errors
from docframe.query.filters import brief

__all__ = ["WEEKDAYS", "date_range", "timespan_range"]

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DateRange = tuple[date, date]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _month(day: date) -> DateRange:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _quarter(day: date) -> DateRange:
    first_month = (day.month - 1) // 3 * 3 + 1
    start = date(day.year, first_month, 1)
    return start, _month(_add_months(start, 2))[1]


def _year(day: date) -> DateRange:
    return date(day.year, 1, 1), date(day.year, 12, 31)


def _week(day: date, first_weekday: int) -> DateRange:
    start = day - timedelta(days=(day.weekday() - first_weekday) % 7)
    return start, start + timedelta(days=6)


def _spans(today: date, first_weekday: int) -> dict[str, Callable[[], DateRange]]:
    def week(offset: int) -> DateRange:
        return _week(today + timedelta(days=offset), first_weekday)

    return {
        "today": lambda: (today, today),
        "yesterday": lambda: (today - timedelta(days=1),) * 2,
        "tomorrow": lambda: (today + timedelta(days=1),) * 2,
        "this week": lambda: week(0),
        "last week": lambda: week(-7),
        "next week": lambda: week(7),
        "this month": lambda: _month(today),
        "last month": lambda: _month(_add_months(today, -1)),
        "next month": lambda: _month(_add_months(today, 1)),
        "this quarter": lambda: _quarter(today),
        "last quarter": lambda: _quarter(_add_months(today, -3)),
        "next quarter": lambda: _quarter(_add_months(today, 3)),
        "last 6 months": lambda: (_quarter(_add_months(today, -6))[0], _quarter(_add_months(today, -3))[1]),
        "next 6 months": lambda: (_quarter(_add_months(today, 3))[0], _quarter(_add_months(today, 6))[1]),
        "this year": lambda: _year(today),
        "last year": lambda: _year(date(today.year - 1, 1, 1)),
        "next year": lambda: _year(date(today.year + 1, 1, 1)),
    }


_DAYS = re.compile(r"^(last|next) (\d{1,4}) days?$")


def timespan_range(value: object, today: date, first_weekday: int = 6) -> DateRange:
    """The dates a ``timespan`` value covers (``first_weekday``: 0 = Monday ... 6 = Sunday)."""
    text = " ".join(str(value or "").strip().lower().split())
    span = _spans(today, first_weekday).get(text)
    if span is not None:
        return span()
    found = _DAYS.match(text)
    if found:
        days = timedelta(days=int(found.group(2)))
        return (today - days, today) if found.group(1) == "last" else (today, today + days)
    raise errors.DataError(f"Invalid timespan {brief(value, 40)!r}")


_PERIODS = {
    "1 week": "week",
    "1 month": "month",
    "3 months": "quarter",
    "6 months": "6 months",
    "1 year": "year",
}


def date_range(operator: str, value: object, today: date, first_weekday: int = 6) -> DateRange:
    """``timespan`` / ``previous`` / ``next`` -> the date range Frappe filters on."""
    if operator == "timespan":
        return timespan_range(value, today, first_weekday)
    period = _PERIODS.get(" ".join(str(value or "").strip().lower().split()))
    if period is None:
        raise errors.DataError(
            f"Invalid value {brief(value, 40)!r} for operator {operator}: use one of {', '.join(_PERIODS)}"
        )
    return timespan_range(f"{'last' if operator == 'previous' else 'next'} {period}", today, first_weekday)
