"""A file input: the prospector finds files, one harvester reads each, events go to Kafka, and the
registry records how far Kafka acknowledged them.

One thread per input reads every open file in turn (a bounded chunk each), so a thousand quiet
files cost a thousand file descriptors, not a thousand threads. Progress is recorded in the
registry only for events Kafka acknowledged.

The globs are scanned every ``scan_frequency`` seconds, and at once when the listing of a directory
they name changes (its modification time, looked at every :data:`DIR_CHECK` seconds): a file created
or rotated in is read within a fraction of a second, not at the next scan.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any

from grokpipe.envelope import (
    TAG_INVALID_UTF8,
    TAG_TRUNCATED,
    Envelope,
    Event,
    event_id,
    record_key,
    utc_now_iso,
)
from grokpipe.shipper.errors import PublisherClosed
from grokpipe.shipper.file import discovery
from grokpipe.shipper.file.config import FileInputSettings
from grokpipe.shipper.file.harvester import Harvester, Pending, Record
from grokpipe.shipper.file.prospector import Prospector
from grokpipe.shipper.file.registry import Registry
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher

log = logging.getLogger(__name__)

IDLE_SLEEP_MIN = 0.02
IDLE_SLEEP_MAX = 0.25
REGISTRY_FLUSH = 1.0
DIR_CHECK = 0.25


class FileInput:
    def __init__(
        self,
        settings: FileInputSettings,
        publisher: Publisher,
        metrics: ShipperMetrics,
        *,
        data_dir: os.PathLike[str] | str,
        host: str,
    ) -> None:
        self.settings = settings
        self.name = settings.name
        self._publisher = publisher
        self._host = host
        self._registry = Registry(Path(data_dir) / f"registry-{self.name}.json")
        self._prospector = Prospector(settings, self._registry)
        self._harvesters: dict[str, Harvester] = {}  #: by registry key
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"input-{self.name}", daemon=True)
        labels = {"input": self.name}
        self._m_lines = metrics.lines_read.labels(**labels)
        self._m_bytes = metrics.bytes_read.labels(**labels)
        self._m_events = metrics.events.labels(**labels)
        self._m_truncated = metrics.truncated.labels(**labels)
        self._m_invalid = metrics.invalid_utf8.labels(**labels)
        self._m_open = metrics.files_open.labels(**labels)
        self._m_lag = metrics.registry_lag.labels(**labels)
        self._envelope = Envelope(
            input_type="file",
            host=host,
            dataset=settings.dataset,
            tags=settings.tags,
            fields=settings.fields,
            labels=settings.labels,
        )
        self.error: BaseException | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self._registry.path.parent.mkdir(parents=True, exist_ok=True)
        self._registry.load()
        self._thread.start()

    def stop(self) -> None:
        """Stop reading. Pending events stay pending until :meth:`finish`."""
        self._stop.set()
        self._thread.join()

    def finish(self) -> None:
        """After the publisher drained: record what was acknowledged and write the registry."""
        now = time.time()
        for harvester in self._harvesters.values():
            self._record_progress(harvester, now)
            harvester.close()
        self._harvesters.clear()
        self._registry.save()
        self._m_open.set(0)

    def health(self) -> dict[str, Any]:
        return {"files_open": len(self._harvesters), "alive": self._thread.is_alive(), "error": repr(self.error)}

    # -- the loop --------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        except PublisherClosed:
            pass
        except BaseException as exc:
            self.error = exc
            log.exception("file input failed", extra={"input": self.name})
            raise

    def _loop(self) -> None:
        next_scan = next_look = 0.0
        next_flush = time.monotonic() + REGISTRY_FLUSH
        sleep = IDLE_SLEEP_MIN
        budget = self.settings.read_buffer
        dirs = discovery.watched_dirs(self.settings.paths)
        seen = discovery.listings(dirs)
        while not self._stop.is_set():
            mono = time.monotonic()
            if mono >= next_look:
                next_look = mono + DIR_CHECK
                listed = discovery.listings(dirs)
                if listed != seen:
                    seen, next_scan = listed, mono  # a file came, went or was renamed: scan now
            if mono >= next_scan:
                self._scan(mono)
                next_scan = mono + self.settings.scan_frequency
            progressed = False
            for key, harvester in list(self._harvesters.items()):
                if harvester.closing:
                    if harvester.take_acks() and harvester.settled:
                        self._close(key, harvester)
                    continue
                records, nbytes = harvester.read(budget, mono)
                if nbytes:
                    progressed = True
                    self._m_bytes.inc(nbytes)
                    self._m_lines.inc(harvester.take_line_count())
                    self._publish(harvester, records)
                    if self._stop.is_set():
                        break
                else:
                    self._publish(harvester, harvester.timed_out(mono))
                    self._maybe_close(harvester, mono)
            if mono >= next_flush:
                self._flush_registry()
                next_flush = mono + REGISTRY_FLUSH
            if progressed:
                sleep = IDLE_SLEEP_MIN
            else:
                self._stop.wait(sleep)
                sleep = min(sleep * 2, IDLE_SLEEP_MAX)

    def _publish(self, harvester: Harvester, records: list[Record]) -> None:
        if not records:
            return
        state = harvester.state
        stream, host = state.stream, self._host
        key = record_key(host, stream)
        file_info = {"path": harvester.path, "inode": str(state.inode), "device_id": str(state.device)}
        timestamp = utc_now_iso()
        wrap, encode, publish = self._envelope.wrap, self._publisher.encode, self._publisher.publish
        pending = harvester.pending
        truncated = invalid = 0
        for offset, end, text, tags in records:
            event: Event = {"@timestamp": timestamp, "message": text, "log": {"file": file_info, "offset": offset}}
            wrap(event, event_id(host, stream, offset), tags=tags)
            value = encode(key, event)  # cut to what Kafka takes, and tagged, if the line is too long
            flags = event.get("tags")
            if flags:
                if TAG_TRUNCATED in flags:
                    truncated += 1
                if TAG_INVALID_UTF8 in flags:
                    invalid += 1
            token = Pending(end)
            pending.append(token)
            publish(key, value, token)
        self._m_events.inc(len(records))
        if truncated:
            self._m_truncated.inc(truncated)
        if invalid:
            self._m_invalid.inc(invalid)

    # -- files coming and going ------------------------------------------------------------------

    def _scan(self, mono: float) -> None:
        for harvester in self._prospector.scan(self._harvesters, time.time(), mono):
            self._harvesters[harvester.state.key] = harvester
            log.info(
                "harvesting file",
                extra={"input": self.name, "log.file.path": harvester.path, "log.offset": harvester.state.offset},
            )
        self._m_open.set(len(self._harvesters))

    def _maybe_close(self, harvester: Harvester, mono: float) -> None:
        idle = mono - harvester.last_data
        if harvester.truncated and self.settings.rotation == "copytruncate":
            # The copy holds the unfinished line and event, and sends them with the same ids.
            harvester.closing = True
        elif harvester.truncated or (harvester.gone_since is not None and idle >= self.settings.close_timeout):
            self._publish(harvester, harvester.finish())
        elif idle >= self.settings.close_inactive:
            harvester.closing = True

    def _close(self, key: str, harvester: Harvester) -> None:
        self._record_progress(harvester, time.time())
        harvester.close()
        del self._harvesters[key]
        self._m_open.set(len(self._harvesters))
        log.info("closed file", extra={"input": self.name, "log.file.path": harvester.path})

    def _record_progress(self, harvester: Harvester, now: float) -> None:
        self._registry.advance(harvester.state.key, harvester.take_acks(), harvester.path, now)

    def _flush_registry(self) -> None:
        now = time.time()
        lag = 0
        for harvester in self._harvesters.values():
            self._record_progress(harvester, now)
            lag += harvester.position - harvester.acked
        self._m_lag.set(lag)
        self._registry.save()
