"""An event as a Kafka record no larger than the broker accepts: encoded first, then cut to fit.

The one rule every input goes through (``Publisher.encode``), so a file line, a syslog message and
any future input meet the same limit. The size that counts is the encoded record's: JSON escaping
makes a line of control characters six times longer (``\\u0001``) and one of ``"`` twice, so a line
under ``max_line_bytes`` can still make a record Kafka refuses.

When ``key`` + the encoded event + :data:`OVERHEAD` exceed the limit, the longest strings of the
event (``message``, and syslog's ``event.original`` with it) are cut, on a character boundary, to
one length that leaves the record within the limit, and the event is tagged ``truncated``. The
record's position (``log.offset``, ``event.id``) is unchanged, so progress and identity are those of
the whole line.
"""

from __future__ import annotations

from typing import Any

import orjson

from grokpipe.envelope import TAG_TRUNCATED, Event

#: Bytes a record takes in its batch beyond key and value (batch header 61, record header up to 21),
#: with room for librdkafka's own estimate.
OVERHEAD = 512
#: Rounds of cutting before giving up (one suffices but for a character whose escape straddles the cut).
_MAX_CUTS = 8

Path = tuple[str | int, ...]


def fit(event: Event, key: bytes, limit: int) -> tuple[bytes, bool]:
    """The record value of ``event`` and whether it had to be cut (``event`` is changed in place
    then: its longest strings shortened, ``truncated`` in its tags). Never larger than ``limit`` less
    the key and :data:`OVERHEAD`, unless the event's structure alone is (then it is returned as is,
    and Kafka's refusal puts it in the dead letter)."""
    value = orjson.dumps(event)
    budget = limit - len(key) - OVERHEAD
    if len(value) <= budget:
        return value, False
    _tag(event)
    value = orjson.dumps(event)
    for _ in range(_MAX_CUTS):
        excess = len(value) - budget
        if excess <= 0:
            break
        strings = [(path, text, len(orjson.dumps(text))) for path, text in _strings(event)]
        if not strings:
            break
        cap = _cap([size for _, _, size in strings], excess)
        for path, text, size in strings:
            if size > cap:
                _set(event, path, _cut(text, cap))
        value = orjson.dumps(event)
    return value, True


def _tag(event: Event) -> None:
    tags = event.get("tags")
    if not isinstance(tags, list):
        event["tags"] = [TAG_TRUNCATED]
    elif TAG_TRUNCATED not in tags:
        tags.append(TAG_TRUNCATED)


def _strings(event: Event) -> list[tuple[Path, str]]:
    """The event's non-empty strings and where they are."""
    found: list[tuple[Path, str]] = []
    stack: list[tuple[Path, Any]] = [((), event)]
    while stack:
        path, node = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for name, value in items:
            if isinstance(value, str):
                if value:
                    found.append(((*path, name), value))
            elif isinstance(value, dict | list):
                stack.append(((*path, name), value))
    return found


def _cap(sizes: list[int], excess: int) -> int:
    """The largest encoded size to cut every longer string to that saves ``excess`` bytes in all
    (water-filling: the longest strings lose the most; syslog's message and ``event.original`` end
    up equally long)."""
    low, high = 0, max(sizes)
    while low < high:
        mid = (low + high + 1) // 2
        if sum(size - mid for size in sizes if size > mid) >= excess:
            low = mid
        else:
            high = mid - 1
    return low


def _set(event: Event, path: Path, value: str) -> None:
    node: Any = event
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _cut(text: str, encoded_budget: int) -> str:
    """The longest prefix of ``text`` whose JSON encoding (quotes included) fits ``encoded_budget``
    bytes: a binary search, as escaping makes the encoded length of a prefix uneven but monotonic."""
    low, high = 0, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if len(orjson.dumps(text[:mid])) <= encoded_budget:
            low = mid
        else:
            high = mid - 1
    return text[:low]
