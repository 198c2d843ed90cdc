"""Timestamps as logs write them, to UTC ISO 8601 for ``@timestamp``.

Formats are named the way Logstash users know them (``ISO8601``, ``UNIX``, ``UNIX_MS``,
``HTTPDATE``...), or given as ``strptime`` formats. Timestamps without an offset are read in the
pipeline's ``timezone``; syslog's year-less timestamps get the year that puts them nearest to now
(so a December line read on January 1st stays in December).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from grokpipe.envelope import format_timestamp

Parser = Callable[[str, tzinfo, datetime], datetime]


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


def _syslog(text: str, tz: tzinfo, now: datetime) -> datetime:
    """``Nov  2 10:00:00`` (no year): the candidate year nearest to now."""
    partial = datetime.strptime(" ".join(text.split()), "%b %d %H:%M:%S")
    local_now = now.astimezone(tz)
    candidates = [partial.replace(year=local_now.year + d, tzinfo=tz) for d in (-1, 0, 1)]
    return min(candidates, key=lambda c: abs(c - local_now))


def _php(text: str, tz: tzinfo, now: datetime) -> datetime:
    """``22-Nov-2026 08:15:08 UTC`` or ``... Europe/Berlin``: the zone name is the tz."""
    date, time_, *zone = text.split()
    moment = datetime.strptime(f"{date} {time_}", "%d-%b-%Y %H:%M:%S")
    zone_tz: tzinfo = tz
    if zone:
        zone_tz = UTC if zone[0] in ("UTC", "GMT") else ZoneInfo(zone[0])
    return moment.replace(tzinfo=zone_tz)


NAMED: dict[str, Parser] = {
    "ISO8601": _iso8601,
    "UNIX": _unix,
    "UNIX_MS": _unix_ms,
    "HTTPDATE": _strptime("%d/%b/%Y:%H:%M:%S %z"),  # nginx/apache access logs
    "NGINX_ERROR": _strptime("%Y/%m/%d %H:%M:%S"),
    "APACHE_ERROR": _strptime("%a %b %d %H:%M:%S.%f %Y"),
    "APACHE_ERROR_NOFRAC": _strptime("%a %b %d %H:%M:%S %Y"),
    "SYSLOG": _syslog,
    "PHP": _php,
}


class DateParser:
    """Tries each format in order; :meth:`parse` returns the ISO string or None."""

    def __init__(self, formats: list[str], timezone: str = "UTC") -> None:
        self._parsers = [NAMED.get(fmt) or _strptime(fmt) for fmt in formats]
        self._tz: tzinfo = UTC if timezone in ("UTC", "Z") else ZoneInfo(timezone)

    def parse(self, text: str, now: datetime | None = None) -> str | None:
        now = now or datetime.now(UTC)
        for parser in self._parsers:
            try:
                moment = parser(text, self._tz, now)
            except (ValueError, OverflowError, KeyError):
                continue
            if abs(moment - now) > timedelta(days=365 * 50):
                continue  # a number that parsed but is no plausible log time
            return format_timestamp(moment)
        return None
