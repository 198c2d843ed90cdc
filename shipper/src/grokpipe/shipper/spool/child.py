"""The drain process's side of ``process.py``: the drain, watermark, checkpoint and Kafka producer
of one worker's spool, following the worker's writes. Started as
``python -m grokpipe.shipper.spool.child FD`` by ``DrainProcess``."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grokpipe import gctune, logs
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher
from grokpipe.shipper.spool.checkpoint import Checkpointer
from grokpipe.shipper.spool.drain import Drain
from grokpipe.shipper.spool.handoff import MemoryHandoff
from grokpipe.shipper.spool.process import POSITION, DrainSpec
from grokpipe.shipper.spool.samples import snapshot
from grokpipe.shipper.spool.segments import segment_path
from grokpipe.shipper.spool.watermark import Watermark
from grokpipe.shipper.syslog.joiner import JoiningPublish, StreamJoiner

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 0.1  # seconds, as the in-process spool
TELEMETRY_EVERY = 0.25
PR_SET_PDEATHSIG = 1


class _WriterView:
    """The worker's write position as the child knows it: the fields ``Drain`` and ``Checkpointer``
    read of a ``SegmentWriter`` (under the child's lock)."""

    def __init__(self, segment: int, sizes: dict[int, int], records: int) -> None:
        self.segment = segment
        self.offset = 0
        self.sizes = sizes
        self.records = records

    def move(self, segment: int, offset: int, records: int, directory: Path) -> None:
        if segment != self.segment:
            self.sizes[self.segment] = self.offset
            for skipped in range(self.segment + 1, segment):  # rolled twice between two writes
                with contextlib.suppress(FileNotFoundError):
                    self.sizes[skipped] = segment_path(directory, skipped).stat().st_size
            self.segment = segment
        self.offset = offset
        self.records = records


class _Child:
    def __init__(self, spec: DrainSpec, conn: Connection) -> None:
        self._spec = spec
        self._conn = conn
        self._send_lock = threading.Lock()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._view = _WriterView(spec.write_segment, dict(spec.sizes), spec.records)
        self._watermark = Watermark(*spec.start)
        self._acks: deque[int] = deque()
        self._sent = (0, 0)
        self.metrics = ShipperMetrics()
        self.publisher = Publisher(spec.settings.kafka, spec.settings.publisher, self.metrics)
        multiline = spec.settings.multiline
        joiner = (
            None
            if multiline is None
            else StreamJoiner.preset(
                multiline.preset,
                timeout=multiline.timeout,
                max_lines=multiline.max_lines,
                encode=self.publisher.encode,
            )
        )
        join = JoiningPublish(self.publisher.publish_many, joiner)
        join.recovered = spec.records  # the worker writes nothing before its drain process is ready
        self._drain = Drain(
            directory=spec.directory,
            lock=self._lock,
            stopping=self._stopping,
            writer=self._view,
            handoff=MemoryHandoff(),
            watermark=self._watermark,
            publish=self.publisher.publish,
            publish_many=join,
            ack=self._acks.append,
            settle=self._settle_locked,
            name=spec.name,
            memory=False,
        )
        self._drain.segment, self._drain.offset = spec.start
        self._checkpointer = Checkpointer(spec.directory, self._lock, self._watermark, self._view)
        self._checkpointer.saved = spec.checkpoint
        self.publisher.after_poll(self.settle)
        self._housekeeping = threading.Thread(target=self._housekeeping_loop, name="spool-checkpoint", daemon=True)

    def start(self) -> None:
        self.publisher.start()
        self._drain.start()
        self._housekeeping.start()

    def run(self) -> None:
        """Follow the worker's writes until it says stop (or is gone)."""
        view, lock, drain, directory = self._view, self._lock, self._drain, self._spec.directory
        unpack, size = POSITION.unpack, POSITION.size
        while True:
            try:
                data = self._conn.recv_bytes()
            except (EOFError, OSError):
                os._exit(0)  # the worker is gone (and PR_SET_PDEATHSIG is on its way): replayed next start
            if len(data) != size:
                return  # STOP
            segment, offset, records = unpack(data)
            with lock:
                view.move(segment, offset, records, directory)
                if drain.waiting:
                    drain.work.notify()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            self._drain.work.notify_all()
        self._drain.join(5.0)
        self._housekeeping.join(5.0)
        self.publisher.close()
        try:
            self.settle()
            self._checkpointer.save()
        except OSError as exc:
            log.error(
                "spool checkpoint at stop failed; the next start replays more",
                extra={"input": self._spec.name, "error.message": str(exc)},
            )
        self._drain.close()

    def settle(self) -> None:
        """Move the watermark over the acknowledgements that arrived and tell the worker."""
        if self._acks:
            with self._lock:
                self._settle_locked()
        progress = (self._watermark.acknowledged, self._watermark.freed)
        if progress != self._sent:
            self._sent = progress
            self.send(("progress", progress[0], progress[1], self._watermark.committed[0]))

    def _settle_locked(self) -> None:
        acks, ack = self._acks, self._watermark.ack
        moved = 0
        while acks:
            moved |= ack(acks.popleft())
        if moved and self._drain.waiting:
            self._drain.work.notify()

    def send(self, message: tuple[Any, ...]) -> None:
        with self._send_lock, contextlib.suppress(OSError):  # else the worker is gone
            self._conn.send(message)

    def _housekeeping_loop(self) -> None:
        next_telemetry = time.monotonic()
        while not self._stopping.wait(CHECKPOINT_EVERY):
            try:
                self.settle()
                self._checkpointer.save()
            except OSError as exc:
                log.error(
                    "spool checkpoint failed, will retry", extra={"input": self._spec.name, "error.message": str(exc)}
                )
            if time.monotonic() >= next_telemetry:
                next_telemetry += TELEMETRY_EVERY
                self.send(
                    ("telemetry", snapshot(self.metrics.registry), self.publisher.connected, self.publisher.in_flight)
                )


def _die_with(parent: int) -> None:
    """SIGKILL when the worker dies, however it dies; at once if it is gone already."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(0)


def main(conn: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides when the drain stops
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    spec: DrainSpec = conn.recv()
    _die_with(spec.parent)
    logs.setup(spec.settings.log_level)
    try:
        child = _Child(spec, conn)
        child.start()
    except Exception as exc:  # noqa: BLE001 -- reported to the worker, which raises it
        conn.send(("failed", type(exc).__name__, str(exc)))
        return
    gctune.settle()
    child.send(("ready",))
    child.run()
    child.stop()
    child.send(("stopped",))


if __name__ == "__main__":  # python -m grokpipe.shipper.spool.child FD (started by DrainProcess)
    main(Connection(int(sys.argv[1])))
