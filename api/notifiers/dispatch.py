"""Delivery: each named notifier with timeout, retries and backoff; outcomes recorded, never raised."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

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
from grokpipe.api.notifiers.slack import Slack
from grokpipe.api.notifiers.webhook import Webhook
from grokpipe.api.responses import NotificationOutcome

log = logging.getLogger(__name__)


def build(name: str, config: NotifierConfig, timeout: float) -> Notifier:
    if isinstance(config, WebhookNotifier):
        return Webhook(name, config)
    if isinstance(config, DingTalkNotifier):
        return DingTalk(name, config)
    if isinstance(config, SlackNotifier):
        return Slack(name, config)
    if isinstance(config, EmailNotifier):
        return Email(name, config, timeout)
    raise TypeError(type(config).__name__)


class Dispatcher:
    def __init__(self, configs: Mapping[str, NotifierConfig], delivery: DeliverySettings) -> None:
        self.delivery = delivery
        self.notifiers = {name: build(name, cfg, delivery.timeout) for name, cfg in configs.items()}
        self.client = httpx.Client(timeout=delivery.timeout)
        logs.quiet_http_clients()  # also where the api runs embedded, without grokpipe.logs.setup()

    def close(self) -> None:
        self.client.close()

    def deliver(self, names: list[str], message: Message) -> dict[str, NotificationOutcome]:
        return {name: self._one(name, message) for name in names}

    def _one(self, name: str, message: Message) -> NotificationOutcome:
        notifier = self.notifiers.get(name)
        if notifier is None:
            metrics.NOTIFICATIONS.labels(outcome="unknown_notifier").inc()
            return {"outcome": "failed", "attempts": 0, "error": "unknown notifier"}
        error = ""
        for attempt in range(1, self.delivery.retries + 2):
            try:
                notifier.send(message, self.client)
            except DeliveryFailed as exc:
                error = exc.message
            except httpx.HTTPError as exc:
                error = type(exc).__name__  # the message may contain the URL and its token
            else:
                metrics.NOTIFICATIONS.labels(outcome="sent").inc()
                log.info("notification sent", extra={"notifier": name, "attempts": attempt})
                return {"outcome": "sent", "attempts": attempt}
            if attempt <= self.delivery.retries:
                time.sleep(self.delivery.backoff * 2 ** (attempt - 1))
        metrics.NOTIFICATIONS.labels(outcome="failed").inc()
        log.warning("notification failed", extra={"notifier": name, "error.message": error})
        return {"outcome": "failed", "attempts": self.delivery.retries + 1, "error": error}
