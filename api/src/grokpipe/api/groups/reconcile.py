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

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from grokpipe.api.groups.counts import Counter
from grokpipe.api.groups.schemas import EPOCH, ErrorGroup
from grokpipe.api.groups.stats import SAMPLES, KeyStats, fold, key_events_search, parse_counts, settled_counts_search
from grokpipe.api.groups.store import GroupStore, Versioned

Create = Callable[[str, KeyStats, int, datetime], None]
"""Creates the missing group of a key from its stats and settled count, as of the watermark (the sync's own path)."""


@dataclass
class ReconcileResult:
    watermark: datetime
    checked: int = 0
    repaired: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)


def reconcile(store: GroupStore, counter: Counter, create: Create) -> ReconcileResult:
    """Call with the sync's lock held (no pass in between): stored counts = Elasticsearch's counts."""
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
            stats = _stats(counter, key)
            if stats is not None:
                create(key, stats, count, watermark)
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


def _stats(counter: Counter, key: str) -> KeyStats | None:
    newest = counter.search(key_events_search(key, "desc", SAMPLES))["hits"]["hits"]
    oldest = counter.search(key_events_search(key, "asc", 1))["hits"]["hits"]
    stats = fold(newest + oldest, EPOCH).get(key)
    if stats is not None:
        stats.seen = stats.settled = 0  # the count comes from the aggregation
    return stats
