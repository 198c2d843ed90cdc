"""Bad input over the wire: random bytes, oversize frames, invalid UTF-8, stalled and surplus
connections. The server keeps serving, tags what it cannot read as syslog, and drops nothing."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from typing import Any

from support.kafka import consume
from support.shipper import wait_for

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper
from grokpipe.shipper.syslog.sources import QUIET

StartShipper = Callable[..., Shipper]


def sample(shipper: Shipper, name: str, **labels: str) -> float:
    return shipper.metrics.registry.get_sample_value(name, labels) or 0.0


def test_garbage_oversize_and_invalid_utf8_are_tagged_not_dropped(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str
) -> None:
    p = free_port()
    shipper = start_shipper([f"tcp://127.0.0.1:{p}", f"udp://127.0.0.1:{p}"], max_message_bytes=1024)
    rng = random.Random(7)
    garbage = [bytes(rng.randrange(1, 256) for _ in range(rng.randint(5, 200))).replace(b"\n", b" ") for _ in range(50)]
    garbage = [g.replace(b"\x00", b" ").lstrip(b"<0123456789 ") or b"x" for g in garbage]
    with socket.create_connection(("127.0.0.1", p)) as conn:
        for g in garbage:
            conn.sendall(g + b"\n")
        conn.sendall(b"<13>Nov 23 06:00:00 h app: " + b"A" * 5000 + b"\n")
        conn.sendall(b"<13>Nov 23 06:00:00 h app: caf\xe9\n")
        conn.sendall(b"<13>Nov 23 06:00:00 h app: still fine\n")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.sendto(b"<13>Nov 23 06:00:00 h app: " + b"B" * 3000, ("127.0.0.1", p))
    events = consume(stack.kafka_bootstrap, topic, expect=54)
    assert len(events) == 54
    # no <PRI>: read as rsyslog reads it (priority 13), tagged, the frame kept in event.original
    no_pri = [e for e in events if "syslog_no_pri" in e.get("tags", [])]
    assert len(no_pri) == 50
    assert sorted(e["event"]["original"] for e in no_pri) == sorted(g.decode(errors="replace") for g in garbage)
    assert all(e["log"]["syslog"]["priority"] == 13 for e in no_pri)
    truncated = [e for e in events if "truncated" in e.get("tags", [])]
    assert len(truncated) == 2
    assert all(len(e["event"]["original"]) == 1024 for e in truncated)
    invalid = [e for e in events if "invalid_utf8" in e.get("tags", []) and "syslog_no_pri" not in e["tags"]]
    assert [e["message"] for e in invalid] == ["caf\ufffd"]
    assert any(e["message"] == "still fine" and "tags" not in e for e in events)
    flagged = {"input": "test", "listener": f"tcp://127.0.0.1:{p}", "tag": "syslog_no_pri"}
    assert sample(shipper, "grokpipe_shipper_syslog_flagged_total", **flagged) == 50
    assert (
        sample(shipper, "grokpipe_shipper_syslog_parse_failures_total", input="test", listener=flagged["listener"]) == 0
    )


def test_stalled_and_surplus_connections_do_not_stop_others(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str
) -> None:
    p = free_port()
    listener = f"tcp://127.0.0.1:{p}"
    shipper = start_shipper([listener], max_connections=40, idle_timeout=2.0)
    stalled: list[socket.socket] = []
    try:
        for i in range(60):  # 40 admitted and stalled mid-frame, 20 refused
            conn = socket.create_connection(("127.0.0.1", p))
            conn.sendall(b"<13>Nov 23 06:00:00 h stalled: partial %d" % i)  # no delimiter: never completes
            stalled.append(conn)
        assert wait_for(
            lambda: (
                sample(shipper, "grokpipe_shipper_syslog_connections_refused_total", input="test", listener=listener)
                >= 20
            ),
            timeout=20,
        )
        assert shipper.health()["inputs"]["syslog:test"]["connections"] <= 40
        # the idle timeout frees the slots; a well-behaved client then gets through
        assert wait_for(lambda: shipper.health()["inputs"]["syslog:test"]["connections"] == 0, timeout=20)
        with socket.create_connection(("127.0.0.1", p)) as conn:
            conn.sendall(b"".join(b"<13>Nov 23 06:00:00 h good: message %d\n" % i for i in range(100)))
    finally:
        for conn in stalled:
            conn.close()
    events = consume(stack.kafka_bootstrap, topic, expect=140)
    good = sorted(e["message"] for e in events if e["process"]["name"] == "good")
    assert good == sorted(f"message {i}" for i in range(100))
    # a stalled connection's partial frame is kept when the idle timeout closes it
    partial: list[Any] = [e for e in events if e["process"]["name"] == "stalled"]
    assert len(partial) == 40


def _connect_from(source: str, port: int) -> socket.socket:
    """A TCP connection from another loopback address (Linux routes all of 127/8 to lo): another source."""
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    conn.bind((source, 0))
    conn.connect(("127.0.0.1", port))
    return conn


def test_one_source_cannot_lock_out_the_others(start_shipper: StartShipper, stack: EmbeddedStack, topic: str) -> None:
    """max_connections idle connections from one address used to refuse every new sender until the idle
    timeout; now the busiest source's longest-silent connection gives way to a new source."""
    p = free_port()
    listener = f"tcp://127.0.0.1:{p}"
    shipper = start_shipper([listener], max_connections=8, idle_timeout=600.0, workers=1)
    hog = [_connect_from("127.0.0.2", p) for _ in range(8)]
    try:
        assert wait_for(lambda: shipper.health()["inputs"]["syslog:test"]["connections"] == 8, timeout=20)
        time.sleep(QUIET + 0.2)  # let them be silent long enough to be shed (not a timing assertion)
        with _connect_from("127.0.0.3", p) as conn:
            conn.sendall(b"<13>Nov 23 06:00:00 h newcomer: served while the listener was full\n")
        events = consume(stack.kafka_bootstrap, topic, expect=1)
        assert [e["message"] for e in events] == ["served while the listener was full"]
        assert sample(shipper, "grokpipe_shipper_syslog_connections_shed_total", input="test", listener=listener) == 1
        assert shipper.health()["inputs"]["syslog:test"]["connections"] <= 8
    finally:
        for conn in hog:
            conn.close()


def test_a_source_gets_at_most_max_connections_per_source(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str
) -> None:
    p = free_port()
    listener = f"tcp://127.0.0.1:{p}"
    shipper = start_shipper([listener], max_connections=8, max_connections_per_source=3, workers=1)
    hog = [_connect_from("127.0.0.2", p) for _ in range(5)]
    try:
        refused = {"input": "test", "listener": listener}
        assert wait_for(lambda: sample(shipper, "grokpipe_shipper_syslog_connections_refused_total", **refused) == 2)
        assert shipper.health()["inputs"]["syslog:test"]["connections"] == 3
        with _connect_from("127.0.0.3", p) as conn:
            conn.sendall(b"<13>Nov 23 06:00:00 h other: another source is served\n")
        events = consume(stack.kafka_bootstrap, topic, expect=1)
        assert [e["message"] for e in events] == ["another source is served"]
        assert sample(shipper, "grokpipe_shipper_syslog_connections_shed_total", **refused) == 0
    finally:
        for conn in hog:
            conn.close()
