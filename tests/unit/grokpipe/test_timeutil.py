"""The year of a year-less timestamp: the one nearest to now, Feb 29 only in a leap year."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from grokpipe.timeutil import nearest_year

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("now", "month", "day", "at", "expected"),
    [
        # New Year: a December line read on January 1st stays in December...
        (datetime(2027, 1, 1, 0, 0, 5, tzinfo=UTC), 12, 31, time(23, 59, 58), datetime(2026, 12, 31, 23, 59, 58)),
        # ... and a January line from a sender whose clock is ahead is next year's
        (datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC), 1, 1, time(0, 0, 3), datetime(2027, 1, 1, 0, 0, 3)),
        (datetime(2027, 1, 1, 0, 0, 5, tzinfo=UTC), 1, 1, time(0, 0, 1), datetime(2027, 1, 1, 0, 0, 1)),
        (datetime(2026, 12, 31, 12, tzinfo=UTC), 12, 31, time(11), datetime(2026, 12, 31, 11)),
        # an ordinary day: this year
        (datetime(2026, 11, 22, 12, tzinfo=UTC), 11, 2, time(10), datetime(2026, 11, 2, 10)),
        (datetime(2026, 11, 22, 12, tzinfo=UTC), 11, 22, time(12, 0, 1), datetime(2026, 11, 22, 12, 0, 1)),
        # months away: whichever year is nearer
        (datetime(2026, 6, 1, tzinfo=UTC), 12, 24, time(10), datetime(2025, 12, 24, 10)),
        (datetime(2026, 3, 1, tzinfo=UTC), 8, 30, time(0), datetime(2025, 8, 30)),
        # half a year either way: the past wins, as a moment ahead counts a day farther
        (datetime(2026, 7, 2, 12, tzinfo=UTC), 1, 1, time(0), datetime(2026, 1, 1)),
        (datetime(2026, 7, 2, 18, tzinfo=UTC), 1, 1, time(0), datetime(2026, 1, 1)),  # 2027 is half a day nearer
        (datetime(2026, 7, 3, 6, tzinfo=UTC), 1, 1, time(0), datetime(2027, 1, 1)),  # ... one and a half
        # Feb 29 exists only in leap years: the nearest one that has it
        (datetime(2028, 3, 1, tzinfo=UTC), 2, 29, time(10), datetime(2028, 2, 29, 10)),
        (datetime(2028, 2, 29, 10, tzinfo=UTC), 2, 29, time(9), datetime(2028, 2, 29, 9)),
        (datetime(2025, 3, 1, tzinfo=UTC), 2, 29, time(10), datetime(2024, 2, 29, 10)),
        (datetime(2027, 12, 1, tzinfo=UTC), 2, 29, time(10), datetime(2028, 2, 29, 10)),
        (datetime(2025, 1, 10, tzinfo=UTC), 2, 29, time(10), datetime(2024, 2, 29, 10)),
        (datetime(2023, 12, 31, tzinfo=UTC), 2, 29, time(10), datetime(2024, 2, 29, 10)),
        # the microseconds are kept
        (datetime(2026, 11, 22, tzinfo=UTC), 11, 2, time(10, 0, 0, 123456), datetime(2026, 11, 2, 10, 0, 0, 123456)),
    ],
)
def test_nearest_year(now: datetime, month: int, day: int, at: time, expected: datetime) -> None:
    assert nearest_year(month, day, now, at) == expected.replace(tzinfo=UTC)


def test_the_result_is_in_nows_timezone() -> None:
    now = datetime(2027, 1, 1, 0, 30, tzinfo=BERLIN)  # still 2026 in UTC
    moment = nearest_year(1, 1, now, time(0, 10))
    assert (moment, moment.tzinfo) == (datetime(2027, 1, 1, 0, 10, tzinfo=BERLIN), BERLIN)


@pytest.mark.parametrize(
    ("now", "month", "day"),
    [
        (datetime(2026, 6, 1, tzinfo=UTC), 2, 29),  # 2025, 2026, 2027: no leap year
        (datetime(2026, 6, 1, tzinfo=UTC), 2, 30),
        (datetime(2026, 6, 1, tzinfo=UTC), 4, 31),
        (datetime(2026, 6, 1, tzinfo=UTC), 13, 1),
        (datetime(2026, 6, 1, tzinfo=UTC), 1, 0),
    ],
)
def test_no_such_day(now: datetime, month: int, day: int) -> None:
    with pytest.raises(ValueError, match="no "):
        nearest_year(month, day, now)


def test_the_edges_of_the_calendar() -> None:
    assert nearest_year(12, 31, datetime(9999, 12, 31, tzinfo=UTC)) == datetime(9999, 12, 31, tzinfo=UTC)
    assert nearest_year(1, 1, datetime(1, 1, 1, 1, tzinfo=UTC)) == datetime(1, 1, 1, tzinfo=UTC)
