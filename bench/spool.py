"""Syslog spool benchmark: ``put()`` records/s for 200-byte records under each fsync policy, from 1 and 8
threads, with a ``publish`` that acknowledges at once (the spool alone, no Kafka); then one run whose
drain publishes to the embedded Kafka with the real Publisher (put rate and acknowledged rate).

Run with ``make bench BENCH=spool`` (or ``python bench/spool.py --records N --dir PATH``; the spool
goes in a temp dir on PATH's file system, which decides what an fsync costs). Also ``put_many`` in
batches of 100 (what a listener can do with the frames of one read). Not a test: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

# bench/ first on sys.path would not shadow anything here, but keep the other benches' habit.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

from grokpipe.shipper.syslog.spool import Spool, SpoolSettings  # noqa: E402

VALUE = b"x" * 200


def publish(key: bytes, value: bytes, on_ack: Callable[[], None] | None) -> None:
    if on_ack is not None:
        on_ack()


def run(root: Path, fsync: str, threads: int, records: int, batch: int) -> tuple[float, float]:
    """Returns (put records/s, drained records/s) over ``records`` records in total."""
    with tempfile.TemporaryDirectory(dir=root) as directory:
        spool = Spool(Path(directory), SpoolSettings(fsync=fsync), publish)  # type: ignore[arg-type]
        spool.start()
        per_thread = records // threads
        keys = [f"host/app{t}".encode() for t in range(threads)]

        def writer(t: int) -> None:
            key = keys[t]
            if batch == 1:
                put = spool.put
                for _ in range(per_thread):
                    put(key, VALUE)
            else:
                items = [(key, VALUE)] * batch
                for _ in range(per_thread // batch):
                    spool.put_many(items)

        workers = [threading.Thread(target=writer, args=(t,)) for t in range(threads)]
        start = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        put_done = time.perf_counter()
        while spool.depth:
            time.sleep(0.001)
        drained = time.perf_counter()
        spool.stop(10)
        total = per_thread * threads if batch == 1 else (per_thread // batch) * batch * threads
        return total / (put_done - start), total / (drained - start)


def run_kafka(root: Path, records: int) -> list[tuple[str, float, float]]:
    """One thread hands records to the real Publisher into the embedded Kafka (noida-db), (a) directly
    and (b) through a spool (fsync=interval): (label, hand-over records/s, acknowledged records/s)."""
    from grokpipe.clients import ensure_topic
    from grokpipe.embedded import EmbeddedStack
    from grokpipe.settings import KafkaSettings
    from grokpipe.shipper.metrics import ShipperMetrics
    from grokpipe.shipper.publisher import Publisher, PublisherSettings

    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory(dir=root) as work, EmbeddedStack(Path(work) / "noida") as stack:
        kafka = KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap])
        for label in ("publisher alone", "spool + publisher"):
            topic = f"bench-spool-{len(rows)}"
            ensure_topic(kafka, topic, partitions=4)
            publisher = Publisher(kafka, PublisherSettings(), ShipperMetrics(), topic)
            publisher.start()
            spool = Spool(Path(work) / "spool", SpoolSettings(fsync="interval"), publisher.publish)
            spool.start()
            acked = [0]

            def on_ack(acked: list[int] = acked) -> None:
                acked[0] += 1

            start = time.perf_counter()
            if label == "publisher alone":
                for i in range(records):
                    publisher.publish(b"host/app%d" % (i % 8), VALUE, on_ack)
                handed = time.perf_counter()
                while acked[0] < records:
                    time.sleep(0.01)
            else:
                for i in range(records):
                    spool.put(b"host/app%d" % (i % 8), VALUE)
                handed = time.perf_counter()
                while spool.depth:
                    time.sleep(0.01)
            done = time.perf_counter()
            spool.stop(10)
            publisher.close()
            rows.append((label, records / (handed - start), records / (done - start)))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--kafka-records", type=int, default=100_000, help="0 skips the run with Kafka")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    print(f"spool put() of 200-byte records, {args.records} per run, spool in {args.dir}")
    print(f"{'fsync':<9} {'threads':>7} {'batch':>6} {'put rec/s':>12} {'drained rec/s':>14}")
    for fsync in ("never", "interval", "always"):
        for threads, batch in ((1, 1), (8, 1), (1, 100)):
            records = args.records if fsync != "always" or threads > 1 or batch > 1 else args.records // 10
            put_rate, drain_rate = run(args.dir, fsync, threads, records, batch)
            print(f"{fsync:<9} {threads:>7} {batch:>6} {put_rate:>12,.0f} {drain_rate:>14,.0f}")
    if args.kafka_records:
        print(f"\nreal Publisher into noida-db (4 partitions), 1 thread, {args.kafka_records} records:")
        print(f"{'path':<18} {'handed rec/s':>13} {'acked rec/s':>12}")
        for label, handed, acked in run_kafka(args.dir, args.kafka_records):
            print(f"{label:<18} {handed:>13,.0f} {acked:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
