"""When the monthly press digest is compiled: the first working day of each month, 10:00
in Tbilisi.

A working day is a weekday that is neither one of Georgia's public holidays (from the
`holidays` library, which follows the Labour Code and computes Orthodox Easter and the
days around it) nor one of the extra days off the government declares from time to time
(a setting, since no library can know them in advance).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

TBILISI = ZoneInfo("Asia/Tbilisi")


def is_working_day(day: date, extra_days_off: Iterable[date] = ()) -> bool:
    georgian = holidays.country_holidays("GE", years=day.year)
    return day.weekday() < 5 and day not in georgian and day not in set(extra_days_off)


def first_working_day(year: int, month: int, extra_days_off: Iterable[date] = ()) -> date:
    days_off = set(extra_days_off)
    day = date(year, month, 1)
    while not is_working_day(day, days_off):
        day += timedelta(days=1)
    return day


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def previous_month(day: date) -> str:
    """`2026-11` for any day of December 2026."""
    last = day.replace(day=1) - timedelta(days=1)
    return f"{last:%Y-%m}"


def compile_times(
    after: datetime, months: int, hour: int = 10, extra_days_off: Iterable[date] = ()
) -> list[datetime]:
    """The moments the digest is compiled, from the month of `after` on (those already
    past at `after` left out), in Tbilisi time."""
    days_off = set(extra_days_off)
    local = after.astimezone(TBILISI)
    year, month = local.year, local.month
    found: list[datetime] = []
    for _ in range(months + 1):
        day = first_working_day(year, month, days_off)
        moment = datetime.combine(day, time(hour), tzinfo=TBILISI)
        if moment > local:
            found.append(moment)
        year, month = next_month(year, month)
    return found[:months]
