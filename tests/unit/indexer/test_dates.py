"""Timestamps as logs write them -> UTC ISO 8601; failures return None (the caller tags them)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from indexer.dates import DateParser

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
