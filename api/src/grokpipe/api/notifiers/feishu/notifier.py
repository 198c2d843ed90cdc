"""Feishu (Lark) custom bot (自定义机器人): a card with the title as its header and the body as card markdown.

Signed when the robot has a secret: ``timestamp`` (seconds) and ``sign`` = base64(HMAC-SHA256 keyed with
``timestamp + "\\n" + secret`` over an empty message), both in the JSON body. An owner with a ``feishu``
handle (``owners:`` in api.yml: open_id ``ou_...`` or user_id) is mentioned as ``<at id=...></at>``, which
Feishu shows as their name; without one, the name. Feishu answers 200 with ``{"code": N}``: non-zero
is a refusal (19021: bad signature or a timestamp over an hour off).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from typing import Any

import httpx

from grokpipe.api import templates
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import BaseNotifier, Rendered, post_json
from grokpipe.api.notifiers.feishu.config import FeishuNotifier
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.people import mention_by

#: the ``owners:`` key Feishu mentions a person by
OPEN_ID = "feishu"

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_ALERTING = {"fired", "down", "new", "regressed"}


def sign(secret: str, timestamp: int) -> str:
    """Feishu's scheme: base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b""))."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def at(user: str) -> str:
    return f"<at id={user}></at>"


owner_mention = mention_by(OPEN_ID, lambda _, user: at(user))


def check_answer(answer: Any) -> None:
    """Feishu answers 200 with ``{"code": N}`` (or ``{"StatusCode": N}``): non-zero is a refusal."""
    code = answer.get("code", answer.get("StatusCode", 0)) if isinstance(answer, dict) else 0
    if code:
        raise DeliveryFailed(f"Feishu code {code}", feishu_code=code)


def card_markdown(markdown: str, title: str) -> str:
    """The markdown templates as card markdown: no headings (the card's header holds the title), others bold."""
    lines: list[str] = []
    for raw in markdown.splitlines():
        heading = _HEADING.match(raw)
        if heading and heading.group(1).strip() == title.strip():
            continue
        lines.append(f"**{heading.group(1)}**" if heading else raw)
    return "\n".join(lines).strip("\n")


class Feishu(BaseNotifier[FeishuNotifier]):
    def body(self, message: Message) -> dict[str, Any]:
        ctx = message.context(self.presentation, owner_mention)
        title: str = ctx["title"]
        text = card_markdown(templates.render(message.template("markdown", self.config.template), ctx), title)
        owners = [u for u in (p.handle(OPEN_ID) for p in message.mentions) if u]
        missing = [u for u in dict.fromkeys([*self.config.at_users, *owners]) if at(u) not in text]
        if self.config.at_all:
            missing.append("all")
        if missing:  # a mention notifies only where the text carries its tag
            text += "\n" + " ".join(at(u) for u in missing)
        colour = "red" if message.kind in _ALERTING else "green" if message.kind == "recovered" else "blue"
        return {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": title}, "template": colour},
                "elements": [{"tag": "markdown", "content": text}],
            },
        }

    def preview(self, message: Message) -> Rendered:
        body = self.body(message)  # unsigned: a signature is a credential for an hour
        card = body["card"]
        return Rendered(
            channel="feishu",
            title=card["header"]["title"]["content"],
            text=card["elements"][0]["content"],
            body=body,
        )

    def send(self, message: Message, client: httpx.Client) -> None:
        body = self.body(message)
        if self.config.secret is not None:
            timestamp = int(time.time())
            body = {"timestamp": str(timestamp), "sign": sign(self.config.secret.get_secret_value(), timestamp)} | body
        post_json(client, self.config.url.get_secret_value(), body, check=check_answer)
