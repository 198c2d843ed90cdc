"""Percentiles from a ``histogram`` aggregation, for servers that reject ``percentiles`` (the embedded one).

The values of the field are counted in buckets of one width (``interval``) between their minimum and
maximum; a percentile's rank falls into one bucket, and the value is interpolated linearly inside it.
Whatever definition of a percentile one takes (any value between the two order statistics around the
rank), the true value lies in that same bucket, clamped to ``[min, max]``: the estimate is off by at
most one bucket width, ``(max - min) / buckets``, which is what the answers report as ``error_bound``.
No document is read: only the bucket counts.
"""

from __future__ import annotations

from collections.abc import Sequence

#: the percentiles every answer gives
PERCENTS: tuple[float, ...] = (50.0, 90.0, 95.0, 99.0)
#: buckets between min and max: the error bound is a thousandth of the range
BUCKETS = 1000


def label(percent: float) -> str:
    """``95.0`` -> ``"p95"``, ``99.9`` -> ``"p99.9"``."""
    return f"p{percent:g}"


def interval_for(low: float, high: float, buckets: int = BUCKETS) -> float:
    """The bucket width that spreads ``[low, high]`` over ``buckets`` buckets (1.0 when all values are equal)."""
    span = high - low
    return span / buckets if span > 0 else 1.0


def error_bound(low: float, high: float, buckets: int = BUCKETS) -> float:
    """How far a percentile computed by :func:`from_histogram` can be from the true one."""
    return (high - low) / buckets if high > low else 0.0


def from_histogram(
    buckets: Sequence[tuple[float, int]],
    interval: float,
    low: float,
    high: float,
    percents: Sequence[float] = PERCENTS,
) -> dict[str, float | None]:
    """``[(bucket key, count), ...]`` (ascending keys) -> ``{"p50": value, ...}``; ``None`` without values."""
    total = sum(count for _, count in buckets)
    if total == 0:
        return {label(p): None for p in percents}
    if high <= low:
        return {label(p): low for p in percents}
    out: dict[str, float | None] = {}
    for percent in percents:
        rank = percent / 100.0 * total
        seen = 0
        value = high
        for key, count in buckets:
            if count and seen + count >= rank:
                start, end = max(key, low), min(key + interval, high)
                value = start + (end - start) * max(0.0, rank - seen) / count
                break
            seen += count
        out[label(percent)] = min(max(value, low), high)
    return out
