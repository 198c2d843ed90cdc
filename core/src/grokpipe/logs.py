"""Logs of our own services on stderr: JSON lines, so grokpipe can ship its own logs, or readable
lines when stderr is a terminal (``make run``).

``GROKPIPE_LOG_FORMAT`` chooses: ``json``, ``text`` or ``auto`` (the default: text on a terminal,
JSON otherwise). Both formats carry the same fields, the ``extra=`` ones included; values are
written with ``str()`` where JSON has no type for them, so a pydantic ``SecretStr`` stays
``**********`` in either.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

import orjson

ENV = "GROKPIPE_LOG_FORMAT"
Format = Literal["json", "text"]

_DIGITS = re.compile(r"\d+")
_RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)).keys()) | {"message", "asctime"}
_BARE = re.compile(r'[^\s"=\\]+')  # a text value written without quotes
_JSON_TYPES = (bool, int, float, dict, list, tuple, type(None))


class LogFormatError(ValueError):
    """``GROKPIPE_LOG_FORMAT`` is not json, text or auto."""


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a call passed with ``extra=`` (everything not a standard LogRecord attribute)."""
    return {k: v for k, v in record.__dict__.items() if k not in _RESERVED and not k.startswith("_")}


class JsonFormatter(logging.Formatter):
    """``{"@timestamp", "log.level", "log.logger", "message", ...extra fields}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "@timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "log.level": record.levelname.lower(),
            "log.logger": record.name,
            "message": record.getMessage(),
        }
        doc.update(extra_fields(record))
        if record.exc_info:
            doc["error.stack_trace"] = self.formatException(record.exc_info)
        return orjson.dumps(doc, default=str).decode()


class TextFormatter(logging.Formatter):
    """``08:15:08.123 WARNING grokpipe.shipper.publisher: Kafka unavailable error="..." retry_in=1.0``:
    local time, level, logger, message, then the extra fields as ``key=value`` (quoted where the
    value has spaces, quotes or ``=``, containers as JSON); a stack trace follows on its own lines."""

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        parts = [f"{clock}.{int(record.msecs):03d} {record.levelname:<7} {record.name}: {record.getMessage()}"]
        parts.extend(f"{key}={text_value(value)}" for key, value in extra_fields(record).items())
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def text_value(value: Any) -> str:
    """One ``key=value`` value: bare when it can be, else a JSON string; JSON for containers."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, _JSON_TYPES):
        return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    else:
        text = str(value)  # SecretStr: "**********"
    return text if _BARE.fullmatch(text) else orjson.dumps(text).decode()


def choose_format(setting: str, stream: TextIO) -> Format:
    """``json`` / ``text`` as asked; ``auto``: text when ``stream`` is a terminal."""
    value = setting.strip().lower()
    if value == "auto":
        isatty = getattr(stream, "isatty", None)
        return "text" if isatty is not None and isatty() else "json"
    if value == "json":
        return "json"
    if value == "text":
        return "text"
    raise LogFormatError(f"{ENV} must be json, text or auto, not {setting!r}")


def formatter(fmt: Format) -> logging.Formatter:
    return TextFormatter() if fmt == "text" else JsonFormatter()


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


def setup(level: str = "INFO", fmt: str | None = None, stream: TextIO | None = None) -> None:
    """Log to ``stream`` (stderr) in ``fmt`` (default: ``GROKPIPE_LOG_FORMAT``, else auto)."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(choose_format(fmt or os.environ.get(ENV) or "auto", stream)))
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
