"""Slack incoming webhook: a header block with the title, the body as mrkdwn, ``text`` as the fallback.

Slack has no headings and its own link and bold syntax: the markdown templates are converted
(:func:`mrkdwn`), and an owner with a ``slack`` member id (``owners:`` in api.yml) is mentioned as ``<@id>``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from grokpipe.api import templates
from grokpipe.api.notifiers.base import BaseNotifier, Rendered, post_json
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.people import mention_by
from grokpipe.api.notifiers.slack.config import SlackNotifier

#: the ``owners:`` key Slack mentions a person by (their member id)
MEMBER = "slack"

_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


def mrkdwn(markdown: str, title: str | None = None) -> str:
    """Markdown to Slack mrkdwn: headings become bold lines (the one repeating ``title`` goes), ``- `` a
    bullet, ``**b**`` ``*b*``, ``[t](u)`` ``<u|t>``."""
    lines: list[str] = []
    for raw in markdown.splitlines():
        heading = _HEADING.match(raw)
        if heading and heading.group(1).strip() == (title or "").strip():
            continue
        if heading:
            lines.append(f"**{heading.group(1)}**")
        elif raw.lstrip().startswith("- "):  # mrkdwn has no lists: a bullet reads as one
            lines.append(raw.replace("- ", "• ", 1))
        else:
            lines.append(raw)
    text = "\n".join(lines).strip("\n")
    text = _BOLD.sub(r"*\1*", text)
    return _LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1).replace('|', '/')}>", text)


owner_mention = mention_by(MEMBER, lambda _, member: f"<@{member}>")


class Slack(BaseNotifier[SlackNotifier]):
    def body(self, message: Message) -> dict[str, Any]:
        ctx = message.context(self.presentation, owner_mention)
        text = mrkdwn(templates.render(message.template("markdown", self.config.template), ctx), ctx["title"])
        members = dict.fromkeys(m for m in (p.handle(MEMBER) for p in message.mentions) if m)
        missing = [u for u in members if f"<@{u}>" not in text]
        if missing:
            text += "\n" + " ".join(f"<@{user}>" for user in missing)
        blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": ctx["title"][:150]}}]
        if text:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
        body: dict[str, Any] = {"text": ctx["title"], "blocks": blocks}
        if self.config.channel:
            body["channel"] = self.config.channel
        return body

    def preview(self, message: Message) -> Rendered:
        body = self.body(message)
        text = next((b["text"]["text"] for b in body["blocks"] if b["type"] == "section"), "")
        return Rendered(channel="slack", title=body["text"], text=text, body=body)

    def send(self, message: Message, client: httpx.Client) -> None:
        post_json(client, self.config.url.get_secret_value(), self.body(message))
