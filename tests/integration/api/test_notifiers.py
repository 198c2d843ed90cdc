"""Notifiers against real local servers: DingTalk signature + payload checked by the receiver,
a Slack-shaped receiver, a generic webhook with retries, and aiosmtpd receiving the HTML email."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.api import T0, doc, http_receiver, new_logs_index, smtp_server

from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.api.rules.store import RuleStore
from grokpipe.api.services import Services


@pytest.fixture(scope="module")
def logs(es: Elasticsearch) -> str:
    return new_logs_index(
        es,
        [
            doc(
                T0 - timedelta(minutes=m),
                message=f"PHP Fatal error: Allowed memory exhausted #{m}",
                event__dataset="php.error",
                error__grouping_key="oom",
                host__name=f"web-{m}",
            )
            for m in (1, 2, 3)
        ],
    )


def _fire(services: Services, logs: str, notify: list[str]) -> dict[str, Any]:
    body = RuleCreate.model_validate(
        {
            "name": "PHP <fatal> errors",
            "index": logs,
            "query": "error.grouping_key:oom",
            "group_by": ["error.grouping_key"],
            "condition": {"type": "threshold", "count": 1},
            "notify": notify,
        }
    )
    rule = RuleStore(services.es, services.settings.indices.rules).create(body)
    result = services.runner.run(rule, T0)
    assert result is not None
    assert len(result.actions) == 1
    outcomes: dict[str, Any] = result.actions[0]["notifications"]
    return outcomes


def test_dingtalk_signed_markdown(make_services: Callable[..., Services], logs: str) -> None:
    with http_receiver(secret="SECabc") as receiver:
        services = make_services(
            notifiers={
                "ding": {
                    "type": "dingtalk",
                    "url": f"{receiver.url}/dingtalk?access_token=tok",
                    "secret": "SECabc",
                    "at_mobiles": ["13800000000"],
                },
                "ding-bad": {"type": "dingtalk", "url": f"{receiver.url}/dingtalk?access_token=tok", "secret": "wrong"},
            },
            delivery={"retries": 0, "timeout": 5},
        )
        outcomes = _fire(services, logs, ["ding", "ding-bad"])
    assert outcomes["ding"] == {"outcome": "sent", "attempts": 1}
    assert outcomes["ding-bad"]["outcome"] == "failed"
    assert outcomes["ding-bad"]["error"] == "DingTalk errcode 310000"
    sent = receiver.requests[0]
    assert sent.query["access_token"] == "tok"
    assert sent.body["msgtype"] == "markdown"
    assert sent.body["at"] == {"atMobiles": ["13800000000"], "isAtAll": False}
    assert sent.body["markdown"]["title"] == "[FIRED] PHP <fatal> errors · oom"
    assert "**count**: 3" in sent.body["markdown"]["text"]
    assert "@13800000000" in sent.body["markdown"]["text"]


def test_slack_and_webhook_with_retry(make_services: Callable[..., Services], logs: str) -> None:
    with http_receiver() as receiver:
        receiver.fail_next = 1  # the first POST gets 503: the webhook retries
        services = make_services(
            notifiers={
                "hook": {"type": "webhook", "url": f"{receiver.url}/hook", "headers": {"X-Token": "t0k"}},
                "slack": {"type": "slack", "url": f"{receiver.url}/slack", "channel": "#php"},
            }
        )
        outcomes = _fire(services, logs, ["hook", "slack"])
    assert outcomes == {"hook": {"outcome": "sent", "attempts": 2}, "slack": {"outcome": "sent", "attempts": 1}}
    by_path = {r.path: r for r in receiver.requests}
    hook = by_path["/hook"]
    assert hook.headers["X-Token"] == "t0k"
    assert (hook.body["kind"], hook.body["count"], hook.body["group"]) == ("fired", 3, {"error.grouping_key": "oom"})
    assert len(hook.body["samples"]) == 3
    slack = by_path["/slack"].body
    assert slack["channel"] == "#php"
    assert slack["text"] == "[FIRED] PHP <fatal> errors · oom"
    assert [b["type"] for b in slack["blocks"]] == ["header", "section"]


def test_email_html_table(make_services: Callable[..., Services], logs: str) -> None:
    with smtp_server() as smtp:
        services = make_services(
            notifiers={
                "mail": {
                    "type": "email",
                    "host": smtp.host,
                    "port": smtp.port,
                    "sender": "alerts@example.com",
                    "to": ["php-team@example.com"],
                },
            }
        )
        outcomes = _fire(services, logs, ["mail"])
    assert outcomes["mail"]["outcome"] == "sent"
    [mail] = smtp.mailbox.messages
    assert mail["To"] == "php-team@example.com"
    assert mail["Subject"] == "[FIRED] PHP <fatal> errors · oom"
    part = next(p for p in mail.walk() if p.get_content_type() == "text/html")
    html = str(part.get_content())  # type: ignore[attr-defined]  # EmailMessage under policy.default
    assert "PHP &lt;fatal&gt; errors" in html  # autoescaped
    assert html.count("<tr><td>") == 3  # one row per sample event
    assert "web-1" in html


def test_delivered_urls_and_their_tokens_never_reach_the_logs(
    make_services: Callable[..., Services], logs: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with http_receiver(secret="SECabc") as receiver:
        services = make_services(
            notifiers={
                "ding": {
                    "type": "dingtalk",
                    "url": f"{receiver.url}/dingtalk?access_token=TOKEN-IN-URL",
                    "secret": "SECabc",
                },
                "slack": {"type": "slack", "url": f"{receiver.url}/services/T0/B0/SLACK-URL-SECRET"},
            },
            delivery={"retries": 0, "timeout": 5},
        )
        outcomes = _fire(services, logs, ["ding", "slack"])
    assert {name: o["outcome"] for name, o in outcomes.items()} == {"ding": "sent", "slack": "sent"}
    assert len(receiver.requests) == 2
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in ("TOKEN-IN-URL", "SLACK-URL-SECRET", "SECabc"):
        assert secret not in text


def test_one_notifiers_failure_stays_its_own(make_services: Callable[..., Services], es: Elasticsearch) -> None:
    """A grouped value from log data holds CR/LF (the e-mail subject folds it), and a notifier's template
    raises: that notifier alone is failed (once: a template fails the same way again), the others are sent,
    and every alert of the run is recorded."""
    index = new_logs_index(
        es,
        [
            doc(T0 - timedelta(minutes=1), message="boom", host__name="web-1\r\nBcc: victim@example.com"),
            doc(T0 - timedelta(minutes=2), message="boom", host__name="web-2"),
        ],
    )
    with smtp_server() as smtp, http_receiver() as receiver:
        services = make_services(
            notifiers={
                "mail": {
                    "type": "email",
                    "host": smtp.host,
                    "port": smtp.port,
                    "sender": "a@example.com",
                    "to": ["b@example.com"],
                },
                "broken": {"type": "webhook", "url": f"{receiver.url}/broken", "template": "{{ count / 0 }}"},
                "hook": {"type": "webhook", "url": f"{receiver.url}/hook"},
            },
            delivery={"retries": 2, "backoff": 0},
        )
        body = RuleCreate.model_validate(
            {
                "name": "boom\nby host",
                "index": index,
                "query": "message:boom",
                "group_by": ["host.name"],
                "condition": {"type": "threshold", "count": 1},
                "notify": ["mail", "broken", "hook"],
            }
        )
        rule = RuleStore(services.es, services.settings.indices.rules).create(body)
        result = services.runner.run(rule, T0)
    assert result is not None
    assert len(result.actions) == 2  # both groups recorded
    for action in result.actions:
        outcomes = action["notifications"]
        assert outcomes["mail"] == {"outcome": "sent", "attempts": 1}
        assert outcomes["hook"] == {"outcome": "sent", "attempts": 1}
        assert outcomes["broken"] == {
            "outcome": "failed",
            "attempts": 1,
            "error": "template: ZeroDivisionError: division by zero",
        }
    subjects = sorted(m["Subject"] for m in smtp.mailbox.messages)
    assert subjects == [
        "[FIRED] boom by host · web-1 Bcc: victim@example.com",
        "[FIRED] boom by host · web-2",
    ]
    assert all(m["Bcc"] is None for m in smtp.mailbox.messages)
    assert sorted(r.path for r in receiver.requests) == ["/hook", "/hook"]
