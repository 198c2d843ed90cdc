"""Repairs what an exact pass cannot see, once in a while and at start.

A pass counts a group's events by ingestion slices, which holds as long as an event is searchable
within ``errors.settle`` of its ``event.ingested``. A bulk request that timed out on the client but
was applied later by the server breaks that: the retry gets 409 (already there) and the document
keeps its first attempt's stamp, possibly older than the watermark by the time it shows up. So every
``errors.reconcile_interval`` (and on the first pass after start) each group's stored count is set
to the number of its events ingested before the watermark, with ``settled_through`` = the watermark,
and a fingerprint with events but no group gets one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from grokpipe.api.groups.schemas import EPOCH, ErrorGroup
from grokpipe.api.groups.stats import SAMPLES, KeyStats, fold, key_events_search, parse_counts, settled_counts_search
from grokpipe.api.groups.store import Versioned

if TYPE_CHECKING:
    from grokpipe.api.groups.sync import GroupSync


@dataclass
class ReconcileResult:
    watermark: datetime
    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


def reconcile(sync: GroupSync, now: datetime) -> ReconcileResult:
    """Call with the sync's lock held (no pass in between): stored counts = Elasticsearch's counts."""
    from grokpipe.api.groups.sync import SyncResult

    store, counter = sync.store, sync.counter
    watermark = store.watermark()
    result = ReconcileResult(watermark)
    if watermark == EPOCH:
        return result
    true = parse_counts(counter.search(settled_counts_search(watermark)))
    result.checked = len(true)
    existing = store.many(list(true))
    fixes: list[tuple[Versioned | None, ErrorGroup]] = []
    for key, count in true.items():
        current = existing.get(key)
        if current is None:
            stats = _stats(sync, key)
            if stats is not None:
                sync._observe(
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
                result.created.append(key)
            continue
        group = current.group
        # a group past the watermark was written by a pass that died before moving it: the next pass settles it
        if group.settled_through <= watermark and group.count != count:
            fixes.append((current, group.model_copy(update={"count": count, "settled_through": watermark})))
    for (current, group), written in zip(fixes, store.write_many(fixes), strict=True):
        if written is not None and current is not None:  # None: changed meanwhile; the next round looks again
            result.repaired.append(group.id)
    return result


def _stats(sync: GroupSync, key: str) -> KeyStats | None:
    newest = sync.counter.search(key_events_search(key, "desc", SAMPLES))["hits"]["hits"]
    oldest = sync.counter.search(key_events_search(key, "asc", 1))["hits"]["hits"]
    stats = fold(newest + oldest, EPOCH).get(key)
    if stats is not None:
        stats.seen = stats.settled = 0  # the count comes from the aggregation
    return stats
