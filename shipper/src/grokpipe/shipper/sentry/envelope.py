"""Sentry's envelope format (develop.sentry.dev/sdk/data-model/envelopes), parsed (pure).

::

    envelope = headers ["\\n" {item}]
    item     = item-headers "\\n" payload ["\\n"]
    headers, item-headers: one line of JSON (an object)

An item header's ``length`` is the payload's size in bytes; without it the payload runs to the next
newline or to the end of the body. A newline after a payload is optional at the end of the body.
The parser keeps payloads as bytes: an item of a type we do not read is skipped whole, and the next
item is still found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from grokpipe.shipper.sentry.errors import Malformed, TooLarge


@dataclass(frozen=True, slots=True)
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        value = self.headers.get("type")
        return value if isinstance(value, str) else ""

    def json(self) -> Any:
        try:
            return orjson.loads(self.payload)
        except orjson.JSONDecodeError as exc:
            raise Malformed(f"{self.type or 'item'} payload is not JSON: {exc}") from None


@dataclass(frozen=True, slots=True)
class Envelope:
    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)

    @property
    def event_id(self) -> str | None:
        value = self.headers.get("event_id")
        return value if isinstance(value, str) and value else None


def _header(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise Malformed(f"invalid {what}: {exc}") from None
    if not isinstance(value, dict):
        raise Malformed(f"invalid {what}: expected a JSON object")
    return value


def parse(body: bytes, *, max_items: int = 1000) -> Envelope:
    """The envelope in ``body``; raises Malformed (bad headers, a length past the end) or TooLarge
    (more than ``max_items`` items)."""
    end = len(body)
    newline = body.find(b"\n")
    stop = end if newline < 0 else newline
    if not body[:stop].strip():
        raise Malformed("missing envelope header")
    envelope = Envelope(_header(body[:stop], "envelope header"))
    pos = stop + 1
    while pos < end:
        newline = body.find(b"\n", pos)
        stop = end if newline < 0 else newline
        line = body[pos:stop]
        if not line.strip():  # a blank line: the envelope's trailing newline, or padding
            pos = stop + 1
            continue
        headers = _header(line, "item header")
        if not isinstance(headers.get("type"), str):
            raise Malformed("item header without a type")
        pos = stop + 1
        length = headers.get("length")
        if length is not None:
            if not isinstance(length, int) or isinstance(length, bool) or length < 0:
                raise Malformed(f"item length must be a non-negative integer, got {length!r}")
            if pos + length > end:
                raise Malformed(f"item of length {length} runs past the end of the envelope")
            payload = body[pos : pos + length]
            pos += length
            if pos < end:
                if body[pos : pos + 1] != b"\n":
                    raise Malformed("missing newline after an item payload")
                pos += 1
        else:
            newline = body.find(b"\n", pos) if pos <= end else -1
            stop = end if newline < 0 else newline
            payload = body[pos:stop]
            pos = stop + 1
        envelope.items.append(Item(headers, payload))
        if len(envelope.items) > max_items:
            raise TooLarge(f"more than {max_items} items in one envelope")
    return envelope
