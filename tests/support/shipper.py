"""Running the real shipper: in-process (``Shipper``) or as a ``grokpipe shipper`` subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from grokpipe.embedded import EmbeddedStack, free_port
from shipper.config import ShipperSettings


def settings(
    stack: EmbeddedStack, topic: str, data_dir: Path, inputs: list[dict[str, Any]], **extra: Any
) -> ShipperSettings:
    return ShipperSettings.load(
        None,
        data_dir=str(data_dir),
        kafka={"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
        http={"listen": f"127.0.0.1:{free_port()}"},
        inputs=inputs,
        **extra,
    )


def write_config(path: Path, stack: EmbeddedStack, topic: str, data_dir: Path, inputs: list[dict[str, Any]]) -> Path:
    doc = {
        "data_dir": str(data_dir),
        "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "inputs": inputs,
    }
    path.write_text(yaml.safe_dump(doc))
    return path


class ShipperProcess:
    """``grokpipe shipper -c CONFIG`` as a child process that a test can kill -9 and restart."""

    def __init__(self, config: Path, log: Path) -> None:
        self.config = config
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "grokpipe.cli", "shipper", "-c", str(self.config)],
                stdout=out,
                stderr=out,
                stdin=subprocess.DEVNULL,
                env=os.environ.copy(),
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self, timeout: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def __del__(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
