"""Syslog grammars into ECS fields: RFC 5424, RFC 3164 as written in practice, Docker, bad input."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from support.syslog import DOCKER_FRAMES, check_docker_fields

from grokpipe.shipper.syslog.parser import SyslogParser

NOW = datetime(2026, 11, 23, 6, 30, tzinfo=UTC)


def parse(data: bytes, now: datetime = NOW, timezone: str = "UTC") -> dict[str, Any]:
    return SyslogParser(timezone, now=lambda: now).parse(data)


def test_rfc5424_with_structured_data_escapes_and_bom() -> None:
    event = parse(
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        b'eventSource="App\\"lic\\]ation\\\\" eventID="1011"][examplePriority@32473 class="high"] '
        b"\xef\xbb\xbfAn application event"
    )
    syslog = event["log"]["syslog"]
    assert event["@timestamp"] == "2003-10-11T22:14:15.003Z"
    assert event["message"] == "An application event"
    assert syslog["structured_data"] == {
        "exampleSDID@32473": {"iut": "3", "eventSource": 'App"lic]ation\\', "eventID": "1011"},
        "examplePriority@32473": {"class": "high"},
    }
    assert (syslog["priority"], syslog["facility"], syslog["severity"]) == (
        165,
        {"code": 20, "name": "local4"},
        {"code": 5, "name": "notice"},
    )
    assert (syslog["version"], syslog["hostname"], syslog["appname"], syslog["msgid"]) == (
        1,
        "mymachine.example.com",
        "evntslog",
        "ID47",
    )
    assert "procid" not in syslog
    assert "tags" not in event


@pytest.mark.parametrize(
    ("frame", "timestamp", "message", "tags"),
    [
        (
            b"<34>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time",
            "2003-08-24T12:14:15.000Z",
            "%% It's time",
            None,
        ),
        (b"<34>1 - - - - - -", NOW.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "", None),
        (b"<34>1 2026-11-23T06:00:00Z h a p m - ", "2026-11-23T06:00:00.000Z", "", None),
        # TIME-SECFRAC is at most six digits (RFC 5424 6.2.3): read, kept, and flagged
        (
            b"<34>1 2026-11-23T06:00:00.123456789+00:00 h a p m [x@1] with sd",
            "2026-11-23T06:00:00.123Z",
            "with sd",
            ["syslog_nonconformant"],
        ),
    ],
)
def test_rfc5424_nilvalues_offsets_and_fractions(
    frame: bytes, timestamp: str, message: str, tags: list[str] | None
) -> None:
    event = parse(frame)
    assert (event["@timestamp"], event["message"], event.get("tags")) == (timestamp, message, tags)


@pytest.mark.parametrize(
    ("frame", "fields"),
    [
        (
            b"<13>Nov 23 06:00:00 myhost sshd[123]: Failed password",
            {
                "hostname": "myhost",
                "appname": "sshd",
                "pid": 123,
                "message": "Failed password",
                "ts": "2026-11-23T06:00:00.000Z",
            },
        ),
        (
            b"<13>Nov  3 06:00:00 myhost cron: job",
            {"hostname": "myhost", "appname": "cron", "pid": None, "message": "job", "ts": "2026-11-03T06:00:00.000Z"},
        ),
        (
            b"<13>Nov 23 06:00:00 root: logger to a socket",
            {"hostname": None, "appname": "root", "message": "logger to a socket"},
        ),
        # rsyslog: the first word after the hostname is the TAG, colon or not (tests/testsuites/8bit.parse1)
        (b"<13>Nov 23 06:00:00 myhost free text", {"hostname": "myhost", "appname": "free", "message": "text"}),
        (
            b"<13>2026-11-23T07:00:00.5+01:00 myhost app[7]: iso",
            {"hostname": "myhost", "appname": "app", "pid": 7, "message": "iso", "ts": "2026-11-23T06:00:00.500Z"},
        ),
        (
            b"<13>Nov 23 2025 06:00:00 myhost app: year",
            {"hostname": "myhost", "message": "year", "ts": "2025-11-23T06:00:00.000Z"},
        ),
        (b"<14>hello from SysLogHandler", {"hostname": None, "appname": None, "message": "hello from SysLogHandler"}),
        (b"<14>myapp: hello", {"appname": "myapp", "message": "hello"}),
        (
            b"<22>Nov 23 06:00:00 mail postfix/smtpd[42]: connect",
            {"appname": "postfix/smtpd", "pid": 42, "message": "connect"},
        ),
    ],
)
def test_rfc3164_as_senders_write_it(frame: bytes, fields: dict[str, Any]) -> None:
    event = parse(frame)
    syslog = event["log"]["syslog"]
    assert event["message"] == fields["message"]
    assert "tags" not in event
    if "hostname" in fields:
        assert syslog.get("hostname") == fields["hostname"]
        assert event.get("host", {}).get("hostname") == fields["hostname"]
    if "appname" in fields:
        assert syslog.get("appname") == fields["appname"]
    if "pid" in fields:
        assert event.get("process", {}).get("pid") == fields["pid"]
    if "ts" in fields:
        assert event["@timestamp"] == fields["ts"]


@pytest.mark.parametrize(
    ("now", "stamp", "expected"),
    [
        (datetime(2027, 1, 1, 0, 0, 5, tzinfo=UTC), "Dec 31 23:59:58", "2026-12-31T23:59:58.000Z"),  # New Year
        (datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC), "Jan  1 00:00:03", "2027-01-01T00:00:03.000Z"),  # sender ahead
        (datetime(2026, 6, 1, tzinfo=UTC), "Dec 24 10:00:00", "2025-12-24T10:00:00.000Z"),  # months old: last year
        (datetime(2025, 3, 1, tzinfo=UTC), "Feb 29 10:00:00", "2024-02-29T10:00:00.000Z"),  # only a leap year has it
    ],
)
def test_missing_year_is_the_nearest_one(now: datetime, stamp: str, expected: str) -> None:
    assert parse(f"<13>{stamp} h app: x".encode(), now=now)["@timestamp"] == expected


def test_timestamps_without_offset_use_the_configured_zone() -> None:
    assert parse(b"<13>Nov 23 08:00:00 h app: x", timezone="Europe/Berlin")["@timestamp"] == "2026-11-23T07:00:00.000Z"
    assert (
        parse(b"<13>2026-11-23T08:00:00 h app: x", timezone="Europe/Berlin")["@timestamp"] == "2026-11-23T07:00:00.000Z"
    )
    assert parse(b"<13>1 2026-11-23T08:00:00Z h app - - - x", timezone="Europe/Berlin")["@timestamp"] == (
        "2026-11-23T08:00:00.000Z"
    )


@pytest.mark.parametrize(("name", "frame", "expected"), DOCKER_FRAMES, ids=[f[0] for f in DOCKER_FRAMES])
def test_docker_frames(name: str, frame: bytes, expected: dict[str, Any]) -> None:
    event = parse(frame)
    broken = expected.get("nonconformant")
    assert event.get("tags") == (["syslog_nonconformant"] if broken else None)
    assert event["log"]["syslog"].get("nonconformant") == broken
    check_docker_fields(event, expected)


@pytest.mark.parametrize(
    "frame",
    [
        b"<999>1 2026-11-23T06:00:00Z h a - - - x",
        b"<13",
        b"<13 Nov 23 06:00:00 h app: unclosed PRI",
        b"<13>1 2026-11-23T06:00:00Z h a - - [broken sd",
    ],
)
def test_what_fits_no_grammar_is_kept_whole_and_tagged(frame: bytes) -> None:
    event = parse(frame)
    assert event["message"] == frame.decode()
    assert event["tags"] == ["_syslogparsefailure"]
    assert event["@timestamp"] == "2026-11-23T06:30:00.000Z"


@pytest.mark.parametrize(
    ("frame", "fields"),
    [
        # rsyslog tests/testsuites/mark.parse1: no PRI, the rest parsed as usual
        (
            b"Feb 18 16:01:59 serverX -- MARK --",
            {"hostname": "serverX", "appname": "--", "message": "MARK --", "ts": "2027-02-18T16:01:59.000Z"},
        ),
        (b"no priority at all", {"hostname": None, "appname": None, "message": "no priority at all"}),
        (b"myapp: no priority", {"hostname": None, "appname": "myapp", "message": "no priority"}),
        (b"", {"hostname": None, "appname": None, "message": ""}),
    ],
)
def test_a_message_without_pri_gets_rsyslogs_default_priority(frame: bytes, fields: dict[str, Any]) -> None:
    event = parse(frame)
    syslog = event["log"]["syslog"]
    assert event["tags"] == ["syslog_no_pri"]
    assert (syslog["priority"], syslog["facility"]["name"], syslog["severity"]["name"]) == (13, "user", "notice")
    assert (syslog.get("hostname"), syslog.get("appname"), event["message"]) == (
        fields["hostname"],
        fields["appname"],
        fields["message"],
    )
    assert event["@timestamp"] == fields.get("ts", "2026-11-23T06:30:00.000Z")


def test_invalid_utf8_is_replaced_and_tagged() -> None:
    event = parse(b"<13>Nov 23 06:00:00 h app: caf\xe9 \xff")
    assert event["message"] == "caf\ufffd \ufffd"
    assert event["tags"] == ["invalid_utf8"]
    assert event["log"]["syslog"]["appname"] == "app"


def test_fuzz_never_raises() -> None:
    rng = random.Random(99)
    parser = SyslogParser("UTC", now=lambda: NOW)
    seeds = [frame for _, frame, _ in DOCKER_FRAMES] + [
        b"<13>Nov 23 06:00:00 h app[1]: m",
        b'<1>1 - - - - - [a b="c"] m',
    ]
    for _ in range(3000):
        base = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            op = rng.randrange(3)
            pos = rng.randrange(len(base) + 1)
            if op == 0:
                base[pos:pos] = bytes([rng.randrange(256)])
            elif op == 1 and base:
                del base[pos : pos + rng.randint(1, 5)]
            else:
                base[pos:pos] = rng.choice([b" ", b"[", b"]", b'"', b"\\", b"<", b">", b"-", b":"])
        event = parser.parse(bytes(base))
        assert isinstance(event["message"], str)
        assert event["@timestamp"].endswith("Z")
