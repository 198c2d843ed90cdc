"""The notifier seam and the message every notifier renders from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from api import templates
from api.errors import DeliveryFailed


@dataclass(frozen=True)
class Message:
    """Everything a template may use."""

    kind: str  # fired | recovered
    rule: dict[str, Any]
    group: dict[str, Any]
    count: int
    start: str
    end: str
    value: float | None = None
    previous: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)

    def context(self) -> dict[str, Any]:
        ctx = {
            "kind": self.kind,
            "rule": self.rule,
            "group": self.group,
            "count": self.count,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "previous": self.previous,
            "samples": self.samples,
        }
        ctx["title"] = templates.render(templates.TITLE, ctx)
        return ctx


class Notifier(Protocol):
    name: str

    def send(self, message: Message, client: httpx.Client) -> None: ...


def check_response(response: httpx.Response) -> None:
    """Raise :class:`DeliveryFailed` naming only the status (URLs may carry tokens)."""
    if response.status_code >= 400:
        raise DeliveryFailed(f"HTTP {response.status_code}", status=response.status_code)
