"""The acknowledgement watermark: which spooled records may be forgotten, given acks in any order.

Kafka acknowledges out of order (records go to several partitions, a failed batch is retried while
later ones succeed), but the checkpoint can only say "everything before (segment, offset) is
acknowledged". So the drain registers each record, in log order, before handing it to ``publish``;
a record's sequence number is its place in that order. An acknowledgement of the oldest unsettled
record (the ``base``) moves the watermark over it and over every later record already acknowledged;
an acknowledgement of a later record waits in a set until the gap before it closes. ``committed`` is
where the last record under the watermark ends: the position a checkpoint may save.

A pure object (no locks, no I/O): the spool calls it under its lock. Every registered record is
acknowledged exactly once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

Position = tuple[int, int, int]  #: segment, offset just past the record, record size in bytes


class Watermark:
    __slots__ = ("_ahead", "_unsettled", "base", "committed", "freed")

    def __init__(self, segment: int = 0, offset: int = 0) -> None:
        self._unsettled: deque[Position] = deque()  # registered from sequence ``base`` on, in order
        self._ahead: set[int] = set()  # acknowledged, but an older record is not yet
        self.base = 0  #: sequence number of the oldest record not under the watermark
        self.committed: tuple[int, int] = (segment, offset)  #: segment, offset: everything before is acknowledged
        self.freed = 0  #: bytes the watermark moved over since it was made: room for admission

    @property
    def unsettled(self) -> int:
        """Records registered and not yet under the watermark (acknowledged ahead of a gap or not at all)."""
        return len(self._unsettled)

    @property
    def acknowledged(self) -> int:
        """Acknowledgements so far: the records under the watermark and those acknowledged ahead of it."""
        return self.base + len(self._ahead)

    @property
    def next_seq(self) -> int:
        """The sequence number the next registered record gets."""
        return self.base + len(self._unsettled)

    def register(self, positions: Iterable[Position]) -> int:
        """Register the next records in log order; the sequence number of the first of them."""
        seq = self.base + len(self._unsettled)
        self._unsettled.extend(positions)
        return seq

    def ack(self, seq: int) -> int:
        """Record ``seq`` was acknowledged. Returns the bytes the watermark moved over: 0 while an older
        record is still unacknowledged, else the sizes of the records it now covers (never 0 then)."""
        if seq != self.base:
            self._ahead.add(seq)
            return 0
        unsettled, ahead = self._unsettled, self._ahead
        base = seq
        freed = 0
        while True:
            segment, end, size = unsettled.popleft()
            freed += size
            base += 1
            if base not in ahead:
                break
            ahead.remove(base)
        self.base = base
        self.committed = (segment, end)
        self.freed += freed
        return freed
