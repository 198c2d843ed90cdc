"""``grokpipe up``: the whole pipeline on one machine, on the embedded Kafka + Elasticsearch.

Checks that every port the stack will listen on is free (naming the service and the config key of one
that is not), starts noida-db, creates the topic, then every service whose example config exists, each
as its own process (as in production), and prints the "grokpipe is up" banner with the URLs once each
answers its health check. Ctrl-C or SIGTERM stops the services first (so they flush), then the servers.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from grokpipe import endpoints, logs
from grokpipe.cli import commands
from grokpipe.embedded import EmbeddedStack, die_with_parent
from grokpipe.kafka_admin import ensure_topic
from grokpipe.settings import KafkaSettings

log = logging.getLogger("grokpipe.up")

SERVICES = ("shipper", "indexer", "api")
#: seconds ``grokpipe up`` waits for every service to answer before printing the banner anyway
READY_TIMEOUT = 180.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--examples", type=Path, default=Path("examples"), help="folder with <service>.yml")
    parser.add_argument("--data-dir", type=Path, default=Path(".grokpipe"), help="state of the whole stack")
    parser.add_argument("--kafka-port", type=int, default=9092)
    parser.add_argument("--elasticsearch-port", type=int, default=9200)
    parser.add_argument("--partitions", type=int, default=4, help="partitions of the logs topic")


def available_services(examples: Path) -> list[str]:
    installed = commands()
    return [name for name in SERVICES if name in installed and (examples / f"{name}.yml").is_file()]


def run(args: argparse.Namespace) -> int:
    services = available_services(args.examples)
    found = endpoints.endpoints(args.examples, services, kafka_port=args.kafka_port, es_port=args.elasticsearch_port)
    try:
        endpoints.check_free(found)  # before anything starts (or logging is set up)
    except endpoints.PortInUse as exc:
        print(f"grokpipe up: {exc}", file=sys.stderr)
        return 2
    logs.setup()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stack = EmbeddedStack(
        args.data_dir / "noida",
        kafka_port=args.kafka_port,
        elasticsearch_port=args.elasticsearch_port,
    )
    stack.start()
    env = os.environ | {
        "GROKPIPE_KAFKA__BOOTSTRAP_SERVERS": stack.kafka_bootstrap,
        "GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url,
    }
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        kafka = KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap])
        ensure_topic(kafka, kafka.topic, partitions=args.partitions)
        for name in services:
            argv = [sys.executable, "-m", "grokpipe.cli", name, "-c", str(args.examples / f"{name}.yml")]
            service_env = env | {"GROKPIPE_DATA_DIR": str(args.data_dir / name)}  # for services with state
            if name == "indexer":  # the embedded server's ceiling (docs/capacity.md); never on a real cluster
                service_env = {"GROKPIPE_RETENTION__ENABLED": "true"} | service_env
            # SIGTERM when up dies, even by kill -9: a service left running holds its port and its
            # consumer group's instance id against the next ``make run`` (it stops and flushes as on Ctrl-C)
            procs[name] = subprocess.Popen(
                argv,
                env=service_env,
                stdin=subprocess.DEVNULL,
                preexec_fn=die_with_parent,  # noqa: PLW1509 (async-signal-safe: one prctl call)
            )
            log.info("started service", extra={"service": name, "pid": procs[name].pid})

        def exited() -> bool:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    log.error("service exited", extra={"service": name, "code": proc.returncode})
                    stop.set()
            return stop.is_set()

        # the banner once every service answers its health check (and syslog accepts connections)
        late = endpoints.wait_ready(found, timeout=READY_TIMEOUT, stop=exited)
        if not stop.is_set():
            print(endpoints.banner(found, list(procs), late=late), file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            exited()
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for proc in procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        stack.stop()
    return 0
