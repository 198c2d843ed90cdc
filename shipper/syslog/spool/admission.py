"""Admission: the spool holds at most ``max_bytes`` not yet acknowledged; ``put`` waits for room.

A record is admitted by reserving its size before it is written (so concurrent writers cannot
together overshoot the bound), counted in ``bytes`` once written, and released when the watermark
moves over it. An empty spool admits a record of any size, so an oversized record waits for the
spool to empty but never forever. Closing wakes every waiting writer and refuses the rest.

Not a lock of its own: every method runs under the spool's lock, which the ``space`` condition
shares, because the writers' and the acknowledgements' counters are updated under it anyway.
"""

from __future__ import annotations

import threading
import time


class Admission:
    __slots__ = ("_limit", "_space", "_waiting", "closed", "nbytes", "reserved")

    def __init__(self, lock: threading.Lock, limit: int) -> None:
        self._limit = limit
        self._space = threading.Condition(lock)  # writers wait here while full
        self._waiting = 0
        self.closed = True  #: admits nothing (before start and after stop)
        self.nbytes = 0  #: bytes written and not yet under the watermark
        self.reserved = 0  #: bytes admitted and being written

    def admit(self, size: int, timeout: float | None) -> bool:
        """Wait for room for ``size`` more bytes and reserve it; False when closed or still full at the
        timeout (None: wait forever)."""
        limit = self._limit
        if self.nbytes + self.reserved and self.nbytes + self.reserved + size > limit and not self.closed:
            deadline = None if timeout is None else time.monotonic() + timeout
            self._waiting += 1
            try:
                while not self.closed and self.nbytes + self.reserved:
                    if self.nbytes + self.reserved + size <= limit:
                        break
                    if deadline is None:
                        self._space.wait()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return False
                        self._space.wait(remaining)
            finally:
                self._waiting -= 1
        if self.closed:
            return False
        self.reserved += size
        return True

    def written(self, size: int) -> None:
        """``size`` reserved bytes reached the segment: they count as spooled."""
        self.reserved -= size
        self.nbytes += size

    def unreserve(self, size: int) -> None:
        """``size`` reserved bytes will not be written (write failed, spool stopped)."""
        self.reserved -= size
        if self._waiting:
            self._space.notify_all()

    def release(self, size: int) -> None:
        """The watermark moved over ``size`` bytes: room for waiting writers."""
        self.nbytes -= size
        if self._waiting:
            self._space.notify_all()

    def close(self) -> None:
        self.closed = True
        self._space.notify_all()

    def open(self, spooled: int) -> None:
        """Start admitting, with ``spooled`` bytes recovered from disk."""
        self.nbytes = spooled
        self.closed = False
