"""Failed key attempts per source address: guessing keys is slowed to ``limit`` tries per ``window``.

A wrong ``X-API-Key`` or a wrong key on the console's login form counts as a failure of the client's
address (``request.client.host``: behind a proxy that uvicorn trusts, the forwarded address). After
``auth.failed_attempts`` failures within ``auth.failed_window`` seconds, every key from that address is
refused with 429 and ``Retry-After`` until the oldest of those failures is older than the window, a
right key included: an answer to a right key would end the guessing. A request without a key is not a
guess and is not counted. The count lives in each api process (replicas count apart) and holds at most
``max_sources`` addresses, forgetting the least recent first.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

Clock = Callable[[], float]


class FailedAttempts:
    def __init__(self, limit: int, window: float, *, clock: Clock = time.monotonic, max_sources: int = 10_000) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_sources = max_sources
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, source: str) -> float | None:
        """Seconds until ``source`` may try a key again, or None if it may now."""
        now = self.clock()
        with self._lock:
            failures = self._recent(source, now)
            if failures is None or len(failures) < self.limit:
                return None
            return max(failures[0] + self.window - now, 0.001)

    def failed(self, source: str) -> None:
        now = self.clock()
        with self._lock:
            failures = self._recent(source, now)
            if failures is None:
                failures = self._failures[source] = deque(maxlen=self.limit)
                while len(self._failures) > self.max_sources:
                    self._failures.popitem(last=False)
            failures.append(now)
            self._failures.move_to_end(source)

    def _recent(self, source: str, now: float) -> deque[float] | None:
        failures = self._failures.get(source)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[source]
            return None
        return failures
