"""Stream connections counted across an input's worker processes, so ``max_connections`` stays one
limit per listener however many workers accept on it.

The counts live in a small shared file (``connections``: one 64-bit count per worker and listener,
memory-mapped by every worker); a worker admits a connection under an exclusive ``flock`` of that
file, so two workers cannot both take the last slot. The kernel drops the lock of a process that
dies, however it dies, so a worker killed mid-admission never blocks the others; the supervisor
zeroes a dead worker's counts before it starts the replacement. Each worker writes only its own
counts; the supervisor reads the sums without the lock (a gauge may be one connection stale).
"""

from __future__ import annotations

import contextlib
import fcntl
import mmap
import os
import struct
from collections.abc import Iterator, Sequence
from pathlib import Path

from grokpipe.shipper.syslog.config import ListenAddress

_COUNT = struct.Struct("<q")


class ConnectionAdmission:
    """What the listeners ask before serving a stream connection; this one counts in one process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[ListenAddress, int] = {}

    def admit(self, listener: ListenAddress) -> bool:
        count = self._open.get(listener, 0)
        if count >= self.limit:
            return False
        self._open[listener] = count + 1
        return True

    def release(self, listener: ListenAddress) -> None:
        self._open[listener] = self._open.get(listener, 1) - 1

    def close(self) -> None:
        """Nothing to release for in-process counts."""


class SharedSlots:
    """The shared count file of one input. ``create`` (supervisor) makes a fresh zeroed file;
    ``for_worker`` (each worker) maps it and admits for one worker index."""

    def __init__(self, path: Path, workers: int, listeners: Sequence[ListenAddress]) -> None:
        self.path = path
        self.workers = workers
        self.listeners = list(listeners)
        self._index = {address: i for i, address in enumerate(self.listeners)}
        self._fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._map = mmap.mmap(self._fd, self._size)

    @property
    def _size(self) -> int:
        return max(1, self.workers * len(self.listeners)) * _COUNT.size

    @classmethod
    def create(cls, path: Path, workers: int, listeners: Sequence[ListenAddress]) -> SharedSlots:
        """A new file (replacing, not rewriting, an old one: workers of a killed supervisor that are
        still shutting down keep their own copy and cannot disturb the new counts)."""
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as f:
            f.write(bytes(max(1, workers * len(listeners)) * _COUNT.size))
        tmp.replace(path)
        return cls(path, workers, listeners)

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def _offset(self, worker: int, listener: int) -> int:
        return (worker * len(self.listeners) + listener) * _COUNT.size

    def _get(self, worker: int, listener: int) -> int:
        return int(_COUNT.unpack_from(self._map, self._offset(worker, listener))[0])

    def total(self, listener: ListenAddress) -> int:
        index = self._index[listener]
        return sum(self._get(w, index) for w in range(self.workers))

    def open_connections(self) -> int:
        return sum(self.total(listener) for listener in self.listeners)

    def reset(self, worker: int) -> None:
        """Zero a dead worker's counts (its connections died with it)."""
        with self._locked():
            for index in range(len(self.listeners)):
                _COUNT.pack_into(self._map, self._offset(worker, index), 0)

    def admission(self, worker: int, limit: int) -> WorkerAdmission:
        return WorkerAdmission(self, worker, limit)


class WorkerAdmission(ConnectionAdmission):
    """``max_connections`` over every worker: admit under the file lock when the sum is below it."""

    def __init__(self, slots: SharedSlots, worker: int, limit: int) -> None:
        super().__init__(limit)
        self._slots = slots
        self._worker = worker

    def admit(self, listener: ListenAddress) -> bool:
        slots = self._slots
        index = slots._index.get(listener)
        if index is None:  # a listener only this worker has (a unix socket): counted locally
            return super().admit(listener)
        with slots._locked():
            if slots.total(listener) >= self.limit:
                return False
            offset = slots._offset(self._worker, index)
            _COUNT.pack_into(slots._map, offset, slots._get(self._worker, index) + 1)
        return True

    def release(self, listener: ListenAddress) -> None:
        slots = self._slots
        index = slots._index.get(listener)
        if index is None:
            super().release(listener)
            return
        with slots._locked():
            offset = slots._offset(self._worker, index)
            _COUNT.pack_into(slots._map, offset, max(0, slots._get(self._worker, index) - 1))

    def close(self) -> None:
        self._slots.close()
