"""One rule evaluation: claim the tick, search, decide, notify, record history, persist state.

:class:`RuleRunner` fills in the steps of the kernel's scheduled job (:mod:`grokpipe.api.kernel.job`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api import metrics
from grokpipe.api.errors import search_failed
from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.job import Outcomes, ScheduledJob
from grokpipe.api.kernel.lease import Claim, Leases
from grokpipe.api.kernel.settings import IndicesSettings
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Kind, Message, Subject
from grokpipe.api.responses import AlertRecord
from grokpipe.api.rules.conditions import Evaluation, Finding, build_search, evaluate, window_for
from grokpipe.api.rules.schemas import Rule, RuleBody
from grokpipe.api.rules.state import RuleState
from grokpipe.api.rules.throttle import Action, decide
from grokpipe.api.search import hints
from grokpipe.api.search.fields import FieldCache
from grokpipe.api.search.query import lucene_to_dsl, vet_dsl
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    rule_id: str
    tick: datetime
    start: datetime
    end: datetime
    evaluation: Evaluation
    actions: list[AlertRecord] = field(default_factory=list)


@dataclass(frozen=True)
class RuleAlert:
    """A decided change of one group (fired, recovered, suppressed) and the message it sends."""

    action: Action
    message: Message


class RuleRunner(ScheduledJob[Rule, RuleState, Evaluation, RuleAlert, RunResult]):
    def __init__(
        self,
        es: Elasticsearch,
        *,
        indices: IndicesSettings,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        clock: Clock,
        fields: FieldCache | None = None,
    ) -> None:
        super().__init__(leases.of(RuleState), History(es, indices.alerts, clock), clock)
        self.es = es
        self.indices = indices
        self.dispatcher = dispatcher
        self.fields = fields or FieldCache(es)

    def compile(self, rule: RuleBody) -> dict[str, Any]:
        """The rule's query as DSL; raises InvalidRule (422) on bad syntax, fields or code."""
        fields = self.fields.fields(rule.index)
        known = {rule.time_field, *rule.group_by}
        unknown = sorted(f for f in known if fields and f not in fields)
        if unknown:
            raise hints.unknown_fields(unknown, fields)
        if rule.dsl is not None:
            return vet_dsl(rule.dsl, fields)
        return lucene_to_dsl(rule.query or "", fields)

    def search(self, rule: RuleBody, start: datetime, end: datetime) -> Evaluation:
        body = build_search(rule, self.compile(rule), start, end)
        return evaluate(rule, self.query(rule.index, body), start)

    def query(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        """One search of ``index``, with the options every rule search uses."""
        try:
            with elasticsearch_errors(f"search of {index}"):
                resp = self.es.search(index=index, allow_no_indices=True, ignore_unavailable=True, **body)
        except ElasticsearchError as exc:
            raise search_failed(f"search of {index}", exc) from exc
        return dict(resp)

    # -- the scheduled job's steps (grokpipe.api.kernel.job); a batch of rules calls claim, fail, finish --

    def lease_id(self, job: Rule) -> str:
        return job.id

    def claim(self, job: Rule, tick: datetime) -> Claim[RuleState] | None:
        """The lease on ``tick``, or None (counted as skipped) if it is not this run's to evaluate."""
        claim = super().claim(job, tick)
        if claim is not None:
            metrics.RULE_LATENESS.observe(max(0.0, (self.clock() - tick).total_seconds()))
        return claim

    def skipped(self, job: Rule, tick: datetime) -> None:
        metrics.RULE_RUNS.labels(outcome="skipped").inc()

    def evaluate(self, job: Rule, tick: datetime) -> Evaluation:
        return self.search(job, *window_for(job, tick))

    def failed(self, job: Rule, error: BaseException) -> None:
        """The search failed: count and log it (the tick is given back with the state unchanged)."""
        metrics.RULE_RUNS.labels(outcome="failed").inc()
        log.error("rule evaluation failed", exc_info=error, extra={"rule.id": job.id})

    def stored(self, state: RuleState, tick: datetime, *, evaluated: bool) -> RuleState:
        return state.model_copy(update={"last_tick": tick}) if evaluated else state

    def decide(
        self, job: Rule, state: RuleState, evaluation: Evaluation, tick: datetime
    ) -> tuple[RuleState, list[RuleAlert]]:
        """The throttle's decision (also when a later step fails, the new state is released: once decided, it
        is what stops the notifications already sent from going out again)."""
        start, end = window_for(job, tick)
        decided, actions = decide(
            state,
            evaluation.findings,
            tick,
            realert=job.realert_td,
            recovery=job.recovery,
            silenced_until=job.silenced_until,
        )
        alerts = [RuleAlert(a, self.message(job, a.kind, a.group, a.finding, start=start, end=end)) for a in actions]
        return decided, alerts

    def notify(self, job: Rule, action: RuleAlert, evaluation: Evaluation, tick: datetime) -> Outcomes:
        return self.dispatcher.deliver(job.notify, action.message) if action.action.notify else {}

    def record(
        self, job: Rule, action: RuleAlert, evaluation: Evaluation, tick: datetime, outcomes: Outcomes
    ) -> AlertRecord:
        alert, message = action.action, action.message
        doc = self.history.record(
            "rule",
            alert.kind,
            rule={"id": job.id, "name": job.name},
            tick=tick,
            count=message.count,
            notified=alert.notify and bool(job.notify),  # a rule without notifiers only records
            notifications=outcomes,
            group_key=alert.key,
            refresh=False,
            group=alert.group,
            value=message.value,
            window={"start": message.start, "end": message.end},
            sample_ids=[s.get("_id") for s in message.samples],
            **({"reason": alert.reason} if alert.reason else {}),
        )
        log.info("alert " + alert.kind, extra={"rule.id": job.id, "group": alert.key, "notified": alert.notify})
        return doc

    def done(
        self, job: Rule, tick: datetime, evaluation: Evaluation, records: list[AlertRecord], seconds: float
    ) -> RunResult:
        metrics.RULE_RUNS.labels(outcome="ok").inc()
        metrics.RULE_DURATION.observe(seconds)
        start, end = window_for(job, tick)
        return RunResult(job.id, tick, start, end, evaluation, records)

    @staticmethod
    def message(
        rule: Rule, kind: Kind, group: dict[str, Any], finding: Finding | None, *, start: datetime, end: datetime
    ) -> Message:
        """What a rule's notifiers render for one group (also ``POST /rules/{id}/preview``)."""
        return Message(
            kind=kind,
            rule=Subject(id=rule.id, name=rule.name, description=rule.description),
            group=group,
            count=finding.count if finding else 0,
            start=start,
            end=end,
            value=finding.value if finding else None,
            previous=finding.previous if finding else None,
            samples=finding.samples if finding else [],
        )
