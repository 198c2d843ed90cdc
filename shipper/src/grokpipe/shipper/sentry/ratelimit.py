"""Per-project rate limits and the answer that makes an SDK back off (pure, clock injected).

A token bucket per project: ``per_second`` tokens a second up to ``burst``; a request takes one
token per document it would make and is refused whole when there are not enough. The refusal is a
429 whose ``Retry-After`` is the seconds until enough tokens are back, with the same delay in
``X-Sentry-Rate-Limits`` (develop.sentry.dev, "Rate Limiting"): ``<seconds>:<categories>:<scope>:<reason>``,
categories separated by ``;``, none meaning all of them. The SDKs then drop (and report as
discarded) what they would send in that window rather than queue it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable

from grokpipe.shipper.sentry.config import RateLimit


def rate_limits_header(retry_after: int, categories: Iterable[str] = (), scope: str = "key", reason: str = "") -> str:
    """``X-Sentry-Rate-Limits`` for one limit: ``10::key:spool_full``, ``3:error;log_item:project:``."""
    return f"{retry_after}:{';'.join(sorted(set(categories)))}:{scope}:{reason}"


class TokenBuckets:
    """One bucket per project id; thread-safe (the HTTP server handles requests on threads)."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = limit.per_second
        self._burst = float(limit.burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[int, tuple[float, float]] = {}  # project -> (tokens, at)

    def take(self, project: int, count: int) -> int:
        """Take ``count`` tokens: 0 when taken, else the whole seconds to wait before asking again."""
        if count <= 0:
            return 0
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(project, (self._burst, now))
            tokens = min(self._burst, tokens + (now - at) * self._rate)
            need = min(float(count), self._burst)  # a request bigger than a burst passes on a full bucket
            if tokens >= need:
                self._buckets[project] = (tokens - need, now)
                return 0
            self._buckets[project] = (tokens, now)
            return max(1, math.ceil((need - tokens) / self._rate))
