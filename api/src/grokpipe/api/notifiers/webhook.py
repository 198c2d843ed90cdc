"""Generic webhook: JSON POST of the alert, custom (secret) headers."""

from __future__ import annotations

import httpx

from grokpipe.api import templates
from grokpipe.api.config import WebhookNotifier
from grokpipe.api.notifiers.base import Message, check_response


class Webhook:
    def __init__(self, name: str, config: WebhookNotifier) -> None:
        self.name = name
        self.config = config

    def send(self, message: Message, client: httpx.Client) -> None:
        ctx = message.context()
        body = {k: v for k, v in ctx.items() if k != "title"} | {"title": ctx["title"]}
        body["text"] = templates.render(message.template("markdown", self.config.template), ctx)
        headers = {k: v.get_secret_value() for k, v in self.config.headers.items()}
        check_response(client.post(self.config.url, json=body, headers=headers))
