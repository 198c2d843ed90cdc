"""Digests: once per schedule tick, the period's new groups, regressions and top groups, sent once.

A digest sent at tick T covers ``[previous tick, T)``. Each group appears once, flagged ``new``
(first seen in the period), ``regressed`` (regressed in it) or ``ongoing`` (among the top N by
count). The tick is claimed with the same lease as rules, so replicas send each digest once
(:class:`DigestRunner` fills in the steps of the kernel's scheduled job).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from pydantic import BaseModel, Field

from grokpipe.api import metrics
from grokpipe.api.digests.schemas import Digest, DigestBody, DigestPattern, DigestReport, DigestRow
from grokpipe.api.errors import ApiError
from grokpipe.api.groups.counts import Counter
from grokpipe.api.groups.schemas import ErrorGroup
from grokpipe.api.groups.stats import iso
from grokpipe.api.groups.store import GroupStore
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.send import ScheduledSend
from grokpipe.api.monitors.schemas import MonitorRow
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.notifiers.people import People
from grokpipe.api.patterns.service import Patterns

log = logging.getLogger(__name__)
_ORDER = {"new": 0, "regressed": 1, "ongoing": 2}


class DigestTitle(BaseModel):
    name: str
    description: str | None


class DigestPeriod(BaseModel):
    start: str  # ISO 8601, as the templates show it with when()
    end: str


class DigestTotals(BaseModel):
    new: int
    regressed: int
    groups: int
    events: int


class DigestFacts(BaseModel):
    """The ``digest`` layout's context: the digest, its period, its rows and totals, its new patterns."""

    digest: DigestTitle
    period: DigestPeriod
    rows: list[DigestRow]
    monitors: list[MonitorRow] = []  #: cron monitors failing when it is sent (``monitors: true``)
    totals: DigestTotals
    patterns: list[DigestPattern] = Field(default_factory=list)


class DigestRunner(ScheduledSend[Digest, DigestReport, Message]):
    """A digest's scheduled send (:mod:`grokpipe.api.kernel.send`): evaluate = the period's report, its
    message; :meth:`send` is the same send for any period, outside the schedule."""

    kind = "digest"

    def __init__(
        self,
        es: Elasticsearch,
        store: GroupStore,
        counter: Counter,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        *,
        alerts_index: str,
        people: People,
        clock: Clock,
        failing_monitors: Callable[[], list[MonitorRow]] | None = None,
        patterns: Patterns | None = None,
    ) -> None:
        super().__init__(es, dispatcher, leases, alerts_index=alerts_index, clock=clock)
        self.failing_monitors = failing_monitors
        self.es = es
        self.patterns = patterns
        self.store = store
        self.counter = counter
        self.people = people

    def report(self, digest: DigestBody, start: datetime, end: datetime, digest_id: str | None = None) -> DigestReport:
        flt = digest.filter
        window = self.counter.window(None, start, end, datasets=flt.datasets or None, levels=flt.levels or None)
        docs = self.store.many(list(window))
        counts: dict[str, int] = {}
        for key, n in window.items():
            doc = docs.get(key)
            target = doc.group.merged_into if doc and doc.group.merged_into else key
            counts[target] = counts.get(target, 0) + n
        changed = self._changed(digest, start, end)
        groups = {g.id: g for g in changed}
        groups |= {k: v.group for k, v in self.store.many([k for k in counts if k not in groups]).items()}
        top = sorted((k for k in counts if k in groups), key=lambda k: (-counts[k], k))[: digest.top]
        chosen = list(dict.fromkeys([*(g.id for g in changed), *top]))
        totals = self.counter.totals([groups[k] for k in chosen])
        rows = [self._row(groups[k], counts.get(k, 0), totals.get(k, 0), start, end) for k in chosen]
        rows.sort(key=lambda r: (_ORDER[r.flag], -r.count, r.id))
        monitors = self._monitors() if digest.monitors else []
        return DigestReport(
            monitors=monitors,
            digest_id=digest_id,
            name=digest.name,
            start=start,
            end=end,
            rows=rows,
            new=sum(r.flag == "new" for r in rows),
            regressed=sum(r.flag == "regressed" for r in rows),
            groups=len(counts),
            events=sum(counts.values()),
            patterns=self._new_patterns(digest, start, end),
        )

    def _monitors(self) -> list[MonitorRow]:
        """The failing monitors; none (logged) when they cannot be read: the errors still go out."""
        if self.failing_monitors is None:
            return []
        try:
            return self.failing_monitors()
        except ApiError as exc:
            log.warning("digest without its monitors", extra={"error.message": str(exc)})
            return []

    def _new_patterns(self, digest: DigestBody, start: datetime, end: datetime) -> list[DigestPattern]:
        """The period's new patterns with the most events (``new_patterns`` of them), under the digest's filter."""
        if not digest.new_patterns or self.patterns is None:
            return []
        flt = digest.filter
        page = self.patterns.search(
            datasets=flt.datasets or None,
            levels=flt.levels or None,
            since=start,
            until=end,
            new=True,
            sort="count",
            limit=digest.new_patterns,
        )
        return [DigestPattern(id=p.id, template=p.template, count=p.count, first_seen=p.first_seen) for p in page.items]

    def _changed(self, digest: DigestBody, start: datetime, end: datetime) -> list[ErrorGroup]:
        """Groups first seen or regressed in the period (even with no event left in the filter's window)."""
        flt = digest.filter
        period = {"gte": iso(start), "lt": iso(end)}
        filters: list[dict[str, Any]] = []
        if flt.datasets:
            filters.append({"terms": {"datasets": flt.datasets}})
        if flt.levels:
            filters.append({"terms": {"level": flt.levels}})
        body = {
            "size": 1000,
            "query": {
                "bool": {
                    "filter": filters,
                    "should": [{"range": {"first_seen": period}}, {"range": {"regressed_at": period}}],
                    "minimum_should_match": 1,
                    "must_not": [{"exists": {"field": "merged_into"}}],
                }
            },
        }
        groups, _ = self.store.search(body)
        return groups

    def _row(self, group: ErrorGroup, count: int, total: int, start: datetime, end: datetime) -> DigestRow:
        flag: Any = "ongoing"
        if group.first_seen is not None and start <= group.first_seen < end:
            flag = "new"
        elif group.regressed_at is not None and start <= group.regressed_at < end:
            flag = "regressed"
        return DigestRow(
            id=group.id,
            flag=flag,
            title=group.title,
            culprit=group.culprit,
            level=group.level,
            count=count,
            total=total,
            first_seen=group.first_seen,
            last_seen=group.last_seen,
            owner=group.owner,
        )

    def message(self, digest: DigestBody, report: DigestReport) -> Message:
        facts = DigestFacts(
            digest=DigestTitle(name=digest.name, description=digest.description),
            period=DigestPeriod(start=report.start.isoformat(), end=report.end.isoformat()),
            rows=report.rows,
            monitors=report.monitors,
            patterns=report.patterns,
            totals=DigestTotals(new=report.new, regressed=report.regressed, groups=report.groups, events=report.events),
        )
        return Message(
            kind="digest",
            rule=Subject(id=report.digest_id, name=digest.name, description=digest.description),
            count=report.events,
            start=report.start,
            end=report.end,
            layout="digest",
            facts=facts,
            mentions=self.people.mentions([r.owner for r in report.rows]),
        )

    def send(self, digest: Digest, start: datetime, end: datetime, tick: datetime) -> DigestReport:
        """The report of ``[start, end)``, sent now, outside the schedule and the lease."""
        return self.deliver(digest, self.report(digest, start, end, digest.id), tick)

    # -- the scheduled send's steps (grokpipe.api.kernel.send): the send for ``[previous tick, tick)`` --

    def evaluate(self, job: Digest, tick: datetime) -> DigestReport:
        return self.report(job, job.schedule.previous(tick), tick, job.id)

    def count(self, evaluation: DigestReport) -> int:
        return evaluation.events

    def recorded(self, evaluation: DigestReport) -> dict[str, Any]:
        return {
            "window": {"start": evaluation.start.isoformat(), "end": evaluation.end.isoformat()},
            "groups": [r.id for r in evaluation.rows],
        }

    def sent(self, job: Digest, evaluation: DigestReport, *, failed: bool) -> None:
        metrics.DIGESTS.labels(outcome="failed" if failed else "sent").inc()
        log.info("digest sent", extra={"digest.id": job.id, "rows": len(evaluation.rows), "failed": failed})
