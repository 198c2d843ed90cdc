"""Running the real shipper: in-process (``Shipper``) or as a ``grokpipe shipper`` subprocess."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.config import ShipperSettings
from support.process import ServiceProcess


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


class ShipperProcess(ServiceProcess):
    """``grokpipe shipper -c CONFIG`` as a child process that a test can kill -9 and restart."""

    def __init__(self, config: Path, log: Path) -> None:
        super().__init__("shipper", config, log)


def wait_for(predicate: Any, timeout: float = 60.0, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False
