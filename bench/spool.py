"""Syslog spool benchmark: ``put()`` records/s for 200-byte records under each fsync policy, from 1 and 8
threads, with a ``publish`` that acknowledges at once (the spool alone, no Kafka); then one run whose
drain publishes to the embedded Kafka with the real Publisher (put rate and acknowledged rate).

Run with ``make bench BENCH=spool`` (or ``python bench/spool.py --records N --dir PATH``; the spool
goes in a temp dir on PATH's file system, which decides what an fsync costs). Also ``put_many`` in
batches of 100 (what a listener can do with the frames of one read). Not a test: nothing here
asserts a time.

``python bench/spool.py --baseline REV [--repeat 5]`` compares the spool rows of HEAD with HEAD carrying
the spool of git revision REV (e.g. the one before a change to it; nothing else differs): each row
runs in a fresh process, alternating the two trees, and the table shows the medians and their ratio,
so both sides see the same load. On a busy machine trust the CPU µs per record (all threads, put
until drained) more than the rates.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

# bench/ first on sys.path would not shadow anything here, but keep the other benches' habit.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

from grokpipe.shipper.spool import Spool, SpoolSettings  # noqa: E402

VALUE = b"x" * 200


def publish(key: bytes, value: bytes, on_ack: Callable[[], None] | None) -> None:
    if on_ack is not None:
        on_ack()


def run(root: Path, fsync: str, threads: int, records: int, batch: int) -> tuple[float, float, float]:
    """Returns (put records/s, drained records/s, CPU µs per record) over ``records`` records in total. The
    CPU time (all threads, until drained) is what a busy machine distorts least."""
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
        start, cpu = time.perf_counter(), time.process_time()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        put_done = time.perf_counter()
        while spool.depth:
            time.sleep(0.001)
        drained, cpu = time.perf_counter(), time.process_time() - cpu
        spool.stop(10)
        total = per_thread * threads if batch == 1 else (per_thread // batch) * batch * threads
        return total / (put_done - start), total / (drained - start), cpu / total * 1e6


def run_kafka(root: Path, records: int) -> list[tuple[str, float, float]]:
    """One thread hands records to the real Publisher into the embedded Kafka (noida-db), (a) directly
    and (b) through a spool (fsync=interval): (label, hand-over records/s, acknowledged records/s)."""
    from grokpipe.embedded import EmbeddedStack
    from grokpipe.kafka_admin import ensure_topic
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


ROWS = [(f, t, b) for f in ("never", "interval", "always") for t, b in ((1, 1), (8, 1), (1, 100))]


def row_records(records: int, fsync: str, threads: int, batch: int) -> int:
    """Single unbatched ``always`` puts wait for one fsync each: a tenth of the records is enough."""
    return records if fsync != "always" or threads > 1 or batch > 1 else records // 10


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


SPOOL_PATHS = ("shipper/spool", "shipper/syslog/spool", "shipper/syslog/spool.py", "shipper/syslog/segments.py")


def export(repo: Path, revision: str, into: Path, paths: Sequence[str] = ()) -> None:
    """``git archive`` of ``revision`` (only ``paths`` of it, when given) unpacked into ``into``."""
    archive = subprocess.Popen(["git", "-C", str(repo), "archive", revision, *paths], stdout=subprocess.PIPE)
    subprocess.run(["tar", "-x", "-C", str(into)], stdin=archive.stdout, check=True)
    if archive.wait() != 0:
        raise SystemExit(f"git archive {revision} failed")


def compare(baseline: str, records: int, repeat: int, root: Path) -> None:
    """Every row in a fresh process, alternating two trees that differ only in the spool: HEAD as it is
    committed, and HEAD with the spool of git revision ``baseline`` (so a change elsewhere, such as a
    module that imports more and makes garbage collection dearer, counts on neither side). ``repeat``
    runs of each; prints the medians. Only the spool rows (no Kafka)."""
    repo = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"baseline": Path(tmp) / "baseline", "current": Path(tmp) / "current"}
        for tree in trees.values():
            tree.mkdir()
            export(repo, "HEAD", tree)
        for path in SPOOL_PATHS:
            target = trees["baseline"] / path
            if target.is_dir():
                shutil.rmtree(target)
            target.unlink(missing_ok=True)
        listed = subprocess.run(
            ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", baseline, "--", "shipper/"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        export(repo, baseline, trees["baseline"], [p for p in listed if p.startswith(SPOOL_PATHS)])
        print(
            f"spool put() of 200-byte records, {records} per run, spool in {root}; base: HEAD with {baseline}'s spool"
        )
        print(f"rows alternate baseline and current, each in a fresh process; medians of {repeat}; {load()}")
        print(
            f"{'fsync':<9} {'threads':>7} {'batch':>6} {'put base':>10} {'put now':>10} {'ratio':>6}"
            f" {'drain base':>11} {'drain now':>10} {'ratio':>6} {'cpu µs base':>11} {'cpu µs now':>10} {'ratio':>6}"
        )
        for fsync, threads, batch in ROWS:
            rates: dict[str, list[tuple[float, float, float]]] = {"baseline": [], "current": []}
            for i in range(repeat):
                for label in ("baseline", "current") if i % 2 == 0 else ("current", "baseline"):
                    argv = [sys.executable, __file__, "--row", f"{fsync},{threads},{batch}"]
                    argv += ["--records", str(row_records(records, fsync, threads, batch)), "--dir", str(root)]
                    env = {**os.environ, "PYTHONPATH": str(trees[label])}
                    out = subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout.split()
                    rates[label].append((float(out[-3]), float(out[-2]), float(out[-1])))
            put_base, put_now = (statistics.median(r[0] for r in rates[k]) for k in ("baseline", "current"))
            drain_base, drain_now = (statistics.median(r[1] for r in rates[k]) for k in ("baseline", "current"))
            cpu_base, cpu_now = (statistics.median(r[2] for r in rates[k]) for k in ("baseline", "current"))
            print(
                f"{fsync:<9} {threads:>7} {batch:>6} {put_base:>10,.0f} {put_now:>10,.0f} {put_now / put_base:>6.3f}"
                f" {drain_base:>11,.0f} {drain_now:>10,.0f} {drain_now / drain_base:>6.3f}"
                f" {cpu_base:>11.2f} {cpu_now:>10.2f} {cpu_now / cpu_base:>6.3f}"
            )
        print(load())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--kafka-records", type=int, default=100_000, help="0 skips the run with Kafka")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--baseline", metavar="REV", help="compare the spool rows with git revision REV's spool")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each row and side, with --baseline")
    parser.add_argument("--row", help=argparse.SUPPRESS)  # FSYNC,THREADS,BATCH: one row, bare numbers (--baseline)
    args = parser.parse_args()
    if args.row:
        fsync, threads, batch = args.row.split(",")
        put_rate, drain_rate, cpu = run(args.dir, fsync, int(threads), args.records, int(batch))
        print(f"{put_rate:.0f} {drain_rate:.0f} {cpu:.4f}")
        return 0
    if args.baseline:
        compare(args.baseline, args.records, args.repeat, args.dir)
        return 0
    print(f"spool put() of 200-byte records, {args.records} per run, spool in {args.dir}; {load()}")
    print(f"{'fsync':<9} {'threads':>7} {'batch':>6} {'put rec/s':>12} {'drained rec/s':>14} {'cpu µs/rec':>11}")
    for fsync, threads, batch in ROWS:
        put_rate, drain_rate, cpu = run(
            args.dir, fsync, threads, row_records(args.records, fsync, threads, batch), batch
        )
        print(f"{fsync:<9} {threads:>7} {batch:>6} {put_rate:>12,.0f} {drain_rate:>14,.0f} {cpu:>11.2f}")
    if args.kafka_records:
        print(f"\nreal Publisher into noida-db (4 partitions), 1 thread, {args.kafka_records} records:")
        print(f"{'path':<18} {'handed rec/s':>13} {'acked rec/s':>12}")
        for label, handed, acked in run_kafka(args.dir, args.kafka_records):
            print(f"{label:<18} {handed:>13,.0f} {acked:>12,.0f}")
    print(load())
    return 0


if __name__ == "__main__":
    sys.exit(main())
