"""The notifier seam and the message every notifier renders from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from grokpipe.api import templates
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.render import DEFAULT, OwnerFormat, Presentation, labels, page, plain_owner


@dataclass(frozen=True)
class Mentions:
    """Who a message @-mentions where the channel supports it (error owners in digests)."""

    dingtalk_mobiles: tuple[str, ...] = ()
    slack_users: tuple[str, ...] = ()


@dataclass(frozen=True)
class Message:
    """Everything a template may use.

    ``layout`` picks the default templates (``alert`` for rules, ``error`` for new/regressed error
    groups, ``digest`` for error digests, ``check`` for checks down/recovered, ``report`` for check
    reports); ``data`` is that layout's own context.
    """

    kind: str  # fired | recovered | new | regressed | digest | down | report
    rule: dict[str, Any]
    group: dict[str, Any]
    count: int
    start: str
    end: str
    value: float | None = None
    previous: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)
    layout: templates.Layout = "alert"
    data: dict[str, Any] = field(default_factory=dict)
    mentions: Mentions = field(default_factory=Mentions)

    def context(self, presentation: Presentation = DEFAULT, owner: OwnerFormat = plain_owner) -> dict[str, Any]:
        """The template context; ``presentation`` and ``owner`` are the channel's (times, links, mentions)."""
        path = page(self.layout, self.rule, self.group, self.data)
        ctx = (
            presentation.helpers(owner)
            | self.data
            | {
                "kind": self.kind,
                "rule": self.rule,
                "group": self.group,
                "count": self.count,
                "start": self.start,
                "end": self.end,
                "value": self.value,
                "previous": self.previous,
                "samples": self.samples,
                "labels": labels(self.group, self.samples),
                "url": presentation.link(path) if path else None,
            }
        )
        ctx["title"] = templates.render(templates.LAYOUTS[self.layout].title, ctx)
        return ctx

    def template(self, kind: templates.Part, override: str | None) -> str:
        """The notifier's own ``template:`` replaces the body of rule alerts only: other layouts have other context."""
        if override is not None and self.layout == "alert":
            return override
        chosen = templates.LAYOUTS[self.layout]
        return chosen.markdown if kind == "markdown" else chosen.html


class Notifier(Protocol):
    name: str

    def send(self, message: Message, client: httpx.Client) -> None: ...

    def preview(self, message: Message) -> dict[str, Any]:
        """What :meth:`send` would deliver (``text``, ``html``, the request ``body``), without secrets."""
        ...


def check_response(response: httpx.Response) -> None:
    """Raise :class:`DeliveryFailed` naming only the status (URLs may carry tokens)."""
    if response.status_code >= 400:
        raise DeliveryFailed(f"HTTP {response.status_code}", status=response.status_code)
