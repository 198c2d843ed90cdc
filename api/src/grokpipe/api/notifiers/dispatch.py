"""Delivery: each named notifier with timeout, retries and backoff; outcomes recorded, never raised."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import httpx

from grokpipe import logs
from grokpipe.api import metrics
from grokpipe.api.config import (
    DeliverySettings,
    DingTalkNotifier,
    EmailNotifier,
    SlackNotifier,
    WebhookNotifier,
)
from grokpipe.api.config import (
    Notifier as NotifierConfig,
)
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import Message, Notifier
from grokpipe.api.notifiers.dingtalk import DingTalk
from grokpipe.api.notifiers.email import Email
from grokpipe.api.notifiers.render import DEFAULT, Presentation
from grokpipe.api.notifiers.slack import Slack
from grokpipe.api.notifiers.webhook import Webhook
from grokpipe.api.responses import NotificationOutcome
from grokpipe.retry import Backoff, RetryPolicy, retry

log = logging.getLogger(__name__)


def build(name: str, config: NotifierConfig, timeout: float, presentation: Presentation = DEFAULT) -> Notifier:
    if isinstance(config, WebhookNotifier):
        return Webhook(name, config, presentation)
    if isinstance(config, DingTalkNotifier):
        return DingTalk(name, config, presentation)
    if isinstance(config, SlackNotifier):
        return Slack(name, config, presentation)
    if isinstance(config, EmailNotifier):
        return Email(name, config, timeout, presentation)
    raise TypeError(type(config).__name__)


class Dispatcher:
    def __init__(
        self,
        configs: Mapping[str, NotifierConfig],
        delivery: DeliverySettings,
        presentation: Presentation = DEFAULT,
    ) -> None:
        self.delivery = delivery
        # retries after the first try, waiting backoff, 2 x backoff... up to a minute (the upper half of each
        # drawn at random)
        self.policy = RetryPolicy(
            Backoff(initial=delivery.backoff, cap=max(delivery.backoff, 60.0), jitter=0.5),
            attempts=delivery.retries + 1,
        )
        self.notifiers = {name: build(name, cfg, delivery.timeout, presentation) for name, cfg in configs.items()}
        self.client = httpx.Client(timeout=delivery.timeout)
        logs.quiet_http_clients()  # also where the api runs embedded, without grokpipe.logs.setup()

    def close(self) -> None:
        self.client.close()

    def preview(self, names: list[str], message: Message) -> dict[str, dict[str, Any]]:
        """What each named notifier would receive, rendered in its channel's format; nothing is sent."""
        out: dict[str, dict[str, Any]] = {}
        for name in names:
            notifier = self.notifiers.get(name)
            out[name] = notifier.preview(message) if notifier else {"channel": None, "error": "unknown notifier"}
        return out

    def deliver(self, names: list[str], message: Message) -> dict[str, NotificationOutcome]:
        return {name: self._one(name, message) for name in names}

    def _one(self, name: str, message: Message) -> NotificationOutcome:
        notifier = self.notifiers.get(name)
        if notifier is None:
            metrics.NOTIFICATIONS.labels(outcome="unknown_notifier").inc()
            return {"outcome": "failed", "attempts": 0, "error": "unknown notifier"}
        attempts = 0

        def send() -> None:
            nonlocal attempts
            attempts += 1
            try:
                notifier.send(message, self.client)
            except httpx.HTTPError as exc:  # named by type: its message may contain the URL and its token
                raise DeliveryFailed(type(exc).__name__) from exc

        try:
            retry(send, self.policy)
        except DeliveryFailed as exc:
            metrics.NOTIFICATIONS.labels(outcome="failed").inc()
            log.warning("notification failed", extra={"notifier": name, "error.message": exc.message})
            return {"outcome": "failed", "attempts": attempts, "error": exc.message}
        metrics.NOTIFICATIONS.labels(outcome="sent").inc()
        log.info("notification sent", extra={"notifier": name, "attempts": attempts})
        return {"outcome": "sent", "attempts": attempts}
