"""The syslog spool: a bounded write-ahead log between the listeners and Kafka.

Every accepted message is appended to a segment file before ``put`` returns; a drain thread hands the
records in order to ``publish`` (``Publisher.publish``) and Kafka's acknowledgements advance a
checkpoint, so an outage fills the disk instead of losing messages, and a restart replays what Kafka
had not acknowledged (at-least-once; the event ids minted at accept let Elasticsearch drop the
re-sends).

On disk, in ``directory``::

    00000000000000000000.seg   append-only segments, numbered consecutively, rolled at segment_bytes
    checkpoint.json            {"segment": N, "offset": M}: everything before is acknowledged
    lock                       flock'ed while a Spool owns the directory

Records carry a CRC (``segments.py``), so a record torn by a crash, or the zero-filled tail a power
cut can leave, is detected: recovery cuts the segment there and counts it in ``dropped_torn``.
Acknowledgements arrive out of order (partitions, retries): the checkpoint only moves over a
contiguous run of acknowledged records (a watermark), and is written atomically (temp file, fsync,
rename, fsync of the directory) every 100 ms when it moved, and at stop. Segments wholly before the
saved checkpoint are deleted.

While the drain keeps up, ``put`` also hands each record to it from memory (at most 8 MiB), so the
file is written but never read back; once that buffer is full (Kafka slow or away) the drain falls
back to reading the segments from where it stands, and returns to memory when it has caught up.

What a crash can lose — ``put`` returns only after ``os.write`` handed the record to the kernel,
under every policy (there is no user-space write buffer):

* kill -9 of the shipper (or any crash of the process alone): nothing whose ``put`` returned True,
  whatever the policy — the page cache belongs to the kernel and reaches the file without us. What is
  lost is what never reached ``put``: messages the listeners were still framing or parsing, and bytes
  waiting in the kernel's socket buffers (TCP senders consider them delivered; UDP ones are gone).
  Records Kafka acknowledged after the last checkpoint (~100 ms of them) or had not acknowledged yet
  are sent again, with the same event ids.
* OS crash or power loss: ``always`` — nothing whose ``put`` returned (it fsyncs before returning,
  one fsync shared by the concurrent puts waiting on it); ``interval`` — at most the records put in
  the last ``fsync_interval`` seconds plus the time one fsync takes; ``never`` — whatever the kernel
  had not written back yet (Linux: dirty pages older than ``vm.dirty_expire_centisecs``, 30 s by
  default, are written by a flusher waking every 5 s: up to ~35 s). Under every policy segments are
  fsynced when they roll and at stop, and the checkpoint only ever covers records Kafka has.

``put`` blocks while the spool is full (up to its timeout) and, under ``always``, for an fsync; it
raises SpoolWriteError (retriable) when the disk refuses a write, which is rolled back.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import functools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import orjson
from pydantic import Field

from grokpipe.settings import Section
from grokpipe.shipper.errors import PublisherClosed, ShipperError
from grokpipe.shipper.syslog.segments import (
    MiB,
    Record,
    create_segment,
    encode_record,
    fsync_directory,
    list_segments,
    read_records,
    scan_segment,
    segment_path,
    write_atomically,
)

log = logging.getLogger(__name__)

OnAck = Callable[[], None]
Publish = Callable[[bytes, bytes, OnAck | None], None]
# Spool has a ``bytes`` property, which shadows the builtin in its annotations.
Pair = tuple[bytes, bytes]  #: key, value
Batch = list[tuple[int, bytes, bytes]]  #: sequence number, key, value
Encoded = list[bytes]

MEMORY_BYTES = 8 * MiB  # record bytes handed to the drain from memory while it keeps up
MAX_UNSETTLED = 100_000  # records handed to publish and not yet under the watermark; then the drain waits
LINGER = 0.002  # seconds the drain lets records gather after a wake-up (cheaper than one wake-up each)
LINGER_RECORDS = 500
CHECKPOINT_EVERY = 0.1  # seconds between checkpoint writes (when the watermark moved)
CHECKPOINT_VERSION = 1


class SpoolError(ShipperError):
    """The spool directory cannot be used: permissions, another owner, a corrupt checkpoint."""


class SpoolWriteError(SpoolError):
    """put() could not write or fsync (disk full, I/O error). A failed write is rolled back (the record
    is not spooled); after a failed fsync the record is in the page cache and will be sent. Retriable:
    acknowledgements free disk space by deleting segments."""

    retriable = True


class SpoolSettings(Section):
    max_bytes: int = Field(default=1024 * MiB, ge=MiB, description="bytes not yet acknowledged; then put() waits")
    segment_bytes: int = Field(default=64 * MiB, ge=4096, description="a segment file rolls at this size")
    fsync: Literal["always", "interval", "never"] = Field(
        default="interval", description="always: before put() returns; interval: every fsync_interval; never: OS"
    )
    fsync_interval: float = Field(default=1.0, gt=0, description="seconds, for fsync: interval")


class Spool:
    """Write-ahead, append-only segment files in ``directory``; a drain thread hands records in order to
    ``publish``; acknowledgements advance a persisted checkpoint; fully acknowledged segments are
    deleted. A restart replays everything after the checkpoint."""

    def __init__(self, directory: Path, settings: SpoolSettings, publish: Publish, *, name: str = "syslog") -> None:
        self.directory = Path(directory)
        self.name = name
        self._settings = settings
        self._segment_bytes = settings.segment_bytes
        self._fsync_always = settings.fsync == "always"
        self._publish = publish
        self._lock = threading.Lock()
        self._space = threading.Condition(self._lock)  # put() waits here while full
        self._space_waiting = 0
        self._work = threading.Condition(self._lock)  # the drain waits here for records
        self._closed = True  # put() refuses until start() and after stop()
        self._stopping = threading.Event()
        # The writer. One writer at a time holds _write_lock across the write(2) itself, so the drain and
        # the acknowledgements, which only take _lock, never wait for a system call. Lock order:
        # _write_lock, then _fd_lock, then _lock. What others read is published under _lock once
        # written. Sequence numbers count records in log order from the checkpoint.
        self._write_lock = threading.Lock()
        self._fd = -1
        self._gen = 0  # bumped when the segment rolls, so a concurrent fsync knows its fd closed
        self._write_seg = 0
        self._write_off = 0
        self._sizes: dict[int, int] = {}  # closed segments still on disk -> size
        self._put_seq = 0
        self._appended = 0  # bytes written since start: the fsync targets
        self._reserved = 0  # bytes admitted and being written
        # Group fsync (always policy, interval timer, stop).
        self._sync_cond = threading.Condition()
        self._fd_lock = threading.Lock()  # held across an fsync and by the roll that closes the fd
        self._synced = 0
        self._syncing = False
        # Hand-off from memory to the drain, under _lock.
        self._memory: deque[tuple[bytes, bytes, int, int, int]] = deque()  # key, value, segment, end, size
        self._memory_bytes = 0
        self._memory_mode = False
        self._drain_waiting = False
        # The drain's position: just past the last record handed to publish.
        self._read_seg = 0
        self._read_off = 0
        self._read_fd = -1
        self._read_fd_seg = -1
        # The watermark, under _lock: records handed to publish from sequence _base on.
        self._unsettled: deque[tuple[int, int, int]] = deque()  # segment, end, size
        self._base = 0
        self._acked_ahead: set[int] = set()
        self._committed = (0, 0)  # segment, offset: everything before is acknowledged
        self._saved: tuple[int, int] | None = None
        self._depth = 0
        self._bytes = 0
        self._dropped_torn = 0
        self._lock_fd = -1
        self._threads: list[threading.Thread] = []

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        """Recover the segments after the checkpoint (truncating a torn tail), then start draining."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._take_lock()
        except OSError as exc:
            raise SpoolError(f"cannot open spool {self.directory}: {exc.strerror or exc}") from None
        try:
            self._recover()
            self._fd = create_segment(segment_path(self.directory, self._write_seg))
            fsync_directory(self.directory)
            self._save_checkpoint()  # past wholly acknowledged segments, which go now
        except (OSError, SpoolError) as exc:
            os.close(self._lock_fd)
            self._lock_fd = -1
            if isinstance(exc, SpoolError):
                raise
            raise SpoolError(f"cannot open spool {self.directory}: {exc.strerror or exc}") from None
        self._closed = False
        self._threads = [
            threading.Thread(target=self._drain_loop, name=f"spool-drain-{self.name}", daemon=True),
            threading.Thread(target=self._housekeeping_loop, name=f"spool-checkpoint-{self.name}", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float) -> None:
        """Refuse new records, fsync, wait up to ``timeout`` for Kafka to acknowledge what is spooled,
        save the checkpoint. What is left stays on disk for the next start."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._closed and self._fd < 0:
                return
            self._closed = True
            self._space.notify_all()
        with self._write_lock, self._lock:  # puts admitted before have finished writing
            target = self._appended
        try:
            self._sync_until(target)
        except SpoolError as exc:
            self._log_error("spool fsync at stop failed", exc)
        while self._depth > 0 and self.draining and time.monotonic() < deadline:
            time.sleep(0.01)
        self._stopping.set()
        with self._lock:
            self._work.notify_all()
        for thread in self._threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        try:
            self._save_checkpoint()
        except OSError as exc:
            self._log_error("spool checkpoint at stop failed; the next start replays more", exc)
        with self._write_lock, self._fd_lock, self._lock:  # no put is writing now, none will
            try:
                os.fsync(self._fd)  # what puts admitted just before the stop wrote
            except OSError as exc:
                self._log_error("spool fsync at stop failed", exc)
            os.close(self._fd)
            self._fd = -1
            self._gen += 1
        if self._read_fd >= 0:
            os.close(self._read_fd)
            self._read_fd = -1
        os.close(self._lock_fd)
        self._lock_fd = -1
        log.info(
            "spool stopped",
            extra={"input": self.name, "spool.depth": self._depth, "spool.bytes": self._bytes},
        )

    def _log_error(self, message: str, exc: BaseException) -> None:
        log.error(message, extra={"input": self.name, "error.type": type(exc).__name__, "error.message": str(exc)})

    # -- the writer side -------------------------------------------------------------------------

    @property
    def draining(self) -> bool:
        """False once the drain thread ended (stopped, publisher closed, unreadable segment): records
        then stay on disk until the next start. For health checks."""
        return bool(self._threads) and self._threads[0].is_alive()

    @property
    def depth(self) -> int:
        """Records put and not yet acknowledged."""
        return self._depth

    @property
    def bytes(self) -> int:
        """Bytes on disk not yet acknowledged (up to the first unacknowledged record)."""
        return self._bytes

    @property
    def dropped_torn(self) -> int:
        """Torn or corrupt segment tails dropped by recovery."""
        return self._dropped_torn

    def put(self, key: builtins.bytes, value: builtins.bytes, timeout: float | None = None) -> bool:
        """Spool one record (written to the kernel, fsynced per policy) and return True. While the
        spool is full, wait up to ``timeout`` (None: forever, 0: not at all); False if still full or
        stopped. Raises SpoolWriteError when the disk refuses the write."""
        rec = encode_record(key, value)
        size = len(rec)
        with self._lock:
            if not self._admit(size, timeout):
                return False
        written = False
        try:
            with self._write_lock:
                if self._fd < 0:
                    return False  # admitted just before stop() closed the segment
                if self._write_off and self._write_off + size > self._segment_bytes:
                    self._roll()
                start = self._write_off
                self._write_fully(rec, start)
                end = start + size
                with self._lock:
                    written = True
                    self._reserved -= size
                    self._write_off = end
                    if self._memory_mode:
                        if self._memory_bytes + size > MEMORY_BYTES:
                            self._memory_mode = False  # the drain reads the rest from the file
                        else:
                            self._memory.append((key, value, self._write_seg, end, size))
                            self._memory_bytes += size
                    self._put_seq += 1
                    self._depth += 1
                    self._bytes += size
                    self._appended += size
                    target = self._appended
                    if self._drain_waiting:
                        self._work.notify()
        finally:
            if not written:
                self._unreserve(size)
        if self._fsync_always:
            self._sync_until(target)
        return True

    def put_many(self, records: Sequence[Pair], timeout: float | None = None) -> bool:
        """``put`` for several records with one write (what a listener can do with the frames of one
        read: several times the records/s of single puts): all are spooled, or (full, stopped) none.

        On SpoolWriteError a leading part of the batch may have been spooled already."""
        encoded = [encode_record(key, value) for key, value in records]
        total = sum(len(rec) for rec in encoded)
        with self._lock:
            if not self._admit(total, timeout):
                return False
        pending = total
        try:
            with self._write_lock:
                if self._fd < 0:
                    return False  # admitted just before stop() closed the segment
                first = size = 0
                for i, rec in enumerate(encoded):
                    if self._write_off + size and self._write_off + size + len(rec) > self._segment_bytes:
                        pending -= self._write_batch(records, encoded, first, i)
                        self._roll()
                        first, size = i, 0
                    size += len(rec)
                pending -= self._write_batch(records, encoded, first, len(encoded))
                target = self._appended
        finally:
            if pending:
                self._unreserve(pending)
        if self._fsync_always:
            self._sync_until(target)
        return True

    def _admit(self, size: int, timeout: float | None) -> bool:
        """Under the lock: wait for room for ``size`` more bytes and reserve it (an empty spool takes
        any size); False when stopped or still full at the timeout."""
        limit = self._settings.max_bytes
        if self._bytes + self._reserved and self._bytes + self._reserved + size > limit and not self._closed:
            deadline = None if timeout is None else time.monotonic() + timeout
            self._space_waiting += 1
            try:
                while not self._closed and self._bytes + self._reserved:
                    if self._bytes + self._reserved + size <= limit:
                        break
                    if deadline is None:
                        self._space.wait()
                    else:
                        remaining = deadline - time.monotonic()
                        if remaining <= 0:
                            return False
                        self._space.wait(remaining)
            finally:
                self._space_waiting -= 1
        if self._closed:
            return False
        self._reserved += size
        return True

    def _unreserve(self, size: int) -> None:
        with self._lock:
            self._reserved -= size
            if self._space_waiting:
                self._space.notify_all()

    def _write_fully(self, data: builtins.bytes, start: int) -> None:
        """Write ``data`` at the end of the segment (which is ``start`` long), or roll it back and raise."""
        try:
            written = os.write(self._fd, data)
            if written < len(data):
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(self._fd, view) :]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, start)  # no torn record in the middle of the segment
            raise SpoolWriteError(f"cannot write spool segment in {self.directory}: {exc.strerror}") from None

    def _write_batch(self, records: Sequence[Pair], encoded: Encoded, first: int, last: int) -> int:
        """Write records ``first`` to ``last`` in one write (under the write lock); their byte count."""
        if first == last:
            return 0
        data = b"".join(encoded[first:last])
        start = self._write_off
        self._write_fully(data, start)
        with self._lock:
            seg, end = self._write_seg, start
            for i in range(first, last):
                size = len(encoded[i])
                end += size
                if self._memory_mode:
                    if self._memory_bytes + size > MEMORY_BYTES:
                        self._memory_mode = False
                    else:
                        key, value = records[i]
                        self._memory.append((key, value, seg, end, size))
                        self._memory_bytes += size
            self._write_off = end
            self._reserved -= len(data)
            self._put_seq += last - first
            self._depth += last - first
            self._bytes += len(data)
            self._appended += len(data)
            if self._drain_waiting:
                self._work.notify()
        return len(data)

    def _roll(self) -> None:
        """Close the current segment (fsynced) and start the next one; under the write lock."""
        with self._fd_lock:
            old = self._fd
            try:
                os.fsync(old)
                new = create_segment(segment_path(self.directory, self._write_seg + 1))
            except OSError as exc:  # nothing changed: the next put tries again
                raise SpoolWriteError(f"cannot roll spool segment in {self.directory}: {exc.strerror}") from None
            with self._lock:
                self._sizes[self._write_seg] = self._write_off
                self._fd = new
                self._gen += 1
                self._write_seg += 1
                self._write_off = 0
            os.close(old)
        try:
            fsync_directory(self.directory)
        except OSError as exc:
            raise SpoolWriteError(f"cannot fsync spool directory {self.directory}: {exc.strerror}") from None

    def _sync_until(self, target: int) -> None:
        """Return once the first ``target`` bytes written since start are fsynced. One caller fsyncs
        for all who wait meanwhile (group commit)."""
        with self._sync_cond:
            while self._synced < target:
                if not self._syncing:
                    self._syncing = True
                    break
                self._sync_cond.wait()
            else:
                return
        upto = target
        try:
            with self._lock:
                fd, gen, upto = self._fd, self._gen, self._appended
            with self._fd_lock:
                if gen == self._gen and fd >= 0:  # else a roll fsynced and closed that segment
                    os.fsync(fd)
        except OSError as exc:
            upto = -1
            raise SpoolWriteError(f"cannot fsync spool segment in {self.directory}: {exc.strerror}") from None
        finally:
            with self._sync_cond:
                self._syncing = False
                self._synced = max(self._synced, upto)
                self._sync_cond.notify_all()

    # -- the drain -------------------------------------------------------------------------------

    def _drain_loop(self) -> None:
        ack = self._ack
        publish = self._publish
        stopping = self._stopping
        try:
            while True:
                batch = self._next_batch()
                if batch is None:
                    return
                for seq, key, value in batch:
                    if stopping.is_set():
                        return
                    publish(key, value, functools.partial(ack, seq))
        except PublisherClosed:
            log.info("spool drain stopped: the publisher closed", extra={"input": self.name})
        except (OSError, SpoolError) as exc:
            self._log_error("spool drain failed; the records stay on disk for the next start", exc)

    def _next_batch(self) -> Batch | None:
        """The next records to publish, registered in the watermark; None when stopping."""
        while True:
            with self._lock:
                while True:
                    if self._stopping.is_set():
                        return None
                    if len(self._unsettled) < MAX_UNSETTLED:
                        if self._memory:
                            return self._take_memory()
                        if self._base + len(self._unsettled) < self._put_seq:
                            self._memory_mode = False
                            break  # behind: read the file
                        self._memory_mode = True  # caught up: take the next records from memory
                    self._drain_waiting = True
                    woken = self._work.wait(0.5)
                    self._drain_waiting = False
                    if woken and len(self._memory) < LINGER_RECORDS:
                        self._work.wait(LINGER)  # let a batch gather rather than wake per record
                seg, write_seg = self._read_seg, self._write_seg
                limit = self._write_off if seg == write_seg else self._sizes.get(seg)
            if limit is None or (self._read_off >= limit and seg < write_seg):
                self._read_seg, self._read_off = seg + 1, 0  # that segment is done (or deleted)
                continue
            if self._read_off >= limit:  # cannot happen while writes are whole records; do not spin
                self._stopping.wait(0.05)
                continue
            records = self._read_file(seg, limit)
            if records:
                return self._register_read(seg, records)

    def _take_memory(self) -> Batch:
        seq = self._base + len(self._unsettled)
        batch: Batch = []
        room = min(1000, MAX_UNSETTLED - len(self._unsettled))
        memory, unsettled = self._memory, self._unsettled
        taken = 0
        seg = end = 0
        while memory and len(batch) < room:
            key, value, seg, end, size = memory.popleft()
            taken += size
            unsettled.append((seg, end, size))
            batch.append((seq, key, value))
            seq += 1
        self._memory_bytes -= taken
        self._read_seg, self._read_off = seg, end
        return batch

    def _read_file(self, seg: int, limit: int) -> list[Record]:
        if self._read_fd_seg != seg:
            if self._read_fd >= 0:
                os.close(self._read_fd)
                self._read_fd = -1
            self._read_fd = os.open(segment_path(self.directory, seg), os.O_RDONLY | os.O_CLOEXEC)
            self._read_fd_seg = seg
        room = MAX_UNSETTLED - len(self._unsettled)
        records, _, corrupt = read_records(self._read_fd, self._read_off, limit, verify=False)
        if corrupt or (not records and self._read_off < limit):
            raise SpoolError(f"unreadable record in spool segment {seg} at offset {self._read_off}")
        return records[:room]

    def _register_read(self, seg: int, records: list[Record]) -> Batch:
        with self._lock:
            seq = self._base + len(self._unsettled)
            self._unsettled.extend((seg, r.end, r.size) for r in records)
        self._read_off = records[-1].end
        return [(seq + i, r.key, r.value) for i, r in enumerate(records)]

    def _ack(self, seq: int) -> None:
        """Kafka acknowledged record ``seq`` (runs on the publisher's poll thread)."""
        with self._lock:
            self._depth -= 1
            if seq != self._base:
                self._acked_ahead.add(seq)
                return
            unsettled, ahead = self._unsettled, self._acked_ahead
            freed = 0
            while True:
                seg, end, size = unsettled.popleft()
                freed += size
                self._base += 1
                if self._base not in ahead:
                    break
                ahead.remove(self._base)
            self._committed = (seg, end)
            self._bytes -= freed
            if self._space_waiting:
                self._space.notify_all()
            if self._drain_waiting:
                self._work.notify()

    # -- checkpoint and recovery -----------------------------------------------------------------

    def _housekeeping_loop(self) -> None:
        """Save the checkpoint when it moved (every 100 ms); fsync on the interval policy's timer."""
        interval = self._settings.fsync_interval if self._settings.fsync == "interval" else None
        now = time.monotonic()
        next_sync = now + interval if interval is not None else float("inf")
        next_checkpoint = now + CHECKPOINT_EVERY
        while not self._stopping.wait(max(0.0, min(next_sync, next_checkpoint) - time.monotonic())):
            try:
                now = time.monotonic()
                if interval is not None and now >= next_sync:
                    next_sync = now + interval
                    self._sync_until(self._appended)
                if now >= next_checkpoint:
                    next_checkpoint = now + CHECKPOINT_EVERY
                    self._save_checkpoint()
            except (OSError, SpoolError) as exc:
                self._log_error("spool checkpoint or fsync failed, will retry", exc)

    def _save_checkpoint(self) -> None:
        with self._lock:
            seg, off = self._committed
            while seg < self._write_seg and off >= self._sizes.get(seg, 0):
                seg, off = seg + 1, 0  # the whole segment is acknowledged
        if (seg, off) == self._saved:
            return
        doc = {"version": CHECKPOINT_VERSION, "segment": seg, "offset": off}
        write_atomically(self.directory / "checkpoint.json", orjson.dumps(doc))
        self._saved = (seg, off)
        with self._lock:
            done = [s for s in self._sizes if s < seg]
            for s in done:
                del self._sizes[s]
        for s in done:
            with contextlib.suppress(FileNotFoundError):
                segment_path(self.directory, s).unlink()

    def _load_checkpoint(self) -> tuple[int, int] | None:
        path = self.directory / "checkpoint.json"
        try:
            doc = orjson.loads(path.read_bytes())
            return int(doc["segment"]), int(doc["offset"])
        except FileNotFoundError:
            return None
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise SpoolError(f"spool checkpoint {path} is corrupt ({exc}); move it away to replay all") from None

    def _recover(self) -> None:
        checkpoint = self._load_checkpoint()
        segments = list_segments(self.directory)
        start_seg, start_off = checkpoint or (segments[0] if segments else 0, 0)
        for seg in [s for s in segments if s < start_seg]:
            segment_path(self.directory, seg).unlink()  # acknowledged; a crash interrupted the deletion
        live = [s for s in segments if s >= start_seg]
        if live and live[0] != start_seg:
            start_seg, start_off = live[0], 0
        records = size = 0
        for seg in live:
            offset = start_off if seg == start_seg else 0
            scan = scan_segment(segment_path(self.directory, seg), offset)
            if scan.dropped:
                self._dropped_torn += 1
                log.warning(
                    "spool segment had a torn or corrupt tail, dropped it",
                    extra={"input": self.name, "spool.segment": seg, "log.offset": scan.end, "bytes": scan.dropped},
                )
            records += scan.records
            size += scan.bytes
            self._sizes[seg] = scan.end
            if seg == start_seg:
                start_off = min(start_off, scan.end)
        # Writes go to a new segment after every existing one (and after the checkpoint's).
        self._write_seg = live[-1] + 1 if live else (start_seg + 1 if checkpoint else start_seg)
        if not live:
            start_seg, start_off = self._write_seg, 0
        self._committed = (start_seg, start_off)
        self._saved = checkpoint
        self._read_seg, self._read_off = start_seg, start_off
        self._put_seq = self._depth = records
        self._bytes = size
        if records or self._dropped_torn:
            log.info(
                "spool recovered",
                extra={
                    "input": self.name,
                    "spool.depth": records,
                    "spool.bytes": size,
                    "spool.dropped_torn": self._dropped_torn,
                },
            )

    def _take_lock(self) -> None:
        fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise SpoolError(f"spool directory {self.directory} is in use by another shipper") from None
        self._lock_fd = fd
