"""workers: N with real clients: connections and datagrams are spread over the worker processes, and a
kill -9 of one worker mid-stream, or of the shipper itself, loses nothing that was accepted: every
such message reaches Kafka, with one event id however often it is re-sent."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from support.kafka import consume, new_topic
from support.process import children
from support.shipper import ShipperProcess, settings, wait_for, write_config

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper
from grokpipe.shipper.syslog.listeners import ListenerError

StartShipper = Callable[..., Shipper]  # the start_shipper fixture

SEQ = re.compile(r"conn=(\d+) seq=(\d+)")
CONNECTIONS = 12


def id_prefixes(events: list[dict[str, Any]]) -> set[str]:
    """The 96 random bits of an event id are drawn once per process: one prefix per minting worker."""
    return {e["event"]["id"][:24] for e in events}


def test_connections_and_datagrams_are_spread_over_workers(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str
) -> None:
    p = free_port()
    shipper: Shipper = start_shipper([f"tcp://127.0.0.1:{p}", f"udp://127.0.0.1:{p}"], workers=2)
    for c in range(40):  # raw sockets, each its own source port: the kernel's hash spreads them
        with socket.create_connection(("127.0.0.1", p)) as conn:
            conn.sendall(b"".join(b"<134>1 2026-11-23T06:00:00Z h raw - - - tcp %d.%d\n" % (c, i) for i in range(25)))
    for c in range(40):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"<134>1 2026-11-23T06:00:00Z h raw - - - udp %d" % c, ("127.0.0.1", p))
    log = logging.getLogger("grokpipe-test-workers")
    log.propagate = False
    for i in range(20):  # Python's SysLogHandler: a new connection each time
        handler = logging.handlers.SysLogHandler(("127.0.0.1", p), socktype=socket.SOCK_STREAM)
        handler.setFormatter(logging.Formatter("billing: %(message)s"))
        log.addHandler(handler)
        log.warning("handler %d", i)
        log.removeHandler(handler)
        handler.close()
    for i in range(20):  # util-linux logger
        subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(p), "-T", "-t", "myapp", f"logger {i}"], check=True)
    expected = 40 * 25 + 40 + 20 + 20
    events = consume(stack.kafka_bootstrap, topic, expect=expected)
    assert len(events) == expected
    assert len({e["event"]["id"] for e in events}) == expected
    assert len(id_prefixes(events)) == 2  # both workers minted (and so accepted) messages
    workers = shipper.health()["inputs"]["syslog:test"]["workers"]
    assert [w["alive"] for w in workers] == [True, True]
    assert all(w["messages"] > 0 for w in workers)
    assert sum(w["messages"] for w in workers) == expected
    tcp = f"tcp://127.0.0.1:{p}"
    registry = shipper.metrics.registry
    assert registry.get_sample_value("grokpipe_shipper_syslog_messages_total", {"input": "test", "listener": tcp}) == (
        40 * 25 + 40
    )
    assert registry.get_sample_value("grokpipe_shipper_syslog_workers", {"input": "test"}) == 2


# -- kill -9 ---------------------------------------------------------------------------------------


class Senders:
    """CONNECTIONS TCP connections streaming numbered messages until stopped or cut off."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sent = [0] * CONNECTIONS
        self.cut = [False] * CONNECTIONS
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._send, args=(c,)) for c in range(CONNECTIONS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(60)

    def _send(self, c: int) -> None:
        with socket.create_connection(("127.0.0.1", self.port)) as conn:
            while not self.stop.is_set() and self.sent[c] < 20_000:
                n = self.sent[c]
                chunk = b"".join(
                    b"<134>1 2026-11-23T06:00:00.000001Z sender load 7 - - conn=%d seq=%d %s\n" % (c, i, b"x" * 48)
                    for i in range(n, n + 100)
                )
                try:
                    conn.sendall(chunk)
                except OSError:
                    self.cut[c] = True  # its worker died under it
                    return
                self.sent[c] = n + 100
                self.stop.wait(0.01)


def check(events: list[dict[str, Any]]) -> dict[int, int]:
    """Per connection, the messages delivered form an unbroken run from 0 (the spool keeps order and
    loses nothing it accepted); each message has one event id however often Kafka got it. Returns
    the count delivered per connection."""
    ids: dict[tuple[int, int], set[str]] = {}
    for event in events:
        match = SEQ.search(event["message"])
        assert match, event["message"]
        ids.setdefault((int(match[1]), int(match[2])), set()).add(event["event"]["id"])
    assert all(len(v) == 1 for v in ids.values())
    assert len({i for v in ids.values() for i in v}) == len(ids)
    delivered: dict[int, int] = {}
    for c in range(CONNECTIONS):
        seqs = sorted(s for conn, s in ids if conn == c)
        assert seqs == list(range(len(seqs))), f"connection {c} has a hole"
        delivered[c] = len(seqs)
    return delivered


def healthz(port: int) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return dict(json.loads(response.read()))
    except urllib.error.HTTPError as exc:  # 503 while a worker is down: the body still tells
        return dict(json.loads(exc.read()))
    except OSError:
        return {}


def worker_health(port: int) -> list[dict[str, Any]]:
    return list(healthz(port).get("inputs", {}).get("syslog:crash", {}).get("workers", []))


def accepted(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("grokpipe_shipper_syslog_messages_total{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def start_process(tmp_path: Path, stack: EmbeddedStack, topic: str, data_dir: Path) -> tuple[ShipperProcess, int, int]:
    p = free_port()
    spec = {"type": "syslog", "id": "crash", "listen": [f"tcp://127.0.0.1:{p}"], "workers": 2}
    config = write_config(tmp_path / "shipper.yml", stack, topic, data_dir, [spec])
    http_port = int(yaml.safe_load(config.read_text())["http"]["listen"].rsplit(":", 1)[1])
    shipper = ShipperProcess(config, tmp_path / "shipper.log")
    shipper.start()
    assert wait_for(lambda: [w["alive"] for w in worker_health(http_port)] == [True, True], timeout=120)
    return shipper, p, http_port


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


DRAIN = b"grokpipe.shipper.spool.child"  # in a drain process's command line


def crash_a_worker_mid_stream(
    stack: EmbeddedStack, data_dir: Path, tmp_path: Path, crash: Callable[[int], None]
) -> list[dict[str, Any]]:
    """Stream over every connection, ``crash(pid of worker 0)`` and wait until the supervisor has
    restarted it (with its drain process); what was accepted before the crash is in Kafka, and every
    connection of the surviving worker delivered all it sent. Returns the events in Kafka."""
    topic = new_topic(stack.kafka_bootstrap)
    shipper, p, http_port = start_process(tmp_path, stack, topic, data_dir)
    senders = Senders(p)
    try:
        senders.start()
        assert wait_for(lambda: all(w["messages"] >= 2_000 for w in worker_health(http_port)), timeout=120)
        before_kill = accepted(http_port)
        crash(worker_health(http_port)[0]["pid"])
        # the supervisor starts a replacement, which replays the dead worker's spool
        assert wait_for(
            lambda: [(w["alive"], w["restarts"]) for w in worker_health(http_port)] == [(True, 1), (True, 0)],
            timeout=120,
        )
        assert children(worker_health(http_port)[0]["pid"], DRAIN)
        senders.join()
        assert any(senders.cut)  # some connections were the dead worker's
        assert not all(senders.cut)
    finally:
        senders.join()
        shipper.stop()
    events = consume(stack.kafka_bootstrap, topic, expect=int(before_kill), timeout=180, idle=5)
    delivered = check(events)
    assert sum(delivered.values()) >= before_kill
    for c in range(CONNECTIONS):
        if not senders.cut[c]:  # a surviving worker's connection: every message sent arrived
            assert delivered[c] == senders.sent[c]
    assert sum(delivered.values()) <= sum(senders.sent)
    return events


@pytest.mark.slow
def test_kill_9_of_one_worker_mid_stream(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path) -> None:
    events = crash_a_worker_mid_stream(own_stack, data_dir, tmp_path, lambda pid: os.kill(pid, signal.SIGKILL))
    assert len(id_prefixes(events)) >= 2


@pytest.mark.slow
def test_kill_9_of_a_drain_process_mid_stream(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path) -> None:
    """The drain process dies alone: its worker exits, both start again, and the spool replays."""

    def kill_drain(worker: int) -> None:
        (drain,) = children(worker, DRAIN)
        os.kill(drain, signal.SIGKILL)
        assert wait_for(lambda: not alive(worker), timeout=30)  # the worker follows its drain

    crash_a_worker_mid_stream(own_stack, data_dir, tmp_path, kill_drain)


@pytest.mark.slow
def test_kill_9_of_the_shipper_with_workers(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    shipper, p, http_port = start_process(tmp_path, stack, topic, data_dir)
    senders = Senders(p)
    try:
        senders.start()
        assert wait_for(lambda: all(w["messages"] >= 2_000 for w in worker_health(http_port)), timeout=120)
        pids = [w["pid"] for w in worker_health(http_port)]
        before_kill = accepted(http_port)
        shipper.kill()
        # the workers notice the shipper is gone and exit, leaving their spools for the restart
        assert wait_for(lambda: not any(alive(pid) for pid in pids), timeout=60)
        senders.join()
        shipper.start()
        assert wait_for(lambda: [w["alive"] for w in worker_health(http_port)] == [True, True], timeout=120)
        events = consume(stack.kafka_bootstrap, topic, expect=int(before_kill), timeout=180, idle=5)
    finally:
        senders.join()
        shipper.stop()
    delivered = check(events)
    assert sum(delivered.values()) >= before_kill
    assert sum(delivered.values()) <= sum(senders.sent)


def test_an_address_in_use_fails_the_start(start_shipper: StartShipper) -> None:
    p = free_port()
    with socket.socket() as taken:  # bound without SO_REUSEPORT: no worker may share it
        taken.bind(("127.0.0.1", p))
        taken.listen()
        with pytest.raises(ListenerError):
            start_shipper([f"tcp://127.0.0.1:{p}"], workers=2)


@pytest.mark.slow
def test_a_change_of_workers_strands_no_spooled_message(own_stack: EmbeddedStack, data_dir: Path) -> None:
    """Spooled by two workers while Kafka is away, then drained by the in-process input (workers: 1)
    and back: every message once, by id."""
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    p = free_port()

    def spec(workers: int) -> dict[str, Any]:
        return {"type": "syslog", "id": "change", "listen": [f"tcp://127.0.0.1:{p}"], "workers": workers}

    stack.stop_service("kafka")
    try:
        shipper = Shipper(settings(stack, topic, data_dir, [spec(2)], shutdown_timeout=1.0))
        shipper.start()
        try:
            for c in range(CONNECTIONS):
                with socket.create_connection(("127.0.0.1", p)) as conn:
                    conn.sendall(
                        b"".join(b"<134>1 2026-11-23T06:00:00Z h a - - - conn=%d seq=%d\n" % (c, i) for i in range(500))
                    )

            def depth() -> int:
                return int(shipper.health()["inputs"]["syslog:change"]["spool"]["depth"])

            assert wait_for(lambda: depth() == CONNECTIONS * 500, timeout=120)
            workers = shipper.health()["inputs"]["syslog:change"]["workers"]
            assert all(w["spool"]["depth"] > 0 for w in workers)  # both workers hold some
        finally:
            shipper.stop()
    finally:
        stack.start_service("kafka")
    shipper = Shipper(settings(stack, topic, data_dir, [spec(1)]))
    shipper.start()
    try:
        events = consume(stack.kafka_bootstrap, topic, expect=CONNECTIONS * 500, timeout=180, idle=5)
        assert wait_for(lambda: shipper.health()["inputs"]["syslog:change"]["spool"]["depth"] == 0, timeout=60)
    finally:
        shipper.stop()
    assert check(events) == dict.fromkeys(range(CONNECTIONS), 500)


def test_port_0_is_one_port_for_every_worker(start_shipper: StartShipper, stack: EmbeddedStack, topic: str) -> None:
    shipper = start_shipper(["tcp://127.0.0.1:0"], workers=2)
    (listen,) = shipper.health()["inputs"]["syslog:test"]["listen"]
    port = int(listen.rsplit(":", 1)[1])
    assert port != 0
    for c in range(20):
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(b"<134>1 2026-11-23T06:00:00Z h app - - - conn=%d seq=0\n" % c)
    events = consume(stack.kafka_bootstrap, topic, expect=20)
    assert len(events) == 20
    assert len(id_prefixes(events)) == 2
