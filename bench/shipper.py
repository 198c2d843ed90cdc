"""Shipper benchmark: file -> Kafka, grokpipe vs rsyslog (imfile -> omkafka), same file, same broker.

Run with ``make bench BENCH=shipper`` (or ``python bench/shipper.py --lines N``). Prints one table:
lines/s, MB/s, CPU seconds, peak RSS and the grokpipe/rsyslog ratio; then the peak RSS of a
shipper tailing 1,000 small files. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml
from procstats import measure, metric, omkafka_ruleset, rsyslogd, table, topic_count

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.kafka_admin import ensure_topic
from grokpipe.settings import KafkaSettings

AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "python-requests/2.32.3",
    "kube-probe/1.31",
]
PATHS = ["/", "/cart.php", "/search.php?q=red%20shoes&page=2", "/static/app.css", "/api/v1/orders/{}", "/product/{}"]


def generate(path: Path, count: int) -> int:
    rng = random.Random(42)
    with path.open("w") as out:
        for i in range(count):
            ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            url = rng.choice(PATHS).format(rng.randint(1, 99999))
            status = rng.choice((200, 200, 200, 200, 301, 304, 404, 500))
            minute, second = divmod(i // 100 % 3600, 60)
            out.write(
                f'{ip} - - [22/Nov/2026:10:{minute:02d}:{second:02d} +0000] "GET {url} HTTP/1.1" {status} '
                f'{rng.randint(0, 50000)} "https://shop.example.com/" "{rng.choice(AGENTS)}"\n'
            )
    return path.stat().st_size


def run_grokpipe(
    stack: EmbeddedStack, work: Path, paths: list[str], topic: str, expected: int
) -> tuple[float, float, float]:
    port = free_port()
    config = work / f"shipper-{topic}.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(work / f"data-{topic}"),
                "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                "http": {"listen": f"127.0.0.1:{port}"},
                "log_level": "WARNING",
                "inputs": [
                    {"type": "file", "id": "bench", "paths": paths, "dataset": "nginx.access", "scan_frequency": 1}
                ],
            }
        )
    )
    proc = subprocess.Popen([sys.executable, "-m", "grokpipe.cli", "shipper", "-c", str(config)])
    try:
        return measure(proc, lambda: metric(port, "grokpipe_shipper_events_published"), expected, 1800)
    finally:
        proc.terminate()
        proc.wait(60)


def run_rsyslog(stack: EmbeddedStack, work: Path, log: Path, topic: str, expected: int) -> tuple[float, float, float]:
    state = work / "rsyslog"
    state.mkdir()
    proc = rsyslogd(
        state,
        f"""
module(load="imfile")
module(load="omkafka")
template(name="ecs" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timegenerated" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="log.file.path" name="$!metadata!filename" format="jsonf")
  property(outname="host.name" name="hostname" format="jsonf")
}}
input(type="imfile" File="{log}" Tag="nginx" ruleset="tokafka" addMetadata="on" freshStartTail="off")
"""
        + omkafka_ruleset(stack.kafka_bootstrap, topic),
    )
    try:
        return measure(proc, lambda: topic_count(stack.kafka_bootstrap, topic), expected, 1800)
    finally:
        proc.terminate()
        proc.wait(60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small-files", type=int, default=1000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grokpipe-bench-"))
    try:
        log = work / "access.log"
        size = generate(log, args.lines)
        print(f"generated {args.lines:,} nginx access lines ({size / 1e6:.1f} MB) in {log}", flush=True)
        with EmbeddedStack(work / "noida") as stack:
            kafka = KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap])
            for topic in ("bench.grokpipe", "bench.rsyslog", "bench.small"):
                ensure_topic(kafka, topic, partitions=4)
            results = {
                "grokpipe shipper": run_grokpipe(stack, work, [str(log)], "bench.grokpipe", args.lines),
                "rsyslog imfile->omkafka": run_rsyslog(stack, work, log, "bench.rsyslog", args.lines),
            }
            rows: list[list[object]] = []
            for name, (secs, cpu, rss) in results.items():
                rows.append([name, args.lines / secs, size / secs / 1e6, cpu, rss])
            g, r = results["grokpipe shipper"][0], results["rsyslog imfile->omkafka"][0]
            print()
            print(table(["file -> Kafka", "lines/s", "MB/s", "CPU s", "peak RSS MiB"], rows))
            print(f"\nratio grokpipe/rsyslog (lines/s): {r / g:.2f}")

            small = work / "small"
            small.mkdir()
            for i in range(args.small_files):
                (small / f"app-{i:04d}.log").write_text("".join(f"file {i} line {j}\n" for j in range(10)))
            _, cpu, rss = run_grokpipe(stack, work, [str(small / "*.log")], "bench.small", args.small_files * 10)
            print(f"\ntailing {args.small_files:,} small files: peak RSS {rss:.1f} MiB, CPU {cpu:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
