"""Rules benchmark: N ``threshold`` rules every minute over M indexed events, one api process.

Run with ``make bench BENCH=rules`` (or ``python bench/rules.py --rules 1000 --events 1000000``).
Prints one table: evaluations per minute achieved, p50/p99 lateness of evaluation starts against
their scheduled tick (from the api's own histogram, so values are bucket upper bounds), failures,
and the api's peak RSS; plus the server's own latency for one rule's search, for context.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from elasticsearch import Elasticsearch, helpers
from procstats import peak_rss_mb, table
from prometheus_client.parser import text_string_to_metric_families

from grokpipe.embedded import EmbeddedStack, free_port

KEY = "bench-admin-key"
MAPPING = {
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "event": {"properties": {"dataset": {"type": "keyword"}}},
        "error": {"properties": {"grouping_key": {"type": "keyword"}}},
        "http": {"properties": {"response": {"properties": {"status_code": {"type": "long"}}}}},
        "host": {"properties": {"name": {"type": "keyword"}}},
    }
}


def index_events(es: Elasticsearch, count: int) -> float:
    rng = random.Random(7)
    now = datetime.now(UTC)
    es.indices.create(index="logs-bench-default", mappings=MAPPING)

    def actions() -> Iterator[dict[str, Any]]:
        for i in range(count):
            yield {
                "_index": "logs-bench-default",
                "_source": {
                    "@timestamp": (now - timedelta(seconds=rng.uniform(0, 3600))).isoformat(),
                    "message": f"request {i} failed",
                    "event": {"dataset": f"app{i % 50}"},
                    "error": {"grouping_key": f"k{rng.randint(0, 99)}"},
                    "http": {"response": {"status_code": rng.choice((200, 200, 200, 404, 500, 503))}},
                    "host": {"name": f"web-{i % 8}"},
                },
            }

    began = time.monotonic()
    helpers.bulk(es, actions(), chunk_size=5000, refresh=True)
    return time.monotonic() - began


def metrics(url: str) -> tuple[float, float, list[tuple[float, float]]]:
    text = httpx.get(f"{url}/metrics", headers={"X-API-Key": KEY}, timeout=30).text
    ok = failed = 0.0
    buckets: list[tuple[float, float]] = []
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "grokpipe_api_rule_runs_total":
                if sample.labels["outcome"] == "ok":
                    ok = sample.value
                elif sample.labels["outcome"] == "failed":
                    failed = sample.value
            if sample.name == "grokpipe_api_rule_lateness_seconds_bucket":
                buckets.append((float(sample.labels["le"]), sample.value))
    return ok, failed, buckets


def quantile(buckets: list[tuple[float, float]], q: float) -> float:
    total = buckets[-1][1] if buckets else 0
    for upper, count in buckets:
        if total and count >= q * total:
            return upper
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50_000, help="1M is impractical on noida-db (see README)")
    parser.add_argument("--minutes", type=int, default=3, help="measured minutes (after one warm-up minute)")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, EmbeddedStack(Path(tmp) / "noida") as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=300)
        index_seconds = index_events(es, args.events)
        probe = {
            "bool": {
                "filter": [{"term": {"event.dataset": "app1"}}, {"range": {"http.response.status_code": {"gte": 500}}}]
            }
        }
        began = time.monotonic()
        for _ in range(5):
            es.search(
                index="logs-*",
                query=probe,
                size=5,
                aggs={"g": {"terms": {"field": "error.grouping_key", "size": 1000}}},
            )
        search_ms = (time.monotonic() - began) / 5 * 1000

        port = free_port()
        config = Path(tmp) / "api.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "elasticsearch": {"hosts": [stack.elasticsearch_url], "request_timeout": 120},
                    "http": {"listen": f"127.0.0.1:{port}"},
                    "auth": {"admin_keys": [KEY]},
                    "scheduler": {"workers": args.workers, "tick": 0.5, "rules_refresh": 5},
                    "log_level": "WARNING",
                }
            )
        )
        proc = subprocess.Popen([sys.executable, "-m", "grokpipe.cli", "api", "-c", str(config)])
        url = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            with httpx.Client(base_url=url, headers={"X-API-Key": KEY}, timeout=60) as client:
                for i in range(args.rules):
                    response = client.post(
                        "/rules",
                        json={
                            "name": f"bench {i:04d}",
                            "query": f"event.dataset:app{i % 50} AND http.response.status_code:>=500",
                            "schedule": {"interval": "1m"},
                            "window": "5m",
                            "group_by": ["error.grouping_key"],
                            "condition": {"type": "threshold", "count": 1000000},  # evaluates, never fires
                        },
                    )
                    response.raise_for_status()
            time.sleep(60 - datetime.now(UTC).second + 5)  # warm-up: first aligned minute
            ok0, failed0, _ = metrics(url)
            time.sleep(args.minutes * 60)
            ok1, failed1, buckets = metrics(url)
            rss = peak_rss_mb(proc.pid)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        es.close()

    print(
        f"\n{args.rules} threshold rules every minute over {args.events:,} events "
        f"(indexed in {index_seconds:.0f}s), {args.workers} workers, {args.minutes} measured minutes\n"
    )
    print(
        table(
            [
                "rules",
                "events",
                "evals/min",
                "target/min",
                "p50 lateness s",
                "p99 lateness s",
                "failed",
                "api peak RSS MiB",
                "one search ms",
            ],
            [
                [
                    args.rules,
                    args.events,
                    (ok1 - ok0) / args.minutes,
                    float(args.rules),
                    quantile(buckets, 0.5),
                    quantile(buckets, 0.99),
                    int(failed1 - failed0),
                    rss,
                    search_ms,
                ]
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
