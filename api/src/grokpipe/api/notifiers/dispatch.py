"""Delivery: each named notifier with timeout, retries and backoff; outcomes recorded, never raised.

One notifier's failure is that notifier's alone: whatever its send raises (a refused delivery, a template
that fails, a header it cannot write, a bug) becomes its ``failed`` outcome with a reason, and the other
notifiers of the message, and the later messages of the run, are still sent and recorded. Only a failed
delivery (:class:`DeliveryFailed`: network, timeout, refused status) is tried again, up to
``delivery.retries`` times with backoff; a template failure would fail the same way again, so it is not.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping

import httpx

from grokpipe import logs
from grokpipe.api import metrics
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import Notifier, NotifierSettings, Rendered, Setup
from grokpipe.api.notifiers.channels import BY_TYPE
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.render import DEFAULT, Presentation
from grokpipe.api.notifiers.settings import DeliverySettings
from grokpipe.api.responses import NotificationOutcome
from grokpipe.api.sandbox import TemplateFailed
from grokpipe.retry import Backoff, RetryPolicy, retry

log = logging.getLogger(__name__)


def build(name: str, config: NotifierSettings, timeout: float, presentation: Presentation = DEFAULT) -> Notifier:
    """The notifier of one ``notifiers:`` entry, by its channel's registration (:mod:`.channels`)."""
    return BY_TYPE[config.type].notifier(name, config, Setup(presentation, timeout))


class Dispatcher:
    def __init__(
        self,
        configs: Mapping[str, NotifierSettings],
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

    def preview(self, names: list[str], message: Message) -> dict[str, Rendered]:
        """What each named notifier would receive, rendered in its channel's format; nothing is sent."""
        out: dict[str, Rendered] = {}
        for name in names:
            notifier = self.notifiers.get(name)
            out[name] = notifier.preview(message) if notifier else Rendered(channel=None, error="unknown notifier")
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
            return self._failed(name, attempts, exc.message)
        except TemplateFailed as exc:
            return self._failed(name, attempts, exc.reason)
        except Exception as exc:  # noqa: BLE001  # logged by type and frames: its message may hold a URL or token
            stack = "".join(traceback.format_tb(exc.__traceback__))
            log.error(
                "notifier raised",
                extra={"notifier": name, "error.type": type(exc).__name__, "error.stack_trace": stack},
            )
            return self._failed(name, attempts, f"notifier error: {type(exc).__name__}")
        metrics.NOTIFICATIONS.labels(outcome="sent").inc()
        log.info("notification sent", extra={"notifier": name, "attempts": attempts})
        return {"outcome": "sent", "attempts": attempts}

    def _failed(self, name: str, attempts: int, reason: str) -> NotificationOutcome:
        metrics.NOTIFICATIONS.labels(outcome="failed").inc()
        log.warning("notification failed", extra={"notifier": name, "error.message": reason})
        return {"outcome": "failed", "attempts": attempts, "error": reason}
