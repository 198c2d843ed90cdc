"""New and regressed groups through the configured notifiers, recorded in the alert history.

A transition queues its notification in the group document (``pending``) in the same
compare-and-set write that made it, so exactly one replica queues it; delivery then clears it.
A crash in between re-delivers on the next pass: at least once, never lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from elasticsearch import Elasticsearch

from grokpipe.api.errors import SearchFailed
from grokpipe.api.groups.counts import Counter
from grokpipe.api.groups.schemas import ErrorGroup, GroupPublic
from grokpipe.api.groups.store import GroupStore
from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Event, Kind, Message, Subject
from grokpipe.api.notifiers.people import People

log = logging.getLogger(__name__)
RULE = {"id": "error-groups", "name": "Error groups", "description": "new and regressed error groups"}
SUBJECT = Subject(id=RULE["id"], name=RULE["name"], description=RULE["description"])


class GroupNotifier:
    def __init__(
        self,
        es: Elasticsearch,
        store: GroupStore,
        counter: Counter,
        dispatcher: Dispatcher,
        *,
        notify: list[str],
        alerts_index: str,
        people: People,
        clock: Clock,
    ) -> None:
        self.es = es
        self.store = store
        self.counter = counter
        self.dispatcher = dispatcher
        self.notify = notify
        self.history = History(es, alerts_index, clock)
        self.people = people
        self.clock = clock

    def deliver_pending(self) -> int:
        body = {"size": 100, "query": {"bool": {"filter": [{"exists": {"field": "pending"}}]}}}
        try:
            groups, _ = self.store.search(body)
        except SearchFailed as exc:  # Elasticsearch away: the pending marks stay for the next pass
            if not exc.retriable:
                raise
            return 0
        if self.history.pending:  # Elasticsearch answered: write what an outage kept back
            self.history.flush()
        sent = 0
        for group in groups:
            for kind in list(group.pending):
                if kind == "suppressed":
                    self._suppressed(group)
                    continue
                self._deliver(group, kind)
                sent += 1
            self.store.update(group.id, self._delivered(set(group.pending), list(group.suppressed)))
        return sent

    def _delivered(self, done: set[str], recorded: list[str]) -> Callable[[ErrorGroup], ErrorGroup]:
        def change(group: ErrorGroup) -> ErrorGroup:
            pending = [p for p in group.pending if p not in done]
            update: dict[str, object] = {"pending": pending, "suppressed": group.suppressed[len(recorded) :]}
            if done - {"suppressed"}:
                update["notified_at"] = self.clock()
            return group.model_copy(update=update)

        return change

    def _suppressed(self, group: ErrorGroup) -> None:
        """What a throttle held back, in the alert history: never dropped without a trace."""
        for reason in group.suppressed:
            self.history.record(
                "error-groups",
                "suppressed",
                rule=RULE,
                tick=self.clock(),
                count=group.count,
                notified=False,
                notifications={},
                group_key=group.id,
                group={"id": group.id, "title": group.title, "culprit": group.culprit},
                reason=reason,
            )
            log.info("error group notification suppressed", extra={"group": group.id, "reason": reason})

    def _deliver(self, group: ErrorGroup, kind: Kind) -> None:
        total = self.counter.totals([group]).get(group.id, group.count)
        public = GroupPublic.of(group, count=total, total=total)
        now = self.clock()
        samples = self._samples(group)
        message = Message(
            kind=kind,
            rule=SUBJECT,
            group=public,
            count=total,
            start=group.first_seen or now,
            end=group.last_seen or now,
            samples=samples,
            layout="error",
            mentions=self.people.mentions([group.owner]),
        )
        outcomes = self.dispatcher.deliver(self.notify, message)
        self.history.record(
            "error-groups",
            kind,
            rule=RULE,
            tick=now,
            count=total,
            notified=True,
            notifications=outcomes,
            group_key=group.id,
            group={"id": group.id, "title": group.title, "culprit": group.culprit},
            sample_ids=group.samples,
        )
        log.info("error group " + kind, extra={"group": group.id, "culprit": group.culprit})

    def _samples(self, group: ErrorGroup) -> list[Event]:
        if not group.samples:
            return []
        try:
            resp = self.counter.search({"size": 3, "query": {"terms": {"event.id": group.samples[:3]}}})
        except SearchFailed:
            return []
        return [h["_source"] | {"_id": h["_id"]} for h in resp["hits"]["hits"]]
