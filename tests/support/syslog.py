"""Syslog test material: the exact frames Docker's syslog driver writes, and a shipper fixture helper.

Docker (moby daemon/logger/syslog/syslog.go, formatters from github.com/RackSec/srslog) formats with
``tag`` defaulting to ``{{.ID}}`` (12 hex digits), facility daemon, severity info for stdout and err
for stderr, and the pid of dockerd. TCP frames end in LF except rfc5424 over TLS, which is octet counted.
"""

from __future__ import annotations

from typing import Any

CONTAINER_ID = "3f4e5d6c7b8a"
FULL_ID = "3f4e5d6c7b8a" + "9" * 52

#: (name, frame as Docker writes it (no framing), expected fields)
DOCKER_FRAMES: list[tuple[str, bytes, dict[str, Any]]] = [
    (
        "default format (srslog UnixFormatter), stdout",
        b"<30>Nov 23 06:00:01 3f4e5d6c7b8a[812]: GET /health 200",
        {"message": "GET /health 200", "process": {"name": CONTAINER_ID, "pid": 812}, "container": {"id": CONTAINER_ID},
         "severity": "informational", "facility": "daemon"},
    ),
    (
        "rfc3164, stderr, single-digit day",
        b"<27>Nov  3 06:00:01 dockerhost 3f4e5d6c7b8a[812]: PHP Fatal error:  boom in /app/x.php on line 3",
        {"message": "PHP Fatal error:  boom in /app/x.php on line 3", "hostname": "dockerhost",
         "container": {"id": CONTAINER_ID}, "severity": "error", "facility": "daemon"},
    ),
    (
        "rfc5424, tag {{.Name}}/{{.ID}}",
        b"<30>1 2026-11-23T06:00:01+01:00 dockerhost web/3f4e5d6c7b8a 812 web/3f4e5d6c7b8a - hello 5424",
        {"message": "hello 5424", "hostname": "dockerhost", "timestamp": "2026-11-23T05:00:01.000Z",
         "container": {"id": CONTAINER_ID, "name": "web"}, "process": {"name": "web/3f4e5d6c7b8a", "pid": 812}},
    ),
    (
        "rfc5424micro, tag {{.FullID}}",
        b"<30>1 2026-11-23T06:00:01.123456Z dockerhost " + FULL_ID.encode() + b" 812 " + FULL_ID.encode() + b" - micro",
        # a 64-character APP-NAME and MSGID: RFC 5424 allows 48 and 32, so the frame is kept and flagged
        {"message": "micro", "timestamp": "2026-11-23T06:00:01.123Z", "container": {"id": FULL_ID},
         "nonconformant": ["APP-NAME", "MSGID"]},
    ),
    (
        "rfc5424micro, tag docker/{{.Name}}/{{.ID}}",
        b"<27>1 2026-11-23T06:00:01.000001-05:00 dockerhost docker/api/3f4e5d6c7b8a 812 docker/api/3f4e5d6c7b8a - err",
        {"message": "err", "timestamp": "2026-11-23T11:00:01.000Z", "container": {"id": CONTAINER_ID, "name": "api"}},
    ),
    (
        "rfc5424micro, tag {{.ImageName}} (no id: process.name only)",
        b"<30>1 2026-11-23T06:00:01.000000Z dockerhost nginx:1.27 812 nginx:1.27 - img",
        {"message": "img", "process": {"name": "nginx:1.27", "pid": 812}, "container": None},
    ),
]  # fmt: skip


def check_docker_fields(event: dict[str, Any], expected: dict[str, Any]) -> None:
    syslog = event["log"]["syslog"]
    assert event["message"] == expected["message"]
    if "hostname" in expected:
        assert syslog["hostname"] == expected["hostname"]
    if "timestamp" in expected:
        assert event["@timestamp"] == expected["timestamp"]
    if "severity" in expected:
        assert syslog["severity"]["name"] == expected["severity"]
    if "facility" in expected:
        assert syslog["facility"]["name"] == expected["facility"]
    if "process" in expected:
        assert event["process"] == expected["process"]
    if "container" in expected:
        assert event.get("container") == expected["container"]
