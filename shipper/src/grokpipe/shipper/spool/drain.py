"""The drain: one thread hands the spooled records, in log order, to ``publish``.

It takes records from the memory hand-off while that has them, and otherwise reads the segments
from its position (the end of the last record it handed over) up to what the writers have
published, so a restart, an overflowing hand-off and a slow Kafka all take the same path. Each
record is registered in the watermark before ``publish`` sees it, and its acknowledgement callback
carries its sequence number. At most ``MAX_UNSETTLED`` records are between ``publish`` and the
watermark; then the drain waits for acknowledgements.

The drain ends when the spool stops, when ``publish`` raises PublisherClosed, or at an unreadable
segment; whatever it did not hand over stays on disk for the next start.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from grokpipe.shipper.errors import PublisherClosed
from grokpipe.shipper.spool.errors import SpoolError
from grokpipe.shipper.spool.handoff import MemoryHandoff
from grokpipe.shipper.spool.segments import Record, read_records, segment_path
from grokpipe.shipper.spool.watermark import Watermark
from grokpipe.shipper.spool.writer import WritePosition

log = logging.getLogger(__name__)

OnAck = Callable[[], None]
Publish = Callable[[bytes, bytes, OnAck | None], None]
Ack = Callable[[int], None]
#: ``Publisher.publish_many``: a batch of records (key and value first), the sequence number of the
#: first, and what each acknowledgement is told (its sequence number).
PublishMany = Callable[[Sequence[tuple[bytes, bytes, *tuple[int, ...]]], int, Ack], None]
# The records of a batch: key and value first (memory entries and segment records both).
Batch = tuple[int, Sequence[tuple[bytes, bytes, int, int] | tuple[bytes, bytes, int, int, int]]]

MAX_UNSETTLED = 100_000  # records handed to publish and not yet under the watermark; then the drain waits
MEMORY_BATCH = 1000  # records taken from the hand-off at once
LINGER = 0.002  # seconds the drain lets records gather after a wake-up (cheaper than one wake-up each)
LINGER_RECORDS = 500


class Drain:
    def __init__(
        self,
        *,
        directory: Path,
        lock: threading.Lock,
        stopping: threading.Event,
        writer: WritePosition,
        handoff: MemoryHandoff,
        watermark: Watermark,
        publish: Publish,
        publish_many: PublishMany | None,
        ack: Ack,
        settle: Callable[[], None],
        name: str,
        memory: bool = True,
    ) -> None:
        self._directory = directory
        self._lock = lock
        self._stopping = stopping
        self._writer = writer
        self._handoff = handoff
        self._watermark = watermark
        self._publish = publish
        self._publish_many = publish_many
        self._ack = ack  # records the acknowledgement of a sequence number; ``settle`` (under the lock) applies them
        self._settle = settle
        self._name = name
        self._memory = memory  # False: the writers are in another process, every record is read back
        self.work = threading.Condition(lock)  #: notified (under the lock) when records or acks arrive
        self.waiting = False  #: the drain waits on ``work``: writers and acks notify only then
        # The position just past the last record handed to publish; only the drain thread moves it.
        self.segment = 0
        self.offset = 0
        self._read_fd = -1
        self._read_fd_segment = -1
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"spool-drain-{self._name}", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        """Close the segment being read (after the thread ended)."""
        if self._read_fd >= 0:
            os.close(self._read_fd)
            self._read_fd = -1
            self._read_fd_segment = -1

    def _run(self) -> None:
        ack = self._ack
        publish, publish_many = self._publish, self._publish_many
        stopping = self._stopping
        partial = functools.partial
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    return
                seq, records = batch
                if publish_many is not None:
                    publish_many(records, seq, ack)
                    continue
                for record in records:
                    if stopping.is_set():
                        return
                    publish(record[0], record[1], partial(ack, seq))
                    seq += 1
        except PublisherClosed:
            log.info("spool drain stopped: the publisher closed", extra={"input": self._name})
        except (OSError, SpoolError) as exc:
            log.error(
                "spool drain failed; the records stay on disk for the next start",
                extra={"input": self._name, "error.type": type(exc).__name__, "error.message": str(exc)},
            )

    def _next_batch(self) -> Batch | None:
        """The next records to publish, registered in the watermark; None when stopping."""
        watermark, handoff, writer = self._watermark, self._handoff, self._writer
        while True:
            with self._lock:
                while True:
                    if self._stopping.is_set():
                        return None
                    self._settle()
                    if watermark.unsettled < MAX_UNSETTLED:
                        if handoff.entries:
                            return self._take_memory()
                        if watermark.next_seq < writer.records:
                            handoff.enabled = False
                            break  # behind: read the file
                        handoff.enabled = self._memory  # caught up: take the next records from memory
                    self.waiting = True
                    woken = self.work.wait(0.5)
                    self.waiting = False
                    if woken and len(handoff.entries) < LINGER_RECORDS:
                        self.work.wait(LINGER)  # let a batch gather rather than wake per record
                segment, write_segment = self.segment, writer.segment
                limit = writer.offset if segment == write_segment else writer.sizes.get(segment)
            if limit is None or (self.offset >= limit and segment < write_segment):
                self.segment, self.offset = segment + 1, 0  # that segment is done (or deleted)
                continue
            if self.offset >= limit:  # cannot happen while writes are whole records; do not spin
                self._stopping.wait(0.05)
                continue
            records = self._read_file(segment, limit)
            if records:
                positions = [(segment, record.end, record.size) for record in records]
                with self._lock:
                    seq = self._watermark.register(positions)
                self.offset = records[-1].end
                return seq, records

    def _take_memory(self) -> Batch:
        """Under the lock: the next records from the hand-off."""
        entries = self._handoff.take(min(MEMORY_BATCH, MAX_UNSETTLED - self._watermark.unsettled))
        seq = self._watermark.register([(entry[2], entry[3], entry[4]) for entry in entries])
        last = entries[-1]
        self.segment, self.offset = last[2], last[3]
        return seq, entries

    def _read_file(self, segment: int, limit: int) -> list[Record]:
        if self._read_fd_segment != segment:
            self.close()
            self._read_fd = os.open(segment_path(self._directory, segment), os.O_RDONLY | os.O_CLOEXEC)
            self._read_fd_segment = segment
        room = MAX_UNSETTLED - self._watermark.unsettled
        records, _, corrupt = read_records(self._read_fd, self.offset, limit, verify=False)
        if corrupt or (not records and self.offset < limit):
            raise SpoolError(f"unreadable record in spool segment {segment} at offset {self.offset}")
        return records[:room]
