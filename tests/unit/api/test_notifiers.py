"""Notifier building blocks without servers: DingTalk signature, 2xx refusals, mentions, templates, config secrets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from grokpipe.api.config import ApiSettings
from grokpipe.api.errors import DeliveryFailed
from grokpipe.api.notifiers.base import Rendered
from grokpipe.api.notifiers.dingtalk import notifier as dingtalk
from grokpipe.api.notifiers.dingtalk.notifier import sign
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.feishu import notifier as feishu
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.notifiers.people import Person
from grokpipe.api.notifiers.settings import DeliverySettings
from grokpipe.api.notifiers.slack import notifier as slack
from grokpipe.api.sandbox import TemplateFailed
from grokpipe.api.templates import HTML, render
from grokpipe.settings import ConfigError


def _message() -> Message:
    now = datetime.now(UTC)
    return Message(kind="fired", rule=Subject(name="r"), count=0, start=now, end=now)


def test_dingtalk_sign_matches_the_documented_scheme() -> None:
    secret, ts = "SEC000", 1700000000000
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    assert urllib.parse.unquote_plus(sign(secret, ts)) == expected.decode()


@pytest.mark.parametrize(
    ("check", "answer", "refused"),
    [
        (dingtalk.check_answer, {}, None),
        (dingtalk.check_answer, {"errcode": 0, "errmsg": "ok"}, None),
        (dingtalk.check_answer, {"errcode": 310000, "errmsg": "sign not match"}, "DingTalk errcode 310000"),
        (feishu.check_answer, {}, None),
        (feishu.check_answer, {"StatusCode": 0, "StatusMessage": "success"}, None),
        (feishu.check_answer, {"code": 19021, "msg": "sign match fail"}, "Feishu code 19021"),
        (feishu.check_answer, {"StatusCode": 9499}, "Feishu code 9499"),
        (feishu.check_answer, ["not", "an", "object"], None),
    ],
)
def test_a_2xx_answer_may_still_be_a_refusal(check: Callable[[Any], None], answer: Any, refused: str | None) -> None:
    if refused is None:
        check(answer)
    else:
        with pytest.raises(DeliveryFailed, match=refused):
            check(answer)


@pytest.mark.parametrize(
    ("mention", "person", "written"),
    [
        (dingtalk.owner_mention, None, "unknown"),
        (dingtalk.owner_mention, Person("Ann", "a@x"), "Ann"),
        (dingtalk.owner_mention, Person("Ann", "a@x", {"dingtalk_mobile": "138"}), "Ann @138"),
        (slack.owner_mention, Person("Ann", "a@x", {"slack": "U1"}), "<@U1>"),
        (slack.owner_mention, Person("Ann", "a@x", {"slack": ""}), "Ann"),
        (feishu.owner_mention, Person("Ann", "a@x", {"feishu": "ou_1"}), "<at id=ou_1></at>"),
        (feishu.owner_mention, Person("Ann", "a@x", {"dingtalk_mobile": "138"}), "Ann"),
    ],
)
def test_a_channel_mentions_an_owner_by_its_own_handle(
    mention: Callable[[Person | None], str], person: Person | None, written: str
) -> None:
    assert mention(person) == written


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
    with pytest.raises(TemplateFailed, match="unsafe"):
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


@pytest.mark.parametrize(
    ("title", "header"),
    [
        ("[FIRED] r · web-1", "[FIRED] r · web-1"),
        ("[FIRED] r · a\r\nBcc: x@example.com", "[FIRED] r · a Bcc: x@example.com"),
        ("a\nb\rc", "a b c"),
        ("tab\there\x00nul\x1besc", "tab\there nul esc"),
        ("line\u2028sep\u0085nel", "line sep nel"),
        ("\r\nleading and trailing\n", "leading and trailing"),
    ],
)
def test_email_subject_is_one_header_line(title: str, header: str) -> None:
    from grokpipe.api.notifiers.email.notifier import header_text

    assert header_text(title) == header


class _Fake:
    def __init__(self, name: str, error: Exception | None = None) -> None:
        self.name = name
        self.error = error
        self.sent: list[Message] = []

    def send(self, message: Message, client: object) -> None:
        if self.error is not None:
            raise self.error
        self.sent.append(message)

    def preview(self, message: Message) -> Rendered:
        return Rendered(channel="fake")


@pytest.mark.parametrize(
    ("error", "reason", "attempts"),
    [
        (RuntimeError("a bug that names http://host/?token=SECRET"), "notifier error: RuntimeError", 1),
        (ValueError("Header values may not contain linefeed"), "notifier error: ValueError", 1),
        (
            TemplateFailed("template: ZeroDivisionError: division by zero"),
            "template: ZeroDivisionError: division by zero",
            1,
        ),
        (DeliveryFailed("HTTP 503", status=503), "HTTP 503", 3),  # retried: delivery.retries = 2
    ],
)
def test_a_failing_notifier_fails_alone(
    error: Exception, reason: str, attempts: int, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher = Dispatcher({}, DeliverySettings(retries=2, backoff=0))
    first, bad, last = _Fake("first"), _Fake("bad", error), _Fake("last")
    dispatcher.notifiers = {n.name: n for n in (first, bad, last)}
    try:
        message = _message()
        outcomes = dispatcher.deliver(["first", "bad", "last"], message)
    finally:
        dispatcher.close()
    assert outcomes == {
        "first": {"outcome": "sent", "attempts": 1},
        "bad": {"outcome": "failed", "attempts": attempts, "error": reason},
        "last": {"outcome": "sent", "attempts": 1},
    }
    assert len(first.sent) == len(last.sent) == 1
    assert "SECRET" not in caplog.text
