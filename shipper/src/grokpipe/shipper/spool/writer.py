"""The open segment: appends that are whole or rolled back, rolling at ``segment_bytes``, fsync.

One writer at a time holds ``write_lock`` across the ``write(2)`` itself, so the drain and the
acknowledgements, which only take the spool's lock, never wait for a system call. Lock order:
``write_lock``, then ``fd_lock`` (held across an fsync and by the roll that closes the file), then
the spool's lock. The positions others read (``segment``, ``offset``, ``sizes``, ``appended``,
``records``) change under the spool's lock, together with the counters of the record just written,
so that the drain never sees a record on disk that the spool has not counted yet: the caller of
``write`` publishes them (see ``Spool.put``).

A segment rolls before a record that would take it past ``segment_bytes`` (an empty segment takes
a record of any size); the closed one is fsynced first, and the directory after the new name, so a
power cut never loses a closed segment, whatever the fsync policy.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path
from typing import Protocol

from grokpipe.atomic import fsync_directory
from grokpipe.shipper.spool.errors import SpoolWriteError
from grokpipe.shipper.spool.segments import create_segment, segment_path


class WritePosition(Protocol):
    """What the drain and the checkpoint read of the writers (a ``SegmentWriter``, or the drain
    process's view of one in the worker)."""

    segment: int
    offset: int
    sizes: dict[int, int]
    records: int


class SegmentWriter:
    def __init__(self, directory: Path, lock: threading.Lock, segment_bytes: int) -> None:
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.write_lock = threading.Lock()  #: held across a write and its publication
        self._fd_lock = threading.Lock()
        self._lock = lock
        self._fd = -1
        self._gen = 0  # bumped when the file is closed (roll, stop), so a concurrent fsync knows
        self.is_open = False  #: writes are refused before ``open`` and after ``close``
        self.segment = 0  #: the segment written to
        self.offset = 0  #: its size: where the next record goes
        self.sizes: dict[int, int] = {}  #: closed segments still on disk -> size
        self.appended = 0  #: bytes written since start: what fsyncs count
        self.records = 0  #: records in the log from the checkpoint on (their sequence numbers)

    def open(self, segment: int, sizes: dict[int, int], records: int) -> None:
        """Create segment ``segment`` (after every existing one) and write there; ``sizes`` and
        ``records`` describe the segments recovery found."""
        self._fd = create_segment(segment_path(self.directory, segment))
        self.segment, self.offset, self.sizes, self.records = segment, 0, sizes, records
        self.is_open = True
        fsync_directory(self.directory)

    def write(self, data: bytes) -> None:
        """Append ``data`` (under ``write_lock``), or truncate it away again and raise SpoolWriteError:
        no torn record is ever left in the middle of a segment."""
        fd = self._fd
        try:
            written = os.write(fd, data)
            if written < len(data):
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view) :]
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, self.offset)
            raise SpoolWriteError(f"cannot write spool segment in {self.directory}: {exc.strerror}") from None

    def roll(self) -> None:
        """Close the current segment (fsynced) and start the next one (under ``write_lock``)."""
        with self._fd_lock:
            old = self._fd
            try:
                os.fsync(old)
                new = create_segment(segment_path(self.directory, self.segment + 1))
            except OSError as exc:  # nothing changed: the next put tries again
                raise SpoolWriteError(f"cannot roll spool segment in {self.directory}: {exc.strerror}") from None
            with self._lock:
                self.sizes[self.segment] = self.offset
                self._fd = new
                self._gen += 1
                self.segment += 1
                self.offset = 0
            os.close(old)
        try:
            fsync_directory(self.directory)
        except OSError as exc:
            raise SpoolWriteError(f"cannot fsync spool directory {self.directory}: {exc.strerror}") from None

    def fsync(self) -> int:
        """fsync what was written; how many bytes (since start) that covers. For ``GroupFsync``."""
        with self._lock:
            fd, gen, covered = self._fd, self._gen, self.appended
        try:
            with self._fd_lock:
                if gen == self._gen and fd >= 0:  # else a roll fsynced and closed that segment
                    os.fsync(fd)
        except OSError as exc:
            raise SpoolWriteError(f"cannot fsync spool segment in {self.directory}: {exc.strerror}") from None
        return covered

    def close(self) -> None:
        """fsync and close the segment; no write is running now and none will start. Raises the
        fsync's OSError after closing."""
        with self.write_lock, self._fd_lock, self._lock:
            if self._fd < 0:
                return
            self.is_open = False
            try:
                os.fsync(self._fd)  # what puts admitted just before the stop wrote
            finally:
                os.close(self._fd)
                self._fd = -1
                self._gen += 1
