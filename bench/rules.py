"""Rules benchmark: N ``threshold`` rules every minute over M indexed events, batched vs one search per rule.

Run with ``make bench BENCH=rules`` (or ``python bench/rules.py --rules 1000 --events 50000``).
In one run, on the same server and data, the same rules are evaluated by the api's rule scheduler
in a process of its own (``--serve``), once with due rules batched into one ``_msearch`` each
(``--batch``, the api's default) and once with one search per rule. Prints one table: evaluations
per minute achieved, p50/p99 lateness of evaluation starts against their scheduled tick (from the
scheduler's own histogram, so values are bucket upper bounds), failures, and the process's peak RSS;
plus the server's own latency for one rule's search, for context. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
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

# With bench/ on sys.path, "import indexer" (api.services imports it) would find bench/indexer.py:
# import the packages without bench/ on the path, then its helpers.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import httpx  # noqa: E402
import yaml  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402
from prometheus_client import start_http_server  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from grokpipe.api.config import ApiSettings  # noqa: E402
from grokpipe.api.rules.batch import DEFAULT_SIZE  # noqa: E402
from grokpipe.api.rules.schemas import RuleCreate  # noqa: E402
from grokpipe.api.services import Services  # noqa: E402
from grokpipe.api.store import RuleStore, ensure_indices  # noqa: E402
from grokpipe.embedded import EmbeddedStack, free_port  # noqa: E402

sys.path.append(_BENCH)
from procstats import peak_rss_mb, table  # noqa: E402

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
    text = httpx.get(f"{url}/metrics", timeout=30).text
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


def serve(config: Path, batch: int, metrics_port: int) -> int:
    """The api's rule scheduler alone (no HTTP routes), with its metrics on ``metrics_port``."""
    settings = ApiSettings.model_validate(yaml.safe_load(config.read_text()))
    services = Services.build(settings, rule_batch=batch)
    stop = False

    def on_term(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    start_http_server(metrics_port, addr="127.0.0.1")
    services.scheduler.start()
    while not stop:
        time.sleep(0.2)
    services.close()
    return 0


def create_rules(es: Elasticsearch, settings: ApiSettings, count: int) -> None:
    ensure_indices(es, settings.indices)
    store = RuleStore(es, settings.indices.rules)
    for i in range(count):
        store.create(
            RuleCreate.model_validate(
                {
                    "name": f"bench {i:04d}",
                    "query": f"event.dataset:app{i % 50} AND http.response.status_code:>=500",
                    "schedule": {"interval": "1m"},
                    "window": "5m",
                    "group_by": ["error.grouping_key"],
                    "condition": {"type": "threshold", "count": 1000000},  # evaluates, never fires
                }
            )
        )
    es.indices.refresh(index=settings.indices.rules)


def measure(stack: EmbeddedStack, es: Elasticsearch, tmp: Path, args: argparse.Namespace, batch: int) -> list[object]:
    """One mode: fresh rule, state and alert indices, the same rules, a scheduler process of its own."""
    suffix = f"b{batch}"
    settings = {
        "elasticsearch": {"hosts": [stack.elasticsearch_url], "request_timeout": 300},
        "auth": {"admin_keys": [KEY]},
        "indices": {name: f"grokpipe-{name}-{suffix}" for name in ("rules", "alerts", "state", "digests")},
        "scheduler": {"workers": args.workers, "tick": 0.5, "rules_refresh": 5},
        "log_level": "WARNING",
    }
    create_rules(es, ApiSettings.model_validate(settings), args.rules)
    config = tmp / f"api-{suffix}.yml"
    config.write_text(yaml.safe_dump(settings))
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(config), "--batch", str(batch), "--metrics-port", str(port)]
    proc = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                httpx.get(f"{url}/metrics").raise_for_status()
                break
            except httpx.TransportError:
                time.sleep(0.3)
        time.sleep(60 - datetime.now(UTC).second + 5)  # warm-up: first aligned minute
        ok0, failed0, buckets0 = metrics(url)
        time.sleep(args.minutes * 60)
        ok1, failed1, buckets1 = metrics(url)
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a batch still waiting on an overloaded server
            proc.kill()
            proc.wait()
    buckets = [(le, n - n0) for (le, n), (_, n0) in zip(buckets1, buckets0, strict=True)]
    mode = f"_msearch, {batch} rules a batch" if batch > 1 else "one search per rule"
    row: list[object] = [
        mode,
        (ok1 - ok0) / args.minutes,
        float(args.rules),
        quantile(buckets, 0.5),
        quantile(buckets, 0.99),
        int(failed1 - failed0),
        rss,
    ]
    print("measured:", row, flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50_000, help="1M is impractical on noida-db (see README)")
    parser.add_argument("--minutes", type=int, default=3, help="measured minutes per mode (after a warm-up minute)")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--batch", type=int, default=DEFAULT_SIZE, help="rules per _msearch in the batched mode")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--metrics-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.batch, args.metrics_port)

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
        rows = [measure(stack, es, Path(tmp), args, batch) for batch in (args.batch, 1)]
        es.close()

    print(
        f"\n{args.rules} threshold rules every minute over {args.events:,} events "
        f"(indexed in {index_seconds:.0f}s), {args.workers} workers, {args.minutes} measured minutes a mode, "
        f"one search {search_ms:.0f} ms\n"
    )
    print(
        table(
            ["mode", "evals/min", "target/min", "p50 lateness s", "p99 lateness s", "failed", "peak RSS MiB"],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
