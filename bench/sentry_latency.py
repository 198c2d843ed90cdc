"""Sentry path latency: sentry-sdk -> shipper -> Kafka -> indexer -> Elasticsearch -> ``GET /errors``.

Run with ``make bench BENCH=sentry_latency`` (or ``python bench/sentry_latency.py``). One embedded
broker and Elasticsearch, a shipper with a Sentry input, an indexer and an api, each with its
defaults (the api's ``errors.sync_interval``: 10 s, unless ``--sync-interval``). The real SDK captures
``--rate`` events/s for ``--seconds``, each with a fingerprint of its own, so each is a new group; the
bench polls Elasticsearch (the event's ``event.id``) and ``/errors?dataset=sentry`` (its group) and
prints p50/p99/max of the time from ``capture_message`` to each. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from syslog import load, stop, wait_listening  # bench/syslog.py
from typing import Any

import httpx
import sentry_sdk
import yaml
from procstats import table

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.envelope import event_id
from grokpipe.kafka_admin import ensure_topic
from grokpipe.settings import KafkaSettings

ROOT = Path(__file__).resolve().parent.parent
KEY = uuid.uuid4().hex
ADMIN = {"X-API-Key": "dev-admin-key"}


def group_key(fingerprint: str) -> str:
    """The group of an event whose fingerprint is ``[fingerprint]`` (indexer.sentry.grouping, project shop)."""
    parts = ["sentry", "shop", "fingerprint", f"custom:{fingerprint}"]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def start(service: str, config: dict[str, Any], work: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    path = work / f"{service}.yml"
    path.write_text(yaml.safe_dump(config))
    log = (work / f"{service}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "grokpipe.cli", service, "-c", str(path)], env=env, stdout=log, stderr=log
    )


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50.0, help="events/s")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--sync-interval", type=float, default=None, help="the api's errors.sync_interval")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grokpipe-bench-sentry-latency-"))
    procs: list[subprocess.Popen[bytes]] = []
    sent: dict[str, tuple[float, str]] = {}  # group key -> (sent at, event.id)
    in_es: dict[str, float] = {}
    in_errors: dict[str, float] = {}
    ns, topic, port, api_port = "b" + uuid.uuid4().hex[:8], "sentry.latency", free_port(), free_port()
    try:
        with EmbeddedStack(work / "noida") as stack:
            ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic, partitions=4)
            kafka = {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic}
            es = {"hosts": [stack.elasticsearch_url]}
            projects = [{"id": 1, "name": "shop", "keys": [KEY]}]
            shipper = {
                "data_dir": str(work / "shipper"), "kafka": kafka, "log_level": "WARNING",
                "http": {"listen": f"127.0.0.1:{free_port()}"},
                "inputs": [{"type": "sentry", "listen": f"127.0.0.1:{port}", "projects": projects}],
            }  # fmt: skip
            indexer = {
                "namespace": ns, "kafka": {**kafka, "group_id": f"g-{ns}"}, "elasticsearch": es,
                "http": {"listen": f"127.0.0.1:{free_port()}"}, "log_level": "WARNING",
            }  # fmt: skip
            api = yaml.safe_load((ROOT / "examples" / "api.yml").read_text())
            api.pop("rules_seed", None)
            api["elasticsearch"] = es
            api["http"] = {"listen": f"127.0.0.1:{api_port}"}
            api["notifiers"]["local-sink"]["url"] = f"http://127.0.0.1:{api_port}/sink/webhook"
            api["errors"]["index"] = f"logs-*-{ns}"
            if args.sync_interval is not None:
                api["errors"]["sync_interval"] = args.sync_interval
            env = dict(os.environ)
            procs += [start("shipper", shipper, work, env), start("indexer", indexer, work, env)]
            procs.append(start("api", api, work, env))
            wait_listening(f"tcp://127.0.0.1:{port}", procs[0])
            url = f"http://127.0.0.1:{api_port}"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
            count = int(args.rate * args.seconds)
            sentry_sdk.init(dsn=f"http://{KEY}@127.0.0.1:{port}/1", default_integrations=False)
            start_at = time.monotonic()

            def send() -> None:
                for i in range(count):
                    due = start_at + i / args.rate
                    time.sleep(max(0.0, due - time.monotonic()))
                    fingerprint = f"probe-{ns}-{i}"
                    at = time.monotonic()
                    sentry_id = sentry_sdk.capture_message(
                        f"latency probe {i}", level="error", fingerprint=[fingerprint]
                    )
                    if sentry_id is not None:
                        sent[group_key(fingerprint)] = (at, event_id("sentry", 1, sentry_id))

            sender = threading.Thread(target=send)
            sender.start()
            deadline = time.monotonic() + args.seconds + 180
            with httpx.Client(base_url=url, headers=ADMIN, timeout=30) as client:
                while time.monotonic() < deadline and (sender.is_alive() or len(in_errors) < len(sent)):
                    offset, seen = 0, set()
                    while True:
                        page = client.get(
                            "/errors", params={"dataset": "sentry", "limit": 500, "offset": offset}
                        ).json()
                        seen |= {g["id"] for g in page["items"]}
                        if len(page["items"]) < 500:
                            break
                        offset += 500
                    now = time.monotonic()
                    for key in seen & sent.keys():
                        in_errors.setdefault(key, now)
                    pending = [sent[k][1] for k in sent.keys() - in_es.keys()][:1000]
                    if pending:
                        found = httpx.post(
                            f"{stack.elasticsearch_url}/logs-*-{ns}/_search",
                            json={"size": 1000, "_source": ["event.id"], "query": {"terms": {"event.id": pending}}},
                            timeout=30,
                        ).json()
                        now = time.monotonic()
                        ids = {h["_source"]["event"]["id"] for h in found.get("hits", {}).get("hits", [])}
                        for key, (_, doc_id) in list(sent.items()):
                            if doc_id in ids:
                                in_es.setdefault(key, now)
                    time.sleep(0.2)
            sender.join()
            sentry_sdk.get_client().close(timeout=10)
    finally:
        for proc in procs:
            stop(proc)
        if not sent or len(in_es) < len(sent):  # say why, from the services' own logs
            for log in sorted(work.glob("*.log")):
                print(f"== {log.name}", *log.read_text(errors="replace").splitlines()[-10:], sep="\n")
        shutil.rmtree(work, ignore_errors=True)
    rows: list[list[object]] = []
    for name, seen_at in (("in Elasticsearch", in_es), ("group in /errors", in_errors)):
        delays = [seen_at[k] - sent[k][0] for k in seen_at if k in sent]
        if delays:
            p50, p99 = percentile(delays, 0.5), percentile(delays, 0.99)
            mean = statistics.mean(delays)
            rows.append(
                [name, f"{len(delays)}/{len(sent)}", f"{p50:.2f}", f"{p99:.2f}", f"{max(delays):.2f}", f"{mean:.2f}"]
            )
    sync = args.sync_interval if args.sync_interval is not None else "default (10)"
    print(f"{count} events at {args.rate:g}/s, each its own group; api errors.sync_interval {sync} s; {load()}")
    print(table(["sentry-sdk ->", "seen", "p50 s", "p99 s", "max s", "mean s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
