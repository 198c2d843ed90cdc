"""The memory hand-off: records on their way from ``put`` to the drain that need no read back.

While the drain keeps up, each record ``put`` writes is also queued here, so the drain publishes it
from memory and the segment file is written but never read. The queue holds at most
``MEMORY_BYTES``; a record that would overflow it switches the hand-off off (``enabled``), and the
drain then reads the segments from where it stands, switching the hand-off on again once it has
caught up with the writers. Not thread-safe: the spool calls it under its lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from grokpipe.shipper.spool.segments import MiB

MEMORY_BYTES = 8 * MiB  # record bytes handed to the drain from memory while it keeps up

Entry = tuple[bytes, bytes, int, int, int]  #: key, value, segment, offset just past the record, size


class MemoryHandoff:
    __slots__ = ("enabled", "entries", "nbytes")

    def __init__(self) -> None:
        self.entries: deque[Entry] = deque()  #: in log order, oldest first
        self.nbytes = 0  #: encoded size of the queued records
        self.enabled = False  #: the drain has caught up: puts queue their records here

    def offer(self, key: bytes, value: bytes, segment: int, end: int, size: int) -> None:
        """Queue a record just written (while ``enabled``), or switch the hand-off off when it is full."""
        if self.nbytes + size > MEMORY_BYTES:
            self.enabled = False  # the drain reads this record and what follows from the file
        else:
            self.entries.append((key, value, segment, end, size))
            self.nbytes += size

    def offer_many(
        self,
        records: Sequence[tuple[bytes, bytes]],
        encoded: Sequence[bytes],
        first: int,
        last: int,
        *,
        segment: int,
        offset: int,
    ) -> None:
        """``offer`` for records ``first`` to ``last`` (``encoded[i]`` is record i on disk), written in one go
        from ``offset`` of ``segment`` on."""
        entries, nbytes, limit = self.entries, self.nbytes, MEMORY_BYTES
        end = offset
        for i in range(first, last):
            size = len(encoded[i])
            if nbytes + size > limit:
                self.enabled = False
                break
            end += size
            key, value = records[i]
            entries.append((key, value, segment, end, size))
            nbytes += size
        self.nbytes = nbytes

    def take(self, limit: int) -> list[Entry]:
        """Up to ``limit`` records, oldest first, removed from the queue."""
        entries = self.entries
        if len(entries) <= limit:
            taken = list(entries)
            entries.clear()
            self.nbytes = 0
            return taken
        popleft = entries.popleft
        taken = [popleft() for _ in range(limit)]
        self.nbytes -= sum(entry[4] for entry in taken)
        return taken
