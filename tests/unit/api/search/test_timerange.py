"""Search ranges and histogram widths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grokpipe.api.errors import InvalidQuery
from grokpipe.api.search.timerange import TimeRange, bucket_width

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kwargs", "start", "end"),
    [
        ({}, NOW - timedelta(minutes=15), NOW),
        ({"since": "1h"}, NOW - timedelta(hours=1), NOW),
        ({"start": datetime(2026, 12, 7, 1, 0)}, datetime(2026, 12, 7, 1, 0, tzinfo=UTC), NOW),
        ({"since": "5m", "end": NOW - timedelta(hours=1)}, NOW - timedelta(minutes=65), NOW - timedelta(hours=1)),
    ],
)
def test_resolve(kwargs: dict[str, object], start: datetime, end: datetime) -> None:
    assert TimeRange.resolve(NOW, **kwargs) == TimeRange(start, end)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"since": "soon"}, {"since": "1h", "start": NOW}, {"start": NOW + timedelta(seconds=1)}],
)
def test_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidQuery):
        TimeRange.resolve(NOW, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("span", "width"),
    [
        (timedelta(minutes=1), "1s"),
        (timedelta(minutes=15), "30s"),
        (timedelta(hours=1), "1m"),
        (timedelta(hours=24), "30m"),
        (timedelta(days=7), "3h"),
        (timedelta(days=30), "12h"),
        (timedelta(days=900), "7d"),
    ],
)
def test_bucket_width(span: timedelta, width: str) -> None:
    assert bucket_width(span)[0] == width
