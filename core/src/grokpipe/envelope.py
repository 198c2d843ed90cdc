"""The event envelope: the JSON record the shipper writes to Kafka and the indexer reads.

The field names follow ECS; docs/architecture.md holds the contract. Events are plain dicts on
the hot path (they go straight to ``orjson``); this module holds the names, the id scheme and the
helpers so both sides agree.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from grokpipe.version import __version__

Event = dict[str, Any]

TAG_MULTILINE: Final = "multiline"
TAG_TRUNCATED: Final = "truncated"
TAG_INVALID_UTF8: Final = "invalid_utf8"
TAG_SYSLOG_PARSE_FAILURE: Final = "_syslogparsefailure"
TAG_SD_PARSE_FAILURE: Final = "_sdparsefailure"
TAG_SYSLOG_NO_PRI: Final = "syslog_no_pri"
TAG_SYSLOG_NONCONFORMANT: Final = "syslog_nonconformant"
TAG_GROK_PARSE_FAILURE: Final = "_grokparsefailure"
TAG_GROK_TIMEOUT: Final = "_groktimeout"
TAG_DATE_PARSE_FAILURE: Final = "_dateparsefailure"

AGENT: Final[dict[str, str]] = {"type": "grokpipe", "version": __version__}


def hostname() -> str:
    return socket.gethostname()


def utc_now_iso() -> str:
    """Now as ISO 8601 UTC with milliseconds, the form Elasticsearch's ``date`` parses by default."""
    return format_timestamp(datetime.now(UTC))


def format_timestamp(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def event_id(*parts: str | int) -> str:
    """Deterministic id from the event's source position, so a re-read reproduces it."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16)
    return digest.hexdigest()


class _IdMint:
    """96 random bits per process (drawn again in a forked child) and a 32-bit counter, as 32 hex
    digits like a UUID's. One ``os.urandom`` per message cost the syslog path a third of its speed:
    the call gives up the GIL and the worker then waits for the other threads to hand it back."""

    def __init__(self) -> None:
        self.reseed()
        os.register_at_fork(after_in_child=self.reseed)

    def reseed(self) -> None:
        self.prefix = os.urandom(12).hex()
        self.counter = itertools.count()

    def __call__(self) -> str:
        n = next(self.counter)  # atomic under the GIL
        if n >= 1 << 32:
            self.reseed()
            n = next(self.counter)
        return f"{self.prefix}{n:08x}"


#: A fresh id for an event with no re-readable source position (syslog).
mint_event_id = _IdMint()


class Envelope:
    """What a shipper input adds to every event it reads, built once per input: ``event.id`` and
    ``event.dataset``, ``host.name``, ``agent``, ``input.type``, the input's ``tags`` and its static
    ``fields`` / ``labels``. The one place the envelope's shared fields are written, so the file and
    the syslog input cannot drift apart."""

    __slots__ = ("_dataset", "_host", "_input_type", "_static", "_tags")

    def __init__(
        self,
        *,
        input_type: str,
        host: str,
        dataset: str,
        tags: Sequence[str] = (),
        fields: Mapping[str, Any] | None = None,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        self._input_type = input_type
        self._host = host
        self._dataset = dataset
        self._tags = tuple(tags)
        self._static: Event = {}
        if fields:
            self._static["fields"] = dict(fields)
        if labels:
            self._static["labels"] = dict(labels)

    def wrap(self, event: Event, event_id: str, *, tags: Iterable[str] = (), original: str | None = None) -> Event:
        """Complete ``event`` (the source's own fields: ``@timestamp``, ``message``, ``log.*``, its
        ``tags``, a ``host.hostname``) in place and return it. ``tags`` are the event's flags
        (``truncated``...); the input's configured tags come first, then the event's own."""
        meta = {"id": event_id, "dataset": self._dataset}
        if original is not None:
            meta["original"] = original
        event["event"] = meta
        host = event.get("host")
        event["host"] = {"name": self._host, **host} if host else {"name": self._host}
        event["agent"] = AGENT
        event["input"] = {"type": self._input_type}
        own = event.get("tags")
        if own or self._tags or tags:
            event["tags"] = [*self._tags, *(own or ()), *tags]
        if self._static:
            event.update(self._static)
        return event


def encode(event: Event) -> bytes:
    return orjson.dumps(event)


def decode(raw: bytes) -> Event:
    value = orjson.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"event must be a JSON object, got {type(value).__name__}")
    return value


def record_key(host: str, source: str) -> bytes:
    """Kafka record key: keeps one source's events ordered within one partition."""
    return f"{host}|{source}".encode()
