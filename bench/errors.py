"""Error-group benchmark: how far the group store lags behind the indexer at a steady line rate.

Run with ``make bench BENCH=errors`` (or ``python bench/errors.py --rate 1000 --seconds 45``). A file
tailed by the shipper receives nginx FastCGI ``PHP Fatal error`` lines at ``--rate`` lines/s: 40
recurring errors, and a brand-new one (a new fingerprint) every ``--new-every`` seconds. For each new
error it records when the line was written, when a search of ``logs-*`` finds it (the indexer's lag)
and when its group document exists in ``grokpipe-error-groups`` (the group store's lag), for each
``errors.sync_interval`` in ``--intervals``; then it checks that every group's total (stored +
live) equals the number of its events in Elasticsearch. Each run has an embedded server of its own.
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import string
import sys
import tempfile
import threading
import time
from pathlib import Path

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

from elasticsearch import Elasticsearch  # noqa: E402

from grokpipe.api.config import ApiSettings  # noqa: E402
from grokpipe.api.services import Services  # noqa: E402
from grokpipe.embedded import EmbeddedStack, free_port  # noqa: E402
from grokpipe.indexer.config import IndexerSettings  # noqa: E402
from grokpipe.indexer.service import Indexer  # noqa: E402
from grokpipe.indexer.template import install_templates  # noqa: E402
from grokpipe.kafka_admin import ensure_topic  # noqa: E402
from grokpipe.settings import KafkaSettings  # noqa: E402
from grokpipe.shipper.config import ShipperSettings  # noqa: E402
from grokpipe.shipper.service import Shipper  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402

LINE = (
    '{ts} [error] 1234#0: *{n} FastCGI sent in stderr: "PHP message: PHP Fatal error:  Call to undefined function '
    '{fn}() in /home/wwwroot/api.example.com/app/{file}.php on line {line}" while reading response header from '
    'upstream, client: 10.0.{a}.{b}, server: api.example.com, request: "GET /v1/orders/{n} HTTP/1.1"'
)


def word(rng: random.Random) -> str:
    return "fn_" + "".join(rng.choices(string.ascii_lowercase, k=12))  # letters: kept by the title's masking


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run(interval: float, rate: int, seconds: float, new_every: float, workdir: Path) -> dict[str, object]:
    with EmbeddedStack(workdir / "noida") as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
        install_templates(es)
        topic = "bench-errors"
        ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic)
        log = workdir / "logs" / "error.log"
        log.parent.mkdir()
        log.touch()
        shipper = Shipper(
            ShipperSettings.load(
                None,
                data_dir=str(workdir / "shipper"),
                kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                http={"listen": f"127.0.0.1:{free_port()}"},
                inputs=[
                    {
                        "type": "file",
                        "paths": [str(log)],
                        "dataset": "nginx.error",
                        "scan_frequency": 0.2,
                        "multiline": {"preset": "php"},
                    }
                ],
            )
        )
        indexer = Indexer(
            IndexerSettings.load(
                None,
                namespace="bench",
                kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic, "group_id": "bench-errors"},
                elasticsearch={"hosts": [stack.elasticsearch_url]},
                http={"listen": f"127.0.0.1:{free_port()}"},
                batch={"max_wait": 0.5},
            )
        )
        api = Services.build(
            ApiSettings.model_validate(
                {
                    "elasticsearch": {"hosts": [stack.elasticsearch_url]},
                    "auth": {"admin_keys": ["bench"]},
                    "errors": {"sync_interval": interval},
                }
            )
        )
        indexer.start()
        shipper.start()
        api.group_sync.start()
        rng = random.Random(11)
        recurring = [(word(rng), f"C{i}", 10 + i) for i in range(40)]
        written: dict[str, float] = {}
        indexed: dict[str, float] = {}
        grouped: dict[str, float] = {}
        done = threading.Event()

        def poll() -> None:
            """Once a second, one search of the logs and one of the group store (noida-db rewrites its store
            on every refresh: polling harder slows what is measured)."""
            while not done.is_set() or len(grouped) < len(written):
                pending = [f for f in list(written) if f not in indexed]
                if pending:
                    hits = es.search(
                        index="logs-*",
                        query={"bool": {"should": [{"match_phrase": {"message": f}} for f in pending]}},
                        size=len(pending) * 2,
                        source_includes=["message"],
                        ignore_unavailable=True,
                    )["hits"]["hits"]
                    now = time.perf_counter()
                    for hit in hits:
                        for fn in pending:
                            if fn in hit["_source"]["message"]:
                                indexed.setdefault(fn, now)
                waiting = [f for f in list(written) if f in indexed and f not in grouped]
                if waiting:
                    groups, _ = api.groups.search(
                        {"query": {"bool": {"should": [{"match": {"title": f}} for f in waiting]}}, "size": 100}
                    )
                    now = time.perf_counter()
                    for group in groups:
                        for fn in waiting:
                            if fn in group.title:
                                grouped.setdefault(fn, now)
                if done.is_set() and time.perf_counter() > deadline:
                    return
                time.sleep(1.0)

        deadline = float("inf")
        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        start = time.perf_counter()
        total = int(rate * seconds)
        next_new = 0.0
        try:
            with log.open("a", buffering=1) as out:
                for i in range(total):
                    due = start + i / rate
                    while (now := time.perf_counter()) < due:
                        time.sleep(min(due - now, 0.005))
                    ts = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime())
                    if now - start >= next_new:
                        next_new += new_every
                        fn, file, line = word(rng), "New", 1000 + len(written)  # a new file:line, a new group
                        written[fn] = time.perf_counter()
                    else:
                        fn, file, line = rng.choice(recurring)
                    out.write(LINE.format(ts=ts, n=i, fn=fn, file=file, line=line, a=i % 250, b=i % 199) + "\n")
            done.set()
            deadline = time.perf_counter() + 600
            poller.join(610)
            # exactness once everything is in: totals (stored + live) against Elasticsearch's counts
            while (indexer_count := es.count(index="logs-*")["count"]) < total and time.perf_counter() < deadline:
                time.sleep(1)
            es.indices.refresh(index="logs-*")

            def exactness() -> str:
                page = api.errors.search(sort="count", limit=500)
                exact = all(
                    g.total == es.count(index="logs-*", query={"term": {"error.grouping_key": g.id}})["count"]
                    for g in page.items
                )
                return f"{exact} ({sum(g.total for g in page.items):,} of {indexer_count:,}, {page.total} groups)"

            api.group_sync.run_once()
            after_pass = exactness()
            api.group_sync.run_once(reconcile_now=True)
            after_reconcile = exactness()
        finally:
            done.set()
            api.close()
            shipper.stop()
            indexer.stop()
            es.close()
    index_lag = sorted(indexed[f] - written[f] for f in indexed)
    group_lag = sorted(grouped[f] - indexed[f] for f in grouped)
    return {
        "interval": interval,
        "new": f"{len(grouped)}/{len(written)}",
        "index_p50": percentile(index_lag, 0.5),
        "index_p99": percentile(index_lag, 0.99),
        "group_p50": percentile(group_lag, 0.5),
        "group_p99": percentile(group_lag, 0.99),
        "group_max": group_lag[-1] if group_lag else float("nan"),
        "exact": after_pass,
        "reconciled": after_reconcile,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=1_000, help="lines/s")
    parser.add_argument("--seconds", type=float, default=45.0)
    parser.add_argument("--new-every", type=float, default=2.0, help="seconds between brand-new errors")
    parser.add_argument("--intervals", type=float, nargs="+", default=[10.0, 2.0], help="errors.sync_interval values")
    args = parser.parse_args()
    rows: list[list[object]] = []
    for interval in args.intervals:
        print(f"{args.rate:,} lines/s for {args.seconds:.0f}s, errors.sync_interval={interval:g}s ...", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench-errors-") as tmp:
            r = run(interval, args.rate, args.seconds, args.new_every, Path(tmp))
        rows.append(
            [
                f"{interval:g} s",
                r["new"],
                r["index_p50"],
                r["index_p99"],
                r["group_p50"],
                r["group_p99"],
                r["group_max"],
                r["exact"],
                r["reconciled"],
            ]
        )
    print(
        table(
            [
                "sync_interval",
                "new groups seen",
                "written->indexed p50 s",
                "p99 s",
                "indexed->group p50 s",
                "p99 s",
                "max s",
                "totals exact after a pass",
                "after reconcile",
            ],
            rows,
        )
    )
    print(
        f"\n{args.rate:,} nginx FastCGI PHP-fatal lines/s through shipper -> Kafka -> indexer -> noida-db; "
        "the group store lags the indexer by 'indexed->group'."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
