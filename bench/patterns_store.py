"""Pattern-store benchmark: how far the store lags behind Elasticsearch under distinct-heavy input.

Run with ``make bench BENCH=patterns_store`` (or ``python bench/patterns_store.py --rate 5000 --seconds 180``).
Events carrying ``log.pattern.key``/``log.pattern.template`` (as the indexer writes them) are bulk-written
into an embedded server at ``--rate`` events/s for ``--seconds`` (when the server cannot take ``--rate``, the
table says what it took), stamped ``event.ingested`` at the write: 80% from ``--templates`` recurring
templates (distinct first words: none merge), 20% with a random token: 8% a random session id (merges into one
pattern), 8% a random 20-letter token (merges), 4% a random first word (never merges: a new pattern each,
until ``patterns.max_patterns``, then the overflow pattern). One api runs the pattern sync every
``patterns.sync_interval`` under its lease. Once a second a poller takes the events written since its last
look (a sample of at most 50) and records, for each, when its key is in a pattern in the store (from then on
``GET /patterns`` counts it): lag = that moment - ``event.ingested`` (a key past ``max_keys_per_pattern`` or
in the overflow pattern counts as placed, in its pattern's total, and is reported as unlisted: its events are
in no window count). At the end it checks each of the top patterns' totals against Elasticsearch's counts. The
sync thread's own CPU time (``time.thread_time``: the api's work, parsing responses included, not the time it
waits on the server) gives the events one api places per CPU second, whatever the server takes. Not a test:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import string
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

from elasticsearch import Elasticsearch, helpers  # noqa: E402

from grokpipe.api.config import ApiSettings  # noqa: E402
from grokpipe.api.services import Services  # noqa: E402
from grokpipe.embedded import EmbeddedStack  # noqa: E402
from grokpipe.fieldnames import LOG_PATTERN_KEY, LOG_PATTERN_TEMPLATE  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402

INDEX = "logs-bench-patterns"
MAPPING: dict[str, Any] = {
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "event": {"properties": {"id": {"type": "keyword"}, "ingested": {"type": "date"}}},
        "log": {
            "properties": {
                "level": {"type": "keyword"},
                "pattern": {"properties": {"key": {"type": "keyword"}, "template": {"type": "keyword"}}},
            }
        },
        "host": {"properties": {"name": {"type": "keyword"}}},
    }
}


def key_of(template: str) -> str:
    return hashlib.sha1(template.encode()).hexdigest()[:12]


def letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_lowercase, k=n))


def template(rng: random.Random, recurring: list[str]) -> str:
    roll = rng.random()
    if roll < 0.08:
        return f"session {letters(rng, 10)} opened for user <*>"
    if roll < 0.16:
        return f"token {letters(rng, 20)} rejected by gateway <ip>"
    if roll < 0.20:
        return f"{letters(rng, 8)} unexpected frame on channel <num>"
    return rng.choice(recurring)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def run(args: argparse.Namespace, workdir: Path) -> list[object]:
    with EmbeddedStack(workdir / "noida") as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
        es.indices.create(index=INDEX, mappings=MAPPING)
        api = Services.build(
            ApiSettings.model_validate(
                {
                    # the final all-time checks scan every event on the embedded server (minutes past 150,000)
                    "elasticsearch": {"hosts": [stack.elasticsearch_url], "request_timeout": 300},
                    "auth": {"admin_keys": ["bench"]},
                    "patterns": {"index": INDEX, "sync_interval": args.interval, "max_patterns": args.max_patterns},
                }
            )
        )
        rng = random.Random(7)
        recurring = [f"op{i} {letters(rng, 6)} finished step <num> in <num> ms" for i in range(args.templates)]
        written: list[tuple[str, float]] = []  # (key, ingested as a Unix time)
        lock = threading.Lock()
        placed: list[float] = []
        unplaced: list[int] = []
        unlisted: list[str] = []  # sampled events still in no pattern when the poller gave up
        passes: list[float] = []
        sync_cpu: list[float] = []  # the sync thread's own CPU time per pass (the api's cost, without the server's)
        done = threading.Event()  # no more writes
        polled = threading.Event()  # every sampled event placed (or the poller gave up)

        def sync() -> None:
            while not polled.is_set():
                started, cpu = time.perf_counter(), time.thread_time()
                result = api.pattern_sync.tick()
                if result is not None:
                    passes.append(time.perf_counter() - started)
                    sync_cpu.append(time.thread_time() - cpu)
                    print(
                        f"{time.perf_counter() - start:6.0f}s written {len(written):,} pass {passes[-1]:.1f}s "
                        f"keys {result.keys:,} created {len(result.created):,} placed samples {len(placed):,}"
                        + (f" p50 {percentile(sorted(placed), 0.5):.1f}s" if placed else ""),
                        file=sys.stderr,
                        flush=True,
                    )
                polled.wait(max(0.0, args.interval - (time.perf_counter() - started)))

        def poll() -> None:
            pending: list[tuple[str, float]] = []
            seen = 0
            while not done.is_set() or pending:
                with lock:
                    new = written[seen:]
                    seen = len(written)
                pending.extend(random.Random(seen).sample(new, min(50, len(new))))
                if pending:
                    owners = api.pattern_store.owners(sorted({k for k, _ in pending}))
                    memory = api.pattern_sync.index.owners  # keys placed but listed in no stored pattern
                    now = time.time()
                    still: list[tuple[str, float]] = []
                    for k, t in pending:
                        if k in owners or memory.get(k) is not None:
                            placed.append(now - t)
                            if k not in owners:  # overflow, or past max_keys_per_pattern: in a total only
                                unlisted.append(k)
                        else:
                            still.append((k, t))
                    pending = still
                if done.is_set() and time.perf_counter() > deadline:
                    break
                time.sleep(1.0)
            unplaced.append(len(pending))
            polled.set()

        deadline = float("inf")
        start = time.perf_counter()
        threads = [threading.Thread(target=sync, daemon=True), threading.Thread(target=poll, daemon=True)]
        for thread in threads:
            thread.start()
        start = time.perf_counter()
        sent = 0
        behind = 0.0
        try:
            second = 0
            while time.perf_counter() - start < args.seconds:  # a bulk request every 0.2 s, for --seconds
                due = start + second / 5
                second += 1
                while (now := time.perf_counter()) < due:
                    time.sleep(min(due - now, 0.01))
                behind = max(behind, now - due)
                batch = args.rate // 5
                at = datetime.now(UTC)
                stamp = at.isoformat(timespec="milliseconds")
                actions: list[dict[str, Any]] = []
                keys: list[str] = []
                for _ in range(batch):
                    text = template(rng, recurring)
                    key = key_of(text)
                    keys.append(key)
                    eid = uuid.uuid4().hex
                    actions.append(
                        {
                            "_index": INDEX,
                            "_id": eid,
                            "_source": {
                                "@timestamp": stamp,
                                "message": text,
                                "event": {"id": eid, "ingested": stamp},
                                "log": {"level": "info", "pattern": {"key": key, "template": text}},
                                "host": {"name": f"node-{rng.randrange(30)}"},
                            },
                        }
                    )
                helpers.bulk(es, actions, chunk_size=batch)
                sent += batch
                with lock:
                    written.extend((k, at.timestamp()) for k in keys)
            elapsed = time.perf_counter() - start
            done.set()
            deadline = time.perf_counter() + 120
            for thread in threads:
                thread.join(310)
            es.indices.refresh(index=INDEX)
            api.pattern_sync.run_once()
            page = api.patterns.search(sort="count", limit=20, since=datetime(1970, 1, 1, tzinfo=UTC))
            # patterns whose keys are all listed (not the flood's, past max_keys_per_pattern, nor the overflow)
            listed = [api.pattern_store.get(p.id) for p in page.items]
            listed = [p for p in listed if not p.keys_dropped and p.id != "overflow"]
            totals = api.patterns.totals(listed)
            checks = [
                totals[p.id] == es.count(index=INDEX, query={"terms": {LOG_PATTERN_KEY: p.keys}})["count"]
                for p in listed
            ]
            exact = f"{sum(checks)} of {len(checks)}"
            stored = api.pattern_store.count()
            overflow = api.pattern_store.many(["overflow"]).get("overflow")
            distinct = es.search(index=INDEX, size=0, aggs={"k": {"cardinality": {"field": LOG_PATTERN_TEMPLATE}}}).get(
                "aggregations", {}
            )
        finally:
            done.set()
            polled.set()
            api.close()
            es.close()
    lags = sorted(placed)
    durations = sorted(passes)
    return [
        f"{sent / elapsed:,.0f}",
        f"{sent:,}",
        (distinct.get("k") or {}).get("value", "?"),
        stored,
        overflow.pattern.count if overflow else 0,
        f"{len(lags):,} ({len(unlisted):,} unlisted, {sum(unplaced)} not)",
        percentile(lags, 0.5),
        percentile(lags, 0.99),
        lags[-1] if lags else float("nan"),
        percentile(durations, 0.5),
        durations[-1] if durations else float("nan"),
        exact,
        f"{sum(sync_cpu):.1f}",
        f"{sent / sum(sync_cpu):,.0f}" if sum(sync_cpu) else "-",
        f"{behind:.1f}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=int, default=5_000, help="events/s")
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--interval", type=float, default=5.0, help="patterns.sync_interval")
    parser.add_argument("--templates", type=int, default=2_000, help="recurring templates")
    parser.add_argument("--max-patterns", type=int, default=20_000, help="patterns.max_patterns")
    args = parser.parse_args()
    print(f"{args.rate:,} events/s for {args.seconds:.0f}s, sync_interval={args.interval:g}s ...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-patterns-") as tmp:
        row = run(args, Path(tmp))
    print(
        table(
            [
                "events/s written",
                "events",
                "distinct keys",
                "patterns stored",
                "overflow events",
                "sampled placed",
                "ingested->in pattern p50 s",
                "p99 s",
                "max s",
                "pass p50 s",
                "pass max s",
                "top-20 totals exact (all keys listed)",
                "sync CPU s",
                "events per sync CPU s",
                "writer behind max s",
            ],
            [row],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
