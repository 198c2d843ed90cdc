"""The Spool: a bounded write-ahead log between an input and Kafka.

This module composes the parts and owns the lifecycle: ``put`` admits (``admission``), appends to the
open segment (``writer``), hands the record to the drain from memory (``handoff``) and fsyncs per
policy (``fsync``); the drain thread (``drain``) publishes in order; acknowledgements move the
watermark (``watermark``), which frees room; a housekeeping thread saves the checkpoint
(``checkpoint``) and runs the ``interval`` fsync; ``start`` takes the directory lock (``lock``) and
recovers (``recovery``). The package docstring says what a crash can lose.

All of the parts' shared state is under one lock, taken once per put and once per acknowledgement;
only the writer's ``write_lock`` and ``fd_lock`` are held across system calls.
"""

from __future__ import annotations

import builtins
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from grokpipe.shipper.spool.admission import Admission
from grokpipe.shipper.spool.checkpoint import Checkpointer
from grokpipe.shipper.spool.drain import Drain, Publish, PublishMany
from grokpipe.shipper.spool.errors import SpoolError
from grokpipe.shipper.spool.fsync import GroupFsync
from grokpipe.shipper.spool.handoff import MemoryHandoff
from grokpipe.shipper.spool.lock import DirectoryLock
from grokpipe.shipper.spool.process import DrainProcess, DrainProcessSettings, Progress
from grokpipe.shipper.spool.recovery import recover
from grokpipe.shipper.spool.samples import Sample
from grokpipe.shipper.spool.segments import encode_record
from grokpipe.shipper.spool.settings import SpoolSettings
from grokpipe.shipper.spool.watermark import Watermark
from grokpipe.shipper.spool.writer import SegmentWriter

log = logging.getLogger(__name__)

# Spool has a ``bytes`` property, which shadows the builtin in its annotations.
Pair = tuple[bytes, bytes]  #: key, value
CHECKPOINT_EVERY = 0.1  # seconds between checkpoint writes (when the watermark moved)


class Spool:
    """Write-ahead, append-only segment files in ``directory``; a drain thread hands records in order to
    ``publish``; acknowledgements advance a persisted checkpoint; fully acknowledged segments are
    deleted. A restart replays everything after the checkpoint."""

    def __init__(
        self,
        directory: Path,
        settings: SpoolSettings,
        publish: Publish,
        *,
        name: str = "syslog",
        publish_many: PublishMany | None = None,
        drain_process: DrainProcessSettings | None = None,
        on_drain_lost: Callable[[], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.name = name
        self._settings = settings
        self._fsync_always = settings.fsync == "always"
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._recovered_bytes = 0  # what start found on disk, unacknowledged
        self.recovered_records = 0  #: records start found on disk: the drain's sequence numbers below it
        self._dropped_torn = 0
        self._watermark = Watermark()
        # With ``drain_process`` the drain, the watermark and the checkpoint live in a child process
        # (``process.py``); ``_progress`` is what it reported.
        self._progress = Progress()
        self._remote = (
            None
            if drain_process is None
            else DrainProcess(self.directory, name, drain_process, on_progress=self._on_progress, on_lost=on_drain_lost)
        )
        self._admission = Admission(
            self._lock, settings.max_bytes, self._watermark if self._remote is None else self._progress
        )
        self._writer = SegmentWriter(self.directory, self._lock, settings.segment_bytes)
        self._fsync = GroupFsync(self._writer.fsync)
        self._handoff = MemoryHandoff()
        # Acknowledged sequence numbers, appended by the publisher's thread (deque.append: no Python
        # frame, no lock) and moved under the watermark in bulk by ``settle``.
        self._acks: deque[int] = deque()
        self._drain = Drain(
            directory=self.directory,
            lock=self._lock,
            stopping=self._stopping,
            writer=self._writer,
            handoff=self._handoff,
            watermark=self._watermark,
            publish=publish,
            publish_many=publish_many,
            ack=self._acks.append,
            settle=self._settle_locked,
            name=name,
        )
        self._checkpointer = Checkpointer(self.directory, self._lock, self._watermark, self._writer)
        self._dir_lock = DirectoryLock(self.directory)
        self._housekeeping: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Recover the segments after the checkpoint (truncating a torn tail), then start draining."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._dir_lock.acquire()
        except OSError as exc:
            raise SpoolError(f"cannot open spool {self.directory}: {exc.strerror or exc}") from None
        try:
            found = recover(self.directory, self.name)
            self._dropped_torn += found.dropped_torn
            self._recovered_bytes = found.bytes
            self.recovered_records = found.records
            self._watermark.committed = found.start
            self._drain.segment, self._drain.offset = found.start
            self._checkpointer.saved = found.checkpoint
            self._writer.open(found.write_segment, found.sizes, found.records)
            self._checkpointer.save()  # past wholly acknowledged segments, which go now
        except (OSError, SpoolError) as exc:
            self._close_writer()
            self._dir_lock.release()
            if isinstance(exc, SpoolError):
                raise
            raise SpoolError(f"cannot open spool {self.directory}: {exc.strerror or exc}") from None
        if self._remote is not None:
            try:
                self._remote.start(
                    lock_fd=self._dir_lock.fd,
                    start=found.start,
                    checkpoint=self._checkpointer.saved,
                    write_segment=self._writer.segment,
                    sizes=dict(self._writer.sizes),
                    records=self._writer.records,
                )
            except SpoolError:
                self._close_writer()
                self._dir_lock.release()
                raise
        with self._lock:
            self._admission.open(found.bytes)
        if self._remote is None:
            self._drain.start()
        self._housekeeping = threading.Thread(
            target=self._housekeeping_loop, name=f"spool-checkpoint-{self.name}", daemon=True
        )
        self._housekeeping.start()

    def stop(self, timeout: float) -> None:
        """Refuse new records, fsync, wait up to ``timeout`` for Kafka to acknowledge what is spooled,
        save the checkpoint. What is left stays on disk for the next start."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._admission.closed and not self._writer.is_open:
                return
            self._admission.close()
        with self._writer.write_lock, self._lock:  # puts admitted before have finished writing
            target = self._writer.appended
        try:
            self._fsync.sync_until(target)
        except SpoolError as exc:
            self._log_error("spool fsync at stop failed", exc)
        while self.depth > 0 and self.draining and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stopping.set()
        if self._remote is not None:
            self._remote.stop(deadline - time.monotonic())  # it saves the checkpoint
        else:
            with self._lock:
                self._drain.work.notify_all()
            self._drain.join(max(0.1, deadline - time.monotonic()))
        if self._housekeeping is not None:
            self._housekeeping.join(max(0.1, deadline - time.monotonic()))
        if self._remote is None:
            try:
                self.settle()
                self._checkpointer.save()
            except OSError as exc:
                self._log_error("spool checkpoint at stop failed; the next start replays more", exc)
        self._close_writer()
        self._drain.close()
        self._dir_lock.release()
        log.info("spool stopped", extra={"input": self.name, "spool.depth": self.depth, "spool.bytes": self.bytes})

    def _close_writer(self) -> None:
        try:
            self._writer.close()
        except OSError as exc:
            self._log_error("spool fsync at stop failed", exc)

    def _log_error(self, message: str, exc: BaseException) -> None:
        log.error(message, extra={"input": self.name, "error.type": type(exc).__name__, "error.message": str(exc)})

    # -- state, for health checks and metrics ----------------------------------------------------

    @property
    def draining(self) -> bool:
        """False once the drain thread ended (stopped, publisher closed, unreadable segment): records
        then stay on disk until the next start. For health checks."""
        return self._drain.alive if self._remote is None else self._remote.alive

    @property
    def drain_telemetry(self) -> tuple[list[Sample], bool, int] | None:
        """A drain process's latest metric samples, Kafka connected, records in flight; None in process."""
        return None if self._remote is None else self._remote.telemetry

    @property
    def depth(self) -> int:
        """Records put and not yet acknowledged."""
        with self._lock:
            if self._remote is not None:
                return self._writer.records - self._progress.acknowledged
            self._settle_locked()
            return self._writer.records - self._watermark.acknowledged

    @property
    def bytes(self) -> int:
        """Bytes on disk not yet acknowledged (up to the first unacknowledged record)."""
        with self._lock:
            self._settle_locked()
            freed = self._watermark.freed if self._remote is None else self._progress.freed
            return self._recovered_bytes + self._writer.appended - freed

    @property
    def dropped_torn(self) -> int:
        """Torn or corrupt segment tails dropped by recovery."""
        return self._dropped_torn

    # -- the writers -----------------------------------------------------------------------------

    def put(self, key: builtins.bytes, value: builtins.bytes, timeout: float | None = None) -> bool:
        """Spool one record (written to the kernel, fsynced per policy) and return True. While the
        spool is full, wait up to ``timeout`` (None: forever, 0: not at all); False if still full or
        stopped. Raises SpoolWriteError when the disk refuses the write."""
        rec = encode_record(key, value)
        size = len(rec)
        admission, writer, handoff = self._admission, self._writer, self._handoff
        with self._lock:
            if not admission.admit(size, timeout):
                return False
        written = False
        try:
            with writer.write_lock:
                if not writer.is_open:
                    return False  # admitted just before stop() closed the segment
                if writer.offset and writer.offset + size > writer.segment_bytes:
                    writer.roll()
                writer.write(rec)
                with self._lock:
                    written = True
                    writer.offset = end = writer.offset + size
                    if handoff.enabled:
                        handoff.offer(key, value, writer.segment, end, size)
                    writer.records += 1
                    writer.appended = target = writer.appended + size
                    if self._drain.waiting:
                        self._drain.work.notify()
                if self._remote is not None:
                    self._remote.wrote(writer.segment, end, writer.records)
        finally:
            if not written:
                with self._lock:
                    admission.unreserve(size)
        if self._fsync_always:
            self._fsync.sync_until(target)
        return True

    def put_many(self, records: Sequence[Pair], timeout: float | None = None) -> bool:
        """``put`` for several records with one write (what a listener can do with the frames of one
        read: several times the records/s of single puts): all are spooled, or (full, stopped) none.

        On SpoolWriteError a leading part of the batch may have been spooled already."""
        encoded = [encode_record(key, value) for key, value in records]
        total = sum(len(rec) for rec in encoded)
        admission, writer = self._admission, self._writer
        with self._lock:
            if not admission.admit(total, timeout):
                return False
        pending = total
        try:
            with writer.write_lock:
                if not writer.is_open:
                    return False  # admitted just before stop() closed the segment
                first = size = 0
                for i, rec in enumerate(encoded):
                    if writer.offset + size and writer.offset + size + len(rec) > writer.segment_bytes:
                        pending -= self._write_batch(records, encoded, first, i)
                        writer.roll()
                        first, size = i, 0
                    size += len(rec)
                pending -= self._write_batch(records, encoded, first, len(encoded))
                target = writer.appended
        finally:
            if pending:
                with self._lock:
                    admission.unreserve(pending)
        if self._fsync_always:
            self._fsync.sync_until(target)
        return True

    def _write_batch(self, records: Sequence[Pair], encoded: list[builtins.bytes], first: int, last: int) -> int:
        """Write records ``first`` to ``last`` in one write (under the write lock); their byte count."""
        if first == last:
            return 0
        data = b"".join(encoded[first:last])
        writer, handoff = self._writer, self._handoff
        writer.write(data)
        with self._lock:
            if handoff.enabled:
                handoff.offer_many(records, encoded, first, last, segment=writer.segment, offset=writer.offset)
            writer.offset += len(data)
            writer.records += last - first
            writer.appended += len(data)
            if self._drain.waiting:
                self._drain.work.notify()
        if self._remote is not None:
            self._remote.wrote(writer.segment, writer.offset, writer.records)
        return len(data)

    # -- acknowledgements and housekeeping -------------------------------------------------------

    def settle(self) -> None:
        """Move the watermark over the acknowledgements that arrived: after each round of the
        publisher's delivery reports (``Publisher.after_poll``), on the housekeeping timer, before
        ``depth`` and ``bytes`` are read and before a checkpoint."""
        if self._acks:
            with self._lock:
                self._settle_locked()

    def _on_progress(self, acknowledged: int, freed: int, segment: int) -> None:
        """The drain process's acknowledgements (on its reader thread)."""
        with self._lock:
            progress = self._progress
            progress.acknowledged, progress.freed, progress.segment = acknowledged, freed, segment
            sizes = self._writer.sizes
            if sizes and min(sizes) < segment:
                for done in [s for s in sizes if s < segment]:
                    del sizes[done]
            if self._admission.waiting:
                self._admission.wake()

    def _settle_locked(self) -> None:
        acks, ack = self._acks, self._watermark.ack
        moved = 0
        while acks:
            moved |= ack(acks.popleft())
        if moved:  # room for writers, and for the drain
            if self._admission.waiting:
                self._admission.wake()
            if self._drain.waiting:
                self._drain.work.notify()

    def _housekeeping_loop(self) -> None:
        """Save the checkpoint when it moved (every 100 ms); fsync on the interval policy's timer."""
        interval = self._settings.fsync_interval if self._settings.fsync == "interval" else None
        now = time.monotonic()
        next_sync = now + interval if interval is not None else float("inf")
        next_checkpoint = now + CHECKPOINT_EVERY
        while not self._stopping.wait(max(0.0, min(next_sync, next_checkpoint) - time.monotonic())):
            try:
                self.settle()  # acknowledgements from a publisher without after-poll hooks
                now = time.monotonic()
                if interval is not None and now >= next_sync:
                    next_sync = now + interval
                    self._fsync.sync_until(self._writer.appended)
                if now >= next_checkpoint:
                    next_checkpoint = now + CHECKPOINT_EVERY
                    if self._remote is None:  # else the drain process saves it
                        self._checkpointer.save()
            except (OSError, SpoolError) as exc:
                self._log_error("spool checkpoint or fsync failed, will retry", exc)
