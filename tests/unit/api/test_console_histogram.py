"""The console's inline bars and rule lateness: pure functions over data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grokpipe.api.console import histogram
from grokpipe.api.console.routes.rules import lateness
from grokpipe.api.rules.schemas import Rule
from grokpipe.api.rules.state import RuleState

T = datetime(2026, 1, 5, 12, 7, 30, tzinfo=UTC)


def test_buckets_cover_the_current_hour_and_the_23_before() -> None:
    starts = histogram.bucket_starts(T, "24h")
    assert len(starts) == 24
    assert starts[0] == datetime(2026, 1, 4, 13, tzinfo=UTC)
    assert starts[-1] == datetime(2026, 1, 5, 12, tzinfo=UTC)
    days = histogram.bucket_starts(T, "14d")
    assert (len(days), days[0], days[-1]) == (14, datetime(2025, 12, 23, tzinfo=UTC), datetime(2026, 1, 5, tzinfo=UTC))


def test_bars_scale_to_the_peak_and_keep_small_counts_visible() -> None:
    starts = histogram.bucket_starts(T, "24h")[:4]
    chart = histogram.chart(list(zip(starts, [0, 1, 100, 50], strict=True)), width=40, height=20, gap=1)
    assert (chart.peak, chart.total) == (100, 151)
    assert [(b.x, b.width) for b in chart.bars] == [(0, 9), (10, 9), (20, 9), (30, 9)]
    assert [b.height for b in chart.bars] == [1.0, 2.0, 20.0, 10.0]
    assert [b.y for b in chart.bars] == [19.0, 18.0, 0.0, 10.0]
    assert histogram.chart([]).bars == []


def test_per_group_adds_up_aliases_and_fills_empty_buckets() -> None:
    starts = histogram.bucket_starts(T, "24h")
    last = starts[-1].isoformat().replace("+00:00", "Z")
    response = {
        "aggregations": {
            "k": {
                "buckets": [
                    {"key": "a", "h": {"buckets": [{"key_as_string": last, "doc_count": 3}]}},
                    {"key": "a-old", "h": {"buckets": [{"key_as_string": last, "doc_count": 2}]}},
                    {"key": "b", "h": {"buckets": []}},
                ]
            }
        }
    }
    out = histogram.per_group(response, {"a": ["a", "a-old"], "b": ["b"], "c": ["c"]}, starts)
    assert out["a"][-1] == (starts[-1], 5)
    assert sum(n for _, n in out["a"]) == 5
    assert [n for _, n in out["b"]] == [0] * 24 == [n for _, n in out["c"]]


def rule(**schedule: str) -> Rule:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    return Rule.model_validate(
        {"id": "r", "version": "0:1", "created": now, "updated": now, "name": "r", "condition": {"type": "any"}}
        | {"schedule": schedule}
    )


@pytest.mark.parametrize(
    ("schedule", "last_tick", "expected"),
    [
        ({"interval": "1m"}, None, None),
        ({"interval": "1m"}, T - timedelta(seconds=30), timedelta(0)),  # next tick is still ahead
        ({"interval": "1m"}, datetime(2026, 1, 5, 12, 6, tzinfo=UTC), timedelta(seconds=30)),  # 12:07 due 30 s ago
        ({"interval": "1m"}, datetime(2026, 1, 5, 11, 0, tzinfo=UTC), timedelta(minutes=66, seconds=30)),
        ({"cron": "0 9 * * *"}, datetime(2026, 1, 5, 9, 0, tzinfo=UTC), timedelta(0)),
        ({"cron": "0 9 * * *"}, datetime(2026, 1, 3, 9, tzinfo=UTC), timedelta(days=1, hours=3, minutes=7, seconds=30)),
    ],
)
def test_lateness_is_how_long_the_next_tick_has_been_due(
    schedule: dict[str, str], last_tick: datetime | None, expected: timedelta | None
) -> None:
    assert lateness(rule(**schedule), RuleState(last_tick=last_tick), T) == expected
