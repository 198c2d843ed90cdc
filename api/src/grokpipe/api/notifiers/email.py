"""Email over SMTP (plain, STARTTLS or SSL; optional auth) with an HTML table of matches."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import httpx

from grokpipe.api import templates
from grokpipe.api.config import EmailNotifier
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import Message


class Email:
    def __init__(self, name: str, config: EmailNotifier, timeout: float = 10.0) -> None:
        self.name = name
        self.config = config
        self.timeout = timeout

    def build(self, message: Message) -> EmailMessage:
        ctx = message.context()
        mail = EmailMessage()
        mail["Subject"] = ctx["title"]
        mail["From"] = self.config.sender
        mail["To"] = ", ".join(self.config.to)
        mail.set_content(templates.render(message.template("markdown", None), ctx))
        mail.add_alternative(
            templates.render(message.template("html", self.config.template), ctx, html=True), subtype="html"
        )
        return mail

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
            raise DeliveryFailed(f"SMTP {type(exc).__name__}") from None
