"""What ``/patterns`` does: patterns of a time window ranked, one pattern in detail (routes only translate HTTP).

Counts in a window are exact: the events of each key with ``@timestamp`` in the window (one ``terms``
aggregation bounded by the window), folded into the pattern the key was merged into. Keys the store has
not placed yet (ingested since its last pass) are not in any pattern until it has.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from grokpipe.api.errors import NotFound
from grokpipe.api.groups.counts import KeyCounter
from grokpipe.api.groups.schemas import Bucket
from grokpipe.api.groups.stats import Interval, histogram_search, parse_histogram
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.patterns.schemas import Pattern, PatternDetail, PatternPublic, Sort
from grokpipe.api.patterns.store import PatternStore
from grokpipe.fieldnames import LOG_PATTERN_KEY

DEFAULT_WINDOW = timedelta(hours=24)


def rank(items: list[PatternPublic], sort: Sort) -> list[PatternPublic]:
    """Most events first; newest first; largest growth first; fewest events first (ties by id)."""
    if sort == "count":
        return sorted(items, key=lambda p: (-p.count, p.id))
    if sort == "change":
        return sorted(items, key=lambda p: (-p.change, -p.count, p.id))
    if sort == "rare":
        return sorted(items, key=lambda p: (p.count, p.id))
    return sorted(items, key=lambda p: (-(p.first_seen.timestamp() if p.first_seen else 0), p.id))


class Patterns:
    def __init__(self, store: PatternStore, counter: KeyCounter, clock: Clock) -> None:
        self.store = store
        self.counter = counter
        self.clock = clock

    def _window(self, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
        end = until or self.clock()
        return since or end - DEFAULT_WINDOW, end

    def _per_pattern(self, window: dict[str, int], owners: dict[str, str]) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, n in window.items():
            pid = owners.get(key)
            if pid is not None:
                out[pid] = out.get(pid, 0) + n
        return out

    def totals(self, patterns: list[Pattern]) -> dict[str, int]:
        """Events ever: stored counts + those of their keys ingested since their bound."""
        by_bound: dict[datetime, list[str]] = {}
        for pattern in patterns:
            if pattern.keys:
                by_bound.setdefault(pattern.settled_through, []).extend(pattern.keys)
        live = self.counter.live(by_bound)
        return {p.id: p.count + sum(live.get(k, 0) for k in p.keys) for p in patterns}

    def search(
        self,
        *,
        datasets: list[str] | None = None,
        levels: list[str] | None = None,
        hosts: list[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        new: bool = False,
        sort: Sort = "count",
        offset: int = 0,
        limit: int = 50,
    ) -> Page[PatternPublic]:
        """Patterns with events in ``[since, until)`` (default: the last 24 hours) matching the filters;
        ``new``: only those first seen in the window."""
        start, end = self._window(since, until)
        filters: dict[str, Any] = {"datasets": datasets or None, "levels": levels or None, "hosts": hosts or None}
        window = self.counter.window(None, start, end, **filters)
        previous = self.counter.window(None, start - (end - start), start, **filters)
        owners = self.store.owners(sorted(set(window) | set(previous)))
        counts, before = self._per_pattern(window, owners), self._per_pattern(previous, owners)
        found = self.store.many(sorted(counts))
        patterns = [v.pattern for v in found.values()]
        if new:
            patterns = [p for p in patterns if p.first_seen is not None and p.first_seen >= start]
        totals = self.totals(patterns)
        items = [
            PatternPublic.of(p, count=counts.get(p.id, 0), previous=before.get(p.id, 0), total=totals[p.id])
            for p in patterns
        ]
        ranked = rank(items, sort)
        return Page[PatternPublic](items=ranked[offset : offset + limit], total=len(ranked), offset=offset, limit=limit)

    def get(self, pattern_id: str) -> Pattern:
        """The pattern, also by any key merged into it."""
        try:
            return self.store.get(pattern_id)
        except NotFound:
            owner = self.store.owners([pattern_id]).get(pattern_id)
            if owner is None:
                raise
            return self.store.get(owner)

    def detail(self, pattern_id: str, *, interval: Interval = "hour") -> PatternDetail:
        """Hourly counts of the last 24 hours (daily: 14 days), its newest events and its keys."""
        pattern = self.get(pattern_id)
        now = self.clock()
        span = timedelta(hours=24) if interval == "hour" else timedelta(days=14)
        step = timedelta(hours=1) if interval == "hour" else timedelta(days=1)
        seconds = step.total_seconds()
        start = datetime.fromtimestamp((now - span).timestamp() // seconds * seconds + seconds, now.tzinfo)
        keys = pattern.keys or [pattern.id]
        resp = self.counter.search(histogram_search(keys, start, now, interval, field=LOG_PATTERN_KEY))
        seen = {moment.timestamp(): n for moment, n in parse_histogram(resp)}
        buckets: list[Bucket] = []
        moment = start
        while moment < now:
            buckets.append(Bucket(start=moment, count=seen.get(moment.timestamp(), 0)))
            moment += step
        previous = self.counter.window(keys, start - (now - start), start)
        samples = [h["_source"] | {"_id": h["_id"]} for h in resp.get("hits", {}).get("hits", [])]
        public = PatternPublic.of(
            pattern,
            count=sum(b.count for b in buckets),
            previous=sum(previous.values()),
            total=self.totals([pattern])[pattern.id],
        )
        return PatternDetail.model_validate(
            public.model_dump() | {"histogram": buckets, "samples": samples, "merged_keys": pattern.keys}
        )
