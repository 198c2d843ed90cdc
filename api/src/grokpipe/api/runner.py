"""One rule evaluation: claim the tick, search, decide, notify, record history, persist state."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api import metrics
from grokpipe.api.config import IndicesSettings
from grokpipe.api.errors import search_failed
from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Claim, Leases
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Kind, Message, Subject
from grokpipe.api.responses import AlertRecord
from grokpipe.api.rules import hints
from grokpipe.api.rules.conditions import Evaluation, Finding, build_search, evaluate, window_for
from grokpipe.api.rules.query import flatten_mapping, lucene_to_dsl, plain_keywords, vet_dsl
from grokpipe.api.rules.schemas import Rule, RuleBody
from grokpipe.api.rules.state import RuleState
from grokpipe.api.throttle import Action, decide
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound

log = logging.getLogger(__name__)


class FieldCache:
    """Live mappings per index pattern, refreshed every ``ttl`` seconds."""

    def __init__(self, es: Elasticsearch, ttl: float = 60.0) -> None:
        self.es = es
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, str], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def fields(self, pattern: str) -> dict[str, str]:
        return self._load(pattern)[1]

    def keywords(self, pattern: str) -> frozenset[str]:
        """Fields that are ``keyword`` without a normalizer in every index of ``pattern``."""
        return self._load(pattern)[2]

    def _load(self, pattern: str) -> tuple[float, dict[str, str], frozenset[str]]:
        with self._lock:
            hit = self._cache.get(pattern)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit
        try:
            with elasticsearch_errors(f"reading the mapping of {pattern}"):
                mapping = dict(self.es.indices.get_mapping(index=pattern, allow_no_indices=True))
        except ElasticsearchNotFound:
            mapping = {}
        except ElasticsearchError as exc:
            raise search_failed(f"reading the mapping of {pattern}", exc) from exc
        loaded = (time.monotonic(), flatten_mapping(mapping), plain_keywords(mapping))
        with self._lock:
            self._cache[pattern] = loaded
        return loaded

    def compile(self, rule: RuleBody) -> dict[str, Any]:
        """The rule's query as DSL; raises InvalidRule (422) on bad syntax, fields or code."""
        fields = self.fields(rule.index)
        known = {rule.time_field, *rule.group_by}
        unknown = sorted(f for f in known if fields and f not in fields)
        if unknown:
            raise hints.unknown_fields(unknown, fields)
        if rule.dsl is not None:
            return vet_dsl(rule.dsl, fields)
        return lucene_to_dsl(rule.query or "", fields)


@dataclass
class RunResult:
    rule_id: str
    tick: datetime
    start: datetime
    end: datetime
    evaluation: Evaluation
    actions: list[AlertRecord] = field(default_factory=list)


class RuleRunner:
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
        self.es = es
        self.indices = indices
        self.dispatcher = dispatcher
        self.leases = leases.of(RuleState)
        self.clock = clock
        self.fields = fields or FieldCache(es)
        self.history = History(es, indices.alerts, clock)

    def search(self, rule: RuleBody, start: datetime, end: datetime) -> Evaluation:
        body = build_search(rule, self.fields.compile(rule), start, end)
        return evaluate(rule, self.query(rule.index, body), start)

    def query(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        """One search of ``index``, with the options every rule search uses."""
        try:
            with elasticsearch_errors(f"search of {index}"):
                resp = self.es.search(index=index, allow_no_indices=True, ignore_unavailable=True, **body)
        except ElasticsearchError as exc:
            raise search_failed(f"search of {index}", exc) from exc
        return dict(resp)

    def run(self, rule: Rule, tick: datetime) -> RunResult | None:
        """Evaluate ``rule`` for ``tick`` unless another run (here or on a replica) claimed it."""
        claim = self.claim(rule, tick)
        if claim is None:
            return None
        began = time.monotonic()
        start, end = window_for(rule, tick)
        try:
            evaluation = self.search(rule, start, end)
        except Exception as exc:
            self.fail(rule, claim, exc)
            raise
        return self.finish(rule, claim, evaluation, began)

    def claim(self, rule: Rule, tick: datetime) -> Claim[RuleState] | None:
        """The lease on ``tick``, or None (counted as skipped) if it is not this run's to evaluate."""
        claim = self.leases.claim(rule.id, tick, self.clock())
        if claim is None:
            metrics.RULE_RUNS.labels(outcome="skipped").inc()
            return None
        metrics.RULE_LATENESS.observe(max(0.0, (self.clock() - tick).total_seconds()))
        return claim

    def fail(self, rule: Rule, claim: Claim[RuleState], error: BaseException) -> None:
        """The search failed: count and log it, and give the tick back with the state unchanged."""
        metrics.RULE_RUNS.labels(outcome="failed").inc()
        log.error("rule evaluation failed", exc_info=error, extra={"rule.id": rule.id})
        self.leases.release(claim, claim.state)

    def finish(
        self, rule: Rule, claim: Claim[RuleState], evaluation: Evaluation, began: float | None = None
    ) -> RunResult:
        """Decide, notify, record history and release the lease with the new state (also when a step fails:
        once decided, the new state is what stops the notifications already sent from going out again)."""
        began = time.monotonic() if began is None else began
        tick = claim.tick
        state = claim.state
        try:
            if self.history.pending:  # Elasticsearch answered this run: write what an outage kept back
                self.history.flush()
            start, end = window_for(rule, tick)
            state, actions = decide(
                claim.state,
                evaluation.findings,
                tick,
                realert=rule.realert_td,
                recovery=rule.recovery,
                silenced_until=rule.silenced_until,
            )
            result = RunResult(rule.id, tick, start, end, evaluation)
            for action in actions:
                result.actions.append(self._act(rule, action, tick, start, end))
        finally:
            self.leases.release(claim, state.model_copy(update={"last_tick": tick}))
        metrics.RULE_RUNS.labels(outcome="ok").inc()
        metrics.RULE_DURATION.observe(time.monotonic() - began)
        return result

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

    def _act(self, rule: Rule, action: Action, tick: datetime, start: datetime, end: datetime) -> AlertRecord:
        message = self.message(rule, action.kind, action.group, action.finding, start=start, end=end)
        outcomes = self.dispatcher.deliver(rule.notify, message) if action.notify else {}
        doc = self.history.record(
            "rule",
            action.kind,
            rule={"id": rule.id, "name": rule.name},
            tick=tick,
            count=message.count,
            notified=action.notify and bool(rule.notify),  # a rule without notifiers only records
            notifications=outcomes,
            group_key=action.key,
            refresh=False,
            group=action.group,
            value=message.value,
            window={"start": message.start, "end": message.end},
            sample_ids=[s.get("_id") for s in message.samples],
            **({"reason": action.reason} if action.reason else {}),
        )
        log.info("alert " + action.kind, extra={"rule.id": rule.id, "group": action.key, "notified": action.notify})
        return doc
