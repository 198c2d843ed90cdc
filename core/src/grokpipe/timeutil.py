"""Time rules the shipper, the indexer and the api share: the year of a timestamp that has none
(RFC 3164's ``Nov  2 10:00:00``, a syslog file's lines), and what counts as a time zone name.

One rule for the shipper's syslog parser and the indexer's ``SYSLOG`` date format: the year that
puts the moment nearest to now, as rsyslog and Logstash resolve the New Year (a December line read
on January 1st stays in December; a January line from a sender whose clock is ahead on December
31st is next year's). A moment ahead of now counts one day farther than it is, so when two
candidates are about half a year away either way the past one wins: logs are written before they
are read. Feb 29 exists only in leap years, so it takes the nearest leap year among last, this and
next year, and no year at all (a ``ValueError``) when none of them is one.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIDNIGHT = time()

#: How much farther a moment ahead of now counts (clock drift aside, logs are not from the future).
FUTURE_PENALTY = timedelta(days=1)


def nearest_year(month: int, day: int, now: datetime, at: time = MIDNIGHT) -> datetime:
    """The moment ``month``/``day`` ``at`` that time of day in the year nearest to ``now``, in
    ``now``'s timezone (pass ``now`` as the log's local time). Raises ``ValueError`` when no year
    next to now has that day: Feb 30, or Feb 29 with no leap year around."""
    zone = now.tzinfo
    best: datetime | None = None
    best_distance = timedelta.max
    for year in (now.year - 1, now.year, now.year + 1):
        try:
            moment = datetime(year, month, day, at.hour, at.minute, at.second, at.microsecond, zone)
        except ValueError:  # Feb 29 outside a leap year (or year 0 / 10000)
            continue
        distance = now - moment if moment <= now else moment - now + FUTURE_PENALTY
        if distance < best_distance:
            best, best_distance = moment, distance
    if best is None:
        raise ValueError(f"no {month:02d}-{day:02d} in the years around {now.year}")
    return best


def time_zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ``ValueError`` (for a config validator to name its key) when it is
    unknown, malformed, or a folder of the zone database such as ``America``."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Europe/Berlin)") from None
