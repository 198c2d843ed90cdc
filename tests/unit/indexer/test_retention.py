"""Retention's decision: trim past max_events down to trim_ratio of it, warn past warn_ratio."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from grokpipe.indexer.config import IndexerSettings
from grokpipe.indexer.retention import Plan, RetentionSettings, plan

SETTINGS = RetentionSettings(enabled=True, max_events=1000, warn_ratio=0.8, trim_ratio=0.7)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (0, Plan(0, False)),
        (799, Plan(0, False)),
        (800, Plan(0, True)),  # near the limit: warned before anything is deleted
        (1000, Plan(0, True)),
        (1001, Plan(301, False)),  # past it: down to 700, which ends the warning
        (5000, Plan(4300, False)),
    ],
)
def test_plan(count: int, expected: Plan) -> None:
    assert plan(count, SETTINGS) == expected


def test_off_unless_asked_and_a_trim_ends_the_warning() -> None:
    assert IndexerSettings().retention.enabled is False  # a production cluster keeps its ILM policy
    with pytest.raises(ValidationError, match="trim_ratio must be below warn_ratio"):
        RetentionSettings(warn_ratio=0.7, trim_ratio=0.8)
