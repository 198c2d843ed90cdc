"""DingTalk custom robot: markdown message, ``at`` mobiles/all, signed URL (timestamp + HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse

import httpx

from grokpipe.api import templates
from grokpipe.api.config import DingTalkNotifier
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import Message, check_response


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's scheme: base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")), URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return urllib.parse.quote_plus(base64.b64encode(digest).decode())


class DingTalk:
    def __init__(self, name: str, config: DingTalkNotifier) -> None:
        self.name = name
        self.config = config

    def send(self, message: Message, client: httpx.Client) -> None:
        ctx = message.context()
        text = templates.render(message.template("markdown", self.config.template), ctx)
        mobiles = list(dict.fromkeys([*self.config.at_mobiles, *message.mentions.dingtalk_mobiles]))
        if mobiles:  # DingTalk highlights a mention only when the text carries "@<mobile>" too
            text += "\n\n" + " ".join(f"@{m}" for m in mobiles)
        url = self.config.url
        if self.config.secret is not None:
            ts = int(time.time() * 1000)
            sep = "&" if "?" in url else "?"
            url = f"{url}{sep}timestamp={ts}&sign={sign(self.config.secret.get_secret_value(), ts)}"
        body = {
            "msgtype": "markdown",
            "markdown": {"title": ctx["title"], "text": text},
            "at": {"atMobiles": mobiles, "isAtAll": self.config.at_all},
        }
        response = client.post(url, json=body)
        check_response(response)
        # DingTalk answers 200 with {"errcode": N} on refusals (bad signature, rate limit).
        errcode = response.json().get("errcode", 0) if response.content else 0
        if errcode:
            raise DeliveryFailed(f"DingTalk errcode {errcode}", errcode=errcode)
