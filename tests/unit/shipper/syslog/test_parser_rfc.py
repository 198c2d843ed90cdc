"""The syslog parser against the RFCs' own examples (5424, 3164, 6587) and real senders' formats.

RFC 5424 examples are section 6.5's and 6.3.5's; RFC 3164's are section 5.4's; RFC 6587 frames
(octet counting, ``LEN SP MSG``, and non-transparent framing, ``MSG LF``) reach the parser with the
framing removed, so they are the same messages. Senders: rsyslog (RSYSLOG_TraditionalForwardFormat,
RSYSLOG_SyslogProtocol23Format, RSYSLOG_ForwardFormat and its default file template without the
tag's colon), syslog-ng (``syslog()`` driver, IETF; ``network()`` BSD), Python's
``logging.handlers.SysLogHandler`` (``<PRI>`` + the formatted record, no header), util-linux
``logger`` (``--rfc3164``, ``--rfc5424``, and its default with microseconds).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from grokpipe.shipper.syslog.parser import SyslogParser

NOW = datetime(2026, 8, 31, 6, 30, tzinfo=UTC)


def parse(data: bytes) -> dict[str, Any]:
    return SyslogParser("UTC", now=lambda: NOW).parse(data)


def header(event: dict[str, Any]) -> dict[str, Any]:
    """What a test compares: the header fields, the message, the tags, the timestamps."""
    syslog = event.get("log", {}).get("syslog", {})
    keys = ("version", "hostname", "appname", "procid", "msgid", "timestamp", "structured_data_raw", "nonconformant")
    out = {key: syslog[key] for key in keys if key in syslog}
    out["priority"] = syslog.get("priority")
    out["message"] = event["message"]
    out["@timestamp"] = event["@timestamp"]
    if "tags" in event:
        out["tags"] = event["tags"]
    return out


RFC5424_CASES: list[tuple[str, bytes, dict[str, Any]]] = [
    (
        "6.5 example 1: no SD, BOM",
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed for lonvick "
        b"on /dev/pts/8",
        {
            "version": 1,
            "hostname": "mymachine.example.com",
            "appname": "su",
            "msgid": "ID47",
            "priority": 34,
            "message": "'su root' failed for lonvick on /dev/pts/8",
            "@timestamp": "2003-10-11T22:14:15.003Z",
        },
    ),
    (
        "6.5 example 2: microseconds and an offset",
        b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
        {
            "version": 1,
            "hostname": "192.0.2.1",
            "appname": "myproc",
            "procid": "8710",
            "priority": 165,
            "timestamp": "2003-08-24T12:14:15.000003Z",
            "message": "%% It's time to make the do-nuts.",
            "@timestamp": "2003-08-24T12:14:15.000Z",
        },
    ),
    (
        "version 100 (three digits)",
        b"<1>100 - host app - - - msg",
        {"version": 100, "hostname": "host", "appname": "app", "priority": 1, "message": "msg"},
    ),
    (
        "version 12",
        b"<1>12 2026-08-31T06:00:00Z host app - - - msg",
        {"version": 12, "hostname": "host", "priority": 1, "message": "msg", "@timestamp": "2026-08-31T06:00:00.000Z"},
    ),
    (
        "UTC microseconds on the fast path (logger --rfc5424, rsyslog high precision)",
        b'<13>1 2026-08-31T06:00:00.123456Z web1 root 4242 - [timeQuality tzKnown="1" isSynced="1" '
        b'syncAccuracy="44500"] hello',
        {
            "version": 1,
            "hostname": "web1",
            "appname": "root",
            "procid": "4242",
            "priority": 13,
            "timestamp": "2026-08-31T06:00:00.123456Z",
            "message": "hello",
            "@timestamp": "2026-08-31T06:00:00.123Z",
        },
    ),
    (
        "nanoseconds are kept to the microsecond, and flagged (TIME-SECFRAC is 1*6DIGIT)",
        b"<13>1 2026-08-31T06:00:00.123456789Z h a - - - x",
        {
            "timestamp": "2026-08-31T06:00:00.123456Z",
            "@timestamp": "2026-08-31T06:00:00.123Z",
            "tags": ["syslog_nonconformant"],
            "nonconformant": ["TIMESTAMP"],
        },
    ),
    (
        "milliseconds only: no separate timestamp",
        b"<13>1 2026-08-31T06:00:00.120Z h a - - - x",
        {"@timestamp": "2026-08-31T06:00:00.120Z"},
    ),
    (
        "syslog-ng IETF (syslog() driver) with meta sequenceId",
        b'<38>1 2026-08-31T08:00:00.000004+02:00 ng1 sshd 811 - [meta sequenceId="1"] Accepted publickey',
        {
            "version": 1,
            "hostname": "ng1",
            "appname": "sshd",
            "procid": "811",
            "timestamp": "2026-08-31T06:00:00.000004Z",
            "message": "Accepted publickey",
            "@timestamp": "2026-08-31T06:00:00.000Z",
        },
    ),
    (
        "RFC 6587 octet-counted payload, framing removed",
        b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed",
        {"appname": "su", "msgid": "ID47", "message": "'su root' failed"},
    ),
]


@pytest.mark.parametrize(("name", "frame", "expected"), RFC5424_CASES, ids=[c[0] for c in RFC5424_CASES])
def test_rfc5424(name: str, frame: bytes, expected: dict[str, Any]) -> None:
    got = header(parse(frame))
    assert {key: got.get(key) for key in expected} == expected
    assert got.get("tags") == expected.get("tags")


SD_CASES: list[tuple[str, bytes, dict[str, Any], str]] = [
    (
        "6.5 example 3",
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        b'eventSource="Application" eventID="1011"] \xef\xbb\xbfAn application event log entry...',
        {"exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"}},
        "An application event log entry...",
    ),
    (
        "6.5 example 4: two elements, no message",
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        b'eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
        {
            "exampleSDID@32473": {"iut": "3", "eventSource": "Application", "eventID": "1011"},
            "examplePriority@32473": {"class": "high"},
        },
        "",
    ),
    (
        "6.3.5: a space ends the SD, the second element is message text",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [exampleSDID@32473 iut="3"] [examplePriority@32473 class="high"]',
        {"exampleSDID@32473": {"iut": "3"}},
        '[examplePriority@32473 class="high"]',
    ),
    (
        "6.3.3: a repeated PARAM-NAME keeps every value (7.2.2's origin ip)",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [origin ip="192.0.2.1" ip="192.0.2.129" ip="192.0.2.130"] x',
        {"origin": {"ip": ["192.0.2.1", "192.0.2.129", "192.0.2.130"]}},
        "x",
    ),
    (
        "escapes in values",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [x@1 q="a\\"b\\]c\\\\d" e=""] m',
        {"x@1": {"q": 'a"b]c\\d', "e": ""}},
        "m",
    ),
]

SD_FLAGGED_CASES: list[tuple[str, bytes, dict[str, Any], str, list[str]]] = [
    (
        "6.3.2 forbids a repeated SD-ID; both elements are kept",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [x@1 a="1"][x@1 a="2" b="3"] x',
        {"x@1": [{"a": "1"}, {"a": "2", "b": "3"}]},
        "x",
        ["SD-ID-duplicate"],
    ),
    (
        "an unescaped ] and a lone backslash in values are kept as sent",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [x@1 a="]" b="c:\\temp\\new"] x',
        {"x@1": {"a": "]", "b": "c:\\temp\\new"}},
        "x",
        ["PARAM-VALUE"],
    ),
    (
        "an SD-ID and a PARAM-NAME over 32 characters",
        b"<165>1 2003-10-11T22:14:15.003Z h a - - [" + b"i" * 33 + b" " + b"n" * 33 + b'="v"] x',
        {"i" * 33: {"n" * 33: "v"}},
        "x",
        ["SD-ID"],
    ),
]


@pytest.mark.parametrize(
    ("name", "frame", "sd", "message", "rules"), SD_FLAGGED_CASES, ids=[c[0] for c in SD_FLAGGED_CASES]
)
def test_structured_data_that_breaks_the_grammar_is_kept_and_flagged(
    name: str, frame: bytes, sd: dict[str, Any], message: str, rules: list[str]
) -> None:
    event = parse(frame)
    syslog = event["log"]["syslog"]
    assert (syslog["structured_data"], event["message"]) == (sd, message)
    assert (event["tags"], syslog["nonconformant"]) == (["syslog_nonconformant"], rules)


@pytest.mark.parametrize(("name", "frame", "sd", "message"), SD_CASES, ids=[c[0] for c in SD_CASES])
def test_structured_data(name: str, frame: bytes, sd: dict[str, Any], message: str) -> None:
    event = parse(frame)
    assert event["log"]["syslog"]["structured_data"] == sd
    assert event["message"] == message
    assert "tags" not in event


BROKEN_SD_CASES: list[tuple[str, bytes, dict[str, Any], str, str]] = [
    (
        "a space after '=' (Windows event forwarders)",
        b'<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" '
        b'eventSource= "Application" eventID="1011"] An application event',
        {},
        '[exampleSDID@32473 iut="3" eventSource= "Application" eventID="1011"]',
        "An application event",
    ),
    (
        "the good element is kept beside the bad one",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [ok@1 k="v"][bad@1 k=v][ok@2 j="w"] msg',
        {"ok@1": {"k": "v"}, "ok@2": {"j": "w"}},
        '[ok@1 k="v"][bad@1 k=v][ok@2 j="w"]',
        "msg",
    ),
    (
        "a ']' inside a quoted value does not end the bad element",
        b'<165>1 2003-10-11T22:14:15.003Z h a - - [bad@1 a ="x]y"] msg',
        {},
        '[bad@1 a ="x]y"]',
        "msg",
    ),
]


@pytest.mark.parametrize(
    ("name", "frame", "sd", "raw", "message"), BROKEN_SD_CASES, ids=[c[0] for c in BROKEN_SD_CASES]
)
def test_a_malformed_sd_element_keeps_the_header(
    name: str, frame: bytes, sd: dict[str, Any], raw: str, message: str
) -> None:
    event = parse(frame)
    syslog = event["log"]["syslog"]
    assert event["tags"] == ["_sdparsefailure", "syslog_nonconformant"]
    assert (syslog.get("structured_data", {}), syslog["structured_data_raw"], event["message"]) == (sd, raw, message)
    assert (bool(syslog["appname"]), bool(syslog["hostname"]), syslog["priority"]) == (True, True, 165)
    assert event["@timestamp"] == "2003-10-11T22:14:15.003Z"


def test_a_malformed_sd_element_and_invalid_utf8_keep_both_tags() -> None:
    event = parse(b"<165>1 2003-10-11T22:14:15.003Z h a - - [bad k=v] caf\xe9")
    assert event["tags"] == ["invalid_utf8", "_sdparsefailure", "syslog_nonconformant"]


RFC3164_CASES: list[tuple[str, bytes, dict[str, Any]]] = [
    (
        "5.4 example 1",
        b"<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
        {
            "hostname": "mymachine",
            "appname": "su",
            "message": "'su root' failed for lonvick on /dev/pts/8",
            "@timestamp": "2026-10-11T22:14:15.000Z",
        },
    ),
    (
        "5.4 example 2: the first word after the hostname is the TAG, as rsyslog reads it",
        b"<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
        {
            "hostname": "10.0.0.99",
            "appname": "Use",
            "message": "the BFG!",
            "@timestamp": "2027-02-05T17:32:18.000Z",
        },
    ),
    (
        "upper-case month",
        b"<38>AUG 30 23:00:00 host sshd[42]: Accepted",
        {
            "hostname": "host",
            "appname": "sshd",
            "procid": "42",
            "message": "Accepted",
            "@timestamp": "2026-08-30T23:00:00.000Z",
        },
    ),
    (
        "a space between PRI and timestamp",
        b"<38> Aug 30 23:00:00 host sshd[42]: Accepted",
        {"hostname": "host", "appname": "sshd", "message": "Accepted", "@timestamp": "2026-08-30T23:00:00.000Z"},
    ),
    (
        "a colon after the time (Cisco IOS)",
        b"<189>Aug 30 23:00:00: host %SYS-5-CONFIG_I: Configured from console by vty0",
        {
            "hostname": "host",
            "appname": "%SYS-5-CONFIG_I",
            "message": "Configured from console by vty0",
            "@timestamp": "2026-08-30T23:00:00.000Z",
        },
    ),
    (
        "a tag with [pid] and no colon (rsyslog's default file template)",
        b"<30>Aug 30 23:00:00 host tag[1234] message text",
        {"hostname": "host", "appname": "tag", "procid": "1234", "message": "message text"},
    ),
    (
        "no hostname, a tag with [pid] and no colon",
        b"<30>Aug 30 23:00:00 tag[1234] message text",
        {"appname": "tag", "procid": "1234", "message": "message text"},
    ),
    (
        "a bare word after the host is the TAG (rsyslog: only ':' and space end a TAG)",
        b"<30>Aug 30 23:00:00 host message text [not a pid]",
        {"hostname": "host", "appname": "message", "message": "text [not a pid]"},
    ),
    (
        "rsyslog RSYSLOG_TraditionalForwardFormat",
        b"<86>Aug 30 23:00:00 web1 sudo:     bob : TTY=pts/0 ; PWD=/home/bob ; COMMAND=/bin/ls",
        {"hostname": "web1", "appname": "sudo", "message": "    bob : TTY=pts/0 ; PWD=/home/bob ; COMMAND=/bin/ls"},
    ),
    (
        "rsyslog RSYSLOG_ForwardFormat (high-precision timestamp)",
        b"<86>2026-08-30T23:00:00.123456+02:00 web1 sudo[77]: session opened",
        {
            "hostname": "web1",
            "appname": "sudo",
            "procid": "77",
            "message": "session opened",
            "timestamp": "2026-08-30T21:00:00.123456Z",
            "@timestamp": "2026-08-30T21:00:00.123Z",
        },
    ),
    (
        "syslog-ng network() BSD",
        b"<13>Aug 30 23:00:00 ng1 app[9]: bsd",
        {"hostname": "ng1", "appname": "app", "procid": "9", "message": "bsd"},
    ),
    (
        "util-linux logger --rfc3164",
        b"<13>Aug 30 23:00:00 web1 root: hello",
        {"hostname": "web1", "appname": "root", "message": "hello"},
    ),
    (
        "Python SysLogHandler: <PRI> and the formatted record",
        b"<11>myapp: ERROR something broke\x00",
        {"appname": "myapp", "message": "ERROR something broke\x00"},
    ),
    (
        "Python SysLogHandler with the default formatter",
        b"<14>hello world",
        {"message": "hello world"},
    ),
    (
        "a BSD timestamp with sub-millisecond fraction",
        b"<13>Aug 30 23:00:00.000003 host app: x",
        {"timestamp": "2026-08-30T23:00:00.000003Z", "@timestamp": "2026-08-30T23:00:00.000Z"},
    ),
]


@pytest.mark.parametrize(("name", "frame", "expected"), RFC3164_CASES, ids=[c[0] for c in RFC3164_CASES])
def test_rfc3164(name: str, frame: bytes, expected: dict[str, Any]) -> None:
    got = header(parse(frame))
    assert {key: got.get(key) for key in expected} == expected
    assert "tags" not in got
