"""Rules evaluated together: the due rules of one scheduler step, one ``_msearch`` per batch.

Rules that share index, time field and window end are grouped (:func:`split`) into batches of at
most ``size``. A batch claims each rule's lease as a single run would, sends every claimed rule's
own search body (:func:`api.rules.conditions.build_search`, unchanged) in one ``_msearch``, and hands
each rule its own response for :func:`~api.rules.conditions.evaluate`, decide, notify and release.
So groups, conditions, leases and throttle state stay per rule; only the round trips are shared.

A rule whose query does not compile, or whose item of the ``_msearch`` carries an error, fails
alone (its lease is released with its state unchanged); if the ``_msearch`` itself fails, every
rule of that batch fails and the others batches go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import TransportError

from grokpipe.api.errors import ApiError, SearchFailed
from grokpipe.api.lease import Claim
from grokpipe.api.rules.conditions import build_search, evaluate, window_for
from grokpipe.api.rules.schemas import Rule, RuleBody
from grokpipe.api.runner import RuleRunner, RunResult

log = logging.getLogger(__name__)

DEFAULT_SIZE = 25
Due = tuple[Rule, datetime]
SEARCH_OPTIONS: dict[str, Any] = {"allow_no_indices": True, "ignore_unavailable": True}


def batch_key(rule: RuleBody, tick: datetime) -> Hashable:
    """Rules evaluated together: same index, same time field, same window end."""
    return (rule.index, rule.time_field, window_for(rule, tick)[1])


def split(due: Sequence[Due], size: int) -> list[list[Due]]:
    """``due`` grouped by :func:`batch_key` (in order of first appearance), each group cut into ``size``."""
    groups: dict[Hashable, list[Due]] = {}
    for rule, tick in due:
        groups.setdefault(batch_key(rule, tick), []).append((rule, tick))
    return [members[i : i + size] for members in groups.values() for i in range(0, len(members), size)]


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


@dataclass
class _Pending:
    rule: Rule
    claim: Claim
    began: float


class BatchRunner:
    """Runs a batch of due rules with one ``_msearch``; each rule then finishes as a single run."""

    def __init__(self, runner: RuleRunner, size: int = DEFAULT_SIZE) -> None:
        self.runner = runner
        self.size = size

    def split(self, due: list[Due]) -> list[list[Due]]:
        return split(due, self.size)

    def run(self, batch: list[Due]) -> list[RunResult | None]:
        """One result per rule of ``batch`` (None: skipped or failed; the failure is logged and counted)."""
        results: dict[int, RunResult | None] = {}
        pending: list[tuple[int, _Pending]] = []
        searches: list[tuple[str, dict[str, Any]]] = []
        for i, (rule, tick) in enumerate(batch):
            results[i] = None
            claim = self.runner.claim(rule, tick)
            if claim is None:
                continue
            began = time.monotonic()
            start, end = window_for(rule, tick)
            try:
                body = build_search(rule, self.runner.fields.compile(rule), start, end)
            except ApiError as exc:  # InvalidRule, or SearchFailed reading the mapping
                self.runner.fail(rule, claim, exc)
                continue
            pending.append((i, _Pending(rule, claim, began)))
            searches.append((rule.index, body))
        if pending:
            for (i, item), answer in zip(pending, self._msearch(searches), strict=True):
                results[i] = self._finish(item, answer)
        return [results[i] for i in range(len(batch))]

    def _msearch(self, searches: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any] | SearchFailed]:
        try:
            resp = self.runner.es.msearch(searches=msearch_lines(searches))
        except TransportError as exc:
            failed = SearchFailed(f"_msearch failed: {type(exc).__name__}", status=str(exc)[:200])
            return [failed] * len(searches)
        return responses(dict(resp), len(searches))

    def _finish(self, item: _Pending, answer: dict[str, Any] | SearchFailed) -> RunResult | None:
        rule, claim = item.rule, item.claim
        try:
            if isinstance(answer, SearchFailed):
                raise answer
            evaluation = evaluate(rule, answer, window_for(rule, claim.tick)[0])
        except (ApiError, KeyError, TypeError, ValueError) as exc:  # its own error, or a response of another shape
            self.runner.fail(rule, claim, exc)
            return None
        try:
            return self.runner.finish(rule, claim, evaluation, item.began)
        except Exception:
            log.exception("rule run failed", extra={"rule.id": rule.id})
            return None
