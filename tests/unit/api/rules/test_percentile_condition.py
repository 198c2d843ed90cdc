"""The percentile condition: fires exactly as the nearest-rank percentile compares with the threshold;
reports the percentile from the histogram within the stated resolution."""

from __future__ import annotations

import math
from typing import Any

import pytest

from grokpipe.api.rules.conditions import PERCENTILE_RESOLUTION, percentile_aggs, percentile_fires, percentile_interval
from grokpipe.api.rules.schemas import PercentileCondition


def _cur(values: list[float], cond: PercentileCondition) -> dict[str, Any]:
    """What the server answers to :func:`percentile_aggs` over ``values``."""
    interval = percentile_interval(cond)
    counts: dict[float, int] = {}
    for v in values:
        key = math.floor(v / interval) * interval
        counts[key] = counts.get(key, 0) + 1
    side = percentile_aggs(cond)["at"]["filter"]["range"][cond.field]
    at = sum(1 for v in values if (v <= side["lte"] if "lte" in side else v < side["lt"]))
    stats = {"count": len(values), "min": min(values, default=None), "max": max(values, default=None)}
    return {
        "doc_count": len(values),
        "s": stats,
        "at": {"doc_count": at},
        "h": {"buckets": [{"key": k, "doc_count": n} for k, n in sorted(counts.items())]},
    }


def _nearest_rank(values: list[float], percentile: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percentile / 100 * len(ordered)) - 1)]


TAIL = [0.1] * 94 + [2.0] * 6  # p95 = 2.0, p90 = 0.1
CASES = [
    (TAIL, 95, "above", 1.5, True),
    (TAIL, 90, "above", 1.5, False),
    (TAIL, 95, "above", 2.0, False),  # equal is not above
    (TAIL, 95, "below", 2.0, False),
    (TAIL, 95, "below", 2.01, True),
    (TAIL, 90, "below", 1.5, True),
    ([0.5 + i / 1000 for i in range(1000)], 99, "above", 1.4, True),
    ([0.5 + i / 1000 for i in range(1000)], 99, "above", 1.5, False),
    ([], 95, "above", 0.0, False),
]


@pytest.mark.parametrize(("values", "percentile", "op", "threshold", "fires"), CASES)
def test_fires_exactly_as_the_nearest_rank_percentile(
    values: list[float], percentile: float, op: str, threshold: float, fires: bool
) -> None:
    cond = PercentileCondition(type="percentile", field="d", percentile=percentile, op=op, value=threshold)  # type: ignore[arg-type]
    got, value = percentile_fires(cond, _cur(values, cond))
    assert got is fires
    if values:
        exact = _nearest_rank(values, percentile)
        assert got is (exact > threshold if op == "above" else exact < threshold)
        assert value is not None
        assert abs(value - exact) <= abs(threshold) * PERCENTILE_RESOLUTION + 1e-9
    else:
        assert value is None
