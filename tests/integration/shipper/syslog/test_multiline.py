"""Multiline on syslog streams with real senders: Docker's syslog driver frames (all four formats,
containers interleaved line by line), util-linux ``logger``, and a kill -9 in the middle of a traceback."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from support.kafka import consume
from support.shipper import ShipperProcess, wait_for, write_config

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper

StartShipper = Callable[..., Shipper]

DOCKERD_PID = 812


def traceback(n: int) -> list[str]:
    """What a Flask app under gunicorn writes to stderr for one failed request (chained exceptions)."""
    return [
        f"[2026-12-07 10:00:0{n % 10} +0000] [7] [ERROR] Exception on /boom/{n} [GET]",
        "Traceback (most recent call last):",
        '  File "/app/whatweb/views.py", line 41, in boom',
        "    return lookup(key)",
        '  File "/app/whatweb/store.py", line 12, in lookup',
        "    return TABLE[key]",
        "KeyError: 'missing'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 880, in full_dispatch_request',
        "    rv = self.dispatch_request()",
        '  File "/app/whatweb/views.py", line 43, in boom',
        "    raise LookupFailed(key) from None",
        "whatweb.errors.LookupFailedError: no such key",
    ]


def container_output(n_tracebacks: int) -> list[str]:
    lines: list[str] = []
    for n in range(n_tracebacks):
        lines.append(f'{{"request_address": "10.0.0.{n}", "request": "GET /ok HTTP/1.1", "http_status_code": "200"}}')
        lines.extend(traceback(n))
    lines.append("[2026-12-07 10:01:00 +0000] [7] [INFO] Handling signal: term")
    return lines


def docker_frame(syslog_format: str, tag: str, line: str, severity: int = 3) -> bytes:
    """One line of container output as moby's syslog driver (srslog formatters) writes it over TCP."""
    pri = (3 << 3) | severity  # facility daemon
    now = datetime.now(UTC)
    stamp = now.strftime("%b ") + f"{now.day:>2}" + now.strftime(" %H:%M:%S")  # Go's time.Stamp
    if syslog_format == "unix":
        frame = f"<{pri}>{stamp} {tag}[{DOCKERD_PID}]: {line}"
    elif syslog_format == "rfc3164":
        frame = f"<{pri}>{stamp} dockerhost {tag}[{DOCKERD_PID}]: {line}"
    elif syslog_format == "rfc5424":
        iso = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        frame = f"<{pri}>1 {iso} dockerhost {tag} {DOCKERD_PID} {tag} - {line}"
    else:  # rfc5424micro
        iso = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        frame = f"<{pri}>1 {iso} dockerhost {tag} {DOCKERD_PID} {tag} - {line}"
    return frame.encode() + b"\n"


CONTAINERS = [  # (syslog-format, tag, container.name expected)
    ("unix", "whatweb-server-staging", "whatweb-server-staging"),
    ("rfc3164", "worker/3f4e5d6c7b8a", "worker"),
    ("rfc5424", "docker/api/0a1b2c3d4e5f", "api"),
    ("rfc5424micro", "billing", "billing"),
]


def test_docker_containers_interleaved_line_by_line(
    stack: EmbeddedStack, topic: str, start_shipper: StartShipper
) -> None:
    p = free_port()
    start_shipper(
        [f"tcp://127.0.0.1:{p}"],
        multiline={"preset": "auto", "timeout": 2.0},
        routes=[{"appname": "whatweb-*", "dataset": "docker", "container": True}],
    )
    output = container_output(5)
    conns = [socket.create_connection(("127.0.0.1", p)) for _ in CONTAINERS]  # dockerd: one per container
    try:
        for line in output:
            for conn, (syslog_format, tag, _) in zip(conns, CONTAINERS, strict=True):
                conn.sendall(docker_frame(syslog_format, tag, line))
    finally:
        for conn in conns:
            conn.close()
    per_container = 5 * 2 + 1  # a JSON line and a traceback per request, the last line
    events = consume(stack.kafka_bootstrap, topic, expect=per_container * len(CONTAINERS), timeout=120, idle=4)
    assert len(events) == per_container * len(CONTAINERS)
    assert len({e["event"]["id"] for e in events}) == len(events)
    for _, tag, name in CONTAINERS:
        own = [e for e in events if e["log"]["syslog"]["appname"] == tag]
        assert {e["container"]["name"] for e in own} == {name}
        joined = [e for e in own if "multiline" in e.get("tags", ())]
        assert [e["message"] for e in joined] == ["\n".join(traceback(n)) for n in range(5)]
    routed = {e["event"]["dataset"] for e in events if e["log"]["syslog"]["appname"].startswith("whatweb-")}
    assert routed == {"docker"}


def test_logger_lines_of_one_process_join(
    stack: EmbeddedStack, topic: str, start_shipper: StartShipper, tmp_path: Path
) -> None:
    p = free_port()
    start_shipper([f"tcp://127.0.0.1:{p}"], multiline={"preset": "python", "timeout": 2.0})
    text = tmp_path / "trace.txt"
    lines = [line for n in range(5) for line in traceback(n) if line]  # logger -f skips nothing, but "" is no message
    text.write_text("\n".join(lines) + "\n")
    subprocess.run(
        [
            "logger",
            "--tcp",
            "-n",
            "127.0.0.1",
            "-P",
            str(p),
            "--rfc5424",
            "-t",
            "whatweb",
            "--id=4242",
            "-f",
            str(text),
        ],
        check=True,
        timeout=30,
    )
    events = consume(stack.kafka_bootstrap, topic, expect=5, timeout=60, idle=4)
    assert [e["message"] for e in events] == ["\n".join(line for line in traceback(n) if line) for n in range(5)]
    assert all(e["log"]["syslog"]["procid"] == "4242" for e in events)


@pytest.mark.slow
def test_kill_9_in_the_middle_of_a_traceback(stack: EmbeddedStack, topic: str, data_dir: Path, tmp_path: Path) -> None:
    """Half a traceback accepted, the shipper killed, the other half sent to the restarted one: one
    event with the whole traceback, and nothing twice."""
    p = free_port()
    spec = {"type": "syslog", "id": "ml", "listen": [f"tcp://127.0.0.1:{p}"], "workers": 1,
            "multiline": {"preset": "auto", "timeout": 30.0}}  # fmt: skip
    config = write_config(tmp_path / "shipper.yml", stack, topic, data_dir, [spec])
    http_port = int(yaml.safe_load(config.read_text())["http"]["listen"].rsplit(":", 1)[1])
    shipper = ShipperProcess(config, tmp_path / "shipper.log")
    lines = traceback(1)
    half = len(lines) // 2
    shipper.start()
    try:
        assert wait_for(lambda: _listening(p), timeout=60)
        with socket.create_connection(("127.0.0.1", p)) as conn:
            conn.sendall(b"".join(docker_frame("rfc5424", "web", line) for line in lines[:half]))
            assert wait_for(lambda: _metric(http_port, "grokpipe_shipper_syslog_messages_total") >= half, timeout=60)
        shipper.kill()
        shipper.start()
        assert wait_for(lambda: _listening(p), timeout=60)
        with socket.create_connection(("127.0.0.1", p)) as conn:
            conn.sendall(b"".join(docker_frame("rfc5424", "web", line) for line in lines[half:]))
            conn.sendall(docker_frame("rfc5424", "web", "GET /health 200"))
        assert wait_for(lambda: _metric(http_port, "grokpipe_shipper_syslog_messages_total") >= len(lines) - half + 1)
    finally:
        shipper.stop()  # completes the pending health line
    events = consume(stack.kafka_bootstrap, topic, expect=2, timeout=60, idle=4)
    assert sorted(e["message"] for e in events) == sorted(["\n".join(lines), "GET /health 200"])


def _metric(port: int, name: str) -> float:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + "{") or line.startswith(name + " "):
                    return float(line.rsplit(" ", 1)[1])
    except OSError:
        return 0.0
    return 0.0


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    time.sleep(0)
    return True
