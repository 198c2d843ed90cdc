"""The embedded stack: noida-db providing Kafka and Elasticsearch on loopback ports.

Used by ``grokpipe up`` (``make run``) and, as a pytest fixture, by the integration and
end-to-end tests. The server runs in its own process group and is stopped as a group, so a
test run or Ctrl-C never leaves it behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from importlib.resources import files
from pathlib import Path
from types import TracebackType
from typing import IO, Self

log = logging.getLogger(__name__)

#: This Debian's glibc is older than the binary's build host; the loader warns on every start.
_HARMLESS = (b"GLIBC_2.39",)
_PR_SET_PDEATHSIG = 1


class EmbeddedStackError(Exception):
    retriable = False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


try:
    _LIBC: ctypes.CDLL | None = ctypes.CDLL("libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


def die_with_parent() -> None:
    """In the child: SIGTERM when the starting thread's process dies (a killed test run or ``up``),
    so no server or service is left behind. Only a ctypes call on a library loaded before the fork."""
    if _LIBC is not None:
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def noida_binary() -> Path:
    """The real server binary inside the noida-db wheel (its console script only wraps it)."""
    binary = Path(str(files("noida_db").joinpath("noida-db")))
    if not binary.is_file():
        raise EmbeddedStackError(f"noida-db binary not found at {binary}; is noida-db installed?")
    if not os.access(binary, os.X_OK):
        binary.chmod(0o755)
    return binary


class EmbeddedStack:
    """Start, stop and restart noida-db with Kafka and Elasticsearch under ``data_dir``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        kafka_port: int | None = None,
        elasticsearch_port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.kafka_port = kafka_port or free_port(host)
        self.elasticsearch_port = elasticsearch_port or free_port(host)
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path = self.data_dir / "noida-db.out"
        self._pump: threading.Thread | None = None

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def elasticsearch_url(self) -> str:
        return f"http://{self.host}:{self.elasticsearch_port}"

    def start(self, timeout: float = 60.0) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return
        for port in (self.kafka_port, self.elasticsearch_port):
            if _port_open(self.host, port):
                raise EmbeddedStackError(f"port {self.host}:{port} is already in use")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            str(noida_binary()), "start",
            "--only", "kafka,elasticsearch",
            "--host", self.host,
            "--kafka-port", str(self.kafka_port),
            "--elasticsearch-port", str(self.elasticsearch_port),
            "--data-dir", str(self.data_dir),
        ]  # fmt: skip
        self._proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent,  # noqa: PLW1509 (async-signal-safe: one prctl call)
        )
        assert self._proc.stdout is not None
        self._pump = threading.Thread(target=self._pump_output, args=(self._proc.stdout,), daemon=True)
        self._pump.start()
        self._wait_ready(timeout)
        log.info(
            "embedded stack ready",
            extra={"kafka": self.kafka_bootstrap, "elasticsearch": self.elasticsearch_url, "pid": self._proc.pid},
        )

    def _pump_output(self, stream: IO[bytes]) -> None:
        """Keep the server's output in a log file, minus the loader's harmless version warnings."""
        with self._log_path.open("ab") as out:
            for line in stream:
                if not any(marker in line for marker in _HARMLESS):
                    out.write(line)
                    out.flush()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise EmbeddedStackError(f"noida-db exited with {self._proc.returncode}: {self.output_tail()}")
            if self.kafka_up() and self.elasticsearch_up():
                return
            time.sleep(0.1)
        self.stop()
        raise EmbeddedStackError(f"noida-db did not answer within {timeout}s: {self.output_tail()}")

    def kafka_up(self) -> bool:
        return _port_open(self.host, self.kafka_port)

    def elasticsearch_up(self) -> bool:
        try:
            with urllib.request.urlopen(self.elasticsearch_url, timeout=1) as resp:  # noqa: S310 (our URL)
                return bool(resp.status == 200)
        except OSError:
            return False

    def output_tail(self, limit: int = 2000) -> str:
        with contextlib.suppress(OSError):
            return self._log_path.read_bytes()[-limit:].decode(errors="replace")
        return ""

    def _control(self, *args: str) -> None:
        subprocess.run(
            [str(noida_binary()), *args, "--data-dir", str(self.data_dir)],
            check=True,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=30,
        )

    def stop_service(self, service: str) -> None:
        """Take one server away (``kafka`` or ``elasticsearch``) while the other keeps running."""
        self._control("stop", service)
        deadline = time.monotonic() + 10
        port = self.kafka_port if service == "kafka" else self.elasticsearch_port
        while _port_open(self.host, port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def start_service(self, service: str, timeout: float = 30.0) -> None:
        self._control("start", service)
        deadline = time.monotonic() + timeout
        check = self.kafka_up if service == "kafka" else self.elasticsearch_up
        while not check():
            if time.monotonic() > deadline:
                raise EmbeddedStackError(f"{service} did not come back within {timeout}s")
            time.sleep(0.05)

    def stop(self, timeout: float = 15.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._pump is not None:
            self._pump.join(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
