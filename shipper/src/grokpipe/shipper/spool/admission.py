"""Admission: the spool holds at most ``max_bytes`` not yet acknowledged; ``put`` waits for room.

A record is admitted by reserving its size before it is written, so concurrent writers cannot
together overshoot the bound. Room comes back when the watermark moves over acknowledged records
(``Watermark.freed``, read here rather than copied, so an acknowledgement costs no bookkeeping of
ours) or when a write fails (``unreserve``). An empty spool admits a record of any size, so an
oversized record waits for the spool to empty but never forever. Closing wakes every waiting writer
and refuses the rest.

Not a lock of its own: every method runs under the spool's lock, which the ``space`` condition
shares, because the writers' and the acknowledgements' counters are updated under it anyway.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Freed(Protocol):
    """Where acknowledged bytes are counted: the ``Watermark``, or a drain process's ``Progress``."""

    freed: int


class Admission:
    __slots__ = ("_limit", "_space", "_watermark", "admitted", "closed", "waiting")

    def __init__(self, lock: threading.Lock, limit: int, watermark: Freed) -> None:
        self._limit = limit
        self._space = threading.Condition(lock)  # writers wait here while full
        self._watermark = watermark
        self.waiting = 0  #: writers waiting for room: freeing room must ``wake`` them
        self.closed = True  #: admits nothing (before start and after stop)
        self.admitted = 0  #: bytes recovered and admitted since start, less those whose write failed

    @property
    def used(self) -> int:
        """Bytes admitted and not yet acknowledged (being written, or written)."""
        return self.admitted - self._watermark.freed

    def admit(self, size: int, timeout: float | None) -> bool:
        """Wait for room for ``size`` more bytes and reserve it; False when closed or still full at the
        timeout (None: wait forever)."""
        limit, watermark = self._limit, self._watermark
        used = self.admitted - watermark.freed
        if used and used + size > limit and not self.closed:
            deadline = None if timeout is None else time.monotonic() + timeout
            self.waiting += 1
            try:
                while not self.closed:
                    used = self.admitted - watermark.freed
                    if not used or used + size <= limit:
                        break
                    if deadline is None:
                        self._space.wait()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return False
                        self._space.wait(remaining)
            finally:
                self.waiting -= 1
        if self.closed:
            return False
        self.admitted += size
        return True

    def unreserve(self, size: int) -> None:
        """``size`` reserved bytes will not be written (write failed, spool stopped)."""
        self.admitted -= size
        self.wake()

    def wake(self) -> None:
        """Room was freed: let the waiting writers look again."""
        if self.waiting:
            self._space.notify_all()

    def close(self) -> None:
        self.closed = True
        self._space.notify_all()

    def open(self, spooled: int) -> None:
        """Start admitting, with ``spooled`` bytes recovered from disk."""
        self.admitted = spooled
        self.closed = False
