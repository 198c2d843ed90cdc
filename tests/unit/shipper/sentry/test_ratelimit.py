from __future__ import annotations

from grokpipe.shipper.sentry.config import RateLimit
from grokpipe.shipper.sentry.ratelimit import TokenBuckets, rate_limits_header


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_per_project() -> None:
    clock = Clock()
    buckets = TokenBuckets(RateLimit(per_second=10, burst=20), clock)
    assert buckets.take(1, 20) == 0
    assert buckets.take(1, 5) == 1  # 5 tokens at 10/s: back in a second
    assert buckets.take(2, 20) == 0  # another project has its own
    clock.now += 0.5
    assert buckets.take(1, 5) == 0
    assert buckets.take(1, 1) == 1
    clock.now += 100
    assert buckets.take(1, 500) == 0  # bigger than a burst: passes on a full bucket
    assert buckets.take(1, 0) == 0


def test_rate_limits_header() -> None:
    assert rate_limits_header(10, reason="spool_full") == "10::key:spool_full"
    assert rate_limits_header(3, ["log_item", "error", "error"], "project") == "3:error;log_item:project:"
