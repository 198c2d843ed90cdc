"""Syslog benchmark: RFC 5424 over TCP into Kafka, grokpipe vs rsyslog (imtcp -> omkafka), same run.

Run with ``make bench BENCH=syslog`` (or ``python bench/syslog.py --messages N``). Sends the same
messages over one TCP connection to (a) the grokpipe shipper (spool fsync: interval) and (b)
rsyslogd with imtcp -> omkafka, each into its own topic of one embedded broker, and times each from
the first byte sent until every message is in Kafka; prints messages/s, CPU seconds, peak RSS and
the ratio. Then UDP: a fixed offered load, and how much each accepted. Not a test: nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml
from procstats import measure, metric, omkafka_ruleset, rsyslogd, table, topic_count

from grokpipe.clients import ensure_topic
from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.settings import KafkaSettings

APPS = ["web", "api", "billing", "worker", "cron", "sshd", "nginx", "php-fpm"]


def messages(count: int) -> list[bytes]:
    return [
        b"<134>1 2026-11-23T06:%02d:%02d.%06dZ host-%d %s %d - - "
        b"request %d served in %d ms status=200 path=/api/v1/orders/%d"
        % (i // 60000 % 60, i // 1000 % 60, i % 1000000, i % 16, APPS[i % 8].encode(), 1000 + i % 50, i, i % 997, i)
        for i in range(count)
    ]


def send_tcp(port: int, frames: list[bytes]) -> None:
    payload = b"\n".join(frames) + b"\n"
    with socket.create_connection(("127.0.0.1", port)) as conn:
        view = memoryview(payload)
        for start in range(0, len(payload), 1 << 20):
            conn.sendall(view[start : start + (1 << 20)])


def send_udp(port: int, frames: list[bytes], rate: int) -> float:
    """Datagrams at ``rate``/s; returns the rate achieved."""
    start = time.perf_counter()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, frame in enumerate(frames):
            if i % 100 == 0:
                due = start + i / rate
                while time.perf_counter() < due:
                    time.sleep(0.0005)
            sock.sendto(frame, ("127.0.0.1", port))
    return len(frames) / (time.perf_counter() - start)


def start_grokpipe(stack: EmbeddedStack, work: Path, topic: str, listen: str) -> tuple[subprocess.Popen[bytes], int]:
    http = free_port()
    config = work / f"shipper-{topic}.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(work / f"data-{topic}"),
                "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                "http": {"listen": f"127.0.0.1:{http}"},
                "log_level": "WARNING",
                "inputs": [{"type": "syslog", "id": "bench", "listen": [listen]}],
            }
        )
    )
    proc = subprocess.Popen([sys.executable, "-m", "grokpipe.cli", "shipper", "-c", str(config)])
    wait_listening(listen, proc)
    return proc, http


def start_rsyslog(stack: EmbeddedStack, work: Path, topic: str, proto: str, port: int) -> subprocess.Popen[bytes]:
    state = work / f"rsyslog-{topic}"
    state.mkdir()
    module = "imtcp" if proto == "tcp" else "imudp"
    proc = rsyslogd(
        state,
        f"""
module(load="{module}")
module(load="omkafka")
template(name="ecs" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  property(outname="log.syslog.hostname" name="hostname" format="jsonf")
  property(outname="log.syslog.appname" name="app-name" format="jsonf")
  property(outname="log.syslog.procid" name="procid" format="jsonf")
  property(outname="log.syslog.priority" name="pri" format="jsonf")
  property(outname="event.original" name="rawmsg" format="jsonf")
}}
input(type="{module}" address="127.0.0.1" port="{port}" ruleset="tokafka")
"""
        + omkafka_ruleset(stack.kafka_bootstrap, topic, 200_000),
    )
    if proto == "tcp":
        wait_listening(f"tcp://127.0.0.1:{port}", proc)
    else:
        time.sleep(1.0)
    return proc


def wait_listening(listen: str, proc: subprocess.Popen[bytes]) -> None:
    if not listen.startswith("tcp://"):
        time.sleep(2.0)
        return
    port = int(listen.rsplit(":", 1)[1])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"listener exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {listen}")


def timed(
    proc: subprocess.Popen[bytes], send: threading.Thread, done: object, expected: int
) -> tuple[float, float, float]:
    send.start()
    result = measure(proc, done, expected, 1800)
    send.join()
    return result


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(120)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--udp-messages", type=int, default=100_000)
    parser.add_argument("--udp-rate", type=int, default=20_000, help="offered datagrams/s")
    args = parser.parse_args()
    frames = messages(args.messages)
    size = sum(len(f) + 1 for f in frames)
    print(f"{args.messages:,} RFC 5424 messages, {size / 1e6:.1f} MB", flush=True)
    work = Path(tempfile.mkdtemp(prefix="grokpipe-bench-syslog-"))
    try:
        with EmbeddedStack(work / "noida") as stack:
            kafka = KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap])
            for topic in ("syslog.grokpipe", "syslog.rsyslog", "udp.grokpipe", "udp.rsyslog"):
                ensure_topic(kafka, topic, partitions=4)

            results: dict[str, tuple[float, float, float]] = {}
            port = free_port()
            proc, http = start_grokpipe(stack, work, "syslog.grokpipe", f"tcp://127.0.0.1:{port}")
            try:
                sender = threading.Thread(target=send_tcp, args=(port, frames))
                done = lambda: metric(http, "grokpipe_shipper_events_published")  # noqa: E731
                results["grokpipe shipper (tcp, spool)"] = timed(proc, sender, done, args.messages)
            finally:
                stop(proc)
            port = free_port()
            proc = start_rsyslog(stack, work, "syslog.rsyslog", "tcp", port)
            try:
                sender = threading.Thread(target=send_tcp, args=(port, frames))
                done = lambda: topic_count(stack.kafka_bootstrap, "syslog.rsyslog")  # noqa: E731
                results["rsyslog imtcp->omkafka"] = timed(proc, sender, done, args.messages)
            finally:
                stop(proc)
            rows: list[list[object]] = [
                [name, args.messages / secs, size / secs / 1e6, cpu, rss] for name, (secs, cpu, rss) in results.items()
            ]
            print()
            print(table(["TCP -> Kafka", "msgs/s", "MB/s", "CPU s", "peak RSS MiB"], rows))
            g, r = (secs for secs, _, _ in results.values())
            print(f"\nratio grokpipe/rsyslog (msgs/s): {r / g:.2f}")

            udp = frames[: args.udp_messages]
            udp_rows: list[list[object]] = []
            port = free_port()
            proc, http = start_grokpipe(stack, work, "udp.grokpipe", f"udp://127.0.0.1:{port}")
            try:
                offered = send_udp(port, udp, args.udp_rate)
                time.sleep(3)
                accepted = metric(http, "grokpipe_shipper_syslog_messages")
                dropped = metric(http, "grokpipe_shipper_syslog_dropped")
                udp_rows.append(["grokpipe shipper", offered, accepted, dropped, 100 * (1 - accepted / len(udp))])
            finally:
                stop(proc)
            port = free_port()
            proc = start_rsyslog(stack, work, "udp.rsyslog", "udp", port)
            try:
                offered = send_udp(port, udp, args.udp_rate)
                time.sleep(3)
                accepted = float(topic_count(stack.kafka_bootstrap, "udp.rsyslog"))
                udp_rows.append(["rsyslog imudp->omkafka", offered, accepted, "-", 100 * (1 - accepted / len(udp))])
            finally:
                stop(proc)
            print()
            print(table(["UDP", "offered msgs/s", "accepted", "counted drops", "lost %"], udp_rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
