"""Batching due rules: grouping by index, time field and window end; the _msearch body; per-search errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grokpipe.api.errors import SearchFailed
from grokpipe.api.kernel.scheduler import Scheduler
from grokpipe.api.kernel.settings import SchedulerSettings
from grokpipe.api.rules.batch import msearch_lines, responses, split
from grokpipe.api.rules.schemas import Rule

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _rule(i: int, **body: Any) -> Rule:
    return Rule.model_validate(
        {
            "id": f"r{i}",
            "version": "0:1",
            "created": T,
            "updated": T,
            "name": f"r{i}",
            "schedule": {"interval": "1m"},
            "condition": {"type": "any"},
        }
        | body
    )


def _ids(batches: list[list[tuple[Rule, datetime]]]) -> list[list[str]]:
    return [[rule.id for rule, _ in batch] for batch in batches]


@pytest.mark.parametrize(
    ("rules", "size", "expected"),
    [
        ([{}, {}, {}], 10, [["r0", "r1", "r2"]]),
        ([{}, {}, {}, {}, {}], 2, [["r0", "r1"], ["r2", "r3"], ["r4"]]),
        ([{}, {"index": "other-*"}, {}], 10, [["r0", "r2"], ["r1"]]),
        ([{}, {"time_field": "event.ingested"}, {}], 10, [["r0", "r2"], ["r1"]]),
        ([{}, {"query_delay": "1m"}, {"window": "1h"}], 10, [["r0", "r2"], ["r1"]]),  # same end, longer window
    ],
)
def test_split_groups_by_index_time_field_and_window_end(
    rules: list[dict[str, Any]], size: int, expected: list[list[str]]
) -> None:
    due = [(_rule(i, **body), T) for i, body in enumerate(rules)]
    assert _ids(split(due, size)) == expected


def test_msearch_lines_carry_the_single_search_options() -> None:
    assert msearch_lines([("logs-*", {"size": 1}), ("x", {"size": 2})]) == [
        {"index": "logs-*", "allow_no_indices": True, "ignore_unavailable": True},
        {"size": 1},
        {"index": "x", "allow_no_indices": True, "ignore_unavailable": True},
        {"size": 2},
    ]


def test_responses_keep_errors_per_search() -> None:
    ok = {"hits": {"hits": []}, "status": 200}
    refused = {"error": {"type": "parsing_exception", "reason": "unknown query [x]"}, "status": 400}
    got = responses({"responses": [ok, refused, ok]}, 3)
    assert got[0] == ok
    assert got[2] == ok
    assert isinstance(got[1], SearchFailed)
    assert got[1].message == "search failed: parsing_exception"
    assert got[1].details == {"status": "unknown query [x]"}


def test_responses_of_the_wrong_length_fail_every_search() -> None:
    got = responses({"responses": [{"hits": {}}]}, 2)
    assert len(got) == 2
    assert all(isinstance(r, SearchFailed) for r in got)


class _Batcher:
    def __init__(self) -> None:
        self.ran: list[list[str]] = []

    def split(self, due: list[tuple[Rule, datetime]]) -> list[list[tuple[Rule, datetime]]]:
        return split(due, 2)

    def run(self, batch: list[tuple[Rule, datetime]]) -> None:
        self.ran.append([rule.id for rule, _ in batch])


def test_scheduler_submits_one_task_per_batch() -> None:
    batcher = _Batcher()
    scheduler: Scheduler[Rule] = Scheduler(
        store=None,  # type: ignore[arg-type]
        runner=None,  # type: ignore[arg-type]
        settings=SchedulerSettings(workers=1),
        clock=lambda: T,
        batcher=batcher,
    )
    for i in range(3):
        rule = _rule(i)
        scheduler.rules[rule.id] = rule
    assert scheduler.step(T - timedelta(seconds=1)) == 0
    assert scheduler.step(T) == 3
    assert scheduler.running["r0"] is scheduler.running["r1"]
    assert scheduler.running["r0"] is not scheduler.running["r2"]
    for future in scheduler.running.values():
        future.result(timeout=5)
    scheduler.stop()
    assert batcher.ran == [["r0", "r1"], ["r2"]]
