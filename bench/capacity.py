"""The embedded server's capacity: events held, its memory, and the time of a console-style search
(a term filter plus a terms aggregation) as the store grows.

Run with ``make bench BENCH=capacity`` (or ``python bench/capacity.py --steps 5000,20000,50000,100000``).
An embedded server of its own gets the indexer's templates, then nginx-like events in bulk requests
of 5,000 into one data stream; at each step it prints the server's resident memory (its process
tree), the seconds the last bulk request took, and the median of 5 searches. docs/capacity.md holds
the figures. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

from elasticsearch import Elasticsearch  # noqa: E402

from grokpipe.embedded import EmbeddedStack  # noqa: E402
from grokpipe.indexer.template import install_templates  # noqa: E402

sys.path.append(_BENCH)
from procstats import table, tree  # noqa: E402

INDEX = "logs-nginx.access-capacity"
CHUNK = 5_000
LEVELS = ("info", "info", "info", "warning", "error")


def rss_mb(pid: int) -> float:
    total = 0
    for member in tree(pid):
        try:
            with open(f"/proc/{member}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def events(rng: random.Random, first: int, count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(first, first + count):
        status = rng.choice((200, 200, 200, 301, 404, 500))
        path = f"/api/v1/items/{rng.randrange(5000)}?page={rng.randrange(20)}"
        out.append(
            {
                "@timestamp": f"2026-11-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{i % 59:02d}.000Z",
                "message": f'10.0.{i % 256}.{rng.randrange(256)} - - "GET {path} HTTP/1.1" {status} {i % 9999}',
                "event": {"id": f"cap-{i:08d}", "dataset": "nginx.access"},
                "host": {"name": f"web-{i % 7}"},
                "log": {"level": rng.choice(LEVELS)},
                "http": {"response": {"status_code": status}},
                "url": {"path": path},
                "data_stream": {"type": "logs", "dataset": "nginx.access", "namespace": "capacity"},
            }
        )
    return out


def search_seconds(es: Elasticsearch) -> float:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        es.search(
            index="logs-*",
            size=20,
            query={"bool": {"filter": [{"term": {"log.level": "error"}}]}},
            aggs={"hosts": {"terms": {"field": "host.name", "size": 10}}},
            sort=[{"@timestamp": "desc"}],
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", default="5000,20000,50000,100000")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    rng = random.Random(3)
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory() as tmp, EmbeddedStack(Path(tmp) / "noida") as stack:
        assert stack._proc is not None
        pid = stack._proc.pid
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=600)
        install_templates(es)
        rows.append([0, f"{rss_mb(pid):,.0f}", "", "", ""])
        held = 0
        for step in steps:
            bulk_seconds = 0.0
            while held < step:
                count = min(CHUNK, step - held)
                body: list[dict[str, Any]] = []
                for doc in events(rng, held, count):
                    body += [{"create": {"_index": INDEX, "_id": doc["event"]["id"]}}, doc]
                started = time.perf_counter()
                es.bulk(operations=body, refresh=False)
                bulk_seconds = time.perf_counter() - started
                held += count
            es.indices.refresh(index=INDEX)
            counted = es.count(index=INDEX)["count"]
            rows.append([counted, f"{rss_mb(pid):,.0f}", f"{bulk_seconds:.2f}", f"{search_seconds(es):.3f}", ""])
            print(table(["events", "server RSS MiB", "last bulk of 5k, s", "search s (median of 5)", ""], rows))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
