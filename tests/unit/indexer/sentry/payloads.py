"""Event payloads made by the real sentry-sdk (captured by a transport of ours, no server)."""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport


class Capture(Transport):
    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.events: list[dict[str, Any]] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        for item in envelope.items:
            if item.type == "event" and item.payload.json is not None:
                self.events.append(item.payload.json)


def capture(action: Any, **options: Any) -> dict[str, Any]:
    """The one event ``action()`` makes under ``sentry_sdk.init(**options)``."""
    transport = Capture()
    sentry_sdk.init(
        dsn="http://" + "a" * 32 + "@localhost/1", transport=transport, default_integrations=False, **options
    )
    try:
        action()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.get_global_scope().set_client(None)
    [event] = transport.events
    return event
