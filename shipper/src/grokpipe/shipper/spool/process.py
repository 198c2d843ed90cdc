"""The drain in a process of its own, for a syslog worker whose parser needs its interpreter whole.

One TCP connection is one worker's: its listener, parser and spool writes share one interpreter,
and the drain's share of it (reading the records, producing them, a delivery report each, the
watermark) was a third of the path's Python. Here the writers stay in the worker and the drain,
the watermark, the checkpoint and the Kafka producer run in a child process that reads the
segments back from the page cache. Nothing about the spool's guarantees changes: records are
accepted when the worker wrote them, the child publishes them in log order and saves the
checkpoint, a restart replays what Kafka had not acknowledged.

The child is ``child.py``. The two talk over one socket pair (``multiprocessing.connection``):

* worker -> child: the spec, then after each spool write the write position (segment, offset,
  records) as 24 bytes, and ``stop`` when the worker's spool stops;
* child -> worker: ``ready`` (or ``failed``), ``progress`` after each round of acknowledgements
  (records acknowledged, bytes freed for admission, the checkpoint's segment), ``telemetry`` four
  times a second (the publisher's metric samples and Kafka state) and ``stopped``.

The child inherits the spool directory's lock, so a successor worker waits for it too, and dies
with its worker (``PR_SET_PDEATHSIG``): a kill -9 of the worker ends both, as it ended the one
process before. A child that dies alone ends the pipe; the worker is then told (``on_lost``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe
from pathlib import Path

from grokpipe.settings import KafkaSettings
from grokpipe.shipper.publisher import PublisherSettings
from grokpipe.shipper.spool.errors import SpoolError
from grokpipe.shipper.spool.samples import Sample
from grokpipe.shipper.syslog.joiner import StreamMultiline

log = logging.getLogger(__name__)

POSITION = struct.Struct("<qqq")  #: segment, offset just past the last record written, records in the log
STOP = b"stop"
START_TIMEOUT = 60.0  # seconds for the child to import, connect its producer and report ready


@dataclass(frozen=True)
class DrainProcessSettings:
    """What the child needs besides the spool's state: its Kafka producer and its log level."""

    kafka: KafkaSettings
    publisher: PublisherSettings
    log_level: str = "INFO"
    multiline: StreamMultiline | None = None  #: the drain joins stream messages (``joiner.py``)


@dataclass(frozen=True)
class DrainSpec:
    directory: Path
    name: str
    settings: DrainProcessSettings
    parent: int  #: the worker's pid: the child dies with it
    start: tuple[int, int]  #: segment, offset of the first record to publish
    checkpoint: tuple[int, int] | None  #: what checkpoint.json holds now
    write_segment: int
    sizes: dict[int, int] = field(default_factory=dict)  #: closed segments on disk -> size
    records: int = 0  #: records from ``start`` on, already written


@dataclass
class Progress:
    """The child's acknowledgements as the worker's spool sees them (read and written under its lock)."""

    acknowledged: int = 0  #: records acknowledged since the child started (those recovered first)
    freed: int = 0  #: bytes under the watermark since then: room for admission
    segment: int = 0  #: the checkpoint's segment: closed segments before it are gone


class DrainProcess:
    """The worker's handle on the child: start it, tell it every write, hear its progress, stop it."""

    def __init__(
        self,
        directory: Path,
        name: str,
        settings: DrainProcessSettings,
        *,
        on_progress: Callable[[int, int, int], None],
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self._directory = directory
        self._name = name
        self._settings = settings
        self._on_progress = on_progress
        self._on_lost = on_lost
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._send_lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._stopping = False
        self._failure: str | None = None
        #: the child's latest telemetry: metric samples, Kafka connected, records in flight
        self.telemetry: tuple[list[Sample], bool, int] = ([], False, 0)

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None and not self._stopped.is_set()

    def start(
        self,
        *,
        lock_fd: int,
        start: tuple[int, int],
        checkpoint: tuple[int, int] | None,
        write_segment: int,
        sizes: dict[int, int],
        records: int,
    ) -> None:
        """Spawn the child and wait until its producer runs. Raises SpoolError when it cannot."""
        spec = DrainSpec(
            self._directory, self._name, self._settings, os.getpid(), start, checkpoint, write_segment, sizes, records
        )
        ours, theirs = Pipe(duplex=True)
        fd = theirs.fileno()
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "grokpipe.shipper.spool.child", str(fd)],
                pass_fds=(fd, lock_fd),
                close_fds=True,
            )
        finally:
            theirs.close()  # the child's end lives in the child only: its death ends the pipe
        self._conn = ours
        ours.send(spec)
        self._reader = threading.Thread(target=self._read, name=f"spool-drain-process-{self._name}", daemon=True)
        self._reader.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._ready.wait(0.05):
            if self._stopped.is_set() or time.monotonic() >= deadline:
                self._kill()
                raise SpoolError(f"the drain process of spool {self._directory} did not start: {self._failure}")

    def wrote(self, segment: int, offset: int, records: int) -> None:
        """The writers' position after a write (called in log order, under the write lock)."""
        conn = self._conn
        if conn is None:
            return
        with self._send_lock, contextlib.suppress(OSError):  # else the child is gone: the reader saw it
            conn.send_bytes(POSITION.pack(segment, offset, records))

    def stop(self, timeout: float) -> None:
        """Tell the child to stop (it settles and saves the checkpoint); kill it after ``timeout``."""
        self._stopping = True
        conn = self._conn
        if conn is not None:
            with self._send_lock, contextlib.suppress(OSError):
                conn.send_bytes(STOP)
        if not self._stopped.wait(max(timeout, 1.0)):
            log.warning("the spool's drain process did not stop in time; killed", extra={"input": self._name})
        self._kill()
        if self._reader is not None:
            self._reader.join(5.0)
        if conn is not None:
            conn.close()
            self._conn = None

    def _kill(self) -> None:
        process = self._process
        if process is None:
            return
        try:
            process.wait(2.0)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _read(self) -> None:
        conn = self._conn
        assert conn is not None
        try:
            while True:
                message = conn.recv()
                kind = message[0]
                if kind == "progress":
                    self._on_progress(message[1], message[2], message[3])
                elif kind == "telemetry":
                    self.telemetry = (message[1], message[2], message[3])
                elif kind == "ready":
                    self._ready.set()
                elif kind == "failed":
                    self._failure = f"{message[1]}: {message[2]}"
                elif kind == "stopped":
                    break
        except (EOFError, OSError):
            if not self._stopping:
                log.error(
                    "the spool's drain process died; its records stay on disk for the next start",
                    extra={"input": self._name, "error.message": self._failure or "exited"},
                )
                self._stopped.set()
                if self._on_lost is not None and self._ready.is_set():
                    self._on_lost()
                return
        self._stopped.set()
