"""Timestamps as logs write them -> UTC ISO 8601; failures return None (the caller tags them)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from grokpipe.envelope import format_timestamp
from grokpipe.indexer.dates import (
    NAMED,
    DateParser,
    FastParser,
    _apache_error,
    _httpdate,
    _nginx_error,
    _php_moment,
    _strptime,
    _syslog_partial,
    format_utc,
    now_text,
)

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("formats", "timezone", "text", "expected"),
    [
        (["HTTPDATE"], "UTC", "22/Nov/2026:08:15:08 +0100", "2026-11-22T07:15:08.000Z"),
        (["HTTPDATE"], "UTC", "22/Nov/2026:08:15:08 -0530", "2026-11-22T13:45:08.000Z"),
        (["NGINX_ERROR"], "UTC", "2026/11/22 08:15:08", "2026-11-22T08:15:08.000Z"),
        (["NGINX_ERROR"], "Europe/Berlin", "2026/11/22 08:15:08", "2026-11-22T07:15:08.000Z"),
        (["NGINX_ERROR"], "Europe/Berlin", "2026/07/22 08:15:08", "2026-07-22T06:15:08.000Z"),  # summer time
        (["APACHE_ERROR"], "UTC", "Sun Nov 22 08:15:08.123456 2026", "2026-11-22T08:15:08.123Z"),
        (["ISO8601"], "UTC", "2026-11-22T08:15:08.5Z", "2026-11-22T08:15:08.500Z"),
        (["ISO8601"], "UTC", "2026-11-22 08:15:08,123", "2026-11-22T08:15:08.123Z"),
        (["ISO8601"], "America/New_York", "2026-11-22T08:15:08", "2026-11-22T13:15:08.000Z"),
        (["ISO8601"], "UTC", "2026-11-22T08:15:08+02:00", "2026-11-22T06:15:08.000Z"),
        (["UNIX"], "UTC", "1795421708", "2026-11-23T08:15:08.000Z"),
        (["UNIX"], "UTC", "1795421708.25", "2026-11-23T08:15:08.250Z"),
        (["UNIX_MS"], "UTC", "1795421708250", "2026-11-23T08:15:08.250Z"),
        (["PHP"], "UTC", "22-Nov-2026 08:15:08 UTC", "2026-11-22T08:15:08.000Z"),
        (["PHP"], "UTC", "22-Nov-2026 08:15:08 Europe/Berlin", "2026-11-22T07:15:08.000Z"),
        (["SYSLOG"], "UTC", "Nov  2 10:00:00", "2026-11-02T10:00:00.000Z"),
        (["%d.%m.%Y %H:%M"], "UTC", "22.11.2026 08:15", "2026-11-22T08:15:00.000Z"),
        (["UNIX", "HTTPDATE"], "UTC", "22/Nov/2026:08:15:08 +0000", "2026-11-22T08:15:08.000Z"),  # falls through
    ],
)
def test_formats(formats: list[str], timezone: str, text: str, expected: str) -> None:
    assert DateParser(formats, timezone).parse(text, now=NOW) == expected


def test_syslog_timestamp_without_year_takes_the_nearest_year() -> None:
    new_year = datetime(2027, 1, 1, 0, 5, tzinfo=UTC)
    assert DateParser(["SYSLOG"]).parse("Dec 31 23:59:58", now=new_year) == "2026-12-31T23:59:58.000Z"
    assert DateParser(["SYSLOG"]).parse("Jan  1 00:00:01", now=new_year) == "2027-01-01T00:00:01.000Z"


@pytest.mark.parametrize(
    ("now", "text", "expected"),
    [
        (datetime(2028, 3, 1, tzinfo=UTC), "Feb 29 10:00:00", "2028-02-29T10:00:00.000Z"),  # this year is a leap year
        (datetime(2025, 3, 1, tzinfo=UTC), "Feb 29 10:00:00", "2024-02-29T10:00:00.000Z"),  # last year was
        (datetime(2027, 12, 1, tzinfo=UTC), "Feb 29 10:00:00", "2028-02-29T10:00:00.000Z"),  # next year is
        (datetime(2026, 6, 1, tzinfo=UTC), "Feb 29 10:00:00", None),  # none near: no such day
        (datetime(2026, 6, 1, tzinfo=UTC), "Dec 24 10:00:00", "2025-12-24T10:00:00.000Z"),  # the shipper's answer
    ],
)
def test_syslog_year_is_the_shippers(now: datetime, text: str, expected: str | None) -> None:
    assert DateParser(["SYSLOG"]).parse(text, now=now) == expected


@pytest.mark.parametrize(
    ("formats", "text"),
    [
        (["HTTPDATE"], "yesterday"),
        (["ISO8601"], "2026-13-45T99:00:00Z"),
        (["UNIX"], "12345678901234567890"),  # parses, but not a plausible log time
        (["NGINX_ERROR"], "22/Nov/2026:08:15:08 +0000"),
        (["PHP"], "22-Nov-2026 08:15:08 Mars/Olympus"),
    ],
)
def test_unparseable_dates_return_none(formats: list[str], text: str) -> None:
    assert DateParser(formats).parse(text, now=NOW) is None


# -- fast paths: each must give exactly what strptime gives, or fail with strptime's own error -----

BERLIN = ZoneInfo("Europe/Berlin")


def _outcome(parse: Callable[[], datetime]) -> tuple[object, ...]:
    try:
        moment = parse()
    except (ValueError, OverflowError, KeyError) as exc:
        return ("error", type(exc).__name__, str(exc))
    naive = moment.replace(tzinfo=None)
    return (moment, naive, moment.utcoffset(), moment.tzname(), moment.fold, format_timestamp(moment))


HTTPDATE_TEXTS = [
    "22/Nov/2026:10:00:00 +0000",
    "22/Nov/2026:10:00:00 -0000",
    "22/Nov/2026:08:15:08 +0100",
    "22/Nov/2026:08:15:08 -0530",
    "22/Nov/2026:08:15:08 +1400",
    "22/Nov/2026:08:15:08 -1200",
    "22/Nov/2026:08:15:08 +2359",
    "22/Nov/2026:08:15:08 +2400",  # a day: refused by timezone() both ways
    "22/Nov/2026:08:15:08 +9959",
    "22/Nov/2026:08:15:08 +0160",  # minutes 60: not %z
    "22/Nov/2026:08:15:08 +01:00",  # strptime takes colons: the slow path does
    "22/Nov/2026:08:15:08 Z",
    "22/Nov/2026:08:15:08 +010030",
    "22/Nov/2026:08:15:08",
    "29/Feb/2024:12:00:00 +0000",  # leap year
    "29/Feb/2026:12:00:00 +0000",  # not one
    "30/Feb/2026:12:00:00 +0000",
    "31/Apr/2026:12:00:00 +0000",
    "00/Nov/2026:12:00:00 +0000",
    "32/Nov/2026:12:00:00 +0000",
    "22/Nov/2026:24:00:00 +0000",
    "22/Nov/2026:23:60:00 +0000",
    "31/Dec/2026:23:59:60 +0000",  # leap second: datetime has none, strptime refuses it too
    "31/Dec/2026:23:59:61 +0000",
    "2/Nov/2026:08:15:08 +0000",  # one-digit day: the slow path
    "22/nov/2026:08:15:08 +0000",  # strptime ignores case
    "22/NOV/2026:08:15:08 +0000",
    "22/November/2026:08:15:08 +0000",
    "22/Noo/2026:08:15:08 +0000",
    "22/Nov/0999:08:15:08 +0000",
    "22/Nov/26:08:15:08 +0000",
    " 22/Nov/2026:08:15:08 +0000",
    "22/Nov/2026:08:15:08 +0000 ",
    "22/Nov/2026:08:15:08  +0000",
    "22/Nov/2026:08:15:08 +0000x",
    "\u0662\u0662/Nov/2026:08:15:08 +0000",  # Arabic-Indic digits: strptime's \d takes them
    "",
]
NGINX_ERROR_TEXTS = [
    "2026/11/22 10:00:00",
    "2026/07/22 08:15:08",
    "2024/02/29 10:00:00",
    "2026/02/29 10:00:00",
    "2026/02/30 10:00:00",
    "2026/13/01 10:00:00",
    "2026/00/10 10:00:00",
    "2026/11/22 24:00:00",
    "2026/12/31 23:59:60",
    "2026/03/29 02:30:00",  # Berlin: a wall time that does not exist (spring forward)
    "2026/10/25 02:30:00",  # Berlin: one that exists twice (fall back)
    "2026/1/5 8:05:09",  # no leading zeros: the slow path
    "2026/11/22  10:00:00",
    "2026/11/22T10:00:00",
    "2026/11/22 10:00:00.5",
    "2026/11/22 10:00",
    "0999/11/22 10:00:00",
]
APACHE_ERROR_TEXTS = [
    "Sun Nov 22 08:15:08.123456 2026",
    "Sun Nov 22 08:15:08.1 2026",
    "Sun Nov 22 08:15:08.000999 2026",
    "Sun Nov 22 08:15:08.1234567 2026",
    "Mon Nov 22 08:15:08.5 2026",  # the weekday is not checked against the date, by either
    "Xyz Nov 22 08:15:08.5 2026",
    "sun nov 22 08:15:08.5 2026",
    "Sun Nov  2 08:15:08.5 2026",
    "Sun Feb 29 08:15:08.5 2026",
    "Sun Feb 29 08:15:08.5 2028",
    "Sun Nov 22 23:59:60.5 2026",
    "Sun Nov 22 08:15:08 2026",
    "Sun Nov 22 08:15:08. 2026",
]
SYSLOG_TEXTS = [
    "Nov 2 10:00:00",
    "Nov 22 10:00:00",
    "Nov 02 10:00:00",
    "Feb 29 10:00:00",  # in 2000, a leap year: parses both ways (the year near now decides)
    "Feb 30 10:00:00",
    "Nov 0 10:00:00",
    "Nov 022 10:00:00",
    "Nov 22 24:00:00",
    "Dec 31 23:59:60",
    "nov 22 10:00:00",
    "Nov 22 1:00:00",
    "Nov 22 10:00",
]
PHP_TEXTS = [
    "22-Nov-2026 08:15:08",
    "2-Nov-2026 08:15:08",
    "29-Feb-2024 08:15:08",
    "29-Feb-2026 08:15:08",
    "30-Feb-2026 08:15:08",
    "22-Nov-2026 23:59:60",
    "22-NOV-2026 08:15:08",
    "22-Nov-2026 8:15:08",
]


@pytest.mark.parametrize(
    ("name", "fmt", "text"),
    [("HTTPDATE", "%d/%b/%Y:%H:%M:%S %z", text) for text in HTTPDATE_TEXTS]
    + [("NGINX_ERROR", "%Y/%m/%d %H:%M:%S", text) for text in NGINX_ERROR_TEXTS]
    + [("APACHE_ERROR", "%a %b %d %H:%M:%S.%f %Y", text) for text in APACHE_ERROR_TEXTS]
    + [("APACHE_ERROR_NOFRAC", "%a %b %d %H:%M:%S %Y", text) for text in APACHE_ERROR_TEXTS],
)
@pytest.mark.parametrize("tz", [UTC, BERLIN, ZoneInfo("America/New_York")], ids=str)
def test_fast_path_is_strptime(name: str, fmt: str, text: str, tz: tzinfo) -> None:
    assert _outcome(lambda: NAMED[name](text, tz, NOW)) == _outcome(lambda: _strptime(fmt)(text, tz, NOW))


@pytest.mark.parametrize(
    ("fast", "text"),
    [
        (_httpdate, "22/Nov/2026:10:00:00 +0000"),
        (_nginx_error, "2026/11/22 10:00:00"),
        (_apache_error(fraction=True), "Sun Nov 22 08:15:08.123456 2026"),
        (_apache_error(fraction=False), "Sun Nov 22 08:15:08 2026"),
    ],
)
def test_the_common_forms_take_the_fast_path(fast: FastParser, text: str) -> None:
    assert fast(text, UTC) is not None  # (and the tables above hold it to strptime)


@pytest.mark.parametrize("text", SYSLOG_TEXTS)
def test_syslog_fast_path_is_strptime(text: str) -> None:
    strptime = lambda: datetime.strptime(f"2000 {text}", "%Y %b %d %H:%M:%S")  # noqa: E731 (no year: 3.13 warns)
    assert _outcome(lambda: _syslog_partial(text)) == _outcome(strptime)


@pytest.mark.parametrize("text", PHP_TEXTS)
def test_php_fast_path_is_strptime(text: str) -> None:
    assert _outcome(lambda: _php_moment(text)) == _outcome(lambda: datetime.strptime(text, "%d-%b-%Y %H:%M:%S"))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 11, 22, 8, 15, 8, 123456, tzinfo=UTC),
        datetime(2026, 11, 22, 8, 15, 8, 999999, tzinfo=UTC),  # milliseconds cut, not rounded
        datetime(2026, 11, 22, 0, 30, tzinfo=timezone(timedelta(hours=1))),  # the day before in UTC
        datetime(2026, 7, 1, 12, tzinfo=BERLIN),
        datetime(2026, 1, 1, 12, tzinfo=ZoneInfo("Europe/London")),  # offset 0, not UTC
        datetime(999, 1, 1, 12, tzinfo=UTC),  # strftime writes "999": format_utc hands it over
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
    ids=str,
)
def test_format_utc_is_format_timestamp(moment: datetime) -> None:
    assert format_utc(moment) == format_timestamp(moment)


def test_the_remembered_text_is_checked_again_against_now() -> None:
    parser = DateParser(["HTTPDATE"])
    assert parser.parse("22/Nov/2026:08:15:08 +0000", now=NOW) == "2026-11-22T08:15:08.000Z"
    assert parser.parse("22/Nov/2026:08:15:08 +0000", now=NOW) == "2026-11-22T08:15:08.000Z"
    assert parser.parse("22/Nov/2026:08:15:08 +0000", now=NOW + timedelta(days=365 * 60)) is None


def test_a_result_another_now_would_change_is_not_remembered() -> None:
    parser = DateParser(["UNIX", "ISO8601"])  # "20261122": 1970 as UNIX seconds, 2026 as ISO 8601
    assert parser.parse("20261122", now=NOW) == "2026-11-22T00:00:00.000Z"  # 1970 is too far from 2026
    assert parser.parse("20261122", now=datetime(1975, 1, 1, tzinfo=UTC)) == "1970-08-23T12:05:22.000Z"
    syslog = DateParser(["SYSLOG"])  # the year comes from now
    assert syslog.parse("Jan  1 00:00:01", now=datetime(2027, 1, 1, tzinfo=UTC)) == "2027-01-01T00:00:01.000Z"
    assert syslog.parse("Jan  1 00:00:01", now=datetime(2026, 6, 1, tzinfo=UTC)) == "2026-01-01T00:00:01.000Z"


@pytest.mark.parametrize(
    "ns",
    [1_795_421_708_000_000_000, 1_795_421_708_123_456_789, 1_795_421_708_999_999_999, 1_795_421_709_000_000_001],
)
def test_now_text_is_format_timestamp_of_now(monkeypatch: pytest.MonkeyPatch, ns: int) -> None:
    monkeypatch.setattr("grokpipe.indexer.dates.time.time_ns", lambda: ns)
    expected = format_timestamp(datetime.fromtimestamp(ns // 1000 / 1_000_000, UTC))
    assert now_text() == expected
    assert now_text() == expected  # the same millisecond: the text kept
