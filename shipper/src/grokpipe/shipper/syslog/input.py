"""The syslog input: listeners -> parser -> event envelope -> spool -> Kafka.

A message is accepted once it is in the spool (see ``spool.py`` for what each fsync policy keeps
through a crash); its ``event.id`` is minted then, so the spool's re-sends after a restart carry the
same id and Elasticsearch keeps one copy. Parsing happens on one worker thread fed by the listener
loop through a bounded queue; when the worker falls behind, the listeners stop reading streams.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grokpipe.envelope import (
    TAG_INVALID_UTF8,
    TAG_SYSLOG_NO_PRI,
    TAG_SYSLOG_NONCONFORMANT,
    TAG_SYSLOG_PARSE_FAILURE,
    TAG_TRUNCATED,
    Envelope,
    Event,
    format_timestamp,
    mint_event_id,
    record_key,
)
from grokpipe.retry import Backoff, RetryPolicy, retry
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher
from grokpipe.shipper.spool import Spool, SpoolWriteError
from grokpipe.shipper.spool.process import DrainProcessSettings
from grokpipe.shipper.syslog.config import ListenAddress, SyslogInputSettings
from grokpipe.shipper.syslog.joiner import JoiningPublish, LineClassifier, StreamJoiner, hint_key, stream_id, tick
from grokpipe.shipper.syslog.layout import input_root, leftovers
from grokpipe.shipper.syslog.listeners import ListenerEvents, Listeners, Received
from grokpipe.shipper.syslog.parser import SyslogParser
from grokpipe.shipper.syslog.slots import ConnectionAdmission
from grokpipe.shipper.syslog.streams import StreamRouter

log = logging.getLogger(__name__)

#: A failing spool write is tried again for as long as it fails: 0.1 s doubling to 5 s.
SPOOL_RETRY = RetryPolicy(Backoff(initial=0.1, cap=5.0, jitter=0.5))


def _spool_retry(exc: BaseException, _failures: int, delay: float) -> None:
    log.error("spool write failed; retrying", extra={"error": str(exc), "retry_in": round(delay, 3)})


_HIGH = 256  # reads queued for the worker before stream connections pause
_LOW = 32  # ... and resume
_DATAGRAM_LIMIT = 4096  # reads queued before datagrams are dropped rather than queued
_BATCH_FRAMES = 2000  # messages the worker parses and spools at once
_LINGER = 0.002  # seconds the worker waits for more after a small read (a datagram) ...
_LINGER_FRAMES = 64  # ... of fewer frames than this
_FLAGGED_TAGS = frozenset({TAG_SYSLOG_NO_PRI, TAG_SYSLOG_NONCONFORMANT})
_COUNTED_TAGS = frozenset({TAG_SYSLOG_PARSE_FAILURE, TAG_TRUNCATED, TAG_INVALID_UTF8}) | _FLAGGED_TAGS
_TRUNCATED = (TAG_TRUNCATED,)
_TICK_SLACK = 0.01  # seconds past ``timeout`` at which an idle input spools a tick (joiner.py)


@dataclass(frozen=True, slots=True)
class Placement:
    """One worker's share of a multi-worker input (see ``workers.py``); the default is the whole input
    in this process, spooling into ``<data_dir>/syslog/<input>``."""

    spool_dir: Path | None = None
    addresses: Sequence[ListenAddress] | None = None  # default: every listen address
    reuse_port: bool = False
    admission: ConnectionAdmission | None = None
    leftovers: Sequence[Path] | None = None  # spools to drain only; default: those no worker owns
    worker: int | None = None  # names the threads
    drain_process: DrainProcessSettings | None = None  # the spool's drain in a child process (workers)
    on_drain_lost: Callable[[], None] | None = None  # that child died alone


class SyslogInput:
    def __init__(
        self,
        settings: SyslogInputSettings,
        publisher: Publisher,
        metrics: ShipperMetrics,
        *,
        data_dir: os.PathLike[str] | str,
        host: str,
        shutdown_timeout: float = 30.0,
        placement: Placement | None = None,
    ) -> None:
        placement = placement or Placement()
        self.settings = settings
        self.name = f"syslog:{settings.name}"
        self._host = host
        self._metrics = metrics
        self._shutdown_timeout = shutdown_timeout
        self._parser = SyslogParser(settings.timezone)
        self._keys: dict[tuple[str, str], bytes] = {}  # Kafka record keys by (sender, app)
        self._envelope = Envelope(input_type="syslog", host=host, dataset=settings.dataset, tags=settings.tags)
        self._encode = publisher.encode
        root = input_root(data_dir, settings.name)
        spool_dir = placement.spool_dir or root
        self._router = StreamRouter(settings.routes) if settings.routes else None
        self._created_ms = -1  # event.created, formatted once per millisecond
        self._created = ""
        # Multiline: the spool's drain joins records (joiner.py); this side stamps receive times
        # (event.created) and spools a tick when nothing came for ``timeout`` seconds.
        multiline = settings.multiline
        self._tick_after = None if multiline is None else multiline.timeout + _TICK_SLACK
        self._classify = None if multiline is None else LineClassifier(multiline.preset)
        self._tick_due: float | None = None
        self._joins: dict[Path, JoiningPublish] = {}

        def open_spool(path: Path, **options: Any) -> Spool:
            join = self._joins[path] = JoiningPublish(publisher.publish_many, self._joiner())
            return Spool(path, settings.spool, publisher.publish, publish_many=join, **options)

        self.spool = open_spool(
            spool_dir, name=self.name, drain_process=placement.drain_process, on_drain_lost=placement.on_drain_lost
        )
        drain_only = placement.leftovers if placement.leftovers is not None else leftovers(root, 0).get(0, [])
        self._leftovers = [open_spool(path, name=f"{self.name}:{path.name}") for path in drain_only]
        for spool in (self.spool, *self._leftovers):
            publisher.after_poll(spool.settle)
        self._queue: queue.SimpleQueue[Received | None] = queue.SimpleQueue()
        self._handed = 0  # reads queued, written only by the listener loop
        self._taken = 0  # reads spooled, written only by the worker
        self._paused = False
        self._events = _Metrics(self)
        self.listeners = Listeners(
            settings,
            self._deliver,
            self._events,
            addresses=placement.addresses,
            reuse_port=placement.reuse_port,
            admission=placement.admission,
        )
        suffix = "" if placement.worker is None else f"-w{placement.worker}"
        self._worker = threading.Thread(target=self._work, name=f"syslog-worker-{settings.name}{suffix}", daemon=True)

    def _joiner(self) -> StreamJoiner | None:
        multiline = self.settings.multiline
        if multiline is None:
            return None
        return StreamJoiner.preset(
            multiline.preset, timeout=multiline.timeout, max_lines=multiline.max_lines, encode=self._encode
        )

    # -- Input protocol ----------------------------------------------------------------------------

    def start(self) -> None:
        self.spool.start()
        self._joins[self.spool.directory].recovered = self.spool.recovered_records
        if self._tick_after is not None:  # events replayed from the spool complete if nothing follows
            self._tick_due = time.time() + self._tick_after
        for leftover in self._leftovers:
            leftover.start()
            self._joins[leftover.directory].recovered = leftover.recovered_records
            if self._tick_after is not None and not leftover.put(*tick(None), timeout=5.0):
                # no worker writes it any more: its pending events are complete (else they wait for a restart)
                log.warning("a full leftover spool got no closing tick", extra={"path": str(leftover.directory)})
            log.info(
                "draining a spool no worker owns", extra={"input": self.settings.name, "path": str(leftover.directory)}
            )
        self._worker.start()
        try:
            self.listeners.start()
        except Exception:
            self._queue.put(None)
            self._worker.join()
            self.spool.stop(0)
            for leftover in self._leftovers:
                leftover.stop(0)
            raise
        log.info("syslog input listening", extra={"input": self.settings.name, "listen": self.listeners.bound})

    def stop(self, timeout: float | None = None) -> None:
        """Close the sockets, spool what was read, and give Kafka ``timeout`` (default
        ``shutdown_timeout``) to take it."""
        self.listeners.stop()
        self._queue.put(None)
        self._worker.join()
        self.spool.stop(self._shutdown_timeout if timeout is None else timeout)
        for leftover in self._leftovers:
            leftover.stop(0)
        self._events.tick()

    def finish(self) -> None:
        """Nothing to record: the spool's checkpoint was saved by ``stop``."""

    def health(self) -> dict[str, Any]:
        return {
            "alive": self.listeners.alive and self._worker.is_alive(),
            "listen": self.listeners.bound,
            "connections": self.listeners.connections,
            "paused": self._paused,
            "spool": {"depth": self.depth, "bytes": self.spool_bytes, "torn": self.spool.dropped_torn},
        }

    @property
    def depth(self) -> int:
        """Spooled records Kafka has not acknowledged, leftovers included."""
        return self.spool.depth + sum(s.depth for s in self._leftovers)

    @property
    def spool_bytes(self) -> int:
        return self.spool.bytes + sum(s.bytes for s in self._leftovers)

    # -- listener side (loop thread) ---------------------------------------------------------------

    def _deliver(self, item: Received) -> bool:
        queued = self._handed - self._taken
        if not item.listener.stream and queued >= _DATAGRAM_LIMIT:
            return False
        self._handed += 1
        self._queue.put(item)
        if queued + 1 >= _HIGH and not self._paused:
            self._paused = True
            self.listeners.pause()
            self._metrics.spool_paused.labels(self.settings.name).set(1)
        return True

    # -- worker ------------------------------------------------------------------------------------

    def _work(self) -> None:
        get_nowait = self._queue.get_nowait
        stopping = False
        while not stopping:
            items: list[Received] = []
            frames = 0
            item = self._next()
            if item is not None and len(item.frames) < _LINGER_FRAMES and self._handed - self._taken <= 1:
                # a small read and nothing behind it: let a batch gather (one spool write and one
                # wake-up for many datagrams); with a backlog the batch is there already
                time.sleep(_LINGER)
            while item is not None:
                items.append(item)
                frames += len(item.frames)
                if frames >= _BATCH_FRAMES:
                    break
                try:
                    item = get_nowait()
                except queue.Empty:
                    break
            stopping = item is None
            self._spool(items)
            self._taken += len(items)
            if self._tick_after is not None and items:
                self._tick_due = time.time() + self._tick_after
            if self._paused and self._handed - self._taken <= _LOW:
                self._paused = False
                self.listeners.resume()
                self._metrics.spool_paused.labels(self.settings.name).set(0)
        if self._tick_after is not None:  # stopping: every pending event is complete
            self._put_streams([tick(None)])

    def _next(self) -> Received | None:
        """The next read; while none comes and a tick is due, spool the tick (``joiner.py``)."""
        while True:
            due = self._tick_due
            if due is None:
                return self._queue.get()
            try:
                return self._queue.get(timeout=max(0.0, due - time.time()))
            except queue.Empty:
                self._tick_due = None
                self._put_streams([tick(int(time.time() * 1000))])

    def _spool(self, items: list[Received]) -> None:
        """Parse, spool, then count: ``messages`` counts only what the spool accepted."""
        streams: list[tuple[bytes, bytes]] = []
        datagrams: list[tuple[bytes, bytes]] = []
        counts: dict[tuple[ListenAddress, str], int] = {}
        received: dict[ListenAddress, int] = {}
        record = self._record
        run: ListenAddress | None = None  # reads come in runs from one listener: count a run at once
        run_bytes = run_messages = 0
        append = streams.append
        for item in items:
            listener = item.listener
            if listener is not run:
                if run is not None:
                    received[run] = received.get(run, 0) + run_bytes
                    counts[run, "messages"] = counts.get((run, "messages"), 0) + run_messages
                run, run_bytes, run_messages = listener, 0, 0
                append = streams.append if listener.stream else datagrams.append
            run_bytes += item.size
            run_messages += len(item.frames)
            for frame in item.frames:
                key, value, event = record(frame.data, frame.truncated, item)
                append((key, value))
                tags = event.get("tags")
                if tags:
                    for tag in tags:
                        if tag in _COUNTED_TAGS:
                            counts[listener, tag] = counts.get((listener, tag), 0) + 1
        if run is not None:
            received[run] = received.get(run, 0) + run_bytes
            counts[run, "messages"] = counts.get((run, "messages"), 0) + run_messages
        spooled_datagrams = True
        if datagrams:
            try:
                spooled_datagrams = self.spool.put_many(datagrams, timeout=0)
            except SpoolWriteError as exc:
                log.error("spool write failed: datagrams dropped", extra={"error": str(exc)})
                spooled_datagrams = False
        if streams:
            self._put_streams(streams)
        m, name = self._metrics, self.settings.name
        for listener, size in received.items():
            m.syslog_bytes.labels(name, str(listener)).inc(size)
        for (listener, what), count in counts.items():
            if not listener.stream and not spooled_datagrams:
                if what == "messages":
                    self._events.dropped(listener, count)
                continue
            if what == "messages":
                m.syslog_messages.labels(name, str(listener)).inc(count)
                m.events.labels(name).inc(count)
            elif what == TAG_SYSLOG_PARSE_FAILURE:
                m.syslog_parse_failures.labels(name, str(listener)).inc(count)
            elif what in _FLAGGED_TAGS:
                m.syslog_flagged.labels(name, str(listener), what).inc(count)
            elif what == TAG_TRUNCATED:
                m.truncated.labels(name).inc(count)
            else:
                m.invalid_utf8.labels(name).inc(count)

    def _put_streams(self, records: list[tuple[bytes, bytes]]) -> None:
        """Blocks while the spool is full: the queue grows and the listeners pause (back-pressure). A disk
        that is full or failing (SpoolWriteError, retriable) keeps the senders waiting while it is retried."""
        if not retry(lambda: self.spool.put_many(records, timeout=None), SPOOL_RETRY, on_retry=_spool_retry):
            log.error("spool closed before stream messages were spooled", extra={"count": len(records)})

    def _record(self, data: bytes, truncated: bool, item: Received) -> tuple[bytes, bytes, Event]:
        event, original = self._parser.parse_text(data)
        syslog = event.get("log", {}).get("syslog", {})
        sender = syslog.get("hostname") or (item.peer[0] if item.peer else "local")
        if item.peer is not None:
            event["source"] = {"ip": item.peer[0], "port": item.peer[1]}
        self._envelope.wrap(event, mint_event_id(), tags=_TRUNCATED if truncated else (), original=original)
        event["event"]["created"] = self._received()
        if self._router is not None:
            self._router.apply(event)
        classify = self._classify
        app = syslog.get("appname", "-")
        key = self._keys.get((sender, app))
        if key is None:
            if len(self._keys) > 4096:
                self._keys.clear()
            key = self._keys[sender, app] = record_key(sender, app)
        if classify is not None:  # the drain's joiner reads this instead of decoding (joiner.hint_key)
            peer = item.peer[0] if item.peer else None
            stream = (
                stream_id(syslog.get("hostname"), peer, app if "appname" in syslog else None, syslog.get("procid"))
                if syslog
                else b""
            )
            key = hint_key(key, stream, classify(event["message"]), self._created_ms)
        return key, self._encode(key, event), event  # cut to what Kafka takes (and tagged) if too long

    def _received(self) -> str:
        """Now as ``event.created`` (when the message was received; the joiner's clock)."""
        now = time.time()
        ms = int(now * 1000)
        if ms != self._created_ms:
            self._created_ms = ms
            self._created = format_timestamp(datetime.fromtimestamp(now, UTC))
        return self._created


class _Metrics(ListenerEvents):
    def __init__(self, owner: SyslogInput) -> None:
        self._owner = owner
        self._m = owner._metrics
        self._name = owner.settings.name

    def opened(self, listener: ListenAddress) -> None:
        self._m.syslog_connections.labels(self._name, str(listener)).inc()
        self._m.syslog_connections_accepted.labels(self._name, str(listener)).inc()

    def closed(self, listener: ListenAddress) -> None:
        self._m.syslog_connections.labels(self._name, str(listener)).dec()

    def refused(self, listener: ListenAddress) -> None:
        self._m.syslog_connections_refused.labels(self._name, str(listener)).inc()

    def shed(self, listener: ListenAddress) -> None:
        self._m.syslog_connections_shed.labels(self._name, str(listener)).inc()

    def dropped(self, listener: ListenAddress, count: int) -> None:
        self._m.syslog_dropped.labels(self._name, str(listener)).inc(count)

    def kernel_drops(self, listener: ListenAddress, total: int) -> None:
        self._m.syslog_kernel_drops.labels(self._name, str(listener)).set(total)

    def tick(self) -> None:
        self._m.spool_depth.labels(self._name).set(self._owner.depth)
        self._m.spool_bytes.labels(self._name).set(self._owner.spool_bytes)
