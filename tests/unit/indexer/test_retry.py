"""Classifying bulk responses: settled (201 / 409), retry (429 / 5xx), dead-letter (everything else)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from grokpipe.indexer.retry import backoff, classify


def item(status: int, error: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"_index": "logs-x-default", "_id": "a", "status": status}
    if error:
        result["error"] = {"type": error, "reason": f"{error} happened"}
    return {"create": result}


@pytest.mark.parametrize(
    ("statuses", "settled", "duplicates", "retry", "dead"),
    [
        ([201, 201], [0, 1], 0, [], []),
        ([201, 409], [0, 1], 1, [], []),
        ([429, 201, 503], [1], 0, [0, 2], []),
        ([400, 201, 500], [1], 0, [2], [0]),
        ([404, 413, 502, 504], [], 0, [2, 3], [0, 1]),
        ([], [], 0, [], []),
    ],
)
def test_classify(statuses: list[int], settled: list[int], duplicates: int, retry: list[int], dead: list[int]) -> None:
    errors = {400: "mapper_parsing_exception", 409: "version_conflict_engine_exception", 429: "es_rejected_execution"}
    outcome = classify([item(s, errors.get(s, "x" if s >= 300 else None)) for s in statuses])
    assert outcome.settled == settled
    assert outcome.duplicates == duplicates
    assert outcome.retry == retry
    assert [index for index, _, _ in outcome.dead] == dead


def test_dead_items_carry_status_and_error() -> None:
    outcome = classify([item(400, "mapper_parsing_exception")])
    assert outcome.dead == [
        (0, 400, {"type": "mapper_parsing_exception", "reason": "mapper_parsing_exception happened"})
    ]


def test_real_noida_conflict_response_is_settled() -> None:
    response: dict[str, Any] = {
        "errors": True,
        "items": [
            {
                "create": {
                    "_index": "logs-nginx.access-default",
                    "_id": "evt-1",
                    "status": 409,
                    "error": {
                        "type": "version_conflict_engine_exception",
                        "reason": "[evt-1]: version conflict, document already exists (current version [1])",
                    },
                }
            }
        ],
    }
    outcome = classify(response["items"])
    assert (outcome.settled, outcome.duplicates, outcome.dead) == ([0], 1, [])


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 10, 40])
def test_backoff_is_capped_and_jittered(attempt: int) -> None:
    rng = random.Random(attempt)
    ceiling = min(30.0, 0.5 * 2**attempt)
    delays = [backoff(attempt, 0.5, 30.0, rng) for _ in range(50)]
    assert all(ceiling / 2 <= d <= ceiling for d in delays)
    assert len(set(delays)) > 1
