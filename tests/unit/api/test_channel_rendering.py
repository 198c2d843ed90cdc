"""Each channel renders the same message in its own format: owners, times, console links, no stray markup."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from pydantic import SecretStr

from grokpipe.api.groups.schemas import GroupPublic, Owner
from grokpipe.api.notifiers.base import Rendered, Setup
from grokpipe.api.notifiers.dingtalk.config import DingTalkNotifier
from grokpipe.api.notifiers.dingtalk.notifier import DingTalk
from grokpipe.api.notifiers.email.config import EmailNotifier
from grokpipe.api.notifiers.email.notifier import Email, smtp_failure
from grokpipe.api.notifiers.feishu.config import FeishuNotifier
from grokpipe.api.notifiers.feishu.notifier import Feishu
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.notifiers.people import People
from grokpipe.api.notifiers.render import Presentation
from grokpipe.api.notifiers.slack.config import SlackNotifier
from grokpipe.api.notifiers.slack.notifier import Slack, mrkdwn
from grokpipe.api.notifiers.webhook.config import WebhookNotifier
from grokpipe.api.notifiers.webhook.notifier import Webhook
from grokpipe.api.templates import MARKDOWN, render

PEOPLE = People({"ann@example.com": {"dingtalk_mobile": "13800000000", "slack": "U1ANN", "feishu": "ou_ann"}})
SHANGHAI = Presentation("https://gp.example.com", "Asia/Shanghai", PEOPLE)
OWNER = Owner(name="Ann", email="ann@example.com", commit="abc")
FIRST, LAST = (
    datetime.fromisoformat("2026-12-07T02:41:03.123456+00:00"),
    datetime.fromisoformat("2026-12-07T02:45:03.5+00:00"),
)
GROUP = GroupPublic(
    id="k1",
    title="PHP Fatal error: Uncaught Error: Call to undefined function foo()",
    type=None,
    culprit="/srv/a.php:12",
    level="critical",
    datasets=[],
    hosts=[],
    count=3,
    total=3,
    first_seen=FIRST,
    last_seen=LAST,
    status="unresolved",
    resolved_at=None,
    regressed_at=None,
    ignore_until=None,
    ignore_until_count=None,
    owner=OWNER,
    aliases=[],
)
NEW_ERROR = Message(
    kind="new",
    rule=Subject(id="error-groups", name="Error groups"),
    group=GROUP,
    count=3,
    start=FIRST,
    end=LAST,
    layout="error",
    mentions=PEOPLE.mentions([OWNER]),
)
T0, T5 = datetime.fromisoformat("2026-12-07T00:00:00+00:00"), datetime.fromisoformat("2026-12-07T00:05:00+00:00")


@dataclass(frozen=True)
class Shown:
    title: str
    text: str
    html: str
    body: dict[str, Any]


def shown(rendered: Rendered) -> Shown:
    """A preview's parts, empty where the channel has none."""
    return Shown(rendered.title or "", rendered.text or "", rendered.html or "", rendered.body or {})


def channels(presentation: Presentation) -> dict[str, DingTalk | Slack | Email | Webhook | Feishu]:
    setup = Setup(presentation, timeout=1.0)
    return {
        "dingtalk": DingTalk("d", DingTalkNotifier(type="dingtalk", url="http://x"), setup),
        "slack": Slack("s", SlackNotifier(type="slack", url=SecretStr("http://x")), setup),
        "email": Email("e", EmailNotifier(type="email", host="h", sender="a@b", to=["c@d"]), setup),
        "webhook": Webhook("w", WebhookNotifier(type="webhook", url="http://x"), setup),
        "feishu": Feishu("f", FeishuNotifier(type="feishu", url=SecretStr("http://x")), setup),
    }


@pytest.mark.parametrize(
    ("channel", "owner", "absent"),
    [
        ("dingtalk", "Ann @13800000000", "<@U1ANN>"),
        ("slack", "<@U1ANN>", "13800000000"),
        ("email", "Ann <ann@example.com>", "13800000000"),
        ("webhook", "Ann <ann@example.com>", "13800000000"),
        ("feishu", "- **owner**: <at id=ou_ann></at>", "U1ANN"),
    ],
)
def test_each_channel_names_the_owner_its_own_way(channel: str, owner: str, absent: str) -> None:
    preview = shown(channels(SHANGHAI)[channel].preview(NEW_ERROR))
    assert owner in preview.text
    assert absent not in preview.text


def test_dingtalk_lists_the_owner_in_at_mobiles_and_mentions_once() -> None:
    body = shown(channels(SHANGHAI)["dingtalk"].preview(NEW_ERROR)).body
    assert body["at"]["atMobiles"] == ["13800000000"]
    assert body["markdown"]["text"].count("@13800000000") == 1


def test_slack_has_no_markdown_headings_bold_or_links() -> None:
    preview = shown(channels(SHANGHAI)["slack"].preview(NEW_ERROR))
    assert "#" not in preview.text
    assert "**" not in preview.text
    assert "<https://gp.example.com/ui/errors/k1|open in grokpipe>" in preview.text
    assert preview.body["blocks"][0]["type"] == "header"


@pytest.mark.parametrize("channel", ["dingtalk", "slack", "email", "webhook", "feishu"])
def test_times_are_in_the_configured_zone_to_the_second(channel: str) -> None:
    text = shown(channels(SHANGHAI)[channel].preview(NEW_ERROR)).text
    assert "2026-12-07 10:41:03 CST" in text
    assert ".123456" not in text


@pytest.mark.parametrize("channel", ["dingtalk", "slack", "email", "webhook", "feishu"])
def test_links_need_console_base_url(channel: str) -> None:
    assert "https://gp.example.com/ui/errors/k1" in shown(channels(SHANGHAI)[channel].preview(NEW_ERROR)).text
    assert "/ui/" not in shown(channels(Presentation())[channel].preview(NEW_ERROR)).text


def test_email_has_a_plain_part_without_markdown_and_an_html_part_with_the_link() -> None:
    preview = shown(channels(SHANGHAI)["email"].preview(NEW_ERROR))
    assert "**" not in preview.text
    assert "###" not in preview.text
    assert '<a href="https://gp.example.com/ui/errors/k1">' in preview.html
    mail = channels(SHANGHAI)["email"].build(NEW_ERROR)  # type: ignore[union-attr]
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]


def test_alert_template_keeps_one_item_per_line() -> None:
    """The default alert template once rendered ``- **count**: 5- **window**: ...`` on one line."""
    message = Message(kind="fired", rule=Subject(id="r", name="r"), count=5, start=T0, end=T5)
    lines = render(MARKDOWN, message.context()).splitlines()
    assert "- **count**: 5" in lines
    assert any(line.startswith("- **window**: ") for line in lines)
    with_previous = Message(
        kind="fired", rule=Subject(id="r", name="r"), count=5, start=T0, end=T5, previous=2, value=1.5
    )
    lines = render(MARKDOWN, with_previous.context()).splitlines()
    assert lines[1:4] == [
        "- **count**: 5 (previous window: 2)",
        "- **value**: 1.5",
        "- **window**: 2026-12-07 00:00:00 UTC → 2026-12-07 00:05:00 UTC",
    ]


def test_a_rule_grouped_by_grouping_key_names_the_group_by_its_title_and_links_it() -> None:
    key = "0123abcd" * 4
    message = Message(
        kind="fired",
        rule=Subject(id="r1", name="PHP bursts"),
        group={"error.grouping_key": key},
        count=5,
        start=T0,
        end=T5,
        samples=[{"message": "boom", "error": {"title": "Fatal: boom"}}],
    )
    preview = shown(channels(SHANGHAI)["dingtalk"].preview(message))
    assert preview.title == "[FIRED] PHP bursts · Fatal: boom"
    assert key not in preview.title
    assert f"https://gp.example.com/ui/errors/{key}" in preview.text


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
        kind="fired",
        rule=Subject(id="r", name="r"),
        count=1,
        start=T0,
        end=T5,
        samples=[{"message": "Fatal\nStack trace:\n#0"}],
    )
    assert "> Fatal\n> Stack trace:\n> #0" in render(MARKDOWN, message.context())


@pytest.mark.parametrize(
    ("host", "shown"), [({"name": "web-1"}, "<td>web-1</td>"), ("db-1", "<td>db-1</td>"), (None, "<td></td>")]
)
def test_email_samples_show_the_host_whether_ecs_object_or_plain_string(host: Any, shown: str) -> None:
    message = Message(
        kind="fired",
        rule=Subject(id="r1", name="logins"),
        group={"user.name": "bob"},
        count=1,
        start=T0,
        end=T5,
        samples=[{"message": "denied", "host": host}],
    )
    assert shown in channels(SHANGHAI)["email"].preview(message).html  # type: ignore[operator]
