"""Slack incoming webhook: ``text`` fallback plus mrkdwn blocks."""

from __future__ import annotations

from typing import Any

import httpx

from grokpipe.api import templates
from grokpipe.api.config import SlackNotifier
from grokpipe.api.notifiers.base import Message, check_response


class Slack:
    def __init__(self, name: str, config: SlackNotifier) -> None:
        self.name = name
        self.config = config

    def send(self, message: Message, client: httpx.Client) -> None:
        ctx = message.context()
        text = templates.render(message.template("markdown", self.config.template), ctx).replace("**", "*")
        if message.mentions.slack_users:
            text += "\n" + " ".join(f"<@{user}>" for user in message.mentions.slack_users)
        body: dict[str, Any] = {
            "text": ctx["title"],
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": ctx["title"][:150]}},
                {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}},
            ],
        }
        if self.config.channel:
            body["channel"] = self.config.channel
        check_response(client.post(self.config.url.get_secret_value(), json=body))
