"""Group fsync: one fsync serves every writer waiting for it.

Writers ask for the first ``target`` bytes written since start to be durable. If no fsync is
running, the caller runs one, covering everything written when it began; callers arriving while it
runs wait, and when it ends, those it covered return and the first of the others runs the next one.
So with N concurrent ``fsync: always`` puts the disk sees about two fsyncs per round, not N. Used by
``always`` puts, the ``interval`` timer and ``stop``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class GroupFsync:
    def __init__(self, fsync: Callable[[], int]) -> None:
        """``fsync`` makes what was written durable and returns how many bytes (counted since start) it
        covered; it may raise, and a failed fsync covers nothing."""
        self._fsync = fsync
        self._cond = threading.Condition()
        self._synced = 0
        self._syncing = False

    @property
    def synced(self) -> int:
        """Bytes written since start that an fsync has covered."""
        return self._synced

    def sync_until(self, target: int) -> None:
        """Return once the first ``target`` bytes written since start are fsynced (or raise what the
        fsync raised, for the caller that ran it)."""
        with self._cond:
            while self._synced < target:
                if not self._syncing:
                    self._syncing = True
                    break
                self._cond.wait()
            else:
                return
        covered = -1
        try:
            covered = self._fsync()
        finally:
            with self._cond:
                self._syncing = False
                self._synced = max(self._synced, covered)
                self._cond.notify_all()
