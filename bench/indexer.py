"""Indexer benchmark: on one topic, (a) grok only, (b) bulk of pre-built documents, (c) the full indexer.

Run with ``make bench BENCH=indexer`` (or ``python bench/indexer.py --events N``). Prints events/s for
each stage and the ratio c / min(a, b) (how much of the slower stage's speed the whole indexer keeps),
then the end-to-end latency (line written -> searchable) with shipper and indexer running at a steady
rate. Not a test: nothing here asserts a time.

``python bench/indexer.py --stage a --events 50000 [--profile]`` runs stage (a) alone, in memory and
in seconds, without and with the scrubber (see :func:`parse_stage_only`): the loop for profiling the
per-event cost of building documents.

The issue asks for 1M events; noida-db keeps every Kafka record and document as JSON on disk (~1.6 KB
per small message), so the default is 100k and ``--events 1000000`` is there for a real cluster.

noida-db rewrites its whole document store on every bulk request and every refresh, so a bulk costs
more the more the server holds, and polling it slows what is measured: (b) and (c) each start from an
empty Elasticsearch of their own, (c) is timed from the indexer's own counter of indexed events (one
count at the end confirms it), and the latency run polls once a second on its own server too.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

# This file is bench/indexer.py: with bench/ first on sys.path, "import indexer" would find this
# script instead of the package: import the packages without bench/ on the path, then its helpers.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import orjson  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from elasticsearch import Elasticsearch  # noqa: E402
from kafka import TopicPartition  # noqa: E402

from grokpipe.clients import ensure_topic, kafka_consumer  # noqa: E402
from grokpipe.embedded import EmbeddedStack, free_port  # noqa: E402
from grokpipe.indexer.bulk import BulkWriter  # noqa: E402
from grokpipe.indexer.config import IndexerSettings, RetrySettings, ScrubSettings  # noqa: E402
from grokpipe.indexer.documents import Document, build  # noqa: E402
from grokpipe.indexer.metrics import IndexerMetrics  # noqa: E402
from grokpipe.indexer.pipeline import Router  # noqa: E402
from grokpipe.indexer.scrub import Scrubber  # noqa: E402
from grokpipe.indexer.service import Indexer  # noqa: E402
from grokpipe.indexer.template import install_templates  # noqa: E402
from grokpipe.settings import KafkaSettings  # noqa: E402
from grokpipe.shipper.config import ShipperSettings  # noqa: E402
from grokpipe.shipper.service import Shipper  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402

AGENTS = ["Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0", "python-requests/2.32.3", "kube-probe/1.31"]
PATHS = ["/", "/cart.php", "/search.php?q=red%20shoes&page=2", "/api/v1/orders/{}", "/product/{}"]


def access_line(rng: random.Random, i: int, url: str | None = None) -> str:
    ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    url = url or rng.choice(PATHS).format(rng.randint(1, 99999))
    minute, second = divmod(i // 100 % 3600, 60)
    return (
        f'{ip} - - [22/Nov/2026:10:{minute:02d}:{second:02d} +0000] "GET {url} HTTP/1.1" '
        f'{rng.choice((200, 200, 200, 301, 404, 500))} {rng.randint(0, 50000)} "https://shop.example.com/" '
        f'"{rng.choice(AGENTS)}"'
    )


def shipped_event(rng: random.Random, i: int) -> bytes:
    """The Kafka record value the shipper writes for line ``i`` of a tailed nginx access log."""
    event = {
        "@timestamp": "2026-11-22T10:00:00.000Z",
        "message": access_line(rng, i),
        "event": {"id": f"bench-{i:08d}", "dataset": "nginx.access"},
        "host": {"name": "bench"},
        "log": {"file": {"path": "/var/log/nginx/access.log", "inode": "1", "device_id": "2"}, "offset": i * 180},
    }
    return orjson.dumps(event)


def produce(bootstrap: str, topic: str, count: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "partitioner": "murmur2_random"})
    rng = random.Random(42)
    for i in range(count):
        value = shipped_event(rng, i)
        while True:
            try:
                producer.produce(topic, value=value, key=f"k{i % 16}".encode())
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(120)


def read_topic(bootstrap: str, topic: str, count: int) -> list[tuple[bytes, int, int]]:
    consumer = kafka_consumer(KafkaSettings(bootstrap_servers=[bootstrap]), group_id=None)
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        records: list[tuple[bytes, int, int]] = []
        while len(records) < count:
            for tp, batch in consumer.poll(timeout_ms=500, max_records=50_000).items():
                records.extend((r.value, tp.partition, r.offset) for r in batch)
        return records
    finally:
        consumer.close()


def count(es: Elasticsearch, index: str) -> int:
    es.indices.refresh(index=index, ignore_unavailable=True, allow_no_indices=True)
    return int(es.count(index=index, ignore_unavailable=True, allow_no_indices=True)["count"])


def settings(stack: EmbeddedStack, topic: str, ns: str) -> IndexerSettings:
    return IndexerSettings.load(
        None,
        namespace=ns,
        kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic, "group_id": f"bench-{ns}"},
        elasticsearch={"hosts": [stack.elasticsearch_url], "request_timeout": 120},
        http={"listen": f"127.0.0.1:{free_port()}"},
    )


def stage_grok(
    records: list[tuple[bytes, int, int]], topic: str, scrubber: Scrubber | None = None
) -> tuple[float, list[Document]]:
    router = Router.load()
    start = time.perf_counter()
    docs = [build(raw, topic, p, o, router=router, namespace="bulkonly", scrubber=scrubber) for raw, p, o in records]
    return time.perf_counter() - start, docs


def parse_stage_only(events: int, repeat: int, profile: bool) -> int:
    """``--stage a``: stage (a) alone on records built in memory (no servers), without and with the
    scrubber the consumer always runs; the best of ``repeat`` runs, by wall clock and by this process's
    CPU time (on a busy machine the CPU figure is the steadier one). ``--profile`` adds cProfile's top
    25 by cumulative time."""
    rng = random.Random(42)
    records = [(shipped_event(rng, i), i % 16, i // 16) for i in range(events)]
    rows: list[list[object]] = []
    for label, scrubber in (("no scrub", None), ("scrub (defaults)", Scrubber(ScrubSettings()))):
        stage_grok(records[:2000], "bench-indexer", scrubber)  # warm caches (grok, key names, zoneinfo)
        best_wall = best_cpu = float("inf")
        for _ in range(repeat):
            cpu = time.process_time()
            wall, docs = stage_grok(records, "bench-indexer", scrubber)
            best_cpu, best_wall = min(best_cpu, time.process_time() - cpu), min(best_wall, wall)
            del docs
        row: list[object] = [f"(a) decode + pipeline + route, {label}", events, best_wall, events / best_wall]
        rows.append([*row, events / best_cpu])
    print(table(["stage", "events", "seconds", "events/s", "events/CPU-s"], rows))
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(stage_grok, records, "bench-indexer", Scrubber(ScrubSettings()))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


def stage_bulk(es: Elasticsearch, docs: list[Document], batch: int = 5000) -> float:
    writer = BulkWriter(es, RetrySettings(), IndexerMetrics(), threading.Event())
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        writer.write(docs[i : i + batch])
    return time.perf_counter() - start


def stage_full(stack: EmbeddedStack, es: Elasticsearch, topic: str, total: int) -> float:
    indexer = Indexer(settings(stack, topic, "full"))
    registry = indexer.metrics.registry
    start = time.perf_counter()
    indexer.start()
    try:  # the indexer's own counter: no server round trip while timing
        while (registry.get_sample_value("grokpipe_indexer_events_indexed_total") or 0) < total:
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        if (found := count(es, "logs-*-full")) != total:
            raise SystemExit(f"full indexer: {found:,} documents in Elasticsearch, expected {total:,}")
        return elapsed
    finally:
        indexer.stop()


def latency(stack: EmbeddedStack, es: Elasticsearch, rate: int, seconds: float, workdir: Path) -> list[float]:
    """Write ``rate`` lines/s into a tailed file; every 20th line is timed until a search finds it."""
    topic = "bench-latency"
    ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic)
    log = workdir / "latency" / "access.log"
    log.parent.mkdir()
    log.touch()
    shipper = Shipper(
        ShipperSettings.load(
            None,
            data_dir=str(workdir / "shipper"),
            kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
            http={"listen": f"127.0.0.1:{free_port()}"},
            inputs=[{"type": "file", "paths": [str(log)], "dataset": "nginx.access", "scan_frequency": 0.2}],
        )
    )
    indexer = Indexer(settings(stack, topic, "latency"))
    indexer.start()
    shipper.start()
    written: dict[str, float] = {}
    found: dict[str, float] = {}
    done = threading.Event()
    stopping = threading.Event()

    def poll() -> None:
        while not (done.is_set() and len(found) == len(written)) and not stopping.is_set():
            pending = [url for url in list(written) if url not in found][:500]
            if pending:
                hits = es.search(
                    index="logs-*-latency",
                    query={"terms": {"url.original": pending}},
                    size=len(pending),
                    source_includes=["url.original"],
                    ignore_unavailable=True,
                )["hits"]["hits"]
                now = time.perf_counter()
                for hit in hits:
                    found.setdefault(hit["_source"]["url"]["original"], now)
            time.sleep(1.0)  # each search costs noida-db a scan: poll gently (1 s resolution)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    rng = random.Random(7)
    start = time.perf_counter()
    try:
        with log.open("a", buffering=1) as out:
            for i in range(int(rate * seconds)):
                due = start + i / rate
                while (now := time.perf_counter()) < due:
                    time.sleep(min(due - now, 0.005))
                marked = i % 20 == 0
                url = f"/latency/{i}" if marked else None
                out.write(access_line(rng, i, url) + "\n")
                if url:
                    written[url] = time.perf_counter()
        done.set()
        poller.join(120)
    finally:
        stopping.set()
        poller.join(5)
        shipper.stop()
        indexer.stop()
    return sorted(found[u] - written[u] for u in found)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rate", type=int, default=2_000, help="lines/s for the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--stage", choices=["a"], help="run only this stage, in memory (a: build documents)")
    parser.add_argument("--repeat", type=int, default=3, help="with --stage a: runs, the best one counts")
    parser.add_argument("--profile", action="store_true", help="with --stage a: print a cProfile of it")
    args = parser.parse_args()
    if args.stage == "a":
        return parse_stage_only(args.events, args.repeat, args.profile)
    with tempfile.TemporaryDirectory(prefix="bench-indexer-") as tmp:
        with EmbeddedStack(Path(tmp) / "noida") as stack:
            es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
            install_templates(es)
            topic = "bench-indexer"
            ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic)
            print(f"producing {args.events:,} nginx access events ...", file=sys.stderr)
            produce(stack.kafka_bootstrap, topic, args.events)
            records = read_topic(stack.kafka_bootstrap, topic, args.events)
            grok_s, docs = stage_grok(records, topic)
            print("(a) done; bulk of pre-built documents ...", file=sys.stderr)
            with EmbeddedStack(Path(tmp) / "noida-bulk") as bulk_stack:  # an empty store, like (c)'s
                bulk_es = Elasticsearch(bulk_stack.elasticsearch_url, request_timeout=120)
                install_templates(bulk_es)
                bulk_s = stage_bulk(bulk_es, docs)
                bulk_es.close()
            del docs, records
            print("(b) done; full indexer ...", file=sys.stderr)
            full_s = stage_full(stack, es, topic, args.events)
            es.close()
        rates = {"a": args.events / grok_s, "b": args.events / bulk_s, "c": args.events / full_s}
        rows: list[list[object]] = [
            ["(a) grok only: decode + pipeline + route, no Kafka, no ES", args.events, grok_s, rates["a"]],
            ["(b) bulk of pre-built documents (create, 5k/request)", args.events, bulk_s, rates["b"]],
            ["(c) full indexer: Kafka -> grok -> bulk -> commit", args.events, full_s, rates["c"]],
        ]
        print(table(["stage", "events", "seconds", "events/s"], rows))
        print(f"\nc / min(a, b) = {rates['c'] / min(rates['a'], rates['b']):.2f}  (aim: >= 0.8)\n")
        print(
            f"latency run: {args.rate:,} lines/s for {args.seconds:.0f}s through shipper + indexer ...", file=sys.stderr
        )
        with EmbeddedStack(Path(tmp) / "noida-latency") as stack:
            es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
            install_templates(es)
            lat = latency(stack, es, args.rate, args.seconds, Path(tmp))
            es.close()
        expected = int(args.rate * args.seconds) // 20
        p50, p99 = percentile(lat, 0.5), percentile(lat, 0.99)
        worst = lat[-1] if lat else float("nan")
        row: list[object] = [f"{args.rate:,} lines/s", f"{len(lat)}/{expected}", 1000 * p50, 1000 * p99, 1000 * worst]
        print(table(["line written -> searchable", "samples", "p50 ms", "p99 ms", "max ms"], [row]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
