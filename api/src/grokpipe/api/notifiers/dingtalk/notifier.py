"""DingTalk custom robot: markdown message, ``at`` mobiles/all, signed URL (timestamp + HMAC-SHA256).

An owner with a ``dingtalk_mobile`` handle (``owners:`` in api.yml) is written ``name @mobile`` where the
template names them, and the mobile is listed in ``at.atMobiles``: DingTalk highlights a mention only when
both are there.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import Any

import httpx

from grokpipe.api import templates
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import BaseNotifier, Rendered, post_json
from grokpipe.api.notifiers.dingtalk.config import DingTalkNotifier
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.people import mention_by

#: the ``owners:`` key DingTalk mentions a person by
MOBILE = "dingtalk_mobile"


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's scheme: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


owner_mention = mention_by(MOBILE, lambda person, mobile: f"{person.name} @{mobile}")


def check_answer(answer: Any) -> None:
    """DingTalk answers 200 with ``{"errcode": N}`` on refusals (bad signature, rate limit)."""
    errcode = answer.get("errcode", 0)
    if errcode:
        raise DeliveryFailed(f"DingTalk errcode {errcode}", errcode=errcode)


class DingTalk(BaseNotifier[DingTalkNotifier]):
    def body(self, message: Message) -> dict[str, Any]:
        ctx = message.context(self.presentation, owner_mention)
        text = templates.render(message.template("markdown", self.config.template), ctx)
        mentioned = [m for m in (p.handle(MOBILE) for p in message.mentions) if m]
        mobiles = list(dict.fromkeys([*self.config.at_mobiles, *mentioned]))
        missing = [m for m in mobiles if f"@{m}" not in text]
        if missing:  # DingTalk highlights a mention only when the text carries "@<mobile>" too
            text += "\n\n" + " ".join(f"@{m}" for m in missing)
        return {
            "msgtype": "markdown",
            "markdown": {"title": ctx["title"], "text": text},
            "at": {"atMobiles": mobiles, "isAtAll": self.config.at_all},
        }

    def preview(self, message: Message) -> Rendered:
        body = self.body(message)
        return Rendered(channel="dingtalk", title=body["markdown"]["title"], text=body["markdown"]["text"], body=body)

    def send(self, message: Message, client: httpx.Client) -> None:
        body = self.body(message)
        url = self.config.url
        if self.config.secret is not None:
            ts = int(time.time() * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={sign(self.config.secret.get_secret_value(), ts)}"
        post_json(client, url, body, check=check_answer)
