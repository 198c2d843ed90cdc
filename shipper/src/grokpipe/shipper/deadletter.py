"""Records Kafka refused for good: kept where a person finds them, counted, and let go.

A refusal that producing again cannot fix (a record the broker finds too large even after the
publisher cut it, an invalid record) would otherwise stall its source for ever: the file's registry
offset or the syslog spool's checkpoint waits for an acknowledgement that never comes. So the record
goes here instead, and its source moves on:

* one JSON line in ``<data_dir>/deadletter.jsonl`` (time, reason, key, size, the value as text up to
  :data:`KEEP_BYTES`), while the file is under :data:`MAX_FILE_BYTES` (then only counted);
* the ``grokpipe_shipper_events_dead_lettered`` counter, by reason;
* ``/healthz`` says ``degraded`` for :data:`DEGRADED_FOR` seconds after the last one;
* an error in the log (at most once a second).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

import orjson

from grokpipe.envelope import utc_now_iso
from grokpipe.shipper.metrics import ShipperMetrics

log = logging.getLogger(__name__)

FILE_NAME = "deadletter.jsonl"
KEEP_BYTES = 64 * 1024
MAX_FILE_BYTES = 64 * 1024 * 1024
DEGRADED_FOR = 600.0


class DeadLetter:
    def __init__(self, metrics: ShipperMetrics, directory: Path | None = None) -> None:
        self.path = directory / FILE_NAME if directory is not None else None
        self._metrics = metrics
        self._lock = threading.Lock()
        self.count = 0
        self._last = 0.0  # monotonic time of the last record
        self._last_log = 0.0
        self.last_reason: str | None = None

    def put(self, key: bytes, value: bytes, reason: str) -> None:
        with self._lock:
            self.count += 1
            self._last = time.monotonic()
            self.last_reason = reason
            self._metrics.dead_lettered.labels(reason=reason.split(":", 1)[0]).inc()
            written = self._write(key, value, reason)
            if self._last - self._last_log >= 1.0:
                self._last_log = self._last
                log.error(
                    "Kafka refused a record for good: dead-lettered, its source moves on",
                    extra={"reason": reason, "size": len(value), "path": str(self.path) if written else None},
                )

    @property
    def degraded(self) -> bool:
        return self.count > 0 and time.monotonic() - self._last < DEGRADED_FOR

    def health(self) -> dict[str, Any]:
        return {"count": self.count, "last_reason": self.last_reason, "path": str(self.path) if self.path else None}

    def _write(self, key: bytes, value: bytes, reason: str) -> bool:
        if self.path is None:
            return False
        try:
            if self.path.exists() and self.path.stat().st_size >= MAX_FILE_BYTES:
                return False
            line = {
                "@timestamp": utc_now_iso(),
                "reason": reason,
                "key": key.decode("utf-8", errors="replace"),
                "size": len(value),
                "value": value[:KEEP_BYTES].decode("utf-8", errors="replace"),
            }
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as out:
                out.write(orjson.dumps(line) + b"\n")
        except OSError as exc:
            log.error("cannot write the dead-letter file", extra={"path": str(self.path), "error": str(exc)})
            return False
        return True
