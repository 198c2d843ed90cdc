"""Notifier building blocks without servers: DingTalk signature, templates, config secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from datetime import UTC, datetime

import pytest

from grokpipe.api.config import ApiSettings
from grokpipe.api.notifiers.dingtalk.notifier import sign
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.templates import HTML, render
from grokpipe.settings import ConfigError


def _message() -> Message:
    now = datetime.now(UTC)
    return Message(kind="fired", rule=Subject(name="r"), count=0, start=now, end=now)


def test_dingtalk_sign_matches_the_documented_scheme() -> None:
    secret, ts = "SEC000", 1700000000000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    assert urllib.parse.unquote_plus(sign(secret, ts)) == expected.decode()


def test_html_template_escapes_and_tabulates() -> None:
    now = datetime.now(UTC)
    msg = Message(
        kind="fired",
        rule=Subject(name="<b>r</b>"),
        group={"k": "v"},
        count=2,
        start=now,
        end=now,
        samples=[{"message": "<script>", "host": {"name": "h1"}}],
    )
    html = render(HTML, msg.context(), html=True)
    assert "&lt;script&gt;" in html
    assert "<script>" not in html
    assert "<td>h1</td>" in html


def test_sandbox_blocks_python_internals() -> None:
    from jinja2.exceptions import SecurityError

    with pytest.raises(SecurityError):
        render("{{ rule.__class__.__mro__ }}", _message().context())


def test_config_keeps_secrets_out_of_repr() -> None:
    settings = ApiSettings.model_validate(
        {
            "auth": {"admin_keys": ["adm1n"]},
            "notifiers": {"d": {"type": "dingtalk", "url": "http://x", "secret": "SECxyz"}},
        }
    )
    assert "SECxyz" not in repr(settings)
    assert "adm1n" not in repr(settings)


def test_config_requires_an_admin_key(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="admin"):
        ApiSettings.load(None)
