"""The range a search covers: the last ``since`` (``15m``, ``1h``...) or an absolute ``[from, until)``,
and the histogram's bucket width for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from grokpipe.api.errors import InvalidQuery
from grokpipe.api.kernel.durations import parse_duration

#: the quick ranges the console offers
QUICK = ("5m", "15m", "1h", "4h", "24h", "7d", "30d")
DEFAULT_SINCE = "15m"
#: bucket widths a histogram may take, the smallest giving at most ``TARGET_BUCKETS`` buckets wins
_STEPS = (
    ("1s", 1),
    ("5s", 5),
    ("10s", 10),
    ("30s", 30),
    ("1m", 60),
    ("5m", 300),
    ("10m", 600),
    ("30m", 1800),
    ("1h", 3600),
    ("3h", 10800),
    ("12h", 43200),
    ("1d", 86400),
    ("7d", 604800),
)
TARGET_BUCKETS = 60


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    @classmethod
    def resolve(
        cls, now: datetime, *, since: str | None = None, start: datetime | None = None, end: datetime | None = None
    ) -> TimeRange:
        """``since`` counts back from ``end`` (default now); ``start`` without ``since`` is absolute."""
        if since is not None and start is not None:
            raise InvalidQuery("give either since or from, not both", reason="range")
        until = _utc(end) if end is not None else now
        if start is not None:
            begin = _utc(start)
        else:
            try:
                begin = until - parse_duration(since or DEFAULT_SINCE)
            except ValueError as exc:
                raise InvalidQuery(f"since: {exc}", reason="range") from None
        if begin >= until:
            raise InvalidQuery("the range is empty: from must be before until", reason="range")
        return cls(begin, until)

    def filter(self, field: str) -> dict[str, object]:
        return {"range": {field: {"gte": iso(self.start), "lt": iso(self.end)}}}


def bucket_width(span: timedelta) -> tuple[str, int]:
    """The histogram's ``fixed_interval`` for a range of ``span``: about ``TARGET_BUCKETS`` bars."""
    seconds = span.total_seconds()
    for name, width in _STEPS:
        if seconds / width <= TARGET_BUCKETS:
            return name, width
    return _STEPS[-1]


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
