"""The time a cut header starts with, for an event that came without ``@timestamp``.

Only events no pipeline parsed and no shipper stamped get it (a raw record another producer wrote to
Kafka): grokpipe's shipper stamps every event with the moment it read the line, and a pipeline's date
step decides for its dataset. The forms are the ones headers of unknown sources write most: ISO 8601
and its log4j/Python variants (``2015-10-18 18:01:50,509``), syslog (``Jun 15 02:04:59``, the nearest
year), Apache's error log (``[Sun Dec 04 04:51:14 2005]``), the access log's ``[10/Oct/2000:13:55:36
-0700]``, ``17/06/09 20:10:41`` (yy/mm/dd), logcat's ``03-17 16:13:38.819`` (the nearest year) and
``20171223-22:15:29:635``. A time without an offset is UTC, as the pipelines' default ``timezone``.
Epoch numbers and compact ``081109 204132`` forms are left alone: too easily some other number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Final

from grokpipe.timeutil import nearest_year

_MONTH_NAMES: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS: Final = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_FRACTION = r"(?:[.,:](\d{1,9}))?"
_OFFSET = r"\s?(Z|[+-]\d\d:?\d\d)?"


def _micro(fraction: str | None) -> int:
    return int((fraction or "0")[:6].ljust(6, "0"))


def _zone(text: str | None) -> timezone:
    if not text or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _iso(m: re.Match[str], _now: datetime) -> datetime:
    y, mo, d, h, mi, s, f, z = m.groups()
    return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), _micro(f), _zone(z))


def _compact(m: re.Match[str], _now: datetime) -> datetime:
    y, mo, d, h, mi, s, f = m.groups()
    return datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), _micro(f), UTC)


def _short_year(m: re.Match[str], _now: datetime) -> datetime:
    y, mo, d, h, mi, s, f = m.groups()
    return datetime(2000 + int(y), int(mo), int(d), int(h), int(mi), int(s), _micro(f), UTC)


def _syslog(m: re.Match[str], now: datetime) -> datetime:
    mo, d, h, mi, s, f = m.groups()
    return nearest_year(_MONTHS[mo], int(d), now, time(int(h), int(mi), int(s), _micro(f)))


def _logcat(m: re.Match[str], now: datetime) -> datetime:
    mo, d, h, mi, s, f = m.groups()
    return nearest_year(int(mo), int(d), now, time(int(h), int(mi), int(s), _micro(f)))


def _apache(m: re.Match[str], _now: datetime) -> datetime:
    mo, d, h, mi, s, f, y = m.groups()
    return datetime(int(y), _MONTHS[mo], int(d), int(h), int(mi), int(s), _micro(f), UTC)


def _httpdate(m: re.Match[str], _now: datetime) -> datetime:
    d, mo, y, h, mi, s, z = m.groups()
    return datetime(int(y), _MONTHS[mo], int(d), int(h), int(mi), int(s), 0, _zone(z))


_MON = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
#: (form, reader), tried in order on the header's text (a leading ``[`` skipped).
FORMS: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str], datetime], datetime]], ...]] = (
    (re.compile(rf"(\d{{4}})[-/.](\d\d)[-/.](\d\d)[ T](\d\d):(\d\d):(\d\d){_FRACTION}{_OFFSET}(?![\d:])"), _iso),
    (re.compile(rf"{_DAY} {_MON} +(\d\d?) (\d\d):(\d\d):(\d\d){_FRACTION} (\d{{4}})(?!\d)"), _apache),
    (re.compile(rf"(?:{_DAY},? )?{_MON} +(\d\d?) (\d\d):(\d\d):(\d\d){_FRACTION}(?![\d:])"), _syslog),
    (re.compile(rf"(\d\d)/{_MON}/(\d{{4}}):(\d\d):(\d\d):(\d\d){_OFFSET}"), _httpdate),
    (re.compile(rf"(\d{{4}})(\d\d)(\d\d)-(\d\d):(\d\d):(\d\d){_FRACTION}(?![\d:])"), _compact),
    (re.compile(rf"(\d\d)/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d){_FRACTION}(?![\d:/])"), _short_year),
    (re.compile(rf"(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d){_FRACTION}(?![\d:])"), _logcat),
)


def header_time(header: tuple[str, ...], now: datetime) -> datetime | None:
    """The time the header's first columns spell, or None (no known form, or no such day)."""
    if not header:
        return None
    text = " ".join(header[:6]).lstrip("[")
    for form, read in FORMS:
        match = form.search(text) if read is _httpdate else form.match(text)  # after the client's address
        if match is not None:
            try:
                return read(match, now)
            except ValueError:  # month 13, Feb 30
                return None
    return None
