"""Syslog benchmark: RFC 5424 into Kafka, grokpipe vs rsyslog (imtcp/imudp -> omkafka), same run.

Run with ``make bench BENCH=syslog`` (or ``python bench/syslog.py``). Both peers get the same
messages from the same sender into their own topic of the same embedded broker (a fresh one for
each TCP round and for the UDP run):

* TCP, one connection, then 50 concurrent connections (dozens of Docker hosts): timed from the first
  byte sent until every message is in Kafka; ``--repeat`` rounds (default 3) alternating the peers,
  so that a load passing on this shared machine hits both; the median round's messages/s, the
  range, CPU seconds (the whole process tree: grokpipe's workers included), peak RSS, and the ratio
  of the medians grokpipe/rsyslog.
* UDP at a fixed offered rate (default 50,000 datagrams/s, from 16 source ports as from 16 hosts):
  how many each accepted into Kafka, the kernel's drops (``/proc/net/udp``, every socket bound to the
  port), grokpipe's own counted drops, and the lost percentage; "uncounted" is what was lost without
  being counted anywhere (should be 0).

grokpipe runs with its defaults (``workers``: the cores; spool fsync: interval; ``multiline``: auto) unless
``--workers`` says otherwise. The machine's load average is printed beside the tables. Not a test:
nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from procstats import metric, omkafka_ruleset, rsyslogd, table, topic_count, tree_usage

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.kafka_admin import ensure_topic
from grokpipe.settings import KafkaSettings

APPS = ["web", "api", "billing", "worker", "cron", "sshd", "nginx", "php-fpm"]
# Debian's rsyslog and syslog-ng-core conflict as packages; a machine that keeps syslog-ng installed
# can hold rsyslog unpacked here (dpkg-deb -x rsyslog*.deb rsyslog-kafka*.deb ROOT).
RSYSLOG_ROOT = Path(os.environ.get("GROKPIPE_RSYSLOG_ROOT", "/opt/rsyslog-private"))

UDP_SENDER = r"""
import socket, sys, time
port, rate, count, sources = map(int, sys.argv[1:5])
frames = [line.encode() for line in sys.stdin.read().splitlines()]
socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(sources)]
for s in socks:
    s.connect(("127.0.0.1", port))
start = time.perf_counter()
for i in range(count):
    if i % 50 == 0:
        due = start + i / rate
        while True:
            now = time.perf_counter()
            if now >= due:
                break
            time.sleep(min(due - now, 0.001))
    try:
        socks[i % sources].send(frames[i % len(frames)])
    except OSError:
        pass  # ECONNREFUSED from an earlier datagram: not ours to count
print(count / (time.perf_counter() - start))
"""


def messages(count: int) -> list[bytes]:
    return [
        b"<134>1 2026-11-23T06:%02d:%02d.%06dZ host-%d %s %d - - "
        b"request %d served in %d ms status=200 path=/api/v1/orders/%d"
        % (i // 60000 % 60, i // 1000 % 60, i % 1000000, i % 16, APPS[i % 8].encode(), 1000 + i % 50, i, i % 997, i)
        for i in range(count)
    ]


def send_tcp(port: int, frames: list[bytes], connections: int) -> None:
    """The frames over ``connections`` concurrent connections (each its share, in order)."""

    def one(share: list[bytes]) -> None:
        payload = b"\n".join(share) + b"\n"
        with socket.create_connection(("127.0.0.1", port)) as conn:
            view = memoryview(payload)
            for start in range(0, len(payload), 1 << 20):
                conn.sendall(view[start : start + (1 << 20)])

    threads = [threading.Thread(target=one, args=(frames[c::connections],)) for c in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def send_udp(port: int, frames: list[bytes], rate: int, count: int, sources: int = 16) -> float:
    """``count`` datagrams at ``rate``/s from a separate process; returns the rate achieved."""
    out = subprocess.run(
        [sys.executable, "-c", UDP_SENDER, str(port), str(rate), str(count), str(sources)],
        input=b"\n".join(frames),
        capture_output=True,
        check=True,
    )
    return float(out.stdout)


def udp_kernel_drops(port: int) -> int:
    """Drops of every UDP socket bound to ``port`` (the last column of ``/proc/net/udp``)."""
    total = 0
    for path in ("/proc/net/udp", "/proc/net/udp6"):
        with open(path) as f:
            next(f)
            for line in f:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    total += int(fields[-1])
    return total


# -- processes ---------------------------------------------------------------------------------------


def measure(
    proc: subprocess.Popen[bytes], send: Callable[[], None], done: Callable[[], float], expected: int
) -> tuple[float, float, float]:
    """Start ``send``; wait until ``done()`` reaches ``expected``: (seconds, CPU s of the tree, RSS MiB)."""
    cpu0, _ = tree_usage(proc.pid)
    sender = threading.Thread(target=send)
    start = time.monotonic()
    sender.start()
    cpu = rss = 0.0
    while time.monotonic() - start < 1800:
        cpu, rss = tree_usage(proc.pid)
        if done() >= expected:
            break
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    sender.join()
    return elapsed, cpu - cpu0, rss


def start_grokpipe(
    stack: EmbeddedStack, work: Path, topic: str, listen: str, workers: int | None, multiline: bool = True
) -> tuple[subprocess.Popen[bytes], int]:
    """The shipper with its defaults (multiline: auto), or ``multiline: null`` when ``multiline`` is False."""
    http = free_port()
    config = work / f"shipper-{topic}.yml"
    spec: dict[str, object] = {"type": "syslog", "id": "bench", "listen": [listen]}
    if not multiline:
        spec["multiline"] = None
    elif MULTILINE_TIMEOUT is not None:
        spec["multiline"] = {"timeout": MULTILINE_TIMEOUT}
    if workers is not None:
        spec["workers"] = workers
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(work / f"data-{topic}"),
                "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                "http": {"listen": f"127.0.0.1:{http}"},
                "log_level": "WARNING",
                "inputs": [spec],
            }
        )
    )
    proc = subprocess.Popen([sys.executable, "-m", "grokpipe.cli", "shipper", "-c", str(config)])
    wait_listening(listen, proc)
    deadline = time.monotonic() + 120
    while metric(http, "grokpipe_shipper_syslog_workers") < (workers or 1) and time.monotonic() < deadline:
        if workers == 1:
            break  # the in-process input has no workers gauge
        time.sleep(0.1)
    return proc, http


def rsyslog_preamble() -> str:
    """Point rsyslogd at an unpacked copy when the package is not installed (see RSYSLOG_ROOT)."""
    if shutil.which("rsyslogd") or Path("/usr/sbin/rsyslogd").exists():
        return ""
    sbin = RSYSLOG_ROOT / "usr/sbin"
    if not (sbin / "rsyslogd").exists():
        raise SystemExit("rsyslogd not found: make system-packages, or unpack rsyslog into GROKPIPE_RSYSLOG_ROOT")
    os.environ["PATH"] = f"{sbin}:{os.environ['PATH']}"
    return f"$ModDir {RSYSLOG_ROOT}/usr/lib/x86_64-linux-gnu/rsyslog/\n"


def start_rsyslog(stack: EmbeddedStack, work: Path, topic: str, proto: str, port: int) -> subprocess.Popen[bytes]:
    state = work / f"rsyslog-{topic}"
    state.mkdir()
    module = "imtcp" if proto == "tcp" else "imudp"
    proc = rsyslogd(
        state,
        rsyslog_preamble()
        + f"""
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


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(120)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


# -- the runs --------------------------------------------------------------------------------------


#: ``--multiline-timeout``: grokpipe's multiline timeout (default: its default, 1 s). Every stream's
#: last message waits that long for a next line, which a run of a few seconds measures as well.
MULTILINE_TIMEOUT: float | None = None

PEER_NAMES = {
    "grokpipe": "grokpipe",
    "grokpipe-nomultiline": "grokpipe multiline: null",
    "rsyslog": "rsyslog imtcp->omkafka",
}


def tcp_runs(
    work: Path,
    frames: list[bytes],
    connections: int,
    workers: int | None,
    repeat: int,
    peers: tuple[str, ...] = ("grokpipe", "rsyslog"),
) -> list[list[object]]:
    """``repeat`` rounds, each peer in turn (alternating, so a passing load hits all) on a broker of
    the round's own (noida-db keeps every record: a broker holding the earlier rounds' millions would
    slow the later ones); each row is the median round of its peer, with the range. The last column
    is the peer's ratio to rsyslog; with ``grokpipe-nomultiline`` among the peers, grokpipe's (its
    default, multiline: auto) also to that run: the cost of joining."""
    size = sum(len(f) + 1 for f in frames)
    runs: dict[str, list[tuple[float, float, float]]] = {peer: [] for peer in peers}
    for round_ in range(repeat):
        with EmbeddedStack(work / f"noida-tcp{connections}-{round_}") as stack:
            for peer, result in tcp_round(stack, work, frames, connections, workers, round_, peers).items():
                runs[peer].append(result)
    rows: list[list[object]] = []
    medians: dict[str, float] = {}
    for peer, results in runs.items():
        results.sort()
        rate, cpu, rss = results[len(results) // 2]
        medians[peer] = rate
        spread = f"{results[0][0]:,.0f}-{results[-1][0]:,.0f}"
        name = PEER_NAMES[peer] + (f" (workers {workers or 'default'})" if peer != "rsyslog" else "")
        rows.append([f"{name}, {connections} conn", rate, spread, size * rate / len(frames) / 1e6, cpu, rss, ""])
    for row, peer in zip(rows, runs, strict=True):
        if peer != "rsyslog":
            row[-1] = f"{medians[peer] / medians['rsyslog']:.2f}x"
    if "grokpipe-nomultiline" in medians:
        rows[0][-1] = f"{rows[0][-1]} ({medians['grokpipe'] / medians['grokpipe-nomultiline']:.2f}x of null)"
    return rows


def tcp_round(
    stack: EmbeddedStack,
    work: Path,
    frames: list[bytes],
    connections: int,
    workers: int | None,
    round_: int,
    peers: tuple[str, ...] = ("grokpipe", "rsyslog"),
) -> dict[str, tuple[float, float, float]]:
    """One round, each peer in turn: each peer's (messages/s, CPU s, peak RSS MiB)."""
    results: dict[str, tuple[float, float, float]] = {}
    for peer in peers:
        topic = f"tcp{connections}.{peer}.{round_}"
        ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic, partitions=4)
        port = free_port()
        if peer != "rsyslog":
            multiline = peer == "grokpipe"
            proc, http = start_grokpipe(stack, work, topic, f"tcp://127.0.0.1:{port}", workers, multiline)
            done: Callable[[], float] = functools.partial(metric, http, "grokpipe_shipper_events_published")
        else:
            proc = start_rsyslog(stack, work, topic, "tcp", port)
            done = functools.partial(topic_count, stack.kafka_bootstrap, topic)
        try:
            send = functools.partial(send_tcp, port, frames, connections)
            secs, cpu, rss = measure(proc, send, done, len(frames))
        finally:
            stop(proc)
        results[peer] = (len(frames) / secs, cpu, rss)
    return results


def udp_runs(
    stack: EmbeddedStack, work: Path, frames: list[bytes], rate: int, count: int, workers: int | None
) -> list[list[object]]:
    rows: list[list[object]] = []
    for peer in ("grokpipe", "rsyslog"):
        topic = f"udp.{peer}"
        ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic, partitions=4)
        port = free_port()
        if peer == "grokpipe":
            proc, http = start_grokpipe(stack, work, topic, f"udp://127.0.0.1:{port}", workers)
        else:
            proc = start_rsyslog(stack, work, topic, "udp", port)
        try:
            before = udp_kernel_drops(port)
            offered = send_udp(port, frames, rate, count)
            time.sleep(3)  # the last datagrams through the spool, the metrics refreshed
            kernel = udp_kernel_drops(port) - before
            deadline = time.monotonic() + 60
            delivered = 0
            while time.monotonic() < deadline:
                now = topic_count(stack.kafka_bootstrap, topic)
                if now == delivered and now > 0:
                    break
                delivered = now
                time.sleep(1.0)
            app = metric(http, "grokpipe_shipper_syslog_dropped") if peer == "grokpipe" else 0.0
        finally:
            stop(proc)
        lost = count - delivered
        name = f"grokpipe (workers {workers or 'default'})" if peer == "grokpipe" else "rsyslog imudp->omkafka"
        rows.append(
            [name, offered, delivered, kernel, int(app) if peer == "grokpipe" else "-", lost - kernel - int(app),
             100 * lost / count]
        )  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=500_000)
    parser.add_argument("--connections", type=int, default=50, help="the concurrent run's connections")
    parser.add_argument("--udp-messages", type=int, default=500_000)
    parser.add_argument("--udp-rate", type=int, default=50_000, help="offered datagrams/s")
    parser.add_argument("--workers", type=int, default=None, help="grokpipe's workers (default: its default)")
    parser.add_argument("--skip", choices=["tcp", "udp"], action="append", default=[])
    parser.add_argument("--repeat", type=int, default=3, help="TCP rounds per peer (alternating); medians shown")
    parser.add_argument(
        "--multiline-compare",
        action="store_true",
        help="the one-connection TCP run also without multiline (multiline: null): the cost of joining",
    )
    parser.add_argument("--multiline-timeout", type=float, help="grokpipe's multiline timeout (default: 1 s)")
    args = parser.parse_args()
    global MULTILINE_TIMEOUT  # one setting of the whole run, read where the config is written
    MULTILINE_TIMEOUT = args.multiline_timeout
    frames = messages(args.messages)
    size = sum(len(f) + 1 for f in frames)
    print(f"{args.messages:,} RFC 5424 messages, {size / 1e6:.1f} MB; {load()}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="grokpipe-bench-syslog-"))
    try:
        if "tcp" not in args.skip:
            one: tuple[str, ...] = ("grokpipe", "grokpipe-nomultiline", "rsyslog")
            rows = tcp_runs(work, frames, 1, args.workers, args.repeat, one if args.multiline_compare else one[::2])
            if args.connections > 1:
                rows += tcp_runs(work, frames, args.connections, args.workers, args.repeat)
            print()
            headers = ["TCP -> Kafka", "msgs/s (median)", f"range of {args.repeat}", "MB/s", "CPU s",
                       "peak RSS MiB", "grokpipe/rsyslog"]  # fmt: skip
            print(table(headers, rows))
            print(load(), flush=True)
        if "udp" not in args.skip:
            with EmbeddedStack(work / "noida-udp") as stack:
                udp = udp_runs(stack, work, frames[: args.udp_messages], args.udp_rate, args.udp_messages, args.workers)
            print()
            headers = ["UDP -> Kafka", "offered/s", "in Kafka", "kernel drops", "app drops", "uncounted", "lost %"]
            print(table(headers, udp))
            print(load(), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
