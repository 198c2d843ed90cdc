"""A syslog input run by ``workers: N`` processes, so parsing and spooling use every core.

Every worker binds every network address of the input with ``SO_REUSEPORT``; Linux then spreads
TCP/TLS connections and UDP flows over the workers (by a hash of the peer's address and port: one
connection stays on one worker, so a stream keeps its order). Unix sockets cannot be shared that
way and belong to worker 0. Each worker has its own spool (``<data_dir>/syslog/<input>/w<i>``) and
Kafka producer (``worker.py``), so the spool's guarantees hold per worker; event ids are minted per
worker from 96 random bits drawn at start plus a counter, so they stay unique across workers and
stable per message through every re-send.

This class is the supervisor, an ``Input`` of the shipper: it starts the workers and raises if one
cannot listen, restarts a worker that dies (the replacement replays its spool), folds the workers'
metrics into one set per input (``telemetry.py``) and keeps ``max_connections`` one limit across
them (``slots.py``). When the supervisor itself dies, each worker sees its pipe close and stops,
keeping in its spool what Kafka had not acknowledged; the next start replays it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.errors import ShipperError
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.syslog.config import ListenAddress, SyslogInputSettings
from grokpipe.shipper.syslog.layout import input_root, leftovers
from grokpipe.shipper.syslog.listeners import ListenerError
from grokpipe.shipper.syslog.slots import SharedSlots
from grokpipe.shipper.syslog.telemetry import MetricMerge
from grokpipe.shipper.syslog.worker import WorkerSpec

log = logging.getLogger(__name__)

START_TIMEOUT = 120.0  # seconds for a worker to import, recover its spool and bind
CHECK_EVERY = 0.5
BACKOFF_MAX = 30.0


class WorkerStartError(ShipperError):
    """A worker process could not start its share of the input (the message says why)."""


class SyslogWorkers:
    def __init__(
        self, settings: SyslogInputSettings, shipper: ShipperSettings, metrics: ShipperMetrics, *, host: str
    ) -> None:
        self.settings = settings
        self.name = f"syslog:{settings.name}"
        self.count = settings.worker_count
        self._shipper = shipper
        self._metrics = metrics
        self._host = host
        self._merge = MetricMerge(metrics)
        self._merge_lock = threading.Lock()
        self._workers: list[_WorkerProcess] = []
        self._slots: SharedSlots | None = None
        self._stopping = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name=f"syslog-supervisor-{settings.name}")
        self.listen: list[str] = []

    # -- Input protocol ----------------------------------------------------------------------------

    def start(self) -> None:
        root = input_root(self._shipper.data_dir, self.settings.name)
        root.mkdir(parents=True, exist_ok=True)
        placeholders, settings = _resolve_ports(self.settings)
        try:
            addresses = settings.addresses
            self._slots = SharedSlots.create(root / "connections", self.count, addresses)
            drain = leftovers(root, self.count)
            for index in range(self.count):
                spec = WorkerSpec(
                    settings=settings,
                    index=index,
                    workers=self.count,
                    kafka=self._shipper.kafka,
                    publisher=self._shipper.publisher,
                    data_dir=self._shipper.data_dir,
                    host=self._host,
                    shutdown_timeout=self._shipper.shutdown_timeout,
                    log_level=self._shipper.log_level,
                    slots=self._slots.path,
                    slot_listeners=addresses,
                    leftovers=drain.get(index, []),
                )
                self._workers.append(_WorkerProcess(self, spec))
            for worker in self._workers:
                worker.spawn()
            for worker in self._workers:
                worker.wait_ready(START_TIMEOUT)
        except BaseException:
            self._stop_workers(0.0)
            if self._slots is not None:
                self._slots.close()
            raise
        finally:
            for sock in placeholders:
                sock.close()
        self.listen = [str(a) for a in addresses]
        self._set_up_gauge()
        self._supervisor.start()
        log.info(
            "syslog input listening",
            extra={"input": self.settings.name, "listen": self.listen, "workers": self.count},
        )

    def stop(self) -> None:
        """Each worker closes its sockets, spools what it read and gives Kafka ``shutdown_timeout``."""
        self._stopping.set()
        if self._supervisor.is_alive():
            self._supervisor.join()
        self._stop_workers(self._shipper.shutdown_timeout)
        if self._slots is not None:
            self._slots.close()
            self._slots = None
        self._set_up_gauge()

    def finish(self) -> None:
        """Nothing to record: each worker saved its spool's checkpoint when it stopped."""

    def health(self) -> dict[str, Any]:
        workers = [w.health() for w in self._workers]
        spools = [w.last_health.get("spool", {}) for w in self._workers]
        return {
            "alive": bool(workers) and all(w["alive"] for w in workers),
            "listen": self.listen,
            "connections": self._slots.open_connections() if self._slots is not None else 0,
            "paused": any(w.last_health.get("paused", False) for w in self._workers),
            "spool": {k: sum(int(s.get(k, 0)) for s in spools) for k in ("depth", "bytes", "torn")},
            "workers": workers,
        }

    # -- supervision -------------------------------------------------------------------------------

    def _supervise(self) -> None:
        while not self._stopping.wait(CHECK_EVERY):
            for worker in self._workers:
                if not worker.alive and not self._stopping.is_set():
                    worker.restart_when_due()
            self._set_up_gauge()

    def _stop_workers(self, timeout: float) -> None:
        for worker in self._workers:
            worker.request_stop()
        deadline = time.monotonic() + timeout + 10.0
        for worker in self._workers:
            worker.join(max(0.1, deadline - time.monotonic()))

    def _set_up_gauge(self) -> None:
        up = sum(1 for w in self._workers if w.alive)
        self._metrics.syslog_workers.labels(self.settings.name).set(up)

    def merge(self, index: int, samples: Any) -> None:
        with self._merge_lock:
            self._merge.update(index, samples)

    def forget(self, index: int) -> None:
        with self._merge_lock:
            self._merge.forget(index)
        if self._slots is not None:
            self._slots.reset(index)


class _WorkerProcess:
    """One worker: its process, the pipe to it, the thread that reads that pipe, its restarts."""

    def __init__(self, owner: SyslogWorkers, spec: WorkerSpec) -> None:
        self.owner = owner
        self.spec = spec
        self.process: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None
        self.last_health: dict[str, Any] = {}
        self.restarts = 0
        self.started_at = 0.0
        self._ready = threading.Event()
        self._failure: tuple[str, str] | None = None
        self._reader: threading.Thread | None = None
        self._backoff = 1.0
        self._due = 0.0

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None and self._ready.is_set()

    def spawn(self) -> None:
        """A fresh interpreter (``python -m grokpipe.shipper.syslog.worker FD``), not a fork: this
        process has librdkafka threads, which a fork would not carry, and a spawned ``multiprocessing``
        child would re-import the embedding program's main module."""
        ours, theirs = socket.socketpair()
        name = f"grokpipe-syslog-{self.spec.settings.name}-w{self.spec.index}"
        self._ready.clear()
        self._failure = None
        self.last_health = {}
        fd = theirs.fileno()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "grokpipe.shipper.syslog.worker", str(fd)], pass_fds=(fd,), close_fds=True
            )
        finally:
            theirs.close()  # the worker's end lives in the worker only: its death ends the pipe
        parent = Connection(ours.detach())
        parent.send(self.spec)
        self.process, self.conn = process, parent
        self.started_at = time.monotonic()
        self._reader = threading.Thread(target=self._read, args=(parent,), name=f"{name}-pipe", daemon=True)
        self._reader.start()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if self._failure is not None:
                kind, message = self._failure
                error = ListenerError if kind == "ListenerError" else WorkerStartError
                raise error(f"syslog worker {self.spec.index}: {message}")
            process = self.process
            if process is not None and process.poll() is not None and self._failure is None:
                time.sleep(0.2)  # a failure message may still be in the pipe
                if self._failure is None:
                    raise WorkerStartError(f"syslog worker {self.spec.index} exited with {process.returncode}")
            if time.monotonic() >= deadline:
                raise WorkerStartError(f"syslog worker {self.spec.index} did not start in {timeout:.0f} s")

    def _read(self, conn: Connection) -> None:
        index = self.spec.index
        try:
            while True:
                message = conn.recv()
                kind = message[0]
                if kind == "telemetry":
                    self.owner.merge(index, message[1])
                    self.last_health = message[2]
                elif kind == "ready":
                    self._ready.set()
                elif kind == "failed":
                    self._failure = (message[1], message[2])
                elif kind == "stopped":
                    return
        except (EOFError, OSError):
            return

    def restart_when_due(self) -> None:
        """Called while the worker is dead: restart it, backing off while it keeps dying at once."""
        now = time.monotonic()
        if self._due == 0.0:
            process = self.process
            code = process.poll() if process is not None else None
            lived = now - self.started_at
            self._backoff = 1.0 if lived > 60 else min(self._backoff * 2, BACKOFF_MAX)
            self._due = now + (0.0 if lived > 60 else self._backoff)
            log.error(
                "syslog worker died; restarting it (its spool replays)",
                extra={"input": self.spec.settings.name, "worker": self.spec.index, "exit_code": code},
            )
            self.owner.forget(self.spec.index)
            if self.conn is not None:
                self.conn.close()
                self.conn = None
        if now < self._due:
            return
        self._due = 0.0
        self.restarts += 1
        self.owner._metrics.syslog_worker_restarts.labels(self.spec.settings.name).inc()
        self.spawn()
        try:
            self.wait_ready(START_TIMEOUT)
        except (ShipperError, OSError) as exc:
            log.error("syslog worker failed to restart", extra={"worker": self.spec.index, "error": str(exc)})

    def request_stop(self) -> None:
        conn = self.conn
        if conn is not None:
            with contextlib.suppress(OSError, ValueError):
                conn.send(("stop",))

    def join(self, timeout: float) -> None:
        process = self.process
        if process is None:
            return
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.error("syslog worker did not stop; killing it", extra={"worker": self.spec.index})
            process.kill()
            process.wait(5)
        if self._reader is not None:
            self._reader.join(2)
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def health(self) -> dict[str, Any]:
        process = self.process
        return {
            "index": self.spec.index,
            "pid": process.pid if process is not None else None,
            "alive": self.alive,
            "restarts": self.restarts,
            "messages": self.last_health.get("messages", 0),  # accepted since this process started
            "kafka": self.last_health.get("kafka", {}),
            "spool": self.last_health.get("spool", {}),
        }


def _resolve_ports(settings: SyslogInputSettings) -> tuple[list[socket.socket], SyslogInputSettings]:
    """Port 0 means "any free port", which each worker would pick differently: pick it here with a
    placeholder socket (``SO_REUSEPORT``, kept until the workers have bound it) and hand the workers
    the concrete port."""
    placeholders: list[socket.socket] = []
    urls: list[str] = []
    chosen: dict[tuple[str, str], int] = {}
    for url, address in zip(settings.listen, settings.addresses, strict=True):
        if not address.host or address.port != 0:
            urls.append(url)
            continue
        kind = socket.SOCK_DGRAM if address.transport == "udp" else socket.SOCK_STREAM
        family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
        sock = socket.socket(family, kind)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((address.host, 0))
        except OSError as exc:
            sock.close()
            raise ListenerError(f"listen {address}: {exc.strerror or exc}") from exc
        placeholders.append(sock)
        port = chosen.setdefault((address.host, address.transport), sock.getsockname()[1])
        urls.append(str(ListenAddress(address.transport, address.host, port, "")))
    return placeholders, settings.model_copy(update={"listen": urls})


__all__ = ["SyslogWorkers", "WorkerStartError"]
