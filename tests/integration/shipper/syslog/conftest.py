"""A running shipper with syslog listeners on free ports, against the session's noida-db."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.shipper import settings

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper

StartShipper = Callable[..., Shipper]


@pytest.fixture
def sockdir() -> Iterator[Path]:
    """Unix socket paths must stay under 108 bytes: pytest's tmp_path can be longer."""
    path = Path(tempfile.mkdtemp(prefix="gp-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def start_shipper(stack: EmbeddedStack, topic: str, data_dir: Path) -> Iterator[StartShipper]:
    """Start a shipper with one syslog input: ``start_shipper(listen=[...], **input_settings)``."""
    running: list[Shipper] = []

    def start(listen: list[str], bootstrap_stack: EmbeddedStack | None = None, **options: Any) -> Shipper:
        spec = {"type": "syslog", "id": "test", "listen": listen, **options}
        shipper = Shipper(settings(bootstrap_stack or stack, topic, data_dir, [spec]))
        shipper.start()
        running.append(shipper)
        return shipper

    yield start
    for shipper in running:
        shipper.stop()


def port() -> int:
    return free_port()
