"""The notifier seam: what a channel package provides (:class:`Channel`) and what its notifier does.

A channel is one package under ``grokpipe.api.notifiers`` (``dingtalk/``, ``feishu/``...) holding its config
model, its notifier (rendering and sending) and its ``CHANNEL`` record; :mod:`grokpipe.api.notifiers.channels`
lists the records, and everything else (api.yml's ``notifiers:`` and ``owners:``, the dispatcher, previews)
is built from that list.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import httpx
from pydantic import BaseModel, Field

from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.render import DEFAULT, Presentation
from grokpipe.settings import Section

__all__ = [
    "SETUP",
    "BaseNotifier",
    "Channel",
    "Handle",
    "Message",
    "Notifier",
    "NotifierSettings",
    "Rendered",
    "Setup",
    "check_response",
    "post_json",
]


class NotifierSettings(Section):
    """One ``notifiers:`` entry of api.yml; each channel's model narrows ``type`` to its own name."""

    type: str
    template: str | None = None


class Rendered(BaseModel):
    """One notifier's message. Secrets (webhook URLs and headers, passwords) are never part of it."""

    channel: str | None = Field(description="the notifier's type (dingtalk, slack...); null for an unknown notifier")
    title: str | None = None
    text: str | None = Field(default=None, description="as the channel shows it (markdown, mrkdwn, plain text)")
    html: str | None = Field(default=None, description="the HTML part of an e-mail")
    body: dict[str, Any] | None = Field(default=None, description="the JSON the channel is sent")
    to: list[str] | None = None
    error: str | None = None


class Notifier(Protocol):
    name: str

    def send(self, message: Message, client: httpx.Client) -> None: ...

    def preview(self, message: Message) -> Rendered:
        """What :meth:`send` would deliver (text, HTML, the request body), without secrets."""
        ...


@dataclass(frozen=True)
class Setup:
    """What every notifier is built with besides its own config: how messages read, how long a delivery may take."""

    presentation: Presentation = DEFAULT
    timeout: float = 10.0


SETUP = Setup()


@dataclass(frozen=True)
class Handle:
    """A key of an ``owners:`` entry in api.yml that a channel mentions people by (``dingtalk_mobile: 138...``)."""

    key: str
    description: str


C = TypeVar("C", bound=NotifierSettings)


class BaseNotifier(Generic[C]):
    """What a channel's notifier keeps of how :attr:`Channel.notifier` builds it: its name, its config, how
    messages read. The channel's class adds the rendering and the sending."""

    def __init__(self, name: str, config: C, setup: Setup = SETUP) -> None:
        self.name = name
        self.config = config
        self.presentation = setup.presentation


@dataclass(frozen=True)
class Channel(Generic[C]):
    """One channel: its ``type:`` in api.yml (``name``), its config model, how its notifier is built, the
    ``owners:`` handles it mentions people by."""

    name: str
    config: type[C]
    notifier: Callable[[str, C, Setup], Notifier]
    handles: tuple[Handle, ...] = ()


def check_response(response: httpx.Response) -> None:
    """Raise :class:`DeliveryFailed` naming only the status (URLs may carry tokens)."""
    if response.status_code >= 400:
        raise DeliveryFailed(f"HTTP {response.status_code}", status=response.status_code)


def post_json(
    client: httpx.Client,
    url: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    check: Callable[[Any], None] | None = None,
) -> None:
    """POST ``body`` as JSON to a channel's webhook: a status of 400 or more is :func:`check_response`'s
    :class:`DeliveryFailed`; ``check`` reads the answer of the others (its JSON, ``{}`` when empty) and raises
    where the channel refused the message all the same (DingTalk's ``errcode``, Feishu's ``code``)."""
    response = client.post(url, json=body, headers=headers)
    check_response(response)
    if check is not None:
        check(response.json() if response.content else {})
