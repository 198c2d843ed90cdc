"""Configuration of one syslog input: ``inputs: [{type: syslog, listen: [...], ...}]``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from grokpipe.settings import Section
from grokpipe.shipper.spool import SpoolSettings
from grokpipe.shipper.syslog.joiner import StreamMultiline
from grokpipe.timeutil import time_zone

Transport = Literal["udp", "tcp", "tls", "unix", "unix-stream"]
STREAM_TRANSPORTS: frozenset[str] = frozenset({"tcp", "tls", "unix-stream"})


@dataclass(frozen=True, slots=True)
class ListenAddress:
    transport: Transport
    host: str  # empty for unix sockets
    port: int  # 0 for unix sockets
    path: str  # the socket file for unix sockets

    @property
    def stream(self) -> bool:
        return self.transport in STREAM_TRANSPORTS

    def __str__(self) -> str:
        if self.path:
            return f"{self.transport}://{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.transport}://{host}:{self.port}"


def usable_cores() -> int:
    """Cores this process may run on (the affinity mask, as containers and taskset set it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_listen(url: str) -> ListenAddress:
    """``udp://HOST:PORT``, ``tcp://[::1]:PORT``, ``tls://...``, ``unix:///dev/log`` (datagram),
    ``unix-stream:///path``; raises ValueError saying what is wrong."""
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme in {"unix", "unix-stream"}:
        if not parts.path or parts.netloc:
            raise ValueError(f"{url!r}: a unix socket is written {scheme}:///absolute/path")
        return ListenAddress(scheme, "", 0, parts.path)  # type: ignore[arg-type]
    if scheme not in {"udp", "tcp", "tls"}:
        raise ValueError(f"{url!r}: the scheme must be udp, tcp, tls, unix or unix-stream")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{url!r}: {exc}") from None
    if parts.hostname is None or port is None or parts.path not in {"", "/"}:
        raise ValueError(f"{url!r}: expected {scheme}://HOST:PORT (IPv6 as [::1]:PORT)")
    return ListenAddress(scheme, parts.hostname, port, "")  # type: ignore[arg-type]


class TlsSettings(Section):
    cert: Path = Field(description="PEM certificate chain of this server")
    key: Path = Field(description="PEM private key")
    client_ca: Path | None = Field(default=None, description="require client certificates signed by this CA")

    @model_validator(mode="after")
    def _readable(self) -> TlsSettings:
        for name in ("cert", "key", "client_ca"):
            path = getattr(self, name)
            if path is not None and not path.is_file():
                raise ValueError(f"{name}: no such file: {path}")
        return self


class Route(Section):
    """``routes: [{appname: "nginx*", dataset: nginx.access}]``: the first route whose glob matches a
    message's app-name (Docker's tag) gives its dataset; unmatched messages keep the input's."""

    appname: str = Field(min_length=1, description="fnmatch glob on log.syslog.appname, case-sensitive")
    dataset: str = Field(pattern=r"^[a-z0-9_.]+$")
    container: bool = Field(
        default=False, description="the app-name is a Docker tag: container.name is set from it (also without an id)"
    )


class SyslogInputSettings(Section):
    type: Literal["syslog"]
    id: str | None = Field(default=None, description="names the spool folder and metrics; default: dataset")
    listen: list[str] = Field(min_length=1, description="udp://HOST:PORT, tcp://, tls://, unix:///PATH, unix-stream://")
    dataset: str = Field(default="syslog", pattern=r"^[a-z0-9_.]+$")
    tags: list[str] = Field(default_factory=list, description="added to every event")
    timezone: str = Field(default="UTC", description="for timestamps sent without an offset (RFC 3164)")
    max_message_bytes: int = Field(default=64 * 1024, ge=480, description="longer messages are cut and tagged")
    idle_timeout: float = Field(default=600.0, gt=0, description="seconds before a silent stream connection closes")
    max_connections: int = Field(
        default=1024,
        ge=1,
        description="per stream listener; when full, the busiest source's longest-silent connection gives way"
        " to a new source, or the new connection is refused",
    )
    max_connections_per_source: int = Field(
        default=64,
        ge=1,
        description="per TCP/TLS listener and source address (an IPv6 /64), in each worker process; more are refused",
    )
    receive_buffer_bytes: int | None = Field(default=8 * 1024 * 1024, ge=65536, description="SO_RCVBUF for UDP")
    socket_mode: int = Field(default=0o666, description="permissions of unix socket files")
    tls: TlsSettings | None = None
    spool: SpoolSettings = Field(default_factory=SpoolSettings)
    multiline: StreamMultiline | None = Field(
        default_factory=StreamMultiline,
        description="on by default (preset auto): a container's traceback is one event; null: one event per message",
    )
    routes: list[Route] = Field(default_factory=list, description="datasets by app-name glob, first match wins")
    workers: int | None = Field(
        default=None,
        ge=1,
        le=256,
        description="parse-and-spool processes sharing the listeners (SO_REUSEPORT); default: the number of"
        " cores; 1: the input runs inside the shipper process",
    )

    @property
    def name(self) -> str:
        return self.id or self.dataset

    @property
    def addresses(self) -> list[ListenAddress]:
        return [parse_listen(url) for url in self.listen]

    @property
    def worker_count(self) -> int:
        """Processes to run: ``workers`` (default: usable cores), 1 when no listener is a network
        socket (unix sockets cannot be shared, so they always belong to worker 0)."""
        if not any(a.host for a in self.addresses):
            return 1
        return self.workers if self.workers is not None else usable_cores()

    @field_validator("listen")
    @classmethod
    def _urls(cls, urls: list[str]) -> list[str]:
        for url in urls:
            parse_listen(url)
        if len(set(urls)) != len(urls):
            raise ValueError("the same address is listed twice")
        return urls

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        time_zone(zone)
        return zone

    @model_validator(mode="after")
    def _tls_needs_certificate(self) -> SyslogInputSettings:
        if self.tls is None and any(a.transport == "tls" for a in self.addresses):
            raise ValueError("a tls:// listener needs tls: {cert, key}")
        return self
