"""Indexer benchmark, one run on one topic: (a) the parse stage, in the consumer's own interpreter and
in ``workers`` parse processes, (b) bulk of pre-built documents, (c) the whole indexer with one and
with ``workers`` processes, and the peer: syslog-ng's ``apache-accesslog-parser()`` parsing the same
lines into JSON in a file. Then the end-to-end latency (line written -> searchable) with shipper
and indexer at a steady 500 lines/s.

``make bench BENCH=indexer`` or ``python bench/indexer.py [--events N] [--workers N]``; prints
events/s and events per CPU-second (the steadier figure on a busy machine) for each row, the ratios
c / min(a, b) (target >= 0.9) and ours / syslog-ng, and the load average. Not a test: nothing here
asserts a time.

``--stage a`` runs the parse stage alone, in memory, without servers (``--profile`` adds cProfile's
top 25; ``--json-lines`` adds the same requests as gunicorn JSON access lines); ``--stage e2e`` runs
the latency run alone.

The issue asks for 1M events; noida-db keeps every Kafka record and document as JSON on disk (~1.6 KB
per small message), so the default is 100k and ``--events 1000000`` is there for a real cluster.

noida-db rewrites its whole document store on every bulk request and every refresh, so a bulk costs
more the more the server holds, and polling it slows what is measured: (b) and each (c) start from
an empty Elasticsearch of their own, (c) is timed from the indexer's own counter of indexed events
(one count at the end confirms it), and the latency run polls on its own server too.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

# This file is bench/indexer.py: with bench/ first on sys.path, "import indexer" would find this
# script instead of the package: import the packages without bench/ on the path, then its helpers.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import orjson  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from elasticsearch import Elasticsearch  # noqa: E402

from grokpipe.embedded import EmbeddedStack, free_port  # noqa: E402
from grokpipe.indexer.bulk import BulkWriter  # noqa: E402
from grokpipe.indexer.config import IndexerSettings, RetrySettings, ScrubSettings  # noqa: E402
from grokpipe.indexer.documents import Document, build  # noqa: E402
from grokpipe.indexer.metrics import IndexerMetrics  # noqa: E402
from grokpipe.indexer.pipeline import Router  # noqa: E402
from grokpipe.indexer.scrub import Scrubber  # noqa: E402
from grokpipe.indexer.service import Indexer  # noqa: E402
from grokpipe.indexer.template import install_templates  # noqa: E402
from grokpipe.indexer.workers import CHUNK, ParsePool, Record  # noqa: E402
from grokpipe.kafka_admin import ensure_topic  # noqa: E402
from grokpipe.settings import KafkaSettings  # noqa: E402
from grokpipe.shipper.config import ShipperSettings  # noqa: E402
from grokpipe.shipper.service import Shipper  # noqa: E402

sys.path.append(_BENCH)
from procstats import children, cpu_seconds, table  # noqa: E402

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


def json_access_line(rng: random.Random, i: int) -> str:
    """The same request as :func:`access_line`, as gunicorn's JSON access log (docs/docker.md) writes it."""
    ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    url = rng.choice(PATHS).format(rng.randint(1, 99999))
    path, _, query = url.partition("?")
    minute, second = divmod(i // 100 % 3600, 60)
    return orjson.dumps(
        {
            "request_address": ip,
            "request_time": f"[22/Nov/2026:10:{minute:02d}:{second:02d} +0000]",
            "request": f"GET {url} HTTP/1.1",
            "http_status_code": str(rng.choice((200, 200, 200, 301, 404, 500))),
            "http_request_url": path,
            "http_query_string": query,
            "request_headers": {"content-type": "-", "content-length": "-", "user-agent": rng.choice(AGENTS)},
        }
    ).decode()


def shipped_json_event(rng: random.Random, i: int) -> bytes:
    """:func:`shipped_event` for a gunicorn JSON access line (dataset gunicorn.access)."""
    event = orjson.loads(shipped_event(rng, i))
    event["message"] = json_access_line(rng, i)
    event["event"]["dataset"] = "gunicorn.access"
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


def count(es: Elasticsearch, index: str) -> int:
    es.indices.refresh(index=index, ignore_unavailable=True, allow_no_indices=True)
    return int(es.count(index=index, ignore_unavailable=True, allow_no_indices=True)["count"])


def settings(stack: EmbeddedStack, topic: str, ns: str, workers: int = 1) -> IndexerSettings:
    return IndexerSettings.load(
        None,
        namespace=ns,
        workers=workers,
        kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic, "group_id": f"bench-{ns}"},
        elasticsearch={"hosts": [stack.elasticsearch_url], "request_timeout": 120},
        http={"listen": f"127.0.0.1:{free_port()}"},
    )


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def stage_grok(
    records: list[tuple[bytes, int, int]], topic: str, scrubber: Scrubber | None = None
) -> tuple[float, list[Document]]:
    router = Router.load()
    start = time.perf_counter()
    docs = [build(raw, topic, p, o, router=router, namespace="bulkonly", scrubber=scrubber) for raw, p, o in records]
    return time.perf_counter() - start, docs


def stage_pool(records: list[tuple[bytes, int, int]], topic: str, workers: int) -> tuple[float, float]:
    """(a) in ``workers`` parse processes, as the consumer hands them records (tasks of CHUNK):
    (wall seconds, CPU seconds of this process and the workers). Includes encoding each document to
    JSON, which the in-process row leaves to the bulk writer."""
    pool = ParsePool(IndexerSettings.load(None, workers=workers, namespace="bulkonly"))
    tasks: list[Record] = [(raw, topic, p, o) for raw, p, o in records]
    try:
        pool.start()
        for future in [pool.submit(tasks[:CHUNK]) for _ in range(2 * workers)]:  # warm every worker
            future.result()
        pids = children(os.getpid(), b"spawn_main")
        cpu = time.process_time() + sum(cpu_seconds(pid) for pid in pids)
        start = time.perf_counter()
        futures = [pool.submit(tasks[i : i + CHUNK]) for i in range(0, len(tasks), CHUNK)]
        parsed = sum(len(future.result()) for future in futures)
        wall = time.perf_counter() - start
        cpu = time.process_time() + sum(cpu_seconds(pid) for pid in pids) - cpu
        assert parsed == len(tasks)
        return wall, cpu
    finally:
        pool.close()


def parse_stage_only(
    events: int, repeat: int, profile: bool, workers: int, json_lines: bool = False, pattern_ab: bool = False
) -> int:
    """``--stage a``: stage (a) alone on records built in memory (no servers), without and with the
    scrubber the consumer always runs, then in ``workers`` processes; the best of ``repeat`` runs,
    by wall clock and by CPU time (on a busy machine the CPU figure is the steadier one).
    ``--profile`` adds cProfile's top 25 by cumulative time. ``json_lines``: also the same requests as
    gunicorn JSON access lines (decoded, mapped to ECS, the rest kept under ``json``). ``pattern_ab``: also
    the nginx lines with and without the pattern-key step, in turn (:func:`pattern_key_ab`)."""
    rng = random.Random(42)
    records = [(shipped_event(rng, i), i % 16, i // 16) for i in range(events)]
    rows: list[list[object]] = []
    kinds = [("nginx lines", records)]
    if json_lines:
        rng = random.Random(42)
        kinds.append(("JSON lines", [(shipped_json_event(rng, i), i % 16, i // 16) for i in range(events)]))
    for kind, records in kinds:
        rows += _parse_rows(kind if json_lines else "", records, repeat, events)
    if pattern_ab:
        rows += pattern_key_ab(kinds[0][1], repeat, events)
    if workers > 1:
        wall, cpu = min(stage_pool(records, "bench-indexer", workers) for _ in range(repeat))
        rows.append(
            [f"(a) the same, scrub, in {workers} parse workers (+ JSON)", events, wall, events / wall, events / cpu]
        )
    print(table(["stage", "events", "seconds", "events/s", "events/CPU-s"], rows))
    print(load())
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(stage_grok, records, "bench-indexer", Scrubber(ScrubSettings()))
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


def pattern_key_ab(records: list[tuple[bytes, int, int]], repeat: int, events: int) -> list[list[object]]:
    """Stage (a) with the per-event pattern key and with that step replaced by a no-op, the two run in
    turn ``repeat`` times in this process (so load drifts hit both alike); the best of each."""
    from grokpipe.indexer import documents

    keyed = documents._PATTERNS
    scrubber = Scrubber(ScrubSettings())
    stage_grok(records[:2000], "bench-indexer", scrubber)
    best: dict[str, tuple[float, float]] = {"with": (float("inf"),) * 2, "without": (float("inf"),) * 2}
    try:
        for _ in range(repeat):
            for label, step in (("with", keyed), ("without", lambda event, **_: None)):
                documents._PATTERNS = step  # type: ignore[assignment]
                cpu = time.process_time()
                wall, docs = stage_grok(records, "bench-indexer", scrubber)
                cpu = time.process_time() - cpu
                del docs
                best[label] = (min(best[label][0], wall), min(best[label][1], cpu))
    finally:
        documents._PATTERNS = keyed
    return [
        [f"(a) scrub, pattern key {label}", events, wall, events / wall, events / cpu]
        for label, (wall, cpu) in best.items()
    ]


def _parse_rows(kind: str, records: list[tuple[bytes, int, int]], repeat: int, events: int) -> list[list[object]]:
    rows: list[list[object]] = []
    for label, scrubber in (("no scrub", None), ("scrub (defaults)", Scrubber(ScrubSettings()))):
        stage_grok(records[:2000], "bench-indexer", scrubber)  # warm caches (grok, key names, zoneinfo)
        best_wall = best_cpu = float("inf")
        for _ in range(repeat):
            cpu = time.process_time()
            wall, docs = stage_grok(records, "bench-indexer", scrubber)
            best_cpu, best_wall = min(best_cpu, time.process_time() - cpu), min(best_wall, wall)
            del docs
        prefix = f"(a) {kind}, " if kind else "(a) "
        row: list[object] = [f"{prefix}decode + pipeline + route, {label}", events, best_wall, events / best_wall]
        rows.append([*row, events / best_cpu])
    return rows


def stage_bulk(es: Elasticsearch, docs: list[Document], batch: int = 5000) -> float:
    writer = BulkWriter(es, RetrySettings(), IndexerMetrics(), threading.Event())
    start = time.perf_counter()
    for i in range(0, len(docs), batch):
        writer.write(docs[i : i + batch])
    return time.perf_counter() - start


def stage_full(workdir: Path, events: int, workers: int) -> tuple[float, float]:
    """(c) on a server of its own holding only the topic, timed from 10% to 100% indexed (joining
    the group and the first fetch are not throughput), as (seconds, CPU seconds of the indexer's
    process and its parse workers, the server's not included) scaled to all ``events``."""
    with EmbeddedStack(workdir / f"noida-full-{workers}") as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
        install_templates(es)
        topic = "bench-indexer"
        ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic)
        produce(stack.kafka_bootstrap, topic, events)
        indexer = Indexer(settings(stack, topic, "full", workers))
        registry = indexer.metrics.registry

        def indexed() -> float:  # the indexer's own counter: no server round trip while timing
            return registry.get_sample_value("grokpipe_indexer_events_indexed_total") or 0

        indexer.start()
        try:
            while indexed() < events // 10:
                time.sleep(0.01)
            pids = children(os.getpid(), b"spawn_main")
            first, start = indexed(), time.perf_counter()
            cpu = time.process_time() + sum(cpu_seconds(pid) for pid in pids)
            while indexed() < events:
                time.sleep(0.05)
            share = (events - first) / events
            elapsed = (time.perf_counter() - start) / share
            cpu = (time.process_time() + sum(cpu_seconds(pid) for pid in pids) - cpu) / share
            if (found := count(es, "logs-*-full")) != events:
                raise SystemExit(f"full indexer: {found:,} documents in Elasticsearch, expected {events:,}")
            return elapsed, cpu
        finally:
            indexer.stop()
            es.close()


SYSLOG_NG = """@version: {version}
{include}
options {{ stats-freq(0); keep-hostname(yes); }};
source s_lines {{ stdin(flags(no-parse) log-fetch-limit(1000)); }};
parser p_access {{ apache-accesslog-parser(prefix(".apache.")); }};
destination d_json {{ file("{out}" template("$(format-json --scope none .apache.* @timestamp=${{ISODATE}})\\n")); }};
log {{ source(s_lines); parser(p_access); destination(d_json); }};
"""
#: Where Debian's syslog-ng packages are unpacked when syslog-ng is not installed (gitignored).
PEER_DIR = Path(__file__).resolve().parent.parent / ".grokpipe" / "peers" / "syslog-ng"
#: Its libraries from other Debian packages (Makefile SYSTEM_PACKAGES has them).
PEER_LIBRARIES = "libivykis0 libnet1 libjson-c5 libwrap0 libglib2.0-0 libpcre3"


def syslog_ng() -> tuple[list[str], dict[str, str], str] | str:
    """The syslog-ng command line, its environment and the line that includes the apache parser, or
    why there is none. A system syslog-ng if installed; else Debian's ``syslog-ng-core`` and
    ``syslog-ng-scl`` unpacked under ``.grokpipe/peers`` (``apt-get download`` + ``dpkg-deb -x``):
    installing them would remove rsyslog, which the syslog bench and tests drive (both packages
    provide ``system-log-daemon``)."""
    exe = shutil.which("syslog-ng")
    if exe is not None:
        return [exe], {}, '@include "scl.conf"'
    root = PEER_DIR / "root"
    binary = root / "usr" / "sbin" / "syslog-ng"
    if not binary.exists():
        PEER_DIR.mkdir(parents=True, exist_ok=True)
        for package in ("syslog-ng-core", "syslog-ng-scl"):
            for attempt in range(2):  # no package lists yet: update them once
                fetched = subprocess.run(
                    ["apt-get", "download", package], cwd=PEER_DIR, capture_output=True, text=True, check=False
                )
                if fetched.returncode == 0:
                    break
                if attempt == 0:
                    subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
            else:
                return f"apt-get download {package} failed: {fetched.stderr.strip()[-200:]}"
        for deb in sorted(PEER_DIR.glob("*.deb")):
            subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    libs = root / "usr" / "lib" / "syslog-ng"
    modules = [p for p in libs.iterdir() if p.is_dir()]  # usr/lib/syslog-ng/3.38
    if not modules:
        return f"no syslog-ng modules under {libs}"
    include = f'@include "{root}/usr/share/syslog-ng/include/scl/apache/apache.conf"'
    return [str(binary), f"--module-path={modules[0]}"], {"LD_LIBRARY_PATH": str(libs)}, include


def syslog_ng_version(command: list[str], env: dict[str, str]) -> str | None:
    try:
        out = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, timeout=10, check=False, env=os.environ | env
        ).stdout
    except OSError:
        return None
    for line in out.splitlines():
        if line.startswith("Config version:"):
            return line.split(":", 1)[1].strip()
    return None


def peer_syslog_ng(lines: Path, events: int, workdir: Path) -> tuple[float, float] | str:
    """syslog-ng reading ``lines`` on stdin, its ``apache-accesslog-parser()`` (csv-parser and
    date-parser), each event written as JSON to a file: (wall seconds, its CPU seconds from wait4),
    or why it did not run."""
    found = syslog_ng()
    if isinstance(found, str):
        return found
    command, env, include = found
    version = syslog_ng_version(command, env)
    if version is None:
        return f"{command[0]} does not run (its libraries: apt-get install {PEER_LIBRARIES})"
    state = workdir / "syslog-ng"
    state.mkdir()
    out = state / "parsed.json"
    conf = state / "syslog-ng.conf"
    conf.write_text(SYSLOG_NG.format(version=version, include=include, out=out))
    with lines.open("rb") as source:
        # stdin() must be a pipe (syslog-ng polls it and exits at its end), so cat feeds it
        cat = subprocess.Popen(["cat"], stdin=source, stdout=subprocess.PIPE)
        start = time.perf_counter()
        daemon = subprocess.Popen(
            [*command, "-F", "--no-caps", "-f", str(conf), "-R", str(state / "persist"), "-p", str(state / "pid"),
             "-c", str(state / "ctl")],
            stdin=cat.stdout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=os.environ | env,
        )  # fmt: skip
        assert cat.stdout is not None
        cat.stdout.close()
        _, status, usage = os.wait4(daemon.pid, 0)
        wall = time.perf_counter() - start
        daemon.returncode = os.waitstatus_to_exitcode(status)
        cat.wait()
    written = sum(1 for _ in out.open("rb")) if out.exists() else 0
    if daemon.returncode != 0 or written != events:
        error = daemon.stderr.read().decode(errors="replace")[-300:] if daemon.stderr else ""
        return f"syslog-ng exited {daemon.returncode} with {written:,}/{events:,} events written: {error}"
    return wall, usage.ru_utime + usage.ru_stime


def latency(
    stack: EmbeddedStack, es: Elasticsearch, rate: int, seconds: float, workdir: Path, poll_every: float, workers: int
) -> dict[str, list[float]]:
    """Write ``rate`` lines/s into a tailed file; every 20th line is timed until a search finds it
    (polled every ``poll_every`` s: the figures are that much coarse, upwards). Also split at the
    document's ``event.ingested`` (the wall-clock time its bulk request was sent): the shipper and
    the indexer's batching before it, Elasticsearch's bulk and refresh (and the poll) after it."""
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
    indexer = Indexer(settings(stack, topic, "latency", workers))
    indexer.start()
    shipper.start()
    written: dict[str, tuple[float, float]] = {}  # url -> (perf_counter, wall clock) when written
    found: dict[str, tuple[float, str]] = {}  # url -> (perf_counter when found, event.ingested)
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
                    source_includes=["url.original", "event.ingested"],
                    ignore_unavailable=True,
                )["hits"]["hits"]
                now = time.perf_counter()
                for hit in hits:
                    source = hit["_source"]
                    found.setdefault(source["url"]["original"], (now, source["event"]["ingested"]))
            time.sleep(poll_every)  # each search costs noida-db a scan: not too often

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
                    written[url] = (time.perf_counter(), time.time())
        done.set()
        poller.join(120)
    finally:
        stopping.set()
        poller.join(5)
        shipper.stop()
        indexer.stop()
    sent = {
        u: datetime.fromisoformat(ingested.replace("Z", "+00:00")).timestamp() for u, (_, ingested) in found.items()
    }
    return {
        "total": sorted(found[u][0] - written[u][0] for u in found),
        "written -> bulk sent": sorted(sent[u] - written[u][1] for u in found),
        "bulk sent -> found": sorted((found[u][0] - written[u][0]) - (sent[u] - written[u][1]) for u in found),
    }


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


def latency_run(args: argparse.Namespace, workdir: Path) -> None:
    print(f"latency run: {args.rate:,} lines/s for {args.seconds:.0f}s through shipper + indexer ...", file=sys.stderr)
    with EmbeddedStack(workdir / "noida-latency") as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=120)
        install_templates(es)
        spans = latency(stack, es, args.rate, args.seconds, workdir, args.poll, args.latency_workers)
        es.close()
    expected = int(args.rate * args.seconds) // 20
    rows: list[list[object]] = []
    for name, values in spans.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        worst = values[-1] if values else float("nan")
        rows.append([name, f"{len(values)}/{expected}", 1000 * p50, 1000 * p99, 1000 * worst])
    rows[0].append("yes" if percentile(spans["total"], 0.99) < 2.0 and len(spans["total"]) == expected else "NO")
    rows[1].append("")
    rows[2].append("")
    title = f"{args.rate:,} lines/s, workers {args.latency_workers}: line written -> searchable"
    print(table([title, "samples", "p50 ms", "p99 ms", "max ms", "p99 < 2 s"], rows))
    print(f"(polled every {args.poll:g} s; {load()})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parse workers compared with 1")
    parser.add_argument("--rate", type=int, default=500, help="lines/s for the latency run")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the latency run")
    parser.add_argument("--poll", type=float, default=0.25, help="seconds between searches in the latency run")
    parser.add_argument("--latency-workers", type=int, default=1, help="the indexer's workers in the latency run")
    parser.add_argument("--stage", choices=["a", "e2e"], help="a: the parse stage alone, in memory; e2e: latency")
    parser.add_argument("--repeat", type=int, default=3, help="with --stage a: runs, the best one counts")
    parser.add_argument("--profile", action="store_true", help="with --stage a: print a cProfile of it")
    parser.add_argument(
        "--json-lines", action="store_true", help="with --stage a: also the same requests as gunicorn JSON lines"
    )
    parser.add_argument(
        "--pattern-key-ab", action="store_true", help="with --stage a: also with and without the pattern-key step"
    )
    args = parser.parse_args()
    if args.stage == "a":
        return parse_stage_only(
            args.events, args.repeat, args.profile, args.workers, args.json_lines, args.pattern_key_ab
        )
    with tempfile.TemporaryDirectory(prefix="bench-indexer-") as tmp:
        workdir = Path(tmp)
        if args.stage == "e2e":
            latency_run(args, workdir)
            return 0
        print(f"before: {load()}")
        events, topic = args.events, "bench-indexer"
        rng = random.Random(42)  # the records produce() writes, in memory
        records = [(shipped_event(rng, i), i % 4, i // 4) for i in range(events)]
        lines = workdir / "access.log"
        with lines.open("wb") as out:
            for raw, _, _ in records:
                out.write(orjson.loads(raw)["message"].encode() + b"\n")
        rows: list[tuple[str, int, float, float]] = []  # label, events, seconds, CPU seconds
        print("(a) the parse stage ...", file=sys.stderr)
        stage_grok(records[:2000], topic, Scrubber(ScrubSettings()))  # warm caches
        cpu = time.process_time()
        parse_s, docs = stage_grok(records, topic, Scrubber(ScrubSettings()))
        parse_cpu = time.process_time() - cpu
        rows.append(("(a) parse: decode + pipeline + scrub + route, 1 process", events, parse_s, parse_cpu))
        if args.workers > 1:
            pool_s, pool_cpu = stage_pool(records, topic, args.workers)
            rows.append((f"(a) parse in {args.workers} workers (+ JSON, to the consumer)", events, pool_s, pool_cpu))
        print("(b) bulk of pre-built documents ...", file=sys.stderr)
        with EmbeddedStack(workdir / "noida-bulk") as bulk_stack:  # an empty store, like (c)'s
            bulk_es = Elasticsearch(bulk_stack.elasticsearch_url, request_timeout=120)
            install_templates(bulk_es)
            cpu = time.process_time()
            bulk_s = stage_bulk(bulk_es, docs)
            rows.append(
                ("(b) bulk of pre-built documents (create, 5k/request)", events, bulk_s, time.process_time() - cpu)
            )
            bulk_es.close()
        del docs
        fulls: dict[int, float] = {}
        for workers in sorted({1, args.workers}):
            print(f"(c) the whole indexer, workers {workers} ...", file=sys.stderr)
            full_s, full_cpu = stage_full(workdir, events, workers)
            fulls[workers] = full_s
            rows.append(
                (f"(c) whole indexer, workers {workers}: Kafka -> parse -> bulk -> commit", events, full_s, full_cpu)
            )
        print("peer: syslog-ng ...", file=sys.stderr)
        peer = peer_syslog_ng(lines, events, workdir)
        if isinstance(peer, tuple):
            rows.append(("peer: syslog-ng apache-accesslog-parser() -> JSON file", events, peer[0], peer[1]))
        table_rows: list[list[object]] = [
            [label, n, secs, n / secs, n / cpu if cpu else float("nan")] for label, n, secs, cpu in rows
        ]
        print(table(["stage", "events", "seconds", "events/s", "events/CPU-s"], table_rows))
        print("(CPU-s: this process and its parse workers; (b) and (c) leave out the server's own)")
        best_parse = events / min(parse_s, pool_s if args.workers > 1 else parse_s)
        bulk_rate = events / bulk_s
        for workers, full_s in fulls.items():
            ratio = (events / full_s) / min(best_parse, bulk_rate)
            print(f"c(workers {workers}) / min(a, b) = {ratio:.2f}  (target >= 0.9)")
        if isinstance(peer, tuple):
            print(
                f"ours / syslog-ng, parse in 1 process: {peer[0] / parse_s:.2f} by events/s, "
                f"{peer[1] / parse_cpu:.2f} per CPU-s"
            )
            if args.workers > 1:
                print(f"ours / syslog-ng, parse in {args.workers} workers: {peer[0] / pool_s:.2f} by events/s, "
                      f"{peer[1] / pool_cpu:.2f} per CPU-s")  # fmt: skip
        else:
            print(f"peer: {peer}")
        print(f"after: {load()}\n")
        latency_run(args, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
