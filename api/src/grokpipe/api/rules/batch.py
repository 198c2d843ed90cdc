"""Rules evaluated together: the due rules of one scheduler step, one search per batch.

Rules that share index, time field and window end form a batch. A batch claims each rule's lease as
a single run would, builds each claimed rule's own search body
(:func:`grokpipe.api.rules.conditions.build_search`, unchanged) and then, by ``scheduler.rule_grouping``:

- ``filters`` (default): one search with a ``filters`` bucket per distinct query, or a ``terms``
  bucket per value for queries that differ only in one keyword term
  (:mod:`grokpipe.api.rules.grouped`); a batch holds at most ``size`` distinct queries, rules with the
  same query and aggregations share a bucket. The embedded server scans the index once per query
  clause it evaluates, in a bucket too, so sharing buckets is what makes 1,000 rules a minute fit.
- ``msearch``: one ``_msearch`` of up to ``size`` searches.

Each rule then gets a response of the shape its single search has, and evaluate, decide, notify and
release run per rule: groups, conditions, leases and throttle state stay the rule's own.

Failures stay per rule. A rule whose query does not compile fails alone. If the server refuses the
grouped search (a 4xx or 500: one rule's query it rejects, too many buckets) or answers it only in
part (failed shards), every rule of the batch is searched alone, so only the culprit fails. If the
server is unreachable or overloaded (no response, 429, 502-504), the batch's rules fail with their
state unchanged and the other batches go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grokpipe.api.errors import ApiError, SearchFailed, search_failed
from grokpipe.api.kernel.lease import Claim
from grokpipe.api.kernel.settings import SchedulerSettings
from grokpipe.api.rules.conditions import build_search, evaluate, query_start, window_for
from grokpipe.api.rules.grouped import Uncertain, group, shard_failures, signature
from grokpipe.api.rules.runner import RuleRunner, RunResult
from grokpipe.api.rules.schemas import Rule, RuleBody
from grokpipe.api.rules.state import RuleState
from grokpipe.api.rules.validity import QueryValidity
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

log = logging.getLogger(__name__)

DEFAULT_SIZE = 100
#: Claims and finishes of one batch running at once.
CONCURRENCY = 8
Due = tuple[Rule, datetime]
Answer = dict[str, Any] | ApiError | ElasticsearchError
SEARCH_OPTIONS: dict[str, Any] = {"allow_no_indices": True, "ignore_unavailable": True}
#: Statuses after which searching each rule alone would only add load to a server that is struggling.
_OVERLOADED = frozenset({429, 502, 503, 504})


def batch_key(rule: RuleBody, tick: datetime) -> Hashable:
    """Rules evaluated together: same index, same time field, same window end."""
    return (rule.index, rule.time_field, window_for(rule, tick)[1])


def split(due: Sequence[Due], size: int) -> list[list[Due]]:
    """``due`` grouped by :func:`batch_key` (in order of first appearance), each group cut into ``size``."""
    groups: dict[Hashable, list[Due]] = {}
    for rule, tick in due:
        groups.setdefault(batch_key(rule, tick), []).append((rule, tick))
    return [members[i : i + size] for members in groups.values() for i in range(0, len(members), size)]


def bucket_signature(rule: RuleBody, tick: datetime) -> str:
    """Which bucket of a grouped search ``rule`` gets, from its source text (nothing compiled yet)."""
    start, end = window_for(rule, tick)
    source = {"dsl": rule.dsl} if rule.dsl is not None else {"lucene": rule.query or ""}
    return signature(build_search(rule, source, start, end))


def split_by_buckets(due: Sequence[Due], size: int) -> list[list[Due]]:
    """Like :func:`split`, but ``size`` counts distinct buckets: rules that would share one stay together."""
    groups: dict[Hashable, dict[str, list[Due]]] = {}
    for rule, tick in due:
        groups.setdefault(batch_key(rule, tick), {}).setdefault(bucket_signature(rule, tick), []).append((rule, tick))
    out: list[list[Due]] = []
    for buckets in groups.values():
        members = list(buckets.values())
        out.extend([due for bucket in members[i : i + size] for due in bucket] for i in range(0, len(members), size))
    return out


def msearch_lines(searches: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The ``_msearch`` body: a header (index, the options of a single search) and a body per search."""
    lines: list[dict[str, Any]] = []
    for index, body in searches:
        lines.append({"index": index, **SEARCH_OPTIONS})
        lines.append(body)
    return lines


def responses(resp: dict[str, Any], expected: int) -> list[dict[str, Any] | SearchFailed]:
    """Each search's response, or the error the server gave for that search alone."""
    items = list(resp.get("responses", []))
    if len(items) != expected:
        failed = SearchFailed(f"_msearch answered {len(items)} of {expected} searches")
        return [failed] * expected
    out: list[dict[str, Any] | SearchFailed] = []
    for item in items:
        error = item.get("error")
        if error is None:
            out.append(item)
            continue
        reason = error.get("reason", error) if isinstance(error, dict) else error
        kind = error.get("type", "error") if isinstance(error, dict) else "error"
        out.append(SearchFailed(f"search failed: {kind}", status=str(reason)[:200]))
    return out


def refused(exc: ElasticsearchError) -> bool:
    """The server answered the grouped search with an error one of its rules may have caused."""
    return exc.status != 0 and exc.status not in _OVERLOADED


@dataclass
class _Pending:
    rule: Rule
    claim: Claim[RuleState]
    began: float
    query: dict[str, Any]
    body: dict[str, Any]


class BatchRunner:
    """Runs a batch of due rules with one search (or ``_msearch``); each rule then finishes as a single run."""

    def __init__(self, runner: RuleRunner, size: int = DEFAULT_SIZE, grouping: str = "filters") -> None:
        if grouping not in {"filters", "msearch"}:
            raise ValueError(f"unknown rule grouping {grouping!r}")
        self.runner = runner
        self.size = size
        self.grouping = grouping
        self.validity = QueryValidity(runner.es)

    @classmethod
    def configured(cls, runner: RuleRunner, settings: SchedulerSettings) -> BatchRunner | None:
        """The batcher ``scheduler.rule_grouping`` asks for (None: one search per rule)."""
        if settings.rule_grouping == "single":
            return None
        return cls(runner, settings.rule_batch, settings.rule_grouping)

    def split(self, due: list[Due]) -> list[list[Due]]:
        if self.grouping == "filters":
            return split_by_buckets(due, self.size)
        return split(due, self.size)

    def run(self, batch: list[Due]) -> list[RunResult | None]:
        """One result per rule of ``batch`` (None: skipped or failed; the failure is logged and counted).

        Claims and finishes (lease, history and notification writes) run ``CONCURRENCY`` at a time:
        they are independent per rule, as in single runs on the scheduler's workers.
        """
        with ThreadPoolExecutor(min(CONCURRENCY, len(batch)) or 1, thread_name_prefix="rule-batch") as pool:
            claims = list(pool.map(self._claim, batch))
            pending: list[tuple[int, _Pending]] = []
            for i, ((rule, tick), claim) in enumerate(zip(batch, claims, strict=True)):
                if claim is None:
                    continue
                began = time.monotonic()
                start, end = window_for(rule, tick)
                try:
                    query = self.runner.compile(rule)
                except ApiError as exc:  # InvalidRule, or SearchFailed reading the mapping
                    self.runner.fail(rule, claim, exc)
                    continue
                pending.append((i, _Pending(rule, claim, began, query, build_search(rule, query, start, end))))
            results: list[RunResult | None] = [None] * len(batch)
            if pending:
                items = [item for _, item in pending]
                try:
                    answers = self._msearch(items) if self.grouping == "msearch" else self._grouped(items)
                except Exception as exc:  # each claimed rule still fails (and releases its tick) alone
                    log.exception("batch search failed", extra={"rule.ids": [p.rule.id for p in items]})
                    answers = [SearchFailed(f"batch search failed: {type(exc).__name__}: {exc}")] * len(items)
                finished = pool.map(lambda pair: self._finish(*pair), zip(items, answers, strict=True))
                for (i, _), result in zip(pending, finished, strict=True):
                    results[i] = result
        return results

    def _claim(self, due: Due) -> Claim[RuleState] | None:
        rule, tick = due
        try:
            return self.runner.claim(rule, tick)
        except Exception:  # this rule's lease could not be read or written; the others go on
            log.exception("claiming a rule's tick failed", extra={"rule.id": rule.id})
            return None

    def _grouped(self, items: list[_Pending]) -> list[Answer]:
        """Answers for ``items``: the queries the server accepts from one search, the others each alone."""
        answers: dict[int, Answer] = {}
        together: list[tuple[int, _Pending]] = []
        mapping = self._mapping(items[0].rule.index)
        for i, item in enumerate(items):
            if self.validity.valid(item.rule.index, item.query, mapping):
                together.append((i, item))
            else:
                answers[i] = self._single(item)  # the server's own error, for this rule alone
        if len(together) == 1:
            answers[together[0][0]] = self._single(together[0][1])
        elif together:
            for (i, _), answer in zip(together, self._search_together([p for _, p in together]), strict=True):
                answers[i] = answer
        return [answers[i] for i in range(len(items))]

    def _mapping(self, index: str) -> Hashable:
        """The identity of ``index``'s mapping as the rules see it (validity holds per mapping)."""
        try:
            return frozenset(self.runner.fields.fields(index).items())
        except ApiError:
            return None

    def _search_together(self, items: list[_Pending]) -> list[Answer]:
        first = items[0].rule
        since = min(query_start(p.rule, window_for(p.rule, p.claim.tick)[0]) for p in items)
        until = max(window_for(p.rule, p.claim.tick)[1] for p in items)
        try:
            keywords = self.runner.fields.keywords(first.index)
        except ApiError:
            keywords = frozenset()
        grouped = group([p.body for p in items], first.time_field, since, until, keywords)
        try:
            with elasticsearch_errors(f"grouped search of {first.index}"):
                resp = dict(self.runner.es.search(index=first.index, **SEARCH_OPTIONS, **grouped.body))
        except ElasticsearchError as exc:
            if not refused(exc):
                failed = search_failed(f"grouped search of {first.index}", exc)
                return [failed] * len(items)
            log.warning(
                "grouped search refused; searching each rule alone",
                extra={"rule.ids": [p.rule.id for p in items], "error": str(exc)[:200]},
            )
            return [self._single(p) for p in items]
        if shard_failures(resp):
            log.warning("grouped search partly failed; searching each rule alone", extra={"index": first.index})
            return [self._single(p) for p in items]
        out: list[Answer] = []
        for i, (item, slot) in enumerate(zip(items, grouped.slots, strict=True)):
            try:
                out.append(grouped.part(resp, i))
            except Uncertain:
                out.append(self._single(item))
            except (KeyError, TypeError, AttributeError):
                out.append(SearchFailed(f"grouped search answered without bucket {slot.agg}/{slot.bucket}"))
        return out

    def _single(self, item: _Pending) -> Answer:
        try:
            with elasticsearch_errors(f"search of {item.rule.index}"):
                return self.runner.query(item.rule.index, item.body)
        except (ApiError, ElasticsearchError) as exc:
            return exc

    def _msearch(self, items: list[_Pending]) -> list[Answer]:
        searches = [(p.rule.index, p.body) for p in items]
        try:
            with elasticsearch_errors("_msearch"):
                resp = self.runner.es.msearch(searches=msearch_lines(searches))
        except ElasticsearchError as exc:
            return [search_failed("_msearch", exc)] * len(searches)
        return list(responses(dict(resp), len(searches)))

    def _finish(self, item: _Pending, answer: Answer) -> RunResult | None:
        rule, claim = item.rule, item.claim
        try:
            if isinstance(answer, ApiError | ElasticsearchError):
                raise answer
            evaluation = evaluate(rule, answer, window_for(rule, claim.tick)[0])
        except (ApiError, ElasticsearchError, KeyError, TypeError, ValueError) as exc:  # or a response of another shape
            self.runner.fail(rule, claim, exc)
            return None
        try:
            return self.runner.finish(rule, claim, evaluation, item.began)
        except Exception:
            log.exception("rule run failed", extra={"rule.id": rule.id})
            return None
