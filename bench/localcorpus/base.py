"""What a program of the local corpus is (how to make its log, how to label its lines) and the helpers
its producer shares with the others: ports, servers run for the length of a block, quiet commands."""

from __future__ import annotations

import contextlib
import random
import re
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from grokpipe.embedded import free_port

__all__ = ["Event", "Log", "Program", "events", "free_port", "label", "run", "running", "wait_port"]

#: (event id, regex of the whole line): the id is the format string, the regex is written from it.
Event = tuple[str, re.Pattern[str]]


@dataclass(frozen=True)
class Log:
    """One log file a program writes, and the events its lines come from."""

    name: str
    file: str
    events: tuple[Event, ...]


@dataclass(frozen=True)
class Program:
    """A real program: the Debian packages it comes from, how to make it log, the logs it writes."""

    name: str
    packages: tuple[str, ...]
    produce: Callable[[Path, random.Random], None]
    logs: tuple[Log, ...]


def events(header: str, table: Sequence[tuple[str, str]], tail: str = "") -> tuple[Event, ...]:
    """Compile each message regex between the log's header and tail regexes, to match whole lines."""
    return tuple((event, re.compile(header + message + tail)) for event, message in table)


def label(line: str, table: Sequence[Event]) -> str | None:
    """The first event whose regex matches the whole line; None when none fits."""
    return next((event for event, rx in table if rx.fullmatch(line)), None)


def wait_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")


@contextlib.contextmanager
def running(argv: Sequence[str], port: int | None = None, **kwargs: object) -> Iterator[subprocess.Popen[bytes]]:
    """A server for the length of the block (SIGTERM at the end, as its service manager would stop it)."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
    try:
        if port is not None:
            wait_port(port)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(argv: Sequence[str], timeout: float = 30.0, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """A client command whose failure is the point (a wrong password, a bad query): never raises on exit code."""
    return subprocess.run(argv, capture_output=True, timeout=timeout, check=False, **kwargs)  # type: ignore[call-overload, no-any-return]
