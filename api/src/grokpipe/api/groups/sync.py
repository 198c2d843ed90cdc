"""Keeps ``grokpipe-error-groups`` up to date with ``logs-*``, exactly.

Each pass (under a lease, so one replica at a time does the work) reads the fingerprints ingested
since the stored watermark ``W``, and for each one adds to its group's stored count the events
ingested in ``[settled_through, S)``, where ``S = now - settle``, and sets ``settled_through = S``
in the same compare-and-set write. A pass killed half-way leaves some groups at ``S`` and others
at ``W``; the next pass counts each from its own bound, so nothing is counted twice or skipped.
Only when every group is written does the watermark move to ``S``. Events ingested after ``S``
are counted live by readers (:mod:`api.groups.service`), so the totals users see are exact at any
moment, as long as a document becomes searchable within ``settle`` of its ``event.ingested``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api import metrics
from grokpipe.api.errors import NotFound, SearchFailed
from grokpipe.api.groups.blame import Blame
from grokpipe.api.groups.counts import Counter
from grokpipe.api.groups.notify import GroupNotifier
from grokpipe.api.groups.owners import OwnerRefresh, RefreshResult, with_owner
from grokpipe.api.groups.reconcile import reconcile
from grokpipe.api.groups.schemas import EPOCH, ErrorGroup
from grokpipe.api.groups.settings import ErrorGroupSettings
from grokpipe.api.groups.stats import INGESTED, PAGE, KeyStats, changes_search, fold, get, parse_time
from grokpipe.api.groups.store import GroupStore, Versioned
from grokpipe.api.groups.transitions import NotifyPolicy, observe, react
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.durations import parse_duration
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.leasedloop import LeasedLoop

log = logging.getLogger(__name__)
LEASE_ID = "error-groups-sync"


def floor_ms(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


@dataclass
class SyncResult:
    since: datetime
    settled_before: datetime
    keys: int = 0
    created: list[str] = field(default_factory=list)
    regressed: list[str] = field(default_factory=list)
    added: int = 0
    repaired: list[str] = field(default_factory=list)


class GroupSync(LeasedLoop[SyncResult]):
    def __init__(
        self,
        es: Elasticsearch,
        store: GroupStore,
        counter: Counter,
        settings: ErrorGroupSettings,
        *,
        leases: Leases[Any],
        blame: Blame,
        notifier: GroupNotifier,
        blame_limit: int = 500,
        clock: Clock,
    ) -> None:
        self.es = es
        self.store = store
        self.counter = counter
        self.settings = settings
        super().__init__(
            name="error-groups", lease_id=LEASE_ID, interval=settings.sync_interval, leases=leases, clock=clock
        )
        self.blame = blame
        self.owners = OwnerRefresh(store, blame, blame_limit)
        self.notifier = notifier
        self.policy = NotifyPolicy(
            enabled=bool(settings.notify),
            levels=frozenset(settings.notify_levels),
            realert=parse_duration(settings.realert),
        )
        self._lock = threading.Lock()  # one pass at a time in this process (loop and POST /errors/sync)
        self._reconciled_at: datetime | None = None  # the first pass after start reconciles

    # -- loop -------------------------------------------------------------------------------------

    def failed(self) -> None:
        metrics.GROUP_SYNCS.labels(outcome="failed").inc()
        log.exception("error-group sync failed")

    # -- one pass ---------------------------------------------------------------------------------

    def run_once(self, *, reconcile_now: bool = False) -> SyncResult:
        with self._lock:
            if reconcile_now:
                self._reconciled_at = None
            return self._run_once()

    def _run_once(self) -> SyncResult:
        now = self.clock()
        since = self.store.watermark()
        settled_before = max(since, floor_ms(now - timedelta(seconds=self.settings.settle)))
        result = SyncResult(since, settled_before)
        # No forced refresh of the logs: the periodic one makes events searchable well within ``settle``.
        hits, settled_before = self._changed_events(since, settled_before)
        result.settled_before = settled_before
        stats = fold(hits, settled_before)
        result.keys = len(stats)
        existing = self.store.many(list(stats))
        added = self._added(stats, existing, since, settled_before)
        planned = {key: self._next(s, existing.get(key), added[key], settled_before, now) for key, s in stats.items()}
        written = self.store.write_many([(existing.get(key), group) for key, group in planned.items()])
        newest: dict[str, datetime | None] = {}
        for (key, planned_group), done in zip(planned.items(), written, strict=True):
            key_stats = stats[key]
            group = planned_group
            if done is not None:
                self._record(key, group, existing.get(key), added[key], result)
            else:  # someone else wrote it (an api action, or a replica's pass): again, from what is there now
                group = self._observe(
                    key,
                    stats=key_stats,
                    current=None,
                    added=added[key],
                    since=since,
                    settled_before=settled_before,
                    now=now,
                    result=result,
                    reread=True,
                )
            if group.merged_into:
                target = group.merged_into
                newest[target] = max((t for t in (newest.get(target), key_stats.last_seen) if t), default=None)
        for target, moment in newest.items():  # events of merged fingerprints regress their target
            self._react_target(target, moment, now, result)
        self.store.save_watermark(settled_before)
        if (
            self._reconciled_at is None
            or (now - self._reconciled_at).total_seconds() >= self.settings.reconcile_interval
        ):

            def create(key: str, stats: KeyStats, count: int, watermark: datetime) -> None:
                self._observe(
                    key,
                    stats=stats,
                    current=None,
                    added=count,
                    since=watermark,
                    settled_before=watermark,
                    now=now,
                    result=SyncResult(watermark, watermark),
                    reread=True,
                )

            repaired = reconcile(self.store, self.counter, create)
            self._reconciled_at = now
            result.repaired = repaired.repaired + repaired.created
            if result.repaired:
                log.warning("error groups repaired", extra={"groups": len(result.repaired)})
        if stats or result.repaired:
            self.store.refresh()  # so this pass's own queued notifications are found right away
        if self.owners.due():  # blame config or a revision changed: owners of groups with no new events too
            self.owners.run()
        self.notifier.deliver_pending()
        self._unignore_due(now)
        metrics.GROUP_SYNCS.labels(outcome="ok").inc()
        if result.keys:
            log.info(
                "error groups updated",
                extra={"keys": result.keys, "groups.created": len(result.created), "regressed": len(result.regressed)},
            )
        return result

    def _changed_events(self, since: datetime, settled_before: datetime) -> tuple[list[dict[str, Any]], datetime]:
        """The events ingested since ``since`` (at most about ``errors.max_events_per_pass``). When capped, the
        settled bound comes down to the last ingestion moment read, so every settled slice is read in full."""
        hits: list[dict[str, Any]] = []
        after: list[Any] | None = None
        size = min(PAGE, self.settings.max_events_per_pass)
        while True:
            page = self.counter.search(changes_search(since, after, size))["hits"]["hits"]
            hits.extend(page)
            if len(page) < size:
                return hits, settled_before
            after = page[-1]["sort"]
            if len(hits) >= self.settings.max_events_per_pass:
                last = parse_time(get(page[-1].get("_source", {}), INGESTED))
                return hits, max(since, min(settled_before, last) if last is not None else since)

    def _added(
        self, stats: dict[str, KeyStats], existing: dict[str, Versioned], since: datetime, settled_before: datetime
    ) -> dict[str, int]:
        """Settled events each group has not counted yet: from its own ``settled_through``."""
        added: dict[str, int] = {}
        by_bound: dict[datetime, list[str]] = {}
        for key, key_stats in stats.items():
            current = existing.get(key)
            bound = current.group.settled_through if current else EPOCH
            if bound >= settled_before:
                added[key] = 0
            elif bound == since:
                added[key] = key_stats.settled
            else:
                by_bound.setdefault(bound, []).append(key)
        for bound, keys in by_bound.items():
            counts = self.counter.between(keys, bound, settled_before)
            added |= {k: counts.get(k, 0) for k in keys}
        return added

    def _observe(
        self,
        key: str,
        *,
        stats: KeyStats,
        current: Versioned | None,
        added: int,
        since: datetime,
        settled_before: datetime,
        now: datetime,
        result: SyncResult,
        reread: bool = False,
    ) -> ErrorGroup:
        """One group, written alone until no one else writes in between (``reread``: start from the stored one)."""
        for _ in range(10):
            if reread:
                # Count from the bound of what is stored now, not from the one read at the start of the pass.
                found = self.store.many([key]).get(key)
                current = found
                bound = found.group.settled_through if found else EPOCH
                if bound >= settled_before:
                    added = 0
                elif bound == since:
                    added = stats.settled
                else:
                    added = self.counter.between([key], bound, settled_before).get(key, 0)
            group = self._next(stats, current, added, settled_before, now)
            written = self.store.create(group) if current is None else self.store.write(current, group)
            if written is not None:
                self._record(key, group, current, added, result)
                return group
            reread = True
        raise RuntimeError(f"error group {key} kept changing during the sync")

    def _next(
        self, stats: KeyStats, current: Versioned | None, added: int, settled_before: datetime, now: datetime
    ) -> ErrorGroup:
        group = self._with_owner(observe(current.group if current else None, stats, added, settled_before))
        if group.merged_into:
            return group
        total = group.count + (stats.seen - stats.settled)
        return react(
            group,
            newest=stats.last_seen,
            total=total,
            now=now,
            policy=self.policy,
            created=current is None,
            releases=stats.releases,
        )

    @staticmethod
    def _record(key: str, group: ErrorGroup, current: Versioned | None, added: int, result: SyncResult) -> None:
        result.added += added
        if current is None:
            result.created.append(key)
        elif group.regressed_at != current.group.regressed_at:
            result.regressed.append(key)

    def _with_owner(self, group: ErrorGroup) -> ErrorGroup:
        return with_owner(group, self.blame)

    def refresh_owners(self, *, force: bool = False) -> RefreshResult:
        """Owners looked up again where the config or a revision changed (``force``: all), bounded."""
        with self._lock:
            return self.owners.run(force=force)

    def _react_target(self, target: str, newest: datetime | None, now: datetime, result: SyncResult) -> None:
        for _ in range(10):
            try:
                current = self.store.get(target)
            except NotFound:
                return
            group = react(current.group, newest=newest, total=0, now=now, policy=self.policy, created=False)
            if group == current.group or self.store.write(current, group) is not None:
                if group.regressed_at != current.group.regressed_at:
                    result.regressed.append(target)
                return

    def _unignore_due(self, now: datetime) -> None:
        body = {
            "size": 100,
            "query": {
                "bool": {
                    "filter": [{"term": {"status": "ignored"}}, {"range": {"ignore_until": {"lte": now.isoformat()}}}]
                }
            },
        }
        try:
            groups, _ = self.store.search(body)
        except SearchFailed as exc:  # Elasticsearch away: the next pass does it (a refused search is a bug)
            if not exc.retriable:
                raise
            return
        for group in groups:
            self.store.update(
                group.id, lambda g: react(g, newest=None, total=0, now=now, policy=self.policy, created=False)
            )
