"""kill -9 a process while several threads put records into its spool; a restarted spool with a real
Publisher delivers to Kafka every record whose put() had returned, invents none, and keeps each
key's order — under every fsync policy (a process kill never loses what reached the page cache).
And a Kafka outage: the spool fills on disk and drains when the broker returns."""

from __future__ import annotations

import mmap
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from support.kafka import consume, new_topic

from grokpipe.embedded import EmbeddedStack
from grokpipe.settings import KafkaSettings
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher, PublisherSettings
from grokpipe.shipper.spool import Spool, SpoolSettings

WRITERS = 4
KILL_AFTER = 4_000  # records put (in total) before the kill
SEGMENT_BYTES = 16 * 1024  # small segments: rolls, checkpoints and deletions happen before the kill

# The child: WRITERS threads put records as fast as they can; after each put() returns, the count of
# records it has spooled goes into a shared memory map, which survives the SIGKILL.
CHILD = """
import mmap, struct, sys, threading
from pathlib import Path
import orjson
from grokpipe.settings import KafkaSettings
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher, PublisherSettings
from grokpipe.shipper.spool import Spool, SpoolSettings

directory, counters, fsync, bootstrap, topic, writers, segment_bytes = sys.argv[1:]
writers = int(writers)
if bootstrap == "-":
    def publish(key, value, on_ack):  # Kafka never acknowledges: everything must come from the disk
        pass
else:
    publisher = Publisher(KafkaSettings(bootstrap_servers=[bootstrap]), PublisherSettings(), ShipperMetrics(), topic)
    publisher.start()
    publish = publisher.publish
settings = SpoolSettings(fsync=fsync, fsync_interval=0.2, segment_bytes=int(segment_bytes))
spool = Spool(Path(directory), settings, publish)
spool.start()
with open(counters, "r+b") as f:
    shared = mmap.mmap(f.fileno(), 8 * writers)

def write(w):
    key = b"writer-%d" % w
    pad = "x" * 150
    for i in range(10_000_000):
        value = orjson.dumps({"message": f"{w}:{i}", "writer": w, "i": i, "pad": pad})
        assert spool.put(key, value)
        struct.pack_into("<Q", shared, 8 * w, i + 1)

threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
"""


def run_and_kill(directory: Path, counters: Path, fsync: str, bootstrap: str, topic: str) -> list[int]:
    """Start the child, SIGKILL it once KILL_AFTER records were put; how many each writer had put."""
    counters.write_bytes(bytes(8 * WRITERS))
    argv = [str(directory), str(counters), fsync, bootstrap, topic, str(WRITERS), str(SEGMENT_BYTES)]
    child = subprocess.Popen([sys.executable, "-c", CHILD, *argv], stderr=subprocess.PIPE)
    with counters.open("rb") as f:
        shared = mmap.mmap(f.fileno(), 8 * WRITERS, access=mmap.ACCESS_READ)
        deadline = time.monotonic() + 60
        while sum(struct.unpack_from(f"<{WRITERS}Q", shared)) < KILL_AFTER:
            if child.poll() is not None:
                pytest.fail(f"child exited early: {child.stderr.read().decode() if child.stderr else ''}")
            assert time.monotonic() < deadline, "child did not put records"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
        returned = list(struct.unpack_from(f"<{WRITERS}Q", shared))
        shared.close()
    assert child.stderr is not None
    child.stderr.close()
    return returned


def replay(directory: Path, bootstrap: str, topic: str) -> tuple[int, int]:
    """A restarted spool drains what the killed one left to Kafka; returns (recovered depth, torn tails)."""
    publisher = Publisher(KafkaSettings(bootstrap_servers=[bootstrap]), PublisherSettings(), ShipperMetrics(), topic)
    publisher.start()
    # The drain starts with start() and every acknowledgement lowers depth: on a loaded machine Kafka
    # acknowledged hundreds of records before this thread read depth. Hold the hand-over until the
    # recovered depth is read, so that depth is what recovery found on disk.
    depth_read = threading.Event()

    def publish(key: bytes, value: bytes, on_ack: Callable[[], None] | None) -> None:
        depth_read.wait()
        publisher.publish(key, value, on_ack)

    spool = Spool(directory, SpoolSettings(segment_bytes=SEGMENT_BYTES), publish)
    try:
        spool.start()
        depth = spool.depth
        depth_read.set()
        deadline = time.monotonic() + 60
        while spool.depth and time.monotonic() < deadline:
            time.sleep(0.05)
        assert spool.depth == 0
        return depth, spool.dropped_torn
    finally:
        depth_read.set()
        spool.stop(10)
        publisher.close()


@pytest.mark.parametrize(
    ("fsync", "child_publishes"),
    [("always", False), ("interval", False), ("never", False), ("interval", True)],
    ids=["always-from-disk", "interval-from-disk", "never-from-disk", "interval-publishing"],
)
def test_kill_9_loses_no_record_whose_put_returned(
    stack: EmbeddedStack, topic: str, tmp_path: Path, fsync: str, child_publishes: bool
) -> None:
    directory = tmp_path / "spool"
    bootstrap = stack.kafka_bootstrap
    returned = run_and_kill(directory, tmp_path / "counters", fsync, bootstrap if child_publishes else "-", topic)
    assert sum(returned) >= KILL_AFTER

    depth, torn = replay(directory, bootstrap, topic)
    print(f"{fsync} child_publishes={child_publishes}: put() returned {returned}, replayed {depth}, torn {torn}")
    if not child_publishes:
        assert depth >= sum(returned)  # every returned put was on disk, unacknowledged
    assert torn <= 1  # a kill can at most tear the record being written

    events = consume(bootstrap, topic, expect=sum(returned), timeout=90)
    by_writer: dict[int, list[int]] = {w: [] for w in range(WRITERS)}
    seen: dict[str, dict[str, object]] = {}
    for event in events:
        assert set(event) == {"message", "writer", "i", "pad"}
        w, i = int(str(event["writer"])), int(str(event["i"]))
        assert event["message"] == f"{w}:{i}"
        # At most one record per writer beyond the returned ones: the put the kill interrupted.
        assert i <= returned[w], "a record that was never put"
        if str(event["message"]) in seen:
            assert seen[str(event["message"])] == event  # a re-send is the same record
            continue
        seen[str(event["message"])] = event
        by_writer[w].append(i)
    for w, indices in by_writer.items():
        assert indices == sorted(indices), f"writer {w} out of order"
        assert set(range(returned[w])) <= set(indices), f"writer {w} lost records whose put() returned"
    if not child_publishes:
        assert len(events) == len(seen)  # nothing was published twice


@pytest.mark.slow
def test_kafka_away_fills_the_spool_and_it_drains_when_kafka_returns(own_stack: EmbeddedStack, tmp_path: Path) -> None:
    """More than the drain's memory hand-off (8 MiB) piles up while the broker is down, so the drain
    reads it back from the segments, while the publisher retries; all of it arrives once Kafka is back."""
    stack = own_stack
    topic = new_topic(stack.kafka_bootstrap)
    kafka = KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap])
    publisher = Publisher(kafka, PublisherSettings(delivery_timeout_ms=3000), ShipperMetrics(), topic)
    publisher.start()
    spool = Spool(tmp_path / "spool", SpoolSettings(segment_bytes=1024 * 1024), publisher.publish)
    pad = "x" * 300

    def put(prefix: str, count: int) -> list[str]:
        messages = [f"{prefix}-{i}" for i in range(count)]
        for i, message in enumerate(messages):
            assert spool.put(b"host/app%d" % (i % 4), orjson.dumps({"message": message, "pad": pad}))
        return messages

    def wait_drained(timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while spool.depth and time.monotonic() < deadline:
            time.sleep(0.05)
        assert spool.depth == 0

    try:
        spool.start()
        expected = put("before", 1_000)
        wait_drained(60)
        stack.stop_service("kafka")
        expected += put("during", 30_000)
        assert spool.bytes > 8 * 1024 * 1024  # spooled on disk, beyond the memory hand-off
        stack.start_service("kafka")
        wait_drained(180)
    finally:
        if not stack.kafka_up():
            stack.start_service("kafka")
        spool.stop(10)
        publisher.close()

    events = consume(stack.kafka_bootstrap, topic, expect=len(expected), timeout=120)
    assert {str(event["message"]) for event in events} == set(expected)
