"""Rules benchmark: N ``threshold`` rules every minute over M events; grokpipe (grouped, per rule) vs ElastAlert2.

Run with ``make bench BENCH=rules`` (or ``python bench/rules.py --rules 1000 --events 50000``).
One noida-db, one data set, in one run:

- grokpipe's rule scheduler in a process of its own (``--serve``), once per ``--modes`` entry:
  ``filters`` (the default: rules sharing index, time field and window in one search, a ``filters``
  bucket per distinct query), ``single`` (one search per rule) and, if asked, ``msearch``;
- ElastAlert2 2.19.0 in its own venv (made by this bench under ``.grokpipe/bench/elastalert-venv``)
  with the same rules as ``frequency`` rules (same filters, index, window, group key, threshold) and
  its writeback index made by ``elastalert-create-index``; its rate is counted from the
  ``elastalert_status`` documents it writes, one per rule run.

Prints one table: evaluations per minute achieved against the target, lateness (grokpipe: start and
end of an evaluation against its scheduled tick, histogram bucket bounds; ElastAlert2 has no ticks,
so its column shows the spread of its runs' own durations), failures, CPU seconds per minute of the
evaluating process and of the server, peak RSS. The data spans the hour before the run and the run
itself, so every mode's windows hold events. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# With bench/ on sys.path, "import indexer" would find bench/indexer.py: import the packages without
# bench/ on the path, then its helpers.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import yaml  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402

from grokpipe.api.config import ApiSettings  # noqa: E402
from grokpipe.api.kernel.lease import Claim  # noqa: E402
from grokpipe.api.rules.conditions import Evaluation  # noqa: E402
from grokpipe.api.rules.runner import RuleRunner, RunResult  # noqa: E402
from grokpipe.api.rules.schemas import Rule, RuleCreate  # noqa: E402
from grokpipe.api.rules.state import RuleState  # noqa: E402
from grokpipe.api.rules.store import RuleStore, ensure_indices  # noqa: E402
from grokpipe.api.services import Services  # noqa: E402
from grokpipe.embedded import EmbeddedStack  # noqa: E402

sys.path.append(_BENCH)
from procstats import cpu_seconds, peak_rss_mb, table  # noqa: E402

KEY = "bench-admin-key"
ROOT = Path(__file__).resolve().parent.parent
EA_VENV = ROOT / ".grokpipe" / "bench" / "elastalert-venv"
EA_PACKAGES = ["elastalert2==2.19.0", "pytz"]  # 2.19.0 imports pytz without declaring it
DATASETS = 50
THRESHOLD = 1_000_000  # evaluates, never fires
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


def rule_query(i: int) -> str:
    return f"event.dataset:app{i % DATASETS} AND http.response.status_code:>=500"


def rule_filter(i: int) -> list[dict[str, Any]]:
    """ElastAlert2's filter for rule ``i``: the DSL grokpipe compiles :func:`rule_query` to."""
    return [
        {"term": {"event.dataset": f"app{i % DATASETS}"}},
        {"range": {"http.response.status_code": {"gte": 500}}},
    ]


def index_events(es: Elasticsearch, count: int, ahead: timedelta) -> float:
    """``count`` events spread over the hour before now and ``ahead`` after it."""
    rng = random.Random(7)
    now = datetime.now(UTC)
    span = 3600 + ahead.total_seconds()
    es.indices.create(index="logs-bench-default", mappings=MAPPING)

    def actions() -> Iterator[dict[str, Any]]:
        for i in range(count):
            yield {
                "_index": "logs-bench-default",
                "_source": {
                    "@timestamp": (now - timedelta(seconds=3600 - rng.uniform(0, span))).isoformat(),
                    "message": f"request {i} failed",
                    "event": {"dataset": f"app{i % DATASETS}"},
                    "error": {"grouping_key": f"k{rng.randint(0, 99)}"},
                    "http": {"response": {"status_code": rng.choice((200, 200, 200, 404, 500, 503))}},
                    "host": {"name": f"web-{i % 8}"},
                },
            }

    began = time.monotonic()
    helpers.bulk(es, actions(), chunk_size=5000, refresh=True)
    return time.monotonic() - began


class EvaluationLog:
    """Bench instrumentation in the ``--serve`` process: one JSON line per evaluation that reached the
    search (rule, tick, seconds from tick to claim and to end, outcome), so lateness is exact and
    evaluations are counted by the tick they were due for."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", buffering=1)
        self._claimed: dict[tuple[str, datetime], float] = {}
        self._lock = threading.Lock()

    def instrument(self, runner: RuleRunner) -> None:
        claim, finish, fail = runner.claim, runner.finish, runner.fail

        def claimed(job: Rule, tick: datetime) -> Claim[RuleState] | None:
            got = claim(job, tick)
            if got is not None:
                with self._lock:
                    self._claimed[(job.id, tick)] = _late(tick)
            return got

        def finished(
            rule: Rule, got: Claim[RuleState], evaluation: Evaluation, began: float | None = None
        ) -> RunResult:
            try:
                return finish(rule, got, evaluation, began)
            finally:
                self._write(rule.id, got.tick, "ok")

        def failed(rule: Rule, got: Claim[RuleState], error: BaseException) -> None:
            fail(rule, got, error)
            self._write(rule.id, got.tick, "failed")

        runner.claim = claimed  # type: ignore[method-assign]  # bench instrumentation only
        runner.finish = finished  # type: ignore[method-assign,assignment]
        runner.fail = failed  # type: ignore[method-assign,assignment]

    def _write(self, rule_id: str, tick: datetime, outcome: str) -> None:
        done = _late(tick)
        with self._lock:
            start = self._claimed.pop((rule_id, tick), float("nan"))
            self._file.write(
                json.dumps(
                    {"tick": tick.isoformat(), "at": time.time(), "start": start, "done": done, "outcome": outcome}
                )
                + "\n"
            )

    def close(self) -> None:
        self._file.close()


def _late(tick: datetime) -> float:
    return max(0.0, (datetime.now(UTC) - tick).total_seconds())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def serve(config: Path, log_path: Path) -> int:
    """The api's rule scheduler alone (no HTTP routes), each evaluation logged to ``log_path``."""
    settings = ApiSettings.model_validate(yaml.safe_load(config.read_text()))
    services = Services.build(settings)
    log = EvaluationLog(log_path)
    log.instrument(services.runner)
    stop = False

    def on_term(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    services.scheduler.start()
    while not stop:
        time.sleep(0.2)
    services.close()
    log.close()
    return 0


def create_rules(es: Elasticsearch, settings: ApiSettings, count: int) -> None:
    ensure_indices(es, settings.indices)
    store = RuleStore(es, settings.indices.rules)
    for i in range(count):
        store.create(
            RuleCreate.model_validate(
                {
                    "name": f"bench {i:04d}",
                    "query": rule_query(i),
                    "schedule": {"interval": "1m"},
                    "window": "5m",
                    "group_by": ["error.grouping_key"],
                    "condition": {"type": "threshold", "count": THRESHOLD},
                }
            )
        )
    es.indices.refresh(index=settings.indices.rules)


def warm_up(log_path: Path, rules: int, timeout: float) -> None:
    """Until the first due tick's evaluations ended (the first run validates every query), at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if log_path.exists() and sum(1 for _ in log_path.open()) >= rules:
            return
        time.sleep(1)


def next_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


def sleep_until(moment: datetime) -> None:
    time.sleep(max(0.0, (moment - datetime.now(UTC)).total_seconds()))


def stop_process(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:  # a search still waiting on an overloaded server
        proc.kill()
        proc.wait()


def measure(stack: EmbeddedStack, es: Elasticsearch, tmp: Path, args: argparse.Namespace, mode: str) -> list[object]:
    """One grokpipe mode: fresh rule, state and alert indices, the same rules, a scheduler process of its own.

    The first due tick is a warm-up (until its evaluations ended, at most ``--warm-up`` seconds); then
    ``--minutes`` whole minutes are measured: evaluations that ended in them (whatever their tick),
    and, as "on time", evaluations due at those minutes' ticks that ended within 60 s of the tick.
    """
    settings = {
        "elasticsearch": {"hosts": [stack.elasticsearch_url], "request_timeout": 300},
        "auth": {"admin_keys": [KEY]},
        "indices": {name: f"grokpipe-{name}-{mode}" for name in ("rules", "alerts", "state", "digests")},
        "scheduler": {
            "workers": args.workers,
            "tick": 0.5,
            "rules_refresh": 5,
            "rule_grouping": mode,
            "rule_batch": args.batch,
        },
        "log_level": "WARNING",
    }
    create_rules(es, ApiSettings.model_validate(settings), args.rules)
    config = tmp / f"api-{mode}.yml"
    config.write_text(yaml.safe_dump(settings))
    log_path = tmp / f"evaluations-{mode}.jsonl"
    proc = subprocess.Popen([sys.executable, __file__, "--serve", str(config), "--log", str(log_path)])
    try:
        warm_up(log_path, args.rules, timeout=args.warm_up)
        first = next_minute(datetime.now(UTC) + timedelta(seconds=10))
        ticks = {(first + timedelta(minutes=i)).isoformat() for i in range(args.minutes)}
        sleep_until(first - timedelta(seconds=1))
        cpu0, server0 = cpu_seconds(proc.pid), server_cpu(stack)
        sleep_until(first + timedelta(minutes=args.minutes))
        cpu1, server1 = cpu_seconds(proc.pid), server_cpu(stack)
        sleep_until(first + timedelta(minutes=args.minutes, seconds=5))  # the last measured tick: up to 65 s
        rss = peak_rss_mb(proc.pid)
    finally:
        stop_process(proc)
    rows = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    since, until = first.timestamp(), (first + timedelta(minutes=args.minutes)).timestamp()
    ended = [r for r in rows if since <= r["at"] < until]  # whatever tick they were due for
    ok = [r for r in ended if r["outcome"] == "ok"]
    due = [r for r in rows if r["tick"] in ticks and r["outcome"] == "ok"]
    on_time = sum(1 for r in due if r["done"] < 60)
    start = [r["start"] for r in ok]
    done = [r["done"] for r in ok]
    print(f"{mode}: {len(rows)} evaluations logged, {len(ok)} ended in the measured minutes", flush=True)
    label = {
        "filters": "grokpipe, grouped (filters)",
        "single": "grokpipe, one search a rule",
        "msearch": f"grokpipe, _msearch of {args.batch}",
    }[mode]
    row: list[object] = [
        label,
        len(ok) / args.minutes,
        on_time / args.minutes,
        float(args.rules),
        f"{percentile(start, 0.5):.1f} / {percentile(start, 0.99):.1f}",
        f"{percentile(done, 0.5):.1f} / {percentile(done, 0.99):.1f}",
        len(ended) - len(ok),
        (cpu1 - cpu0) / args.minutes,
        (server1 - server0) / args.minutes,
        rss,
    ]
    print("measured:", row, flush=True)
    return row


def server_cpu(stack: EmbeddedStack) -> float:
    proc = stack._proc  # the bench reads the server's CPU time; the stack has no public pid
    return cpu_seconds(proc.pid) if proc is not None else float("nan")


def elastalert_venv() -> Path:
    """ElastAlert2's own venv (its pins clash with ours), made once and reused."""
    marker = EA_VENV / ".installed"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(EA_VENV)], check=True)
        subprocess.run([str(EA_VENV / "bin" / "pip"), "install", "-q", *EA_PACKAGES], check=True)
        marker.write_text(" ".join(EA_PACKAGES) + "\n")
    return EA_VENV


def elastalert_rules(folder: Path, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        rule = {
            "name": f"bench {i:04d}",
            "type": "frequency",
            "index": "logs-*",
            "timestamp_field": "@timestamp",
            "filter": rule_filter(i),
            "query_key": "error.grouping_key",
            "num_events": THRESHOLD,
            "timeframe": {"minutes": 5},
            "alert": ["debug"],
        }
        (folder / f"bench-{i:04d}.yaml").write_text(yaml.safe_dump(rule))


def elastalert_runs(es: Elasticsearch, since: datetime, until: datetime) -> tuple[int, list[float]]:
    """Rule runs ElastAlert2 recorded in ``elastalert_status`` between the two moments, and their durations."""
    es.indices.refresh(index="elastalert_status")
    window = {"range": {"@timestamp": {"gte": since.isoformat(), "lt": until.isoformat()}}}
    count = int(es.count(index="elastalert_status", query=window)["count"])
    taken = [
        float(hit["_source"].get("time_taken", 0))
        for hit in helpers.scan(es, index="elastalert_status", query={"query": window}, _source=["time_taken"])
    ]
    return count, sorted(taken)


def measure_elastalert(stack: EmbeddedStack, es: Elasticsearch, tmp: Path, args: argparse.Namespace) -> list[object]:
    venv = elastalert_venv()
    host, port = stack.elasticsearch_url.removeprefix("http://").rsplit(":", 1)
    folder = tmp / "elastalert-rules"
    elastalert_rules(folder, args.rules)
    config = tmp / "elastalert.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "rules_folder": str(folder),
                "run_every": {"minutes": 1},
                "buffer_time": {"minutes": 5},
                "es_host": host,
                "es_port": int(port),
                "writeback_index": "elastalert",
                "alert_time_limit": {"days": 1},
                "old_query_limit": {"weeks": 1},
                "max_threads": args.workers,
                "es_conn_timeout": 300,
            }
        )
    )
    subprocess.run(
        [str(venv / "bin" / "elastalert-create-index"), "--config", str(config)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    log = (tmp / "elastalert.log").open("wb")
    proc = subprocess.Popen(
        [str(venv / "bin" / "elastalert"), "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        # It starts every rule within 15 s of starting, then runs each every minute (±5 s jitter).
        since = next_minute(datetime.now(UTC) + timedelta(seconds=20)) + timedelta(minutes=1)
        until = since + timedelta(minutes=args.minutes)
        sleep_until(since)
        cpu0, server0 = cpu_seconds(proc.pid), server_cpu(stack)
        sleep_until(until)
        cpu1, server1 = cpu_seconds(proc.pid), server_cpu(stack)
        rss = peak_rss_mb(proc.pid)
    finally:
        stop_process(proc)
        log.close()
    runs, taken = elastalert_runs(es, since, until)
    errors = int(es.count(index="elastalert_error")["count"]) if es.indices.exists(index="elastalert_error") else 0

    def pick(q: float) -> str:
        return f"{taken[min(len(taken) - 1, int(q * len(taken)))]:.1f}" if taken else "nan"

    row: list[object] = [
        "ElastAlert2 2.19.0 (frequency)",
        runs / args.minutes,
        "n/a",
        float(args.rules),
        "n/a (no ticks)",
        f"run {pick(0.5)} / {pick(0.99)}",
        errors,
        (cpu1 - cpu0) / args.minutes,
        (server1 - server0) / args.minutes,
        rss,
    ]
    print("measured:", row, flush=True)
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--events", type=int, default=50_000, help="1M is impractical on noida-db (see README)")
    parser.add_argument("--minutes", type=int, default=3, help="measured minutes per mode (after a warm-up minute)")
    parser.add_argument("--workers", type=int, default=16, help="scheduler workers; ElastAlert2's max_threads")
    parser.add_argument("--batch", type=int, default=100, help="scheduler.rule_batch: distinct queries a search")
    parser.add_argument(
        "--modes", default="filters,single,elastalert", help="comma list: filters,single,msearch,elastalert"
    )
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", type=float, default=180, help="at most this many seconds for the first tick")
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve(args.serve, args.log)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = sorted(set(modes) - {"filters", "single", "msearch", "elastalert"})
    if unknown:
        parser.error(f"unknown modes: {', '.join(unknown)}")
    if "elastalert" in modes:
        elastalert_venv()  # before the clock starts: the first run installs it

    ahead = timedelta(minutes=len(modes) * (args.minutes + 6) + 5)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedStack(Path(tmp) / "noida") as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=300)
        index_seconds = index_events(es, args.events, ahead)
        rows = [
            measure_elastalert(stack, es, Path(tmp), args)
            if mode == "elastalert"
            else measure(stack, es, Path(tmp), args, mode)
            for mode in modes
        ]
        es.close()
    load = Path("/proc/loadavg").read_text().split()[:3]
    print(
        f"\n{args.rules} threshold rules ({DATASETS} distinct queries, grouped by error.grouping_key, 5m window) "
        f"every minute over {args.events:,} events (indexed in {index_seconds:.0f}s) on noida-db; {args.workers} "
        f"workers / max_threads; {args.minutes} measured minutes a mode; load average {' '.join(load)} "
        f"on {os.cpu_count()} cores\n"
    )
    print(
        table(
            [
                "evaluator",
                "evals/min",
                "on time/min",
                "target/min",
                "start late p50/p99 s",
                "done late p50/p99 s",
                "failed",
                "CPU s/min",
                "server CPU s/min",
                "peak RSS MiB",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
