"""Percentiles from histogram buckets: table-driven, against the exact order statistics."""

from __future__ import annotations

import math
import random

import pytest

from grokpipe.api.search.percentiles import PERCENTS, error_bound, from_histogram, interval_for, label


def _buckets(values: list[float], interval: float) -> list[tuple[float, int]]:
    counts: dict[float, int] = {}
    for v in values:
        key = math.floor(v / interval) * interval
        counts[key] = counts.get(key, 0) + 1
    return sorted(counts.items())


def _exact(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("uniform", [i / 100 for i in range(1000)]),
        ("long tail", [0.01 * (i % 50) + (30.0 if i % 97 == 0 else 0) for i in range(2000)]),
        ("two values", [0.2] * 90 + [3.0] * 10),
        ("one value", [1.5]),
        ("random", [random.Random(7).expovariate(3.0) for _ in range(5000)]),
    ],
)
def test_within_one_bucket_of_the_exact_percentile(name: str, values: list[float]) -> None:
    low, high = min(values), max(values)
    interval = interval_for(low, high)
    got = from_histogram(_buckets(values, interval), interval, low, high)
    bound = error_bound(low, high)
    for percent in PERCENTS:
        assert abs(got[label(percent)] - _exact(values, percent)) <= bound + 1e-9, (name, percent)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("buckets", "low", "high", "expected"),
    [
        ([], 0.0, 0.0, {"p50": None, "p90": None, "p95": None, "p99": None}),
        ([(5.0, 3)], 5.0, 5.0, {"p50": 5.0, "p90": 5.0, "p95": 5.0, "p99": 5.0}),
        ([(0.0, 50), (1.0, 50)], 0.0, 2.0, {"p50": 1.0, "p90": 1.8, "p95": 1.9, "p99": 1.98}),
    ],
)
def test_table(buckets: list[tuple[float, int]], low: float, high: float, expected: dict[str, float | None]) -> None:
    got = from_histogram(buckets, 1.0, low, high)
    assert got == pytest.approx(expected) if expected["p50"] is not None else got == expected


def test_labels_and_bounds() -> None:
    assert [label(p) for p in (50.0, 99.9)] == ["p50", "p99.9"]
    assert interval_for(2.0, 2.0) == 1.0
    assert error_bound(0.0, 10.0) == 0.01
