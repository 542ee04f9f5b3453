"""Timespans and previous/next periods (pure date arithmetic)."""

from __future__ import annotations

from datetime import date

import pytest

from docframe import errors
from docframe.query.dates import date_range, timespan_range

TODAY = date(2024, 5, 15)  # a Wednesday


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        ("today", (date(2024, 5, 15), date(2024, 5, 15))),
        ("yesterday", (date(2024, 5, 14), date(2024, 5, 14))),
        ("tomorrow", (date(2024, 5, 16), date(2024, 5, 16))),
        ("this week", (date(2024, 5, 12), date(2024, 5, 18))),
        ("last week", (date(2024, 5, 5), date(2024, 5, 11))),
        ("next week", (date(2024, 5, 19), date(2024, 5, 25))),
        ("this month", (date(2024, 5, 1), date(2024, 5, 31))),
        ("last month", (date(2024, 4, 1), date(2024, 4, 30))),
        ("next month", (date(2024, 6, 1), date(2024, 6, 30))),
        ("this quarter", (date(2024, 4, 1), date(2024, 6, 30))),
        ("last quarter", (date(2024, 1, 1), date(2024, 3, 31))),
        ("next quarter", (date(2024, 7, 1), date(2024, 9, 30))),
        ("last 6 months", (date(2023, 10, 1), date(2024, 3, 31))),
        ("next 6 months", (date(2024, 7, 1), date(2024, 12, 31))),
        ("this year", (date(2024, 1, 1), date(2024, 12, 31))),
        ("last year", (date(2023, 1, 1), date(2023, 12, 31))),
        ("next year", (date(2025, 1, 1), date(2025, 12, 31))),
        ("last 7 days", (date(2024, 5, 8), date(2024, 5, 15))),
        ("next 30 days", (date(2024, 5, 15), date(2024, 6, 14))),
    ],
)
def test_timespans_with_sunday_weeks(span: str, expected: tuple[date, date]) -> None:
    assert timespan_range(span, TODAY) == expected


def test_monday_weeks_and_month_ends() -> None:
    assert timespan_range("this week", TODAY, first_weekday=0) == (date(2024, 5, 13), date(2024, 5, 19))
    assert timespan_range("last month", date(2024, 3, 31)) == (date(2024, 2, 1), date(2024, 2, 29))


def test_previous_and_next_periods() -> None:
    assert date_range("previous", "1 month", TODAY) == (date(2024, 4, 1), date(2024, 4, 30))
    assert date_range("next", "3 months", TODAY) == (date(2024, 7, 1), date(2024, 9, 30))
    assert date_range("timespan", "This Year", TODAY) == (date(2024, 1, 1), date(2024, 12, 31))
    with pytest.raises(errors.DataError):
        date_range("previous", "2 weeks", TODAY)
    with pytest.raises(errors.DataError):
        timespan_range("someday", TODAY)
