"""Generic webhook: JSON POST of the alert, custom (secret) headers."""

from __future__ import annotations

from typing import Any

import httpx

from grokpipe.api import templates
from grokpipe.api.notifiers.base import BaseNotifier, Rendered, post_json
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.webhook.config import WebhookNotifier

_HELPERS = ("when", "link", "owner")


class Webhook(BaseNotifier[WebhookNotifier]):
    def body(self, message: Message) -> dict[str, Any]:
        ctx = message.context(self.presentation)
        body = {k: v for k, v in ctx.items() if k not in ("title", *_HELPERS)} | {"title": ctx["title"]}
        body["text"] = templates.render(message.template("markdown", self.config.template), ctx)
        return body

    def preview(self, message: Message) -> Rendered:
        body = self.body(message)
        return Rendered(channel="webhook", title=body["title"], text=body["text"], body=body)

    def send(self, message: Message, client: httpx.Client) -> None:
        headers = {k: v.get_secret_value() for k, v in self.config.headers.items()}
        post_json(client, self.config.url, self.body(message), headers=headers)
