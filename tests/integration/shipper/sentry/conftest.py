"""A running shipper with a Sentry input on a free port, against the session's noida-db."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support.shipper import settings

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.service import Shipper


@dataclass(frozen=True)
class SentryShipper:
    shipper: Shipper
    port: int
    key: str
    project: int = 1

    @property
    def dsn(self) -> str:
        return f"http://{self.key}@127.0.0.1:{self.port}/{self.project}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/{self.project}"

    def metrics(self) -> str:
        import urllib.request

        listen = self.shipper.settings.http.listen
        with urllib.request.urlopen(f"http://{listen}/metrics", timeout=10) as response:
            return str(response.read().decode())


StartSentry = Callable[..., SentryShipper]


@pytest.fixture
def start_sentry(stack: EmbeddedStack, topic: str, data_dir: Path) -> Iterator[StartSentry]:
    """``start_sentry(**input_settings)``: a shipper whose one input is ``type: sentry`` for project 1 ``shop``
    (``bootstrap_stack`` and ``topic_name``: another noida-db than the session's)."""
    running: list[Shipper] = []

    def start(
        bootstrap_stack: EmbeddedStack | None = None,
        topic_name: str | None = None,
        shipper_options: dict[str, Any] | None = None,
        **options: Any,
    ) -> SentryShipper:
        port, key = free_port(), uuid.uuid4().hex
        spec = {
            "type": "sentry",
            "id": "sentry",
            "listen": f"127.0.0.1:{port}",
            "projects": [{"id": 1, "name": "shop", "keys": [key]}],
            **options,
        }
        extra = shipper_options or {}
        shipper = Shipper(settings(bootstrap_stack or stack, topic_name or topic, data_dir, [spec], **extra))
        shipper.start()
        running.append(shipper)
        return SentryShipper(shipper, port, key)

    yield start
    for shipper in running:
        shipper.stop()
