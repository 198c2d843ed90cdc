"""Reading one file: bytes -> lines -> (multiline) events, and the acknowledgements behind it.

A harvester holds the file open, so a renamed or deleted file is still read to its end. It knows
nothing of Kafka: it returns :class:`Record` tuples, and the input publishes them with a
:class:`Pending` token that Kafka's acknowledgement flips. Acknowledged offsets are taken in file
order, so the registry never moves past an event that Kafka has not confirmed.
"""

from __future__ import annotations

import os
from collections import deque
from typing import NamedTuple

from grokpipe.envelope import TAG_INVALID_UTF8, TAG_MULTILINE, TAG_TRUNCATED
from grokpipe.multiline import Block, Multiline, MultilineSettings
from grokpipe.shipper.file import identity
from grokpipe.shipper.file.lines import LineSplitter, decode
from grokpipe.shipper.file.registry import FileState


class Record(NamedTuple):
    offset: int
    end: int
    text: str
    tags: tuple[str, ...]


class Pending:
    """One published event; Kafka's acknowledgement calls it."""

    __slots__ = ("done", "end")

    def __init__(self, end: int) -> None:
        self.end = end
        self.done = False

    def __call__(self) -> None:
        self.done = True


class Harvester:
    def __init__(
        self,
        path: str,
        state: FileState,
        *,
        max_line_bytes: int,
        multiline: MultilineSettings | None,
        now: float,
        fd: int | None = None,
    ) -> None:
        """``fd``: the descriptor the prospector identified the file by (the harvester owns it from
        here); opening ``path`` again could find it gone, or another file rotated into its name."""
        self.path = path
        self.state = state
        self.fd = os.open(path, os.O_RDONLY) if fd is None else fd
        os.lseek(self.fd, state.offset, os.SEEK_SET)
        self.splitter = LineSplitter(state.offset, max_line_bytes)
        self.multiline = Multiline(multiline) if multiline is not None else None
        self.pending: deque[Pending] = deque()
        self.acked = state.offset
        self.last_data = now
        self.closing = False  #: no more reads; closes once every pending event is acknowledged
        self.truncated = False
        self._lines = 0
        self.gone_since: float | None = None  #: when a scan last failed to find the file at any path

    @property
    def position(self) -> int:
        return self.splitter.position

    def read(self, budget: int, now: float) -> tuple[list[Record], int]:
        """Read up to ``budget`` bytes; return the finished events and the bytes read."""
        chunk = os.read(self.fd, budget)
        if not chunk:
            if os.fstat(self.fd).st_size < self.splitter.position:
                self.truncated = True
            return [], 0
        if not identity.matches(self.fd, self.state.fp):
            # Truncated and rewritten since the last read: these bytes belong to new content
            # at an old offset. Drop them; the file is rediscovered as new and read from 0.
            self.truncated = True
            return [], 0
        self.last_data = now
        out: list[Record] = []
        multiline = self.multiline
        lines = self.splitter.feed(chunk)
        self._lines += len(lines)
        for line in lines:
            text, invalid = decode(line.data)
            tags: tuple[str, ...] = ()
            if line.truncated or invalid:
                tags = ((TAG_TRUNCATED,) if line.truncated else ()) + ((TAG_INVALID_UTF8,) if invalid else ())
            if multiline is None:
                out.append(Record(line.offset, line.end, text, tags))
            else:
                out.extend(_block_record(b) for b in multiline.push(line.offset, line.end, text, set(tags)))
        return out, len(chunk)

    def take_line_count(self) -> int:
        """Lines read since the last call (events may be fewer: multiline joins them)."""
        count, self._lines = self._lines, 0
        return count

    def timed_out(self, now: float) -> list[Record]:
        """A multiline event that waited ``timeout`` seconds without a new line is complete."""
        multiline = self.multiline
        if multiline is not None and multiline.pending is not None and now - self.last_data >= multiline.timeout:
            block = multiline.flush()
            return [_block_record(block)] if block else []
        return []

    def finish(self) -> list[Record]:
        """The file will not grow: send the unfinished last line and any waiting multiline event."""
        out: list[Record] = []
        line = self.splitter.flush()
        if line is not None:
            text, invalid = decode(line.data)
            tags = ((TAG_TRUNCATED,) if line.truncated else ()) + ((TAG_INVALID_UTF8,) if invalid else ())
            if self.multiline is None:
                out.append(Record(line.offset, line.end, text, tags))
            else:
                out.extend(_block_record(b) for b in self.multiline.push(line.offset, line.end, text, set(tags)))
        if self.multiline is not None:
            block = self.multiline.flush()
            if block is not None:
                out.append(_block_record(block))
        self.closing = True
        return out

    def take_acks(self) -> int:
        """Advance past the acknowledged events at the head of the queue; return the acked offset."""
        pending = self.pending
        while pending and pending[0].done:
            self.acked = pending.popleft().end
        return self.acked

    @property
    def settled(self) -> bool:
        return self.closing and not self.pending

    def close(self) -> None:
        os.close(self.fd)


def _block_record(block: Block) -> Record:
    tags = set(block.tags)
    if len(block.lines) > 1:
        tags.add(TAG_MULTILINE)
    return Record(block.offset, block.end, "\n".join(block.lines), tuple(sorted(tags)))
