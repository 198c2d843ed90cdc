"""A grokpipe service as a child process: started, killed with SIGKILL, restarted, stopped; and the
processes it starts (parse workers, drain processes), found in /proc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


class ServiceProcess:
    """``grokpipe SERVICE -c CONFIG`` with its output appended to ``log``, for kill -9 tests."""

    def __init__(self, service: str, config: Path, log: Path) -> None:
        self.service = service
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grokpipe.cli", self.service, "-c", str(self.config)],
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                env=os.environ.copy(),
            )

    def kill(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def __del__(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def start_service(service: str, config: Path, cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """``grokpipe SERVICE -c CONFIG`` in ``cwd`` with ``env``, output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "grokpipe.cli", service, "-c", str(config)],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
        )


def _runs(pid: int, running: bytes) -> bool:
    """Whether ``pid`` is alive with ``running`` in its command line (a zombie's is empty)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return running in f.read()
    except OSError:
        return False


def children(ppid: int, running: bytes = b"") -> set[int]:
    """Processes whose parent is ``ppid`` and whose command line contains ``running``."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == ppid and _runs(int(entry), running):
            found.add(int(entry))
    return found


def still_running(pids: set[int], running: bytes) -> set[int]:
    """Those of ``pids`` alive with ``running`` in their command line (a reused pid would not be)."""
    return {pid for pid in pids if _runs(pid, running)}
