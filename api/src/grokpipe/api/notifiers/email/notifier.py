"""Email over SMTP (plain, STARTTLS or SSL; optional auth): an HTML part and a plain-text part.

The owner is written with name and address; links are ``<a>`` in the HTML part and ``text: url`` in
the plain one. A refused delivery names the server's reply code and text, never the password.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage

import httpx

from grokpipe.api import templates
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import SETUP, BaseNotifier, Rendered, Setup
from grokpipe.api.notifiers.email.config import EmailNotifier
from grokpipe.api.notifiers.message import Message
from grokpipe.api.notifiers.render import plain_owner

_LINE_BREAKS = re.compile(r"[\r\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u2028\u2029]+")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.MULTILINE)
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")


def plain_text(markdown: str) -> str:
    """The markdown templates as a mail reader shows plain text: no ``###`` or ``**``, links as ``text: url``."""
    text = _HEADING.sub(lambda m: m.group(1) + "\n" + "=" * min(len(m.group(1)), 72), markdown)
    text = _BOLD.sub(r"\1", text)
    return _LINK.sub(r"\1: \2", text)


def header_text(value: str) -> str:
    """One header line: a title can hold a rule name or a grouped value taken from log data, whose CR, LF or
    other control characters would end the header (``EmailMessage`` refuses them): each run becomes a space."""
    return _LINE_BREAKS.sub(" ", value).strip()


#: e-mail writes an owner with the address of their commits: no handle needed
owner_address = plain_owner


def smtp_failure(exc: BaseException) -> str:
    """``SMTP 550 5.1.1 <x@y>: Recipient address rejected (SMTPRecipientsRefused)``: what the server said."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        replies = [_reply(code, text) for code, text in exc.recipients.values()]
        return f"SMTP {'; '.join(replies)} ({name})" if replies else f"SMTP {name}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"SMTP {_reply(exc.smtp_code, exc.smtp_error)} ({name})"
    return f"SMTP {name}"


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(said.split())[:300]}".strip()


class Email(BaseNotifier[EmailNotifier]):
    def __init__(self, name: str, config: EmailNotifier, setup: Setup = SETUP) -> None:
        super().__init__(name, config, setup)
        self.timeout = setup.timeout

    def parts(self, message: Message) -> tuple[str, str, str]:
        """Subject, plain text, HTML."""
        ctx = message.context(self.presentation, owner_address)
        text = plain_text(templates.render(message.template("markdown", None), ctx))
        html = templates.render(message.template("html", self.config.template), ctx, html=True)
        return header_text(ctx["title"]), text, html

    def build(self, message: Message) -> EmailMessage:
        subject, text, html = self.parts(message)
        mail = EmailMessage()
        mail["Subject"] = subject
        mail["From"] = self.config.sender
        mail["To"] = ", ".join(self.config.to)
        mail.set_content(text)
        mail.add_alternative(html, subtype="html")
        return mail

    def preview(self, message: Message) -> Rendered:
        subject, text, html = self.parts(message)
        return Rendered(channel="email", title=subject, text=text, html=html, to=list(self.config.to))

    def send(self, message: Message, client: httpx.Client) -> None:
        cfg = self.config
        mail = self.build(message)
        try:
            smtp: smtplib.SMTP
            if cfg.security == "ssl":
                smtp = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=self.timeout, context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=self.timeout)
            with smtp:
                if cfg.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if cfg.username and cfg.password is not None:
                    smtp.login(cfg.username, cfg.password.get_secret_value())
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(smtp_failure(exc)) from None
