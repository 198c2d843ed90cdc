"""Nothing accepted is lost: a Kafka outage fills the spool, a kill -9 leaves it for the restart."""

from __future__ import annotations

import re
import socket
import threading
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.kafka import consume, new_topic
from support.shipper import ShipperProcess, settings, wait_for, write_config

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper

SEQ = re.compile(r"seq=(\d+)")


def frames(start: int, count: int) -> bytes:
    return b"".join(
        b"<134>1 2026-11-23T06:00:00.000001Z sender loadgen 7 - - seq=%d payload %s\n" % (i, b"x" * 64)
        for i in range(start, start + count)
    )


def check(events: list[dict[str, Any]], expected: int) -> None:
    """Every sequence number present; each carries one event.id however often Kafka got it."""
    ids: dict[int, set[str]] = {}
    for event in events:
        match = SEQ.search(event["message"])
        assert match, event
        ids.setdefault(int(match[1]), set()).add(event["event"]["id"])
    assert sorted(ids) == list(range(expected))
    assert all(len(v) == 1 for v in ids.values())
    assert len({i for v in ids.values() for i in v}) == expected


@pytest.mark.slow
def test_kafka_outage_50k_over_tcp(own_stack: EmbeddedStack, data_dir: Path) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    p = free_port()
    spec = {"type": "syslog", "id": "outage", "listen": [f"tcp://127.0.0.1:{p}"]}
    shipper = Shipper(settings(stack, topic, data_dir, [spec], publisher={"delivery_timeout_ms": 3000}))
    shipper.start()
    try:
        stack.stop_service("kafka")
        with socket.create_connection(("127.0.0.1", p)) as conn:
            conn.sendall(frames(0, 50_000))
        assert wait_for(lambda: shipper.health()["inputs"]["syslog:outage"]["spool"]["depth"] >= 50_000, timeout=120)
        health = shipper.health()["inputs"]["syslog:outage"]
        assert health["spool"]["bytes"] > 0
        stack.start_service("kafka")
        assert wait_for(lambda: shipper.health()["inputs"]["syslog:outage"]["spool"]["depth"] == 0, timeout=180)
    finally:
        if not stack.kafka_up():
            stack.start_service("kafka")
        shipper.stop()
    events = consume(stack.kafka_bootstrap, topic, expect=50_000, timeout=120)
    check(events, 50_000)


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + "{") or line.startswith(name + " "):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.slow
@pytest.mark.parametrize("fsync", ["interval", "never"])
def test_kill_9_loses_nothing_accepted(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path, fsync: str) -> None:
    """Kill -9 while a sender streams: whatever the server had accepted (counted before the kill)
    reaches Kafka after the restart, in order, with no hole and one id per message."""
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    p = free_port()
    spec = {"type": "syslog", "id": "crash", "listen": [f"tcp://127.0.0.1:{p}"], "spool": {"fsync": fsync}}
    config = write_config(tmp_path / "shipper.yml", stack, topic, data_dir, [spec])
    http_port = int(yaml.safe_load(config.read_text())["http"]["listen"].rsplit(":", 1)[1])
    shipper = ShipperProcess(config, tmp_path / "shipper.log")
    shipper.start()
    sent = 0
    stop = threading.Event()

    def send() -> None:
        nonlocal sent
        with socket.create_connection(("127.0.0.1", p)) as conn:
            while not stop.is_set() and sent < 200_000:
                try:
                    conn.sendall(frames(sent, 500))
                except OSError:
                    return  # the server died under us
                sent += 500

    try:
        assert wait_for(lambda: _listening(p), timeout=60)
        sender = threading.Thread(target=send)
        sender.start()
        name = "grokpipe_shipper_syslog_messages_total"
        assert wait_for(lambda: metric(http_port, name) >= 20_000, timeout=120)
        accepted_before_kill = metric(http_port, name)
        shipper.kill()
        stop.set()
        sender.join(30)
        shipper.start()  # replays the spool from its checkpoint
        events = consume(stack.kafka_bootstrap, topic, expect=int(accepted_before_kill), timeout=120, idle=5)
    finally:
        stop.set()
        shipper.stop()
    delivered = max(int(SEQ.search(e["message"])[1]) for e in events) + 1  # type: ignore[index]
    assert delivered >= accepted_before_kill
    check(events, delivered)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True
