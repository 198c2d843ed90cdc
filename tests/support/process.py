"""A grokpipe service as a child process: started, killed with SIGKILL, restarted, stopped."""

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
