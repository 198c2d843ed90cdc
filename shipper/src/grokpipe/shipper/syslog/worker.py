"""One worker process of a multi-worker syslog input (the child side; ``workers.py`` supervises).

A worker is the in-process input in miniature: its own listeners (bound with ``SO_REUSEPORT`` next
to its siblings'), parser, spool directory ``w<i>`` and Kafka producer, so everything the spool
guarantees holds per worker: a kill -9 of the worker loses nothing its spool accepted, and the
replacement replays what Kafka had not acknowledged, with the same event ids. The worker talks to
the supervisor over one pipe: ``ready``/``failed`` after start, then telemetry (metric samples and
health) four times a second; it stops on ``stop`` or SIGTERM. When the pipe ends because the
supervisor died, the worker exits at once, as the single shipper process of ``workers: 1`` dies with
a kill -9: what its spool accepted stays there for the next start, and nothing half-received (the
unterminated last frame of a connection) is made into a message that the sender never finished.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from grokpipe import gctune, logs
from grokpipe.settings import KafkaSettings
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher, PublisherSettings
from grokpipe.shipper.spool.process import DrainProcessSettings
from grokpipe.shipper.spool.samples import snapshot
from grokpipe.shipper.syslog.config import ListenAddress, SyslogInputSettings
from grokpipe.shipper.syslog.input import Placement, SyslogInput
from grokpipe.shipper.syslog.layout import input_root, wait_unlocked, worker_dir
from grokpipe.shipper.syslog.slots import SharedSlots

log = logging.getLogger(__name__)

TELEMETRY_EVERY = 0.25  # seconds
ORPHAN_EXIT = 70  # exit status when the supervisor is gone
DRAIN_LOST_EXIT = 71  # exit status when the spool's drain process died alone: the supervisor restarts both
LOCK_WAIT = 60.0  # seconds to wait for a spool a previous worker still holds


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs, picklable (the worker is spawned, not forked: the supervisor has
    librdkafka threads, which a fork would not carry)."""

    settings: SyslogInputSettings  # with port-0 listen addresses resolved
    index: int
    workers: int
    kafka: KafkaSettings
    publisher: PublisherSettings
    data_dir: Path
    host: str
    shutdown_timeout: float
    log_level: str
    slots: Path
    slot_listeners: list[ListenAddress]
    leftovers: list[Path] = field(default_factory=list)


class _Channel:
    """The pipe to the supervisor, shared by the telemetry thread and the main thread."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> bool:
        with self._lock:
            try:
                self._conn.send(message)
            except (OSError, EOFError, ValueError):
                return False
        return True


def main(spec: WorkerSpec, conn: Connection) -> None:
    """Run one worker until told to stop (or orphaned)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the supervisor decides
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    logs.setup(spec.log_level)
    channel = _Channel(conn)
    try:
        worker = _build(spec)
    except Exception as exc:  # noqa: BLE001 -- reported to the supervisor, which raises it
        channel.send(("failed", type(exc).__name__, str(exc)))
        return
    try:
        worker.start()
    except Exception as exc:  # noqa: BLE001 -- as above
        if worker.publishing:
            worker.publisher.close(0)
        channel.send(("failed", type(exc).__name__, str(exc)))
        return
    gctune.settle()
    channel.send(("ready", worker.input.listeners.bound))
    threading.Thread(target=_listen, args=(conn, stop), name="worker-control", daemon=True).start()
    while not stop.wait(TELEMETRY_EVERY):
        channel.send(_telemetry(worker))
    worker.stop(spec.shutdown_timeout)
    channel.send(_telemetry(worker))
    channel.send(("stopped",))


def _listen(conn: Connection, stop: threading.Event) -> None:
    try:
        while True:
            message = conn.recv()
            if message == ("stop",):
                break
    except (EOFError, OSError):
        log.error("the shipper process is gone; the worker exits, its spool stays for the next start")
        logging.shutdown()
        os._exit(ORPHAN_EXIT)
    stop.set()


def _drain_lost() -> None:
    log.error("the spool's drain process died; the worker exits so that both start again")
    logging.shutdown()
    os._exit(DRAIN_LOST_EXIT)


def _telemetry(worker: _Worker) -> tuple[Any, ...]:
    health = worker.input.health()
    samples = snapshot(worker.metrics.registry)
    drain = worker.input.spool.drain_telemetry
    if drain is None:
        health["kafka"] = {"connected": worker.publisher.connected, "in_flight": worker.publisher.in_flight}
    else:  # the Kafka producer and its metrics are the drain process's
        drain_samples, connected, in_flight = drain
        if worker.publishing:
            connected = connected and worker.publisher.connected
            in_flight += worker.publisher.in_flight
        health["kafka"] = {"connected": connected, "in_flight": in_flight}
        merged = {(name, labels): value for name, labels, value in samples}
        for name, labels, value in drain_samples:
            merged[name, labels] = merged.get((name, labels), 0.0) * worker.publishing + value
        samples = [(name, labels, value) for (name, labels), value in merged.items()]
    health["messages"] = int(sum(v for name, _, v in samples if name == "grokpipe_shipper_syslog_messages_total"))
    return ("telemetry", samples, health)


@dataclass
class _Worker:
    input: SyslogInput
    publisher: Publisher
    metrics: ShipperMetrics
    slots: SharedSlots
    publishing: bool  #: the worker's own producer runs: it drains leftover spools

    def start(self) -> None:
        if self.publishing:
            self.publisher.start()
        self.input.start()

    def stop(self, timeout: float) -> None:
        self.input.stop(timeout)
        if self.publishing:
            self.publisher.drain(timeout)
        self.input.finish()
        if self.publishing:
            self.publisher.close()
        self.slots.close()


def _build(spec: WorkerSpec) -> _Worker:
    settings = spec.settings
    own = worker_dir(input_root(spec.data_dir, settings.name), spec.index)
    for directory in (own, *spec.leftovers):
        if not wait_unlocked(directory, LOCK_WAIT):
            log.warning("a spool stays locked; starting anyway", extra={"path": str(directory)})
    metrics = ShipperMetrics()
    publisher = Publisher(spec.kafka, spec.publisher, metrics)
    slots = SharedSlots(spec.slots, spec.workers, spec.slot_listeners)
    placement = Placement(
        spool_dir=own,
        addresses=[a for a in settings.addresses if a.host or spec.index == 0],  # unix sockets: worker 0
        reuse_port=True,
        admission=slots.admission(spec.index, settings.max_connections),
        leftovers=spec.leftovers,
        worker=spec.index,
        drain_process=DrainProcessSettings(spec.kafka, spec.publisher, spec.log_level, settings.multiline),
        on_drain_lost=_drain_lost,
    )
    syslog_input = SyslogInput(
        settings,
        publisher,
        metrics,
        data_dir=spec.data_dir,
        host=spec.host,
        shutdown_timeout=spec.shutdown_timeout,
        placement=placement,
    )
    return _Worker(syslog_input, publisher, metrics, slots, publishing=bool(spec.leftovers))


if __name__ == "__main__":  # python -m grokpipe.shipper.syslog.worker FD (started by workers.py)
    control = Connection(int(sys.argv[1]))
    main(control.recv(), control)
