"""Keeps ``grokpipe-patterns`` up to date with the ``log.pattern.key`` of ``logs-*``, exactly.

The discipline of :mod:`grokpipe.api.groups.sync`: one replica at a time (a lease per interval) reads the
events ingested in ``[W, S)``, from the stored watermark ``W`` to ``S = now - settle`` (a range on
``event.ingested``: each event is read once, and a pass costs what was ingested since the last one, not
what is stored), places each new key in a pattern (:mod:`~grokpipe.api.patterns.index`), and adds to
each pattern the events of its keys ingested in ``[settled_through, S)``, setting ``settled_through = S``
in the same compare-and-set write. A key is thus in its pattern about ``settle + sync_interval`` after its
first event was ingested (the error groups also read the unsettled events, to notify sooner; at thousands
of events a second that re-reading is what a pass would spend its time on). Only when every pattern is written does
the watermark move to ``S``. A pattern untouched by a pass had no events in it, so a pattern whose bound is
at or before ``W`` adds what the pass saw; one past ``W`` (written by a pass that died before moving the
watermark) is counted from its own bound. Readers count what was ingested after ``settled_through`` live.

A key joins a pattern for good: the pattern's id (its first key) never changes, its template only
generalises (:func:`~grokpipe.api.patterns.compare.merge`), and no later event takes a key out of it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from grokpipe.api import metrics
from grokpipe.api.groups.counts import KeyCounter
from grokpipe.api.groups.schemas import EPOCH
from grokpipe.api.groups.stats import INGESTED, SAMPLES, KeyStats, changes_search, fold, get, parse_time
from grokpipe.api.groups.sync import floor_ms
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.leasedloop import LeasedLoop
from grokpipe.api.patterns.compare import merge, words
from grokpipe.api.patterns.index import PatternIndex
from grokpipe.api.patterns.schemas import OVERFLOW, Pattern
from grokpipe.api.patterns.settings import PatternSettings
from grokpipe.api.patterns.store import PatternStore, Versioned
from grokpipe.fieldnames import LOG_PATTERN_KEY, LOG_PATTERN_TEMPLATE

log = logging.getLogger(__name__)
LEASE_ID = "patterns-sync"
SOURCE = [LOG_PATTERN_KEY, LOG_PATTERN_TEMPLATE, INGESTED, "@timestamp", "host.name", "event.dataset", "log.level"]
OVERFLOW_TEMPLATE = "<overflow>"
#: patterns written by another replica are read again this far back (clock skew between replicas)
RELOAD_MARGIN = timedelta(minutes=2)


@dataclass
class PatternSyncResult:
    since: datetime
    settled_before: datetime
    keys: int = 0
    created: list[str] = field(default_factory=list)
    merged: int = 0
    overflow: int = 0


@dataclass
class _Plan:
    """What one pass brings to one pattern."""

    template: str
    stats: list[KeyStats] = field(default_factory=list)
    new_keys: list[str] = field(default_factory=list)


def _template(stats: KeyStats) -> str:
    value = get(stats.latest, LOG_PATTERN_TEMPLATE)
    return value if isinstance(value, str) and value else stats.key


def _add(values: list[str], more: list[str]) -> list[str]:
    out = list(values)
    for value in more:
        if value not in out and len(out) < SAMPLES:
            out.append(value)
    return out


class PatternSync(LeasedLoop[PatternSyncResult]):
    def __init__(
        self,
        store: PatternStore,
        counter: KeyCounter,
        settings: PatternSettings,
        *,
        leases: Leases[Any],
        clock: Clock,
    ) -> None:
        self.store = store
        self.counter = counter
        self.settings = settings
        super().__init__(
            name="patterns", lease_id=LEASE_ID, interval=settings.sync_interval, leases=leases, clock=clock
        )
        self.index = PatternIndex(candidates=settings.candidates)
        self._loaded_at: datetime | None = None
        self._lock = threading.Lock()  # one pass at a time in this process (loop and POST /patterns/sync)

    # -- loop -------------------------------------------------------------------------------------

    def failed(self) -> None:
        metrics.PATTERN_SYNCS.labels(outcome="failed").inc()
        log.exception("pattern sync failed")

    # -- one pass ---------------------------------------------------------------------------------

    def run_once(self) -> PatternSyncResult:
        with self._lock:
            return self._run_once()

    def _run_once(self) -> PatternSyncResult:
        now = self.clock()
        since = self.store.watermark()
        settled_before = max(since, floor_ms(now - timedelta(seconds=self.settings.settle)))
        hits, settled_before = self._changed_events(since, settled_before)
        result = PatternSyncResult(since, settled_before)
        stats = fold(hits, settled_before, field=LOG_PATTERN_KEY)
        result.keys = len(stats)
        self._reload(now)
        plans = self._place(stats, result)
        existing = self.store.many(list(plans))
        planned = [
            (
                existing.get(pid),
                self._next(
                    pid, current=existing.get(pid), plan=plan, since=since, settled_before=settled_before, now=now
                ),
            )
            for pid, plan in plans.items()
        ]
        written = self.store.write_many(planned)
        for (_, pattern), done in zip(planned, written, strict=True):
            if done is None:  # another writer (a replica whose lease ran out) wrote it: again from what is there
                self._again(pattern.id, plans[pattern.id], since, settled_before, now)
        self.store.save_watermark(settled_before)
        if plans:
            self.store.refresh()
        metrics.PATTERN_SYNCS.labels(outcome="ok").inc()
        if result.overflow:
            metrics.PATTERN_OVERFLOW.labels(reason="max_patterns").inc(result.overflow)
            log.warning(
                "pattern store full: keys counted in the overflow pattern",
                extra={"keys": result.overflow, "max_patterns": self.settings.max_patterns},
            )
        if result.keys:
            log.info(
                "patterns updated",
                extra={"keys": result.keys, "patterns.created": len(result.created), "merged": result.merged},
            )
        return result

    def _changed_events(self, since: datetime, settled_before: datetime) -> tuple[list[dict[str, Any]], datetime]:
        """The events ingested since ``since`` (at most about ``max_events_per_pass``); when capped, the
        settled bound comes down to the last ingestion moment read, so every settled slice is read in full."""
        hits: list[dict[str, Any]] = []
        after: list[Any] | None = None
        size = min(self.settings.page_size, self.settings.max_events_per_pass)
        while True:
            body = changes_search(since, after, size, field=LOG_PATTERN_KEY, source=SOURCE, before=settled_before)
            page = self.counter.search(body)["hits"]["hits"]
            hits.extend(page)
            if len(page) < size:
                return hits, settled_before
            after = page[-1]["sort"]
            if len(hits) >= self.settings.max_events_per_pass:
                last = parse_time(get(page[-1].get("_source", {}), INGESTED))
                return hits, max(since, min(settled_before, last) if last is not None else since)

    def _reload(self, now: datetime) -> None:
        """Patterns written since the last pass (by any replica) into the in-memory index."""
        moment = None if self._loaded_at is None else self._loaded_at - RELOAD_MARGIN
        for pattern in self.store.changed_since(moment):
            if pattern.id != OVERFLOW:
                self.index.put(pattern.id, pattern.template)
        self._loaded_at = now

    def _place(self, stats: dict[str, KeyStats], result: PatternSyncResult) -> dict[str, _Plan]:
        """Each key's pattern: the one it joined before, one it merges into, a new one, or the overflow."""
        unknown = [key for key in stats if self.index.owner(key) is None]
        for key, owner in self.store.owners(unknown).items():
            self.index.remember(key, owner)
        plans: dict[str, _Plan] = {}
        ordered = sorted(stats.values(), key=lambda s: (s.first_seen or EPOCH, s.key))
        for key_stats in ordered:
            key, template = key_stats.key, _template(key_stats)
            pid = self.index.owner(key)
            new = pid is None
            if pid is None:
                found = self.index.match(template)
                if found is not None:
                    pid, template = found
                    self.index.put(pid, template)
                    result.merged += 1
                elif len(self.index.ids) < self.settings.max_patterns:
                    pid = key
                    self.index.put(pid, template)
                    result.created.append(pid)
                else:
                    pid, template = OVERFLOW, OVERFLOW_TEMPLATE
                    result.overflow += 1
                self.index.remember(key, pid)
            plan = plans.get(pid)
            if plan is None:
                plan = plans[pid] = _Plan(template)
            else:
                plan.template = merge(plan.template, template) or plan.template
            plan.stats.append(key_stats)
            if new:
                plan.new_keys.append(key)
        return plans

    def _added(self, current: Pattern | None, plan: _Plan, since: datetime, settled_before: datetime) -> int:
        bound = current.settled_through if current else EPOCH
        if bound >= settled_before:
            return 0
        if bound <= since:  # untouched since its last write: the pass saw all its events after the bound
            return sum(s.settled for s in plan.stats)
        counts = self.counter.between([s.key for s in plan.stats], bound, settled_before)
        return sum(counts.values())

    def _next(
        self,
        pid: str,
        *,
        current: Versioned | None,
        plan: _Plan,
        since: datetime,
        settled_before: datetime,
        now: datetime,
    ) -> Pattern:
        old = current.pattern if current else None
        base = old or Pattern(id=pid, template=plan.template, length=len(words(plan.template)), created=now)
        added = self._added(old, plan, since, settled_before)
        keys, dropped = list(base.keys), base.keys_dropped
        for key in plan.new_keys:
            if key in keys:
                continue
            if pid == OVERFLOW or len(keys) >= self.settings.max_keys_per_pattern:
                dropped += 1
                if pid != OVERFLOW:
                    metrics.PATTERN_OVERFLOW.labels(reason="max_keys_per_pattern").inc()
            else:
                keys.append(key)
        template = merge(base.template, plan.template) or base.template
        seen = [s for s in plan.stats if s.last_seen is not None]
        newest = sorted(seen, key=lambda s: s.last_seen or EPOCH, reverse=True)
        firsts = [t for t in (base.first_seen, *(s.first_seen for s in plan.stats)) if t is not None]
        lasts = [t for t in (base.last_seen, *(s.last_seen for s in plan.stats)) if t is not None]
        levels = [v for s in newest if isinstance(v := get(s.latest, "log.level"), str)]
        samples = [doc_id for s in newest for doc_id in s.samples][:SAMPLES]
        return base.model_copy(
            update={
                "template": template,
                "length": len(words(template)),
                "keys": keys,
                "keys_dropped": dropped,
                "count": base.count + added,
                "settled_through": max(base.settled_through, settled_before),
                "first_seen": min(firsts, default=None),
                "last_seen": max(lasts, default=None),
                "levels": _add(base.levels, levels),
                "datasets": _add(base.datasets, [d for s in newest for d in s.datasets]),
                "hosts": _add(base.hosts, [h for s in newest for h in s.hosts]),
                "samples": samples or base.samples,
                "updated": now,
            }
        )

    def _again(self, pid: str, plan: _Plan, since: datetime, settled_before: datetime, now: datetime) -> None:
        for _ in range(10):
            current = self.store.many([pid]).get(pid)
            pattern = self._next(pid, current=current, plan=plan, since=since, settled_before=settled_before, now=now)
            if self.store.write_many([(current, pattern)])[0] is not None:
                return
        raise RuntimeError(f"pattern {pid} kept changing during the sync")
