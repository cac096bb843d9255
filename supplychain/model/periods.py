"""The calendar of a model: period ``t`` and the date it starts on.

Periods are the model's unit (day, week or month), numbered from 0 at a scenario's
``start_date``; every time figure is counted in them.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

__all__ = ["period_date"]


def period_date(start_date: date, t: int, *, period: str) -> date:
    """The calendar date period ``t`` starts on, period 0 starting on ``start_date``.

    Days and weeks add ``t`` or ``7t`` days; months add calendar months, the day clamped
    to the month's length (31 Jan + 1 month = 28 or 29 Feb).

    >>> period_date(date(2020, 9, 7), 4, period="week")
    datetime.date(2020, 10, 5)
    >>> period_date(date(2020, 1, 31), 1, period="month")
    datetime.date(2020, 2, 29)
    >>> period_date(date(2020, 11, 1), 57, period="month")
    datetime.date(2025, 8, 1)
    """
    if period == "day":
        return start_date + timedelta(days=t)
    if period == "week":
        return start_date + timedelta(weeks=t)
    if period == "month":
        months = start_date.month - 1 + t
        year, month = start_date.year + months // 12, months % 12 + 1
        return date(year, month, min(start_date.day, calendar.monthrange(year, month)[1]))
    raise ValueError(f"unknown period {period!r}; expected day, week or month")
