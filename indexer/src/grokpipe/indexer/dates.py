"""Timestamps as logs write them, to UTC ISO 8601 for ``@timestamp``.

Formats are named the way Logstash users know them (``ISO8601``, ``UNIX``, ``UNIX_MS``,
``HTTPDATE``...), or given as ``strptime`` formats. Timestamps without an offset are read in the
pipeline's ``timezone``; syslog's year-less timestamps get the year that puts them nearest to now
(:mod:`grokpipe.timeutil`, the shipper's rule too: a December line read on January 1st stays in
December).

Speed: ``strptime`` costs ~15 µs a call (it looks up the locale and runs a generic regex each time),
more than grok itself on an nginx line. The named formats logs write most (HTTPDATE, NGINX_ERROR,
APACHE_ERROR, SYSLOG, PHP) therefore first try a fixed-width ASCII regex and build the ``datetime``
directly; anything that regex does not take (one-digit days, other spacing, odd offsets, ``NOV``)
and anything ``datetime`` refuses (Feb 30, second 60) goes to ``strptime``, so the result, and the
failure, are always the ones ``strptime`` gives. Month and day names are English, as ``strptime``'s
are in the C locale the services run in. ``tests/unit/indexer/test_dates.py`` holds both to the same
table. ISO8601 needs no such path: ``datetime.fromisoformat`` is already C.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from grokpipe.envelope import format_timestamp
from grokpipe.timeutil import nearest_year

Parser = Callable[[str, tzinfo, datetime], datetime]
#: A fast path: the parsed time, or None for "not mine, ask strptime".
FastParser = Callable[[str, tzinfo], datetime | None]

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = frozenset(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"))
_PLAUSIBLE = timedelta(days=365 * 50)
_ZERO = timedelta(0)
_OFFSETS: dict[str, tzinfo] = {}


def format_utc(moment: datetime) -> str:
    """The same text as :func:`grokpipe.envelope.format_timestamp` (``2026-11-22T08:15:08.123Z``) in
    half its time: no conversion when already at offset 0, and ``%`` instead of ``strftime`` (which
    writes years before 1000 unpadded, so those still go there)."""
    if moment.utcoffset() != _ZERO:
        moment = moment.astimezone(UTC)
    if moment.year < 1000:
        return format_timestamp(moment)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 (measured: faster than an f-string)
        moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second, moment.microsecond // 1000,
    )  # fmt: skip


_stamp: tuple[int, str] = (-1, "")  # the millisecond now_text last formatted, and its text


def now_text() -> str:
    """``format_utc(datetime.now(UTC))``, formatted once per millisecond: the text has no finer
    resolution, and a busy indexer stamps dozens of documents within one."""
    global _stamp  # one tuple, replaced whole: safe to read from any thread
    stamp = _stamp
    millis = time.time_ns() // 1_000_000
    if stamp[0] != millis:
        seconds, rest = divmod(millis, 1000)
        stamp = _stamp = (millis, format_utc(datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest * 1000)))
    return stamp[1]


def _offset(text: str) -> tzinfo:
    """``+0100`` -> a fixed-offset tzinfo, as strptime's ``%z`` makes it (a log uses one or two)."""
    tz = _OFFSETS.get(text)
    if tz is None:
        minutes = int(text[1:3]) * 60 + int(text[3:5])
        tz = timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))
        if len(_OFFSETS) < 1000:
            _OFFSETS[text] = tz
    return tz


_HTTPDATE = re.compile(r"(\d\d)/([A-Z][a-z]{2})/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d\d[0-5]\d)", re.ASCII)


def _httpdate(text: str, _tz: tzinfo) -> datetime | None:
    """``22/Nov/2026:10:00:00 +0000`` (``%d/%b/%Y:%H:%M:%S %z``)."""
    found = _HTTPDATE.fullmatch(text)
    if found is None or (month := _MONTHS.get(found[2])) is None:
        return None
    day, _, year, hour, minute, second, offset = found.groups()
    return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=_offset(offset))


_NGINX_ERROR = re.compile(r"(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d)", re.ASCII)


def _nginx_error(text: str, tz: tzinfo) -> datetime | None:
    """``2026/11/22 10:00:00`` (``%Y/%m/%d %H:%M:%S``), in the pipeline's timezone."""
    found = _NGINX_ERROR.fullmatch(text)
    if found is None:
        return None
    year, month, day, hour, minute, second = map(int, found.groups())
    return datetime(year, month, day, hour, minute, second, tzinfo=tz)


_APACHE_ERROR = re.compile(
    r"([A-Z][a-z]{2}) ([A-Z][a-z]{2}) (\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))? (\d{4})", re.ASCII
)


def _apache_error(fraction: bool) -> FastParser:
    """``Sun Nov 22 08:15:08.123456 2026`` (``%a %b %d %H:%M:%S.%f %Y``), or without ``.%f``."""

    def parse(text: str, tz: tzinfo) -> datetime | None:
        found = _APACHE_ERROR.fullmatch(text)
        if found is None or (found[7] is not None) != fraction or found[1] not in _WEEKDAYS:
            return None  # like strptime, the weekday must be a name but need not fit the date
        if (month := _MONTHS.get(found[2])) is None:
            return None
        micros = int(found[7].ljust(6, "0")) if fraction else 0
        day, hour, minute, second, year = (int(found[i]) for i in (3, 4, 5, 6, 8))
        return datetime(year, month, day, hour, minute, second, micros, tzinfo=tz)

    return parse


def _fast(fast: FastParser, fmt: str) -> Parser:
    """``fast`` where it knows the text, else ``strptime`` with ``fmt``: the same result or error."""
    slow = _strptime(fmt)

    def parse(text: str, tz: tzinfo, now: datetime) -> datetime:
        try:
            moment = fast(text, tz)
        except ValueError:  # Feb 30, 24:00, second 60: strptime raises its own error for it
            moment = None
        return slow(text, tz, now) if moment is None else moment

    return parse


def _strptime(fmt: str) -> Parser:
    def parse(text: str, tz: tzinfo, _now: datetime) -> datetime:
        moment = datetime.strptime(text, fmt)
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)

    return parse


def _iso8601(text: str, tz: tzinfo, _now: datetime) -> datetime:
    value = text.strip().replace(",", ".")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _unix(text: str, _tz: tzinfo, _now: datetime) -> datetime:
    return datetime.fromtimestamp(float(text), UTC)


def _unix_ms(text: str, _tz: tzinfo, _now: datetime) -> datetime:
    return datetime.fromtimestamp(float(text) / 1000, UTC)


_SYSLOG = re.compile(r"([A-Z][a-z]{2}) (\d\d?) (\d\d):(\d\d):(\d\d)", re.ASCII)


def _syslog_partial(text: str) -> datetime:
    """``Nov 2 10:00:00`` (spaces already collapsed) in 2000: a leap year, so that Feb 29 parses and
    :func:`~grokpipe.timeutil.nearest_year` decides whether a year near now has it. strptime is
    given that year too: without one it assumes 1900 (no Feb 29) and Python 3.13 deprecates it."""
    found = _SYSLOG.fullmatch(text)
    month = _MONTHS.get(found[1]) if found is not None else None
    if found is not None and month is not None:
        try:
            return datetime(2000, month, int(found[2]), int(found[3]), int(found[4]), int(found[5]))
        except ValueError:
            pass  # Feb 30, second 60...: strptime's error
    return datetime.strptime(f"2000 {text}", "%Y %b %d %H:%M:%S")


def _syslog(text: str, tz: tzinfo, now: datetime) -> datetime:
    """``Nov  2 10:00:00`` (no year): the year nearest to now."""
    partial = _syslog_partial(" ".join(text.split()))
    return nearest_year(partial.month, partial.day, now.astimezone(tz), partial.time())


def _php(text: str, tz: tzinfo, now: datetime) -> datetime:
    """``22-Nov-2026 08:15:08 UTC`` or ``... Europe/Berlin``: the zone name is the tz."""
    date, time_, *zone = text.split()
    moment = _php_moment(f"{date} {time_}")
    zone_tz: tzinfo = tz
    if zone:
        zone_tz = UTC if zone[0] in ("UTC", "GMT") else ZoneInfo(zone[0])
    return moment.replace(tzinfo=zone_tz)


_PHP = re.compile(r"(\d\d)-([A-Z][a-z]{2})-(\d{4}) (\d\d):(\d\d):(\d\d)", re.ASCII)


def _php_moment(text: str) -> datetime:
    """``22-Nov-2026 08:15:08`` (``%d-%b-%Y %H:%M:%S``), naive."""
    found = _PHP.fullmatch(text)
    month = _MONTHS.get(found[2]) if found is not None else None
    if found is not None and month is not None:
        try:
            return datetime(int(found[3]), month, int(found[1]), int(found[4]), int(found[5]), int(found[6]))
        except ValueError:
            pass  # Feb 30...: strptime's error
    return datetime.strptime(text, "%d-%b-%Y %H:%M:%S")


NAMED: dict[str, Parser] = {
    "ISO8601": _iso8601,
    "UNIX": _unix,
    "UNIX_MS": _unix_ms,
    "HTTPDATE": _fast(_httpdate, "%d/%b/%Y:%H:%M:%S %z"),  # nginx/apache access logs
    "NGINX_ERROR": _fast(_nginx_error, "%Y/%m/%d %H:%M:%S"),
    "APACHE_ERROR": _fast(_apache_error(fraction=True), "%a %b %d %H:%M:%S.%f %Y"),
    "APACHE_ERROR_NOFRAC": _fast(_apache_error(fraction=False), "%a %b %d %H:%M:%S %Y"),
    "SYSLOG": _syslog,
    "PHP": _php,
}


class DateParser:
    """Tries each format in order; :meth:`parse` returns the ISO string or None.

    It remembers the last text it parsed: lines of a busy log share their second, so most calls are
    that text again. Only a result that depends on the text alone is kept (not SYSLOG's, whose year
    depends on now, nor one found after an earlier format gave an implausible time), and its
    plausibility is checked again against each call's ``now``.
    """

    def __init__(self, formats: list[str], timezone: str = "UTC") -> None:
        self._parsers = [NAMED.get(fmt) or _strptime(fmt) for fmt in formats]
        self._tz: tzinfo = UTC if timezone in ("UTC", "Z") else ZoneInfo(timezone)
        self._last: tuple[str, datetime, str] | None = None  # text, its moment, its ISO string

    def parse(self, text: str, now: datetime | None = None) -> str | None:
        now = now or datetime.now(UTC)
        last = self._last  # one read: another thread may replace it, never half of it
        if last is not None and last[0] == text and abs(last[1] - now) <= _PLAUSIBLE:
            return last[2]
        depends_on_now = False
        for parser in self._parsers:
            try:
                moment = parser(text, self._tz, now)
            except (ValueError, OverflowError, KeyError):
                continue
            if abs(moment - now) > _PLAUSIBLE:
                depends_on_now = True  # with another now, this format could win: not kept
                continue  # a number that parsed but is no plausible log time
            formatted = format_utc(moment)
            if not depends_on_now and parser is not _syslog:
                self._last = (text, moment, formatted)
            return formatted
        return None
