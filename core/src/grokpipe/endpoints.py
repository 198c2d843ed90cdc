"""What ``grokpipe up`` listens on, read from the example configs: checked free before anything starts,
waited for until each answers, then printed as the "grokpipe is up" banner.

A port already taken is named with the service and the config key to change, before any process
starts (instead of one service dying with a traceback and the stack with it).
"""

from __future__ import annotations

import errno
import os
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml


@dataclass(frozen=True)
class Endpoint:
    service: str
    protocol: Literal["tcp", "udp", "http"]
    host: str
    port: int
    key: str  # the config key (and file) that sets it
    dsns: tuple[str, ...] = ()  # a Sentry input's DSNs, one per project (its first key)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def health(self) -> str | None:
        return f"http://{_reachable(self.host)}:{self.port}/healthz" if self.protocol == "http" else None


class PortInUse(Exception):
    """One of the stack's ports is taken: the message names it, the service and the key to change."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__(
            f"port {endpoint.port} ({endpoint.protocol}, {endpoint.host}) is in use: {endpoint.service} listens "
            f"there ({endpoint.key}). Stop what holds it (ss -ltnup 'sport = :{endpoint.port}' shows it) "
            "or change that setting."
        )
        self.endpoint = endpoint


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host  # a wildcard: ask loopback


def _split(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)  # the wildcard the service would bind


def _config(examples: Path, service: str) -> dict[str, Any]:
    path = examples / f"{service}.yml"
    loaded = yaml.safe_load(path.read_text()) if path.is_file() else None
    return loaded if isinstance(loaded, dict) else {}


def endpoints(
    examples: Path, services: list[str], env: Mapping[str, str] = os.environ, *, kafka_port: int, es_port: int
) -> list[Endpoint]:
    """Every port the stack will listen on, with the key that sets it."""
    found = [
        Endpoint("Kafka", "tcp", "127.0.0.1", kafka_port, "grokpipe up --kafka-port"),
        Endpoint("Elasticsearch", "tcp", "127.0.0.1", es_port, "grokpipe up --elasticsearch-port"),
    ]
    for service in services:
        config = _config(examples, service)
        file = examples / f"{service}.yml"
        listen = env.get("GROKPIPE_HTTP__LISTEN") or str((config.get("http") or {}).get("listen") or "")
        if listen:
            host, port = _split(listen)
            found.append(Endpoint(service, "http", host, port, f"http.listen in {file}"))
        for i, section in enumerate(config.get("inputs") or []):
            if isinstance(section, dict) and section.get("type") == "sentry" and section.get("listen"):
                found.append(_sentry(service, i, section, file))
            if not isinstance(section, dict) or section.get("type") != "syslog":
                continue
            for url in section.get("listen") or []:
                scheme, _, rest = str(url).partition("://")
                if scheme in ("tcp", "udp") and rest:
                    host, port = _split(rest)
                    name = section.get("id") or f"inputs[{i}]"
                    found.append(Endpoint(f"{service} ({name})", scheme, host, port, f"inputs[{i}].listen in {file}"))  # type: ignore[arg-type]
    return found


def _sentry(service: str, i: int, section: dict[str, Any], file: Path) -> Endpoint:
    """A ``type: sentry`` input: its port, and the DSN an SDK takes for each of its projects."""
    host, port = _split(str(section["listen"]))
    dsns = tuple(
        f"http://{project['keys'][0]}@{_reachable(host)}:{port}/{project['id']}"
        for project in section.get("projects") or []
        if isinstance(project, dict) and project.get("keys") and "id" in project
    )
    name = section.get("id") or f"inputs[{i}]"
    return Endpoint(f"{service} ({name})", "tcp", host, port, f"inputs[{i}].listen in {file}", dsns)


def check_free(found: list[Endpoint]) -> None:
    """Raise :class:`PortInUse` for the first port something else holds."""
    for endpoint in found:
        kind = socket.SOCK_DGRAM if endpoint.protocol == "udp" else socket.SOCK_STREAM
        family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
        with socket.socket(family, kind) as sock:
            if kind == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no owner
            try:
                sock.bind((endpoint.host, endpoint.port))
            except OSError as exc:
                if exc.errno == errno.EADDRINUSE:
                    raise PortInUse(endpoint) from None
                raise


def answers(endpoint: Endpoint, timeout: float = 1.0) -> bool:
    """Whether ``endpoint`` serves now: its health URL answers 200 (http), it accepts a connection (tcp).
    UDP cannot be asked: it counts as serving once its service's other endpoints do."""
    host = _reachable(endpoint.host)
    if endpoint.protocol == "udp":
        return True
    if endpoint.protocol == "tcp":
        try:
            socket.create_connection((host, endpoint.port), timeout=timeout).close()
        except OSError:
            return False
        return True
    assert endpoint.health is not None
    try:
        with urllib.request.urlopen(endpoint.health, timeout=timeout) as response:  # noqa: S310  # our own http://
            return int(response.status) == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_ready(
    found: list[Endpoint],
    *,
    timeout: float,
    stop: Callable[[], bool] = lambda: False,
    probe: Callable[[Endpoint], bool] = answers,
) -> list[Endpoint]:
    """Wait until every endpoint answers (or ``timeout``, or ``stop()``); the ones that still do not."""
    deadline = time.monotonic() + timeout
    waiting = list(found)
    while waiting and not stop():
        waiting = [e for e in waiting if not probe(e)]
        if not waiting or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    return waiting


def banner(found: list[Endpoint], services: list[str], *, late: list[Endpoint]) -> str:
    """The lines a person needs: where the console, the api docs, syslog and each health check are."""
    lines = ["", f"grokpipe is up: {', '.join(services) or 'no services'}."]
    for endpoint in found:
        host = _reachable(endpoint.host)
        if endpoint.service == "api" and endpoint.protocol == "http":
            lines.append(f"  Web console:   http://{host}:{endpoint.port}/ui/ (log in with an API key from api.yml)")
            lines.append(f"  API docs:      http://{host}:{endpoint.port}/docs")
            lines.append(
                f"  Search logs:   http://{host}:{endpoint.port}/ui/logs, or grokpipe search QUERY --since 15m"
                f" --url http://{host}:{endpoint.port} --key KEY"
            )
        elif endpoint.dsns:
            lines += [f"  Sentry DSN:    {dsn}  ({endpoint.service})" for dsn in endpoint.dsns]
        elif endpoint.protocol in ("tcp", "udp") and endpoint.service not in ("Kafka", "Elasticsearch"):
            lines.append(f"  Syslog:        {endpoint.protocol}://{host}:{endpoint.port}  ({endpoint.service})")
    for endpoint in found:
        if endpoint.service == "Kafka":
            lines.append(f"  Kafka:         {endpoint.address}")
        elif endpoint.service == "Elasticsearch":
            lines.append(f"  Elasticsearch: http://{endpoint.address}")
        elif endpoint.protocol == "http":
            lines.append(f"  {endpoint.service + ' health:':15}{endpoint.health}")
    for endpoint in late:
        lines.append(f"  not answering yet: {endpoint.service} {endpoint.protocol}://{endpoint.address}")
    lines += ["Ctrl-C stops everything.", ""]
    return "\n".join(lines)
