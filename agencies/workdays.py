"""Working days: weekends and each country's public holidays (from the ``holidays`` package)."""

import functools
from datetime import UTC, date, datetime, time, timedelta

import holidays

from .models import COUNTRY_TIMEZONES, Country


@functools.lru_cache(maxsize=128)
def _public_holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_working_day(day: date, country: str) -> bool:
    """Monday to Friday and not a public holiday of ``country``."""
    return day.weekday() < 5 and day not in _public_holidays(country, day.year)


def holiday_name(day: date, country: str) -> str | None:
    return _public_holidays(country, day.year).get(day)


def add_working_days(start: datetime, days: int, country: str) -> datetime:
    """The end (local midnight, in UTC) of the ``days``-th working day after ``start``'s local date.

    The day of ``start`` itself never counts, so a notice sent late on Friday in Phnom Penh
    with 1 working day is due at the end of Monday, unless Monday is a holiday in Cambodia.
    """
    zone = COUNTRY_TIMEZONES[Country(country)]
    day = start.astimezone(zone).date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, country):
            counted += 1
    end_of_day = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return end_of_day.astimezone(UTC)


def working_days_between(start: date, end: date, country: str) -> int:
    """Working days after ``start`` up to and including ``end``."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day, country)
    return count
