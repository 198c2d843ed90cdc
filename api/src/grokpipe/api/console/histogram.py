"""Events per hour (24 h) or day (14 d) of error groups, and their inline SVG bars, computed here.

The search is one request for a whole page of groups (a ``terms`` on the fingerprint with a
``date_histogram`` under it); buckets are aligned as ``ErrorGroups.detail`` aligns them, so the
list's little bars and the group page's big ones agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from grokpipe.api.groups.stats import KEY, iso, parse_time

Range = Literal["24h", "14d"]
STEPS: dict[Range, timedelta] = {"24h": timedelta(hours=1), "14d": timedelta(days=1)}
SPANS: dict[Range, timedelta] = {"24h": timedelta(hours=24), "14d": timedelta(days=14)}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    count: int
    start: datetime


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    peak: int
    total: int


def first_bucket(now: datetime, span: timedelta, step: timedelta) -> datetime:
    """The start of the oldest bucket: aligned to ``step`` since the epoch, within ``span`` of ``now``."""
    seconds = step.total_seconds()
    return datetime.fromtimestamp((now - span).timestamp() // seconds * seconds + seconds, now.tzinfo)


def bucket_starts(now: datetime, window: Range) -> list[datetime]:
    step = STEPS[window]
    moment = first_bucket(now, SPANS[window], step)
    out: list[datetime] = []
    while moment < now:
        out.append(moment)
        moment += step
    return out


def chart(buckets: Sequence[tuple[datetime, int]], *, width: int = 120, height: int = 24, gap: float = 1.0) -> Chart:
    """Bars scaled to the highest bucket; a non-empty bucket is at least 2 px tall, an empty one 1 px."""
    peak = max((n for _, n in buckets), default=0)
    slot = width / max(1, len(buckets))
    bars: list[Bar] = []
    for i, (start, count) in enumerate(buckets):
        h = max(2.0, height * count / peak) if count and peak else 1.0
        bars.append(
            Bar(round(i * slot, 2), round(height - h, 2), round(max(0.5, slot - gap), 2), round(h, 2), count, start)
        )
    return Chart(bars, width, height, peak, sum(n for _, n in buckets))


def search(keys: list[str], start: datetime, end: datetime, window: Range) -> dict[str, Any]:
    interval = "1h" if window == "24h" else "1d"
    return {
        "size": 0,
        "query": {
            "bool": {"filter": [{"terms": {KEY: keys}}, {"range": {"@timestamp": {"gte": iso(start), "lt": iso(end)}}}]}
        },
        "aggs": {
            "k": {
                "terms": {"field": KEY, "size": max(1, len(keys))},
                "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": interval}}},
            }
        },
    }


def per_group(
    response: Mapping[str, Any], members: Mapping[str, list[str]], starts: list[datetime]
) -> dict[str, list[tuple[datetime, int]]]:
    """Each group's buckets (its own fingerprint and its aliases' added up), zeros included."""
    by_key: dict[str, dict[float, int]] = {}
    for bucket in response.get("aggregations", {}).get("k", {}).get("buckets", []):
        seen: dict[float, int] = {}
        for b in bucket["h"]["buckets"]:
            moment = parse_time(b.get("key_as_string"))
            if moment is not None:
                seen[moment.timestamp()] = int(b["doc_count"])
        by_key[str(bucket["key"])] = seen
    out: dict[str, list[tuple[datetime, int]]] = {}
    for group_id, keys in members.items():
        out[group_id] = [(s, sum(by_key.get(k, {}).get(s.timestamp(), 0) for k in keys)) for s in starts]
    return out
