"""Measurements shared by the benchmarks: CPU seconds and peak RSS of a pid or a process tree (Linux
/proc), a process timed until a count is reached, Kafka topic sizes, Prometheus samples, tables, and the
rsyslog peer (omkafka into the same broker)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

from kafka import TopicPartition

from grokpipe.kafka_admin import kafka_consumer
from grokpipe.settings import KafkaSettings


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def peak_rss_mb(pid: int) -> float:
    """High-water mark of resident memory (VmHWM) of ``pid``, in MiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def parents() -> dict[int, int]:
    """Every process's parent pid."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    found[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    return found


def children(ppid: int, running: bytes = b"") -> list[int]:
    """Processes whose parent is ``ppid`` and whose command line contains ``running``."""
    found = []
    for pid in [pid for pid, parent in parents().items() if parent == ppid]:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if running in f.read():
                    found.append(pid)
        except OSError:
            continue
    return found


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (grokpipe's workers and their drain processes)."""
    below: dict[int, list[int]] = {}
    for child, parent in parents().items():
        below.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(below.get(current, []))
    return found


def tree_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, summed peak RSS MiB) of the process tree."""
    cpu = rss = 0.0
    for member in tree(pid):
        try:
            cpu += cpu_seconds(member)
            rss += peak_rss_mb(member)
        except (OSError, ValueError):
            continue
    return cpu, rss


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [headers, *[[f"{c:,.1f}" if isinstance(c, float) else str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [" | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def topic_count(bootstrap: str, topic: str) -> int:
    consumer = kafka_consumer(KafkaSettings(bootstrap_servers=[bootstrap]), group_id=None)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return int(sum(ends.values()))
    finally:
        consumer.close()


def measure(proc: subprocess.Popen[bytes], done: object, expected: int, timeout: float) -> tuple[float, float, float]:
    """Wait until ``done()`` reaches ``expected``; return (seconds, cpu seconds, peak RSS MiB)."""
    start = time.monotonic()
    cpu = rss = 0.0
    while time.monotonic() - start < timeout:
        cpu, rss = cpu_seconds(proc.pid), peak_rss_mb(proc.pid)
        if done() >= expected:  # type: ignore[operator]
            break
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        time.sleep(0.05)
    return time.monotonic() - start, cpu, rss


def metric(port: int, name: str) -> float:
    """A counter or gauge from ``/metrics``, summed over its label sets; 0 when unreachable."""
    total = 0.0
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as resp:
            for line in resp.read().decode().splitlines():
                series = line.split("{", 1)[0].split(" ", 1)[0]
                if series in {name, name + "_total"}:
                    total += float(line.split()[-1])
    except OSError:
        pass
    return total


def omkafka_ruleset(bootstrap: str, topic: str, queue_size: int = 100_000) -> str:
    """An rsyslog ruleset ``tokafka`` sending with template ``ecs`` (defined by the caller), acks=all."""
    return f"""
ruleset(name="tokafka" queue.type="LinkedList" queue.size="{queue_size}" queue.dequeueBatchSize="1024") {{
  action(type="omkafka" broker=["{bootstrap}"] topic="{topic}" template="ecs"
         partitions.auto="on" topicConfParam=["request.required.acks=-1"]
         confParam=["queue.buffering.max.ms=20", "batch.num.messages=10000"])
}}
"""


def rsyslogd(state: Path, config: str) -> subprocess.Popen[bytes]:
    """rsyslogd in the foreground with ``config`` and its own work directory ``state``."""
    conf = state / "rsyslog.conf"
    conf.write_text(f'global(workDirectory="{state}" maxMessageSize="64k")\n' + config)
    with (state / "rsyslogd.err").open("wb") as err:  # the child keeps its own descriptor
        return subprocess.Popen(
            [
                shutil.which("rsyslogd") or "/usr/sbin/rsyslogd",
                "-n",
                "-f",
                str(conf),
                "-i",
                str(state / "rsyslogd.pid"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
