"""A pass that one api replica runs per interval: a daemon thread wakes every ``interval`` seconds and runs
the pass only if this replica wins the lease for the current tick (so N replicas run it once), releasing
the claim whatever the pass did (a pass keeps no state in its lease: ``NoState``). The error-group and pattern
syncs are such passes."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Generic, TypeVar

from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Leases, NoState

R = TypeVar("R")


class LeasedLoop(ABC, Generic[R]):
    def __init__(self, *, name: str, lease_id: str, interval: float, leases: Leases[Any], clock: Clock) -> None:
        self.lease_id = lease_id
        self.interval = interval
        self.leases = leases.of(NoState)
        self.clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    @abstractmethod
    def run_once(self) -> R:
        """One pass (also run on demand, by a route, outside the lease)."""

    @abstractmethod
    def failed(self) -> None:
        """A pass raised (called inside the ``except``): count it and log it; the loop goes on."""

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 (failed() logs it, traceback included, and counts it)
                self.failed()
            self._stop.wait(self.interval)

    def tick(self) -> R | None:
        """One pass if this replica wins the lease for the current interval."""
        now = self.clock()
        tick = datetime.fromtimestamp(now.timestamp() // self.interval * self.interval, now.tzinfo)
        claim = self.leases.claim(self.lease_id, tick, now)
        if claim is None:
            return None
        try:
            return self.run_once()
        finally:
            self.leases.release(claim, claim.state)
