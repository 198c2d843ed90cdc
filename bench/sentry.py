"""Sentry input benchmark: events/s from the Python SDK's transport pattern, beside syslog TCP, same run.

Run with ``make bench BENCH=sentry`` (or ``python bench/sentry.py``). One embedded broker; each round
starts a fresh shipper per case, alternating the cases so that a load passing on this shared machine
hits all of them:

* ``syslog TCP, 1 connection``: RFC 5424 lines (bench/syslog.py's), the figure the syslog bench prints;
* ``sentry, N keep-alive connections``: envelopes made by the real sentry-sdk (an exception event with
  a five-frame chain, tags, breadcrumbs, as ``capture_exception`` makes it; one event per envelope,
  each its own ``event_id``) and gzip-compressed the way its HTTP transport sends them (level 9), POSTed
  back to back over N keep-alive connections, as N app processes with one transport thread each would.

Columns: events/s answered 200 (spooled), events/s until every one is acknowledged by Kafka, the
median of ``--repeat`` rounds; request bytes per event as sent (gzip) and Kafka record bytes per event;
CPU seconds of the shipper; its peak RSS. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.client
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from syslog import load, messages, send_tcp, stop, wait_listening  # bench/syslog.py
from typing import Any

import sentry_sdk
import yaml
from procstats import metric, table, tree_usage
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.kafka_admin import ensure_topic
from grokpipe.settings import KafkaSettings

KEY = uuid.uuid4().hex


class _Capture(Transport):
    def __init__(self) -> None:
        super().__init__({"dsn": None})
        self.event: dict[str, Any] = {}

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event" and item.payload.json is not None:
                self.event = item.payload.json


def _load_order(order: str) -> None:
    raise KeyError(order)


def _checkout(order: str) -> None:
    try:
        _load_order(order)
    except KeyError as exc:
        raise ValueError(f"cannot check out order {order}") from exc


def sdk_event() -> dict[str, Any]:
    """One event as sentry-sdk's capture_exception makes it."""
    transport = _Capture()
    sentry_sdk.init(dsn=f"http://{KEY}@localhost/1", transport=transport, release="shop@1.2.3", environment="bench")
    try:
        sentry_sdk.set_tag("region", "eu")
        sentry_sdk.add_breadcrumb(message="cart loaded", category="app")
        try:
            _checkout("A-17")
        except ValueError:
            sentry_sdk.capture_exception()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
    return transport.event


def envelopes(count: int) -> list[bytes]:
    """``count`` gzip bodies, each an envelope of one event with its own id (sentry-sdk's serialisation)."""
    template = sdk_event()
    bodies = []
    for _ in range(count):
        event = {**template, "event_id": uuid.uuid4().hex}
        envelope = Envelope(headers={"event_id": event["event_id"], "sent_at": "2026-12-07T00:00:00.000000Z"})
        envelope.add_event(event)  # type: ignore[arg-type]  # the SDK's Event is a TypedDict of this dict
        bodies.append(gzip.compress(envelope.serialize(), compresslevel=9))
    return bodies


def send_sentry(port: int, bodies: list[bytes], connections: int, answered: list[float]) -> None:
    """Each connection POSTs its share back to back (keep-alive); ``answered`` gets the time of the last 200."""
    headers = {
        "Content-Type": "application/x-sentry-envelope",
        "Content-Encoding": "gzip",
        "X-Sentry-Auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0",
    }

    def one(share: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            for body in share:
                conn.request("POST", "/api/1/envelope/", body, headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"answered {response.status}")
        finally:
            conn.close()

    threads = [threading.Thread(target=one, args=(bodies[c::connections],)) for c in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answered.append(time.monotonic())


def start_shipper(
    stack: EmbeddedStack, work: Path, topic: str, spec: dict[str, Any]
) -> tuple[subprocess.Popen[bytes], int]:
    http_port = free_port()
    config = work / f"shipper-{topic}.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(work / f"data-{topic}"),
                "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                "http": {"listen": f"127.0.0.1:{http_port}"},
                "log_level": "WARNING",
                "inputs": [spec],
            }
        )
    )
    proc = subprocess.Popen([sys.executable, "-m", "grokpipe.cli", "shipper", "-c", str(config)])
    return proc, http_port


def run_case(
    proc: subprocess.Popen[bytes], http_port: int, send: Callable[[], None], expected: int, answered: list[float]
) -> tuple[float | None, float, float, float]:
    """(seconds until the last 200 when ``send`` records it in ``answered``, seconds until Kafka
    acknowledged all, CPU s of the shipper, its peak RSS MiB)."""
    cpu0, _ = tree_usage(proc.pid)
    sender = threading.Thread(target=send)
    start = time.monotonic()
    sender.start()
    cpu = rss = 0.0
    while time.monotonic() - start < 1800:
        cpu, rss = tree_usage(proc.pid)
        if metric(http_port, "grokpipe_shipper_events_published") >= expected:
            break
        if proc.poll() is not None:
            raise RuntimeError(f"shipper exited with {proc.returncode}")
        time.sleep(0.05)
    published = time.monotonic() - start
    sender.join()
    return (answered[0] - start if answered else None), published, cpu - cpu0, rss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000, help="Sentry events per case")
    parser.add_argument("--messages", type=int, default=200_000, help="syslog lines")
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bodies = envelopes(args.events)
    frames = messages(args.messages)
    wire = sum(len(b) for b in bodies) / len(bodies)
    print(
        f"{args.events:,} sentry-sdk envelopes ({wire:,.0f} bytes each gzip); {args.messages:,} syslog lines; {load()}"
    )
    work = Path(tempfile.mkdtemp(prefix="grokpipe-bench-sentry-"))
    cases = ["syslog", *(f"sentry{c}" for c in args.connections)]
    results: dict[str, list[tuple[float | None, float, float, float, float]]] = {c: [] for c in cases}
    try:
        with EmbeddedStack(work / "noida") as stack:
            for round_ in range(args.repeat):
                for case in cases if round_ % 2 == 0 else list(reversed(cases)):
                    topic = f"{case}.{round_}"
                    ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic, partitions=4)
                    port = free_port()
                    answered: list[float] = []
                    if case == "syslog":
                        spec = {"type": "syslog", "id": "bench", "listen": [f"tcp://127.0.0.1:{port}"], "workers": 1}
                        proc, http_port = start_shipper(stack, work, topic, spec)
                        wait_listening(f"tcp://127.0.0.1:{port}", proc)
                        send: Callable[[], None] = functools.partial(send_tcp, port, frames, 1)
                        count = len(frames)
                    else:
                        projects = [{"id": 1, "name": "shop", "keys": [KEY]}]
                        spec = {
                            "type": "sentry",
                            "listen": f"127.0.0.1:{port}",
                            "projects": projects,
                            "rate_limit": None,
                        }
                        proc, http_port = start_shipper(stack, work, topic, spec)
                        wait_listening(f"tcp://127.0.0.1:{port}", proc)
                        send = functools.partial(send_sentry, port, bodies, int(case.removeprefix("sentry")), answered)
                        count = len(bodies)
                    try:
                        accepted, published, cpu, rss = run_case(proc, http_port, send, count, answered)
                        record_bytes = metric(http_port, "grokpipe_shipper_bytes_published") / count
                    finally:
                        stop(proc)
                    rate = None if accepted is None else count / accepted
                    results[case].append((rate, count / published, cpu, rss, record_bytes))
                    print(f"round {round_ + 1} {case}: {count / published:,.0f}/s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rows: list[list[object]] = []
    for case in cases:
        runs = results[case]
        name = "syslog TCP, 1 connection" if case == "syslog" else f"sentry gzip envelopes, {case[6:]} keep-alive"
        per_event_wire = (sum(len(f) + 1 for f in frames) / len(frames)) if case == "syslog" else wire
        rates = [r[0] for r in runs if r[0] is not None]
        rows.append(
            [name, f"{statistics.median(rates):,.0f}" if rates else "-",
             f"{statistics.median(r[1] for r in runs):,.0f}",
             f"{per_event_wire:,.0f}", f"{statistics.median(r[4] for r in runs):,.0f}",
             f"{statistics.median(r[2] for r in runs):.1f}", f"{max(r[3] for r in runs):.0f}"]
        )  # fmt: skip
    print()
    headers = ["input -> Kafka", "accepted/s", "in Kafka/s", "bytes/event sent", "bytes/event in Kafka", "CPU s",
               "peak RSS MiB"]  # fmt: skip
    print(table(headers, rows))
    print(load(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
