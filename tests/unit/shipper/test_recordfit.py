"""An event is cut to the record limit after encoding, tagged, and keeps its position."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from grokpipe.envelope import TAG_TRUNCATED
from grokpipe.shipper.recordfit import OVERHEAD, fit

LIMIT = 1_000_000
KEY = b"host|stream"


def file_event(message: str, tags: list[str] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "@timestamp": "2026-12-07T00:00:00.000Z",
        "message": message,
        "log": {"file": {"path": "/var/log/app.log"}, "offset": 4096},
        "event": {"id": "abc", "dataset": "generic"},
    }
    if tags is not None:
        event["tags"] = tags
    return event


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("1,000,000 bytes", "a" * 1_000_000),
        ("1,040,000 bytes", "a" * 1_040_000),
        ("200 KB of control characters (6x when escaped)", "\x01" * 200_000),
        ("600 KB of double quotes (2x when escaped)", '"' * 600_000),
        ("multi-byte characters", "ü✓" * 400_000),
    ],
)
def test_a_record_over_the_limit_is_cut_to_it_and_tagged(name: str, message: str) -> None:
    event = file_event(message, tags=["from-config"])
    value, cut = fit(event, KEY, LIMIT)
    assert cut, name
    assert len(value) + len(KEY) + OVERHEAD <= LIMIT
    decoded = orjson.loads(value)
    assert decoded["tags"] == ["from-config", TAG_TRUNCATED]
    assert message.startswith(decoded["message"])
    assert len(value) + len(KEY) + OVERHEAD > LIMIT - 16  # cut no more than needed (one escape at most)
    assert decoded["log"]["offset"] == 4096  # the position (and so the id) of the whole line
    assert decoded == event  # the event itself was cut in place


@pytest.mark.parametrize("message", ["", "short line", "a" * (LIMIT - 2_000)])
def test_a_record_within_the_limit_is_left_alone(message: str) -> None:
    event = file_event(message)
    value, cut = fit(event, KEY, LIMIT)
    assert not cut
    assert value == orjson.dumps(file_event(message))
    assert "tags" not in event


def test_the_longest_strings_are_cut_to_one_length() -> None:
    """A syslog event carries the frame twice (message and event.original): both are cut."""
    frame = "<13>1 - host app - - - " + "x" * 900_000
    event = file_event(frame[24:])
    event["event"]["original"] = frame
    value, cut = fit(event, KEY, LIMIT)
    assert cut
    assert len(value) + len(KEY) + OVERHEAD <= LIMIT
    decoded = orjson.loads(value)
    assert frame.startswith(decoded["event"]["original"])
    assert abs(len(decoded["event"]["original"]) - len(decoded["message"])) <= 1  # cut to one length
    assert decoded["tags"] == [TAG_TRUNCATED]


def test_an_event_whose_structure_alone_is_too_large_is_returned_whole() -> None:
    """Nothing to cut but tiny strings: the publisher's refusal path dead-letters it."""
    event = {"labels": {f"k{i}": "v" for i in range(100_000)}}
    value, cut = fit(event, KEY, 100_000)
    assert cut
    assert len(value) > 100_000
