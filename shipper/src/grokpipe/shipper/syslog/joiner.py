"""Multiline on syslog streams: consecutive messages of one stream that continue a stack trace
become one event, joined *after* the spool, in its drain.

A stream is one sender's process: ``log.syslog.hostname`` (else the peer's address), the app-name
(Docker's tag: the container) and the procid. Messages of other streams in between never mix in.
A message continues the pending event of its stream when the preset says so
(:mod:`grokpipe.multiline`; also a Python traceback's final ``pkg.AnyName: message`` line right
after its last frame, whatever the name), it came within ``timeout`` of the stream's last message
and the event has fewer than ``max_lines`` lines; otherwise the pending event is complete and the message
starts the next one. A message alone is sent as it was spooled (same bytes); a joined event is the
first message's event with the lines joined by ``\\n`` as ``message`` (and ``event.original``), the
tag ``multiline`` and the first message's ``event.id``.

Why after the spool: a message is accepted (and its id minted) when it is spooled, one record per
message, as without multiline. The drain joins records into events, and the records of an event
are acknowledged to the spool only when Kafka acknowledged the whole event, so the checkpoint never
passes a record of an event that is pending or in flight. After a crash the spool replays from the
checkpoint, which is at or before the first record of every event not yet acknowledged; replaying
the same records through the same decisions gives the same events with the same ids, and
Elasticsearch keeps one copy of each (``op_type=create``).

The decisions are a pure function of the records, so that a replay repeats them: time is the
message's receive time (``event.created``, stamped by the input), never the drain's clock. The input
classifies each message as it spools it (its stream, its class for the preset, its receive time in
ms) into a *hinted* spool key (:func:`hint_key`), so the drain decides without decoding the event;
the hint is cut off before Kafka, and a record spooled without one (an older spool) is decoded to
decide the same way. A stream that goes quiet is completed by a *tick*: a record the input spools
(key ``TICK_KEY``) when it has received nothing for ``timeout`` seconds, carrying that moment, or at
stop ``flush`` (complete every pending event). A tick is acknowledged by the drain itself and never
reaches Kafka. A leftover spool (no worker writes it any more) gets a ``flush`` tick when opened.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import Field

from grokpipe.envelope import TAG_MULTILINE
from grokpipe.multiline import STREAM_PRESETS, Continuation
from grokpipe.settings import Section

TICK_KEY = b"\x00grokpipe.tick"
FLUSH = b"flush"
HINT = b"\x01"  #: starts a spool key that carries the input's classification (:func:`hint_key`)

Ack = Callable[[int], None]
#: ``Publisher.publish_many``: records (key and value first), the sequence number of the first, and
#: what each acknowledgement is told (its sequence number).
PublishMany = Callable[[Sequence[tuple[bytes, bytes, *tuple[int, ...]]], int, Ack], None]
Out = tuple[bytes, bytes, int | list[int]]  #: key, value, the spool records it stands for


class StreamMultiline(Section):
    """``multiline:`` of a syslog input: consecutive messages of one stream (host + app-name/tag +
    procid) that continue a stack trace are joined into one event (``joiner.py``)."""

    preset: Literal["auto", "python", "java", "php"] = Field(
        default="auto", description="auto: Python tracebacks, Java stack traces and PHP stack traces"
    )
    timeout: float = Field(
        default=1.0, gt=0, le=3600, description="seconds a stream may be quiet before its pending event is sent"
    )
    max_lines: int = Field(default=500, ge=2, le=100_000, description="then the event is sent and the next starts")


def tick(at_ms: int | None) -> tuple[bytes, bytes]:
    """The tick record for ``at_ms`` (milliseconds since the epoch); None: complete every pending event."""
    return TICK_KEY, FLUSH if at_ms is None else b"%d" % at_ms


def stream_id(hostname: Any, peer: Any, appname: Any, procid: Any) -> bytes:
    """A stream's identity: the sender's hostname (else its address), app-name, procid."""
    host = hostname if isinstance(hostname, str) else peer if isinstance(peer, str) else ""
    return f"{host}\x1f{appname or ''}\x1f{procid or ''}".encode()


# A line's class (one byte): what the preset says of it, and what a Python traceback's last line needs.
TRACEBACK = b"t"  #: ``Traceback (most recent call last):`` (continues)
INDENTED = b"i"  #: a continuation that starts with white space: a frame, a source line (continues)
CONTINUES = b"c"  #: another continuation
EXCEPTION = b"x"  #: ``pkg.SomeName: message``: continues only right after a traceback's indented line
STARTS = b"s"
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*(?::(?: .*)?)?\Z", re.S)


class LineClassifier:
    """A message's class for a preset. The preset's rule is stateless, so an exception whose name
    does not end in Error/Exception/... (``werkzeug.exceptions.NotFound: 404``) would start an event;
    the joiner lets such a line continue a Python traceback right after its last frame (``x``)."""

    __slots__ = ("_continues", "_python")

    def __init__(self, preset: str) -> None:
        self._continues = Continuation.preset(STREAM_PRESETS[preset]).continues
        self._python = preset in ("auto", "python")

    def __call__(self, line: str) -> bytes:
        if line[:1] in _NEVER_CONTINUES:  # an access log's address, a JSON line, a [timestamp]: no regex
            return STARTS
        if self._continues(line):
            if line[:1] in (" ", "\t"):
                return INDENTED
            return TRACEBACK if line.startswith("Traceback (most recent call last):") else CONTINUES
        if self._python and _EXCEPTION_LINE.match(line) is not None:
            return EXCEPTION
        return STARTS


#: First characters no preset's continuation (nor an exception name) starts with.
_NEVER_CONTINUES = frozenset("0123456789[{<\"'(/-:*+=!?@%&|~^,;>")


def hint_key(kafka_key: bytes, stream: bytes, kind: bytes, at_ms: int) -> bytes:
    """The spool key of a message the input already classified: what the drain needs without decoding
    the event (``HINT``, the line's class, receive time in ms, stream), then the Kafka key."""
    return b"%b%b%d\x1f%b\x1f%b" % (HINT, kind, at_ms, stream, kafka_key)


def kafka_key(key: bytes) -> bytes:
    """A spool key without its hint."""
    return key[key.rindex(b"\x1f") + 1 :] if key[:1] == HINT else key


_SECONDS: dict[str, int] = {}


def receive_time(stamp: Any) -> int:
    """``event.created`` (``2026-12-07T02:40:54.123Z``) in milliseconds since the epoch; 0 if absent."""
    if not isinstance(stamp, str) or len(stamp) < 19:
        return 0
    prefix = stamp[:19]
    millis = _SECONDS.get(prefix)
    if millis is None:
        try:
            millis = int(datetime.fromisoformat(prefix).replace(tzinfo=UTC).timestamp()) * 1000
        except ValueError:
            return 0
        if len(_SECONDS) > 4096:
            _SECONDS.clear()
        _SECONDS[prefix] = millis
    fraction = stamp[20:23]
    return millis + int(fraction) if fraction.isdigit() else millis


@dataclass(slots=True)
class Block:
    """One stream's pending event: its records as spooled (decoded only to be joined)."""

    key: bytes  #: the Kafka key of its first record
    values: list[bytes]
    seqs: list[int]
    last: int  #: receive time of its last message, ms
    kind: bytes  #: the class of its last message
    traceback: bool  #: it holds a ``Traceback (most recent call last):``


class StreamJoiner:
    """The join decisions: records in (in spool order), events out. Pure (no clock, no I/O)."""

    def __init__(
        self,
        classify: Callable[[str], bytes],
        *,
        timeout: float,
        max_lines: int,
        encode: Callable[[bytes, dict[str, Any]], bytes] | None = None,
    ) -> None:
        """``encode`` is the publisher's (a joined event is cut to what Kafka takes, like any other);
        plain JSON when none is given."""
        self._classify = classify
        self._encode = encode or (lambda _key, event: orjson.dumps(event))
        self._timeout = round(timeout * 1000)  # ms
        self._max_lines = max_lines
        self._pending: dict[bytes, Block] = {}  # by stream, oldest last message first
        self._expired_at = -1  # the receive time _expire last ran for

    @classmethod
    def preset(
        cls,
        name: str,
        *,
        timeout: float,
        max_lines: int,
        encode: Callable[[bytes, dict[str, Any]], bytes] | None = None,
    ) -> StreamJoiner:
        return cls(LineClassifier(name), timeout=timeout, max_lines=max_lines, encode=encode)

    @property
    def pending(self) -> int:
        """Events waiting for their next line or a tick."""
        return len(self._pending)

    def push(self, seq: int, key: bytes, value: bytes) -> list[Out]:
        """The record ``seq``; what it completed. A hinted key (:func:`hint_key`) is read as it is;
        another record (spooled without multiline) is decoded to decide the same way."""
        if key[:1] == HINT:
            first, last = key.index(b"\x1f"), key.rindex(b"\x1f")  # the stream holds two more; the Kafka key none
            stream, kafka = key[first + 1 : last], key[last + 1 :]
            kind, at = key[1:2], int(key[2:first])
        else:
            facts = self._facts(value)
            if facts is None:
                return [(key, value, seq)]
            stream, kind, at, kafka = *facts, key
        if at != self._expired_at and self._pending:  # receive times repeat for the messages of a millisecond
            self._expired_at = at
            out = self._expire(at)
        else:
            out = []
        if not stream:  # not parsed as syslog (_syslogparsefailure): no stream to join in
            out.append((kafka, value, seq))
            return out
        pending = self._pending
        block = pending.pop(stream, None)
        if block is not None:
            joins = kind in _JOINS or (kind == EXCEPTION and block.traceback and block.kind == INDENTED)
            if joins and at - block.last <= self._timeout:
                block.values.append(value)
                block.seqs.append(seq)
                block.last = at
                block.kind = kind
                block.traceback = block.traceback or kind == TRACEBACK
                if len(block.seqs) >= self._max_lines:
                    out.append(self._emit(block))
                else:
                    pending[stream] = block  # to the end: the newest last message
                return out
            out.append(self._emit(block))
        pending[stream] = Block(kafka, [value], [seq], at, kind, kind == TRACEBACK)
        return out

    def _facts(self, value: bytes) -> tuple[bytes, bytes, int] | None:
        """Stream (empty: none), the line's class, receive time of an event spooled without a hint;
        None: not an event."""
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(event, dict):
            return None
        message, meta = event.get("message"), event.get("event")
        if not isinstance(message, str) or not isinstance(meta, dict):
            return None
        at = receive_time(meta.get("created"))
        log = event.get("log")
        syslog = log.get("syslog") if isinstance(log, dict) else None
        if not isinstance(syslog, dict):
            return b"", STARTS, at
        source = event.get("source")
        peer = source.get("ip") if isinstance(source, dict) else None
        stream = stream_id(syslog.get("hostname"), peer, syslog.get("appname"), syslog.get("procid"))
        return stream, self._classify(message), at

    def tick(self, value: bytes) -> list[Out]:
        """A tick record's value: complete what it says is complete."""
        if value == FLUSH:
            return self.flush()
        try:
            at = int(value)
        except ValueError:
            return []
        return self._expire(at, inclusive=True)

    def flush(self) -> list[Out]:
        out = [self._emit(block) for block in self._pending.values()]
        self._pending.clear()
        return out

    def _expire(self, at: int, *, inclusive: bool = False) -> list[Out]:
        """Complete the events whose stream has been quiet for longer than ``timeout`` at ``at`` (a
        tick: for ``timeout`` or longer)."""
        out: list[Out] = []
        pending, limit = self._pending, at - self._timeout
        while pending:
            stream = next(iter(pending))
            block = pending[stream]
            if block.last > limit or (block.last == limit and not inclusive):
                break
            del pending[stream]
            out.append(self._emit(block))
        return out

    def _emit(self, block: Block) -> Out:
        if len(block.seqs) == 1:
            return block.key, block.values[0], block.seqs[0]
        events = [orjson.loads(value) for value in block.values]
        event = events[0]
        event["message"] = "\n".join(str(e.get("message", "")) for e in events)
        meta = event["event"]
        if "original" in meta:
            meta["original"] = "\n".join(str(e["event"].get("original", e.get("message", ""))) for e in events)
        tags = event.get("tags")
        tags = list(tags) if isinstance(tags, list) else []
        for later in events[1:]:
            for tag in later.get("tags") or ():
                if tag not in tags:
                    tags.append(tag)
        if TAG_MULTILINE not in tags:
            tags.append(TAG_MULTILINE)
        event["tags"] = tags
        return block.key, self._encode(block.key, event), block.seqs


_JOINS = frozenset({TRACEBACK, INDENTED, CONTINUES})


class JoiningPublish:
    """``publish_many`` between the spool's drain and the Kafka publisher: records in, events out,
    and each event's acknowledgement acknowledges the records it stands for.

    Without a joiner (multiline off) it only drops the ticks an earlier run with multiline left in
    the spool: those are among the first ``recovered`` records, after which records pass unread.
    """

    def __init__(self, publish_many: PublishMany, joiner: StreamJoiner | None) -> None:
        self._publish_many = publish_many
        self._joiner = joiner
        self._ack: Ack | None = None
        self._next = 0  # the number of the next event handed to ``publish_many``
        self._records: dict[int, int | list[int]] = {}  # event number -> its spool records
        #: spool records recovered at start (they may hold ticks); until told, all may
        self.recovered = sys.maxsize

    @property
    def pending(self) -> int:
        return 0 if self._joiner is None else self._joiner.pending

    def __call__(self, records: Sequence[tuple[bytes, bytes, *tuple[int, ...]]], first: int, ack: Ack) -> None:
        joiner = self._joiner
        if joiner is None and first >= self.recovered:
            self._publish_many(records, first, ack)
            return
        self._ack = ack
        out: list[Out] = []
        seq = first
        for record in records:
            key, value = record[0], record[1]
            if key == TICK_KEY:
                if joiner is not None:
                    out.extend(joiner.tick(value))
                ack(seq)
            elif joiner is None:
                out.append((kafka_key(key), value, seq))
            else:
                out.extend(joiner.push(seq, key, value))
            seq += 1
        if out:
            self._send(out)

    def _send(self, out: list[Out]) -> None:
        """In order: a run of single records with consecutive sequence numbers (what a steady stream
        gives) goes to ``publish_many`` as the spool's own records, acknowledged straight to the spool;
        a joined event goes under a number of its own (:meth:`_settled`)."""
        ack = self._ack
        assert ack is not None
        run: list[tuple[bytes, bytes]] = []
        first = 0
        for key, value, seqs in out:
            if type(seqs) is int:
                if run and seqs == first + len(run):
                    run.append((key, value))
                    continue
                if run:
                    self._publish_many(run, first, ack)
                run, first = [(key, value)], seqs
                continue
            if run:
                self._publish_many(run, first, ack)
                run = []
            number = self._next
            self._next = number + 1
            self._records[number] = seqs
            self._publish_many([(key, value)], number, self._settled)
        if run:
            self._publish_many(run, first, ack)

    def _settled(self, number: int) -> None:
        """Kafka acknowledged event ``number`` (on the publisher's poll thread)."""
        seqs = self._records.pop(number)
        ack = self._ack
        assert ack is not None
        if type(seqs) is int:
            ack(seqs)
        else:
            for seq in seqs:  # type: ignore[union-attr]
                ack(seq)
