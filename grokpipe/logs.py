"""Structured logs of our own services: JSON lines on stderr, so grokpipe can ship its own logs."""

from __future__ import annotations

import logging
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any

import orjson

_DIGITS = re.compile(r"\d+")
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """``{"@timestamp", "log.level", "log.logger", "message", ...extra fields}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "log.level": record.levelname.lower(),
            "log.logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                doc[key] = value
        if record.exc_info:
            doc["error.stack_trace"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


class Throttle(logging.Filter):
    """Lets one warning through per message (numbers aside) per ``every`` seconds: a client that
    retries a dead broker every few milliseconds must not flood the log."""

    def __init__(self, every: float = 10.0) -> None:
        super().__init__()
        self.every = every
        self._seen: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        key = _DIGITS.sub("", f"{record.name}|{record.getMessage()}|{getattr(record, 'error.code', '')}")[:160]
        now = time.monotonic()
        if now - self._seen.get(key, -self.every) < self.every:
            return False
        if len(self._seen) > 1000:
            self._seen.clear()
        self._seen[key] = now
        return True


def quiet_http_clients() -> None:
    """httpx logs every request's URL at INFO, and a DingTalk or Slack URL is its token: never log them."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


def setup(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # kafka-python logs every reconnect attempt at WARNING/ERROR; our own components report outages.
    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    quiet_http_clients()
    # librdkafka reports every failed reconnect; the publisher reports outages once a second.
    rdkafka = logging.getLogger("librdkafka")
    rdkafka.setLevel(logging.ERROR)
    if not any(isinstance(f, Throttle) for f in rdkafka.filters):
        rdkafka.addFilter(Throttle())
