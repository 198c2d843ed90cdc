"""Each channel renders the same message in its own format: owners, times, console links, no stray markup."""

from __future__ import annotations

import smtplib
from typing import Any

import pytest
from pydantic import SecretStr

from grokpipe.api.config import DingTalkNotifier, EmailNotifier, OwnerContact, SlackNotifier, WebhookNotifier
from grokpipe.api.notifiers.base import Mentions, Message
from grokpipe.api.notifiers.dingtalk import DingTalk
from grokpipe.api.notifiers.email import Email, smtp_failure
from grokpipe.api.notifiers.render import Presentation
from grokpipe.api.notifiers.slack import Slack, mrkdwn
from grokpipe.api.notifiers.webhook import Webhook
from grokpipe.api.templates import MARKDOWN, render

SHANGHAI = Presentation(
    "https://gp.example.com",
    "Asia/Shanghai",
    {"ann@example.com": OwnerContact(dingtalk_mobile="13800000000", slack="U1ANN")},
)
OWNER = {"name": "Ann", "email": "ann@example.com", "commit": "abc"}
GROUP: dict[str, Any] = {
    "id": "k1",
    "title": "PHP Fatal error: Uncaught Error: Call to undefined function foo()",
    "culprit": "/srv/a.php:12",
    "level": "critical",
    "total": 3,
    "first_seen": "2026-12-07T02:41:03.123456+00:00",
    "last_seen": "2026-12-07T02:45:03.5+00:00",
    "owner": OWNER,
}
NEW_ERROR = Message(
    "new",
    {"id": "error-groups", "name": "Error groups"},
    GROUP,
    3,
    GROUP["first_seen"],
    GROUP["last_seen"],
    layout="error",
    mentions=Mentions(("13800000000",), ("U1ANN",)),
)


def channels(presentation: Presentation) -> dict[str, DingTalk | Slack | Email | Webhook]:
    return {
        "dingtalk": DingTalk("d", DingTalkNotifier(type="dingtalk", url="http://x"), presentation),
        "slack": Slack("s", SlackNotifier(type="slack", url=SecretStr("http://x")), presentation),
        "email": Email("e", EmailNotifier(type="email", host="h", sender="a@b", to=["c@d"]), 1.0, presentation),
        "webhook": Webhook("w", WebhookNotifier(type="webhook", url="http://x"), presentation),
    }


@pytest.mark.parametrize(
    ("channel", "owner", "absent"),
    [
        ("dingtalk", "Ann @13800000000", "<@U1ANN>"),
        ("slack", "<@U1ANN>", "13800000000"),
        ("email", "Ann <ann@example.com>", "13800000000"),
        ("webhook", "Ann <ann@example.com>", "13800000000"),
    ],
)
def test_each_channel_names_the_owner_its_own_way(channel: str, owner: str, absent: str) -> None:
    preview = channels(SHANGHAI)[channel].preview(NEW_ERROR)
    assert owner in preview["text"]
    assert absent not in preview["text"]


def test_dingtalk_lists_the_owner_in_at_mobiles_and_mentions_once() -> None:
    body = channels(SHANGHAI)["dingtalk"].preview(NEW_ERROR)["body"]
    assert body["at"]["atMobiles"] == ["13800000000"]
    assert body["markdown"]["text"].count("@13800000000") == 1


def test_slack_has_no_markdown_headings_bold_or_links() -> None:
    preview = channels(SHANGHAI)["slack"].preview(NEW_ERROR)
    assert "#" not in preview["text"]
    assert "**" not in preview["text"]
    assert "<https://gp.example.com/ui/errors/k1|open in grokpipe>" in preview["text"]
    assert preview["body"]["blocks"][0]["type"] == "header"


@pytest.mark.parametrize("channel", ["dingtalk", "slack", "email", "webhook"])
def test_times_are_in_the_configured_zone_to_the_second(channel: str) -> None:
    text = channels(SHANGHAI)[channel].preview(NEW_ERROR)["text"]
    assert "2026-12-07 10:41:03 CST" in text
    assert ".123456" not in text


@pytest.mark.parametrize("channel", ["dingtalk", "slack", "email", "webhook"])
def test_links_need_console_base_url(channel: str) -> None:
    assert "https://gp.example.com/ui/errors/k1" in channels(SHANGHAI)[channel].preview(NEW_ERROR)["text"]
    assert "/ui/" not in channels(Presentation())[channel].preview(NEW_ERROR)["text"]


def test_email_has_a_plain_part_without_markdown_and_an_html_part_with_the_link() -> None:
    preview = channels(SHANGHAI)["email"].preview(NEW_ERROR)
    assert "**" not in preview["text"]
    assert "###" not in preview["text"]
    assert '<a href="https://gp.example.com/ui/errors/k1">' in preview["html"]
    mail = channels(SHANGHAI)["email"].build(NEW_ERROR)  # type: ignore[union-attr]
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_alert_template_keeps_one_item_per_line() -> None:
    """The default alert template once rendered ``- **count**: 5- **window**: ...`` on one line."""
    message = Message(
        "fired", {"id": "r", "name": "r"}, {}, 5, "2026-12-07T00:00:00+00:00", "2026-12-07T00:05:00+00:00"
    )
    lines = render(MARKDOWN, message.context()).splitlines()
    assert "- **count**: 5" in lines
    assert any(line.startswith("- **window**: ") for line in lines)
    with_previous = Message("fired", {"id": "r", "name": "r"}, {}, 5, "s", "e", previous=2, value=1.5)
    lines = render(MARKDOWN, with_previous.context()).splitlines()
    assert lines[1:4] == ["- **count**: 5 (previous window: 2)", "- **value**: 1.5", "- **window**: s → e"]


def test_a_rule_grouped_by_grouping_key_names_the_group_by_its_title_and_links_it() -> None:
    key = "0123abcd" * 4
    message = Message(
        "fired",
        {"id": "r1", "name": "PHP bursts"},
        {"error.grouping_key": key},
        5,
        "2026-12-07T02:41:03+00:00",
        "2026-12-07T02:46:03+00:00",
        samples=[{"message": "boom", "error": {"title": "Fatal: boom"}}],
    )
    preview = channels(SHANGHAI)["dingtalk"].preview(message)
    assert preview["title"] == "[FIRED] PHP bursts · Fatal: boom"
    assert key not in preview["title"]
    assert f"https://gp.example.com/ui/errors/{key}" in preview["text"]


def test_mrkdwn_drops_the_heading_that_repeats_the_title() -> None:
    assert mrkdwn("### T\n### Other\n- **a**: [x](http://h/p)", "T") == "*Other*\n• *a*: <http://h/p|x>"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (
            smtplib.SMTPDataError(554, b"5.7.1 Message rejected: spam"),
            "SMTP 554 5.7.1 Message rejected: spam (SMTPDataError)",
        ),
        (
            smtplib.SMTPRecipientsRefused({"x@y": (550, b"5.1.1 <x@y>: Recipient address rejected")}),
            "SMTP 550 5.1.1 <x@y>: Recipient address rejected (SMTPRecipientsRefused)",
        ),
        (
            smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication failed"),
            "SMTP 535 5.7.8 Authentication failed (SMTPAuthenticationError)",
        ),
        (ConnectionRefusedError(111, "refused"), "SMTP ConnectionRefusedError"),
    ],
)
def test_smtp_failure_names_the_servers_code_and_text(exc: BaseException, expected: str) -> None:
    assert smtp_failure(exc) == expected


def test_a_multiline_sample_stays_one_quote() -> None:
    message = Message(
        "fired", {"id": "r", "name": "r"}, {}, 1, "s", "e", samples=[{"message": "Fatal\nStack trace:\n#0"}]
    )
    assert "> Fatal\n> Stack trace:\n> #0" in render(MARKDOWN, message.context())
