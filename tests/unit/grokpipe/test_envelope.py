"""The envelope every shipper input adds: one builder, so the file and the syslog input agree."""

from __future__ import annotations

from typing import Any

import pytest

from grokpipe.envelope import AGENT, Envelope, decode, encode

BASE = {"@timestamp": "2026-11-22T08:15:08.000Z", "message": "x"}


@pytest.mark.parametrize(
    ("envelope", "event", "kwargs", "expected"),
    [
        (  # a file line: position fields from the input, the rest from the envelope
            Envelope(input_type="file", host="web-1", dataset="nginx.access"),
            {**BASE, "log": {"offset": 10}},
            {},
            {
                **BASE,
                "log": {"offset": 10},
                "event": {"id": "id1", "dataset": "nginx.access"},
                "host": {"name": "web-1"},
                "agent": AGENT,
                "input": {"type": "file"},
            },
        ),
        (  # configured tags first, then the line's flags; static fields and labels
            Envelope(
                input_type="file",
                host="web-1",
                dataset="app",
                tags=["from-test"],
                fields={"team": {"name": "a"}},
                labels={"env": "prod"},
            ),
            dict(BASE),
            {"tags": ("truncated", "invalid_utf8")},
            {
                **BASE,
                "event": {"id": "id1", "dataset": "app"},
                "host": {"name": "web-1"},
                "agent": AGENT,
                "input": {"type": "file"},
                "tags": ["from-test", "truncated", "invalid_utf8"],
                "fields": {"team": {"name": "a"}},
                "labels": {"env": "prod"},
            },
        ),
        (  # syslog: the sender's hostname kept next to ours, the parser's tags after the input's
            Envelope(input_type="syslog", host="relay", dataset="syslog", tags=["dmz"]),
            {**BASE, "host": {"hostname": "router"}, "tags": ["_syslogparsefailure"]},
            {"tags": ("truncated",), "original": "<13>x"},
            {
                **BASE,
                "host": {"name": "relay", "hostname": "router"},
                "tags": ["dmz", "_syslogparsefailure", "truncated"],
                "event": {"id": "id1", "dataset": "syslog", "original": "<13>x"},
                "agent": AGENT,
                "input": {"type": "syslog"},
            },
        ),
        (  # no tags anywhere: no tags field at all
            Envelope(input_type="syslog", host="relay", dataset="syslog"),
            dict(BASE),
            {"original": ""},
            {
                **BASE,
                "event": {"id": "id1", "dataset": "syslog", "original": ""},
                "host": {"name": "relay"},
                "agent": AGENT,
                "input": {"type": "syslog"},
            },
        ),
    ],
)
def test_wrap(envelope: Envelope, event: dict[str, Any], kwargs: dict[str, Any], expected: dict[str, Any]) -> None:
    wrapped = envelope.wrap(event, "id1", **kwargs)
    assert wrapped is event
    assert wrapped == expected
    assert decode(encode(wrapped)) == expected  # JSON all the way


def test_events_share_no_mutable_state() -> None:
    envelope = Envelope(input_type="file", host="h", dataset="d", tags=["t"], labels={"a": "b"})
    first = envelope.wrap(dict(BASE), "1")
    first["tags"].append("mine")
    first["host"]["name"] = "changed"
    first["input"]["type"] = "changed"
    second = envelope.wrap(dict(BASE), "2")
    assert (second["tags"], second["host"], second["input"]) == (["t"], {"name": "h"}, {"type": "file"})
