"""The Feishu (Lark) custom bot against a local receiver that checks what Feishu checks: the signature in the
body (HMAC-SHA256 keyed with ``timestamp\\nsecret``), a timestamp within the hour, an interactive card."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import timedelta

import pytest
from elasticsearch import Elasticsearch
from support.api import FEISHU_HOOK, T0, doc, http_receiver, new_logs_index

from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.feishu.config import FeishuNotifier
from grokpipe.api.notifiers.feishu.notifier import sign
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.notifiers.people import People
from grokpipe.api.notifiers.render import Presentation
from grokpipe.api.notifiers.settings import DeliverySettings
from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.api.rules.store import RuleStore
from grokpipe.api.services import Services


def test_sign_is_feishus_documented_scheme() -> None:
    key = b"1599360473\nSEC"  # the timestamp, a newline and the secret are the key; the message is empty
    assert sign("SEC", 1599360473) == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


@pytest.fixture(scope="module")
def logs(es: Elasticsearch) -> str:
    return new_logs_index(es, [doc(T0 - timedelta(minutes=m), message="boom", host__name=f"web-{m}") for m in (1, 2)])


def test_a_rule_fires_to_a_signed_feishu_bot(make_services: Callable[..., Services], logs: str) -> None:
    with http_receiver(secret="SECfs") as receiver:
        hook = f"{receiver.url}{FEISHU_HOOK}tok-123"
        services = make_services(
            notifiers={
                "lark": {"type": "feishu", "url": hook, "secret": "SECfs", "at_users": ["ou_oncall"]},
                "lark-bad": {"type": "feishu", "url": hook, "secret": "wrong"},
                "lark-unsigned": {"type": "feishu", "url": hook},
            },
            delivery={"retries": 0, "timeout": 5},
        )
        body = RuleCreate.model_validate(
            {
                "name": "boom",
                "index": logs,
                "query": "message:boom",
                "condition": {"type": "threshold", "count": 1},
                "notify": ["lark", "lark-bad", "lark-unsigned"],
            }
        )
        rule = RuleStore(services.es, services.settings.indices.rules).create(body)
        result = services.runner.run(rule, T0)
    assert result is not None
    outcomes = result.actions[0]["notifications"]
    assert outcomes["lark"] == {"outcome": "sent", "attempts": 1}
    assert outcomes["lark-bad"] == {"outcome": "failed", "attempts": 1, "error": "Feishu code 19021"}
    assert outcomes["lark-unsigned"] == {"outcome": "failed", "attempts": 1, "error": "Feishu code 19021"}
    sent = receiver.requests[0].body
    card = sent["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": "[FIRED] boom"}
    assert card["header"]["template"] == "red"
    text = card["elements"][0]["content"]
    assert "- **count**: 2" in text
    assert "###" not in text
    assert text.endswith("<at id=ou_oncall></at>")


def test_owners_are_mentioned_the_feishu_way_and_the_preview_is_what_is_sent() -> None:
    people = People({"ann@example.com": {"feishu": "ou_ann", "slack": "U1ANN"}})
    presentation = Presentation("https://gp.example.com", "Asia/Shanghai", people)
    ann, bob = people.person("Ann", "ann@example.com"), people.person("Bob", "bob@example.com")
    with http_receiver(secret="SECfs") as receiver:
        config = {"type": "feishu", "url": f"{receiver.url}{FEISHU_HOOK}t", "secret": "SECfs", "at_all": True}
        dispatcher = Dispatcher(
            {"lark": FeishuNotifier.model_validate(config)},
            DeliverySettings(retries=0),
            presentation,
        )
        message = Message(
            kind="fired",
            rule=Subject(id="r1", name="PHP bursts"),
            group={"host.name": "web-1"},
            count=5,
            start=T0 - timedelta(minutes=5),
            end=T0,
            mentions=(ann, bob),
        )
        try:
            preview = dispatcher.preview(["lark"], message)["lark"]
            outcomes = dispatcher.deliver(["lark"], message)
        finally:
            dispatcher.close()
    assert outcomes == {"lark": {"outcome": "sent", "attempts": 1}}
    sent = receiver.requests[0].body
    assert {k: v for k, v in sent.items() if k not in ("timestamp", "sign")} == preview.body
    assert preview.channel == "feishu"
    assert preview.text is not None
    assert preview.text.endswith("<at id=ou_ann></at> <at id=all></at>")  # Bob has no Feishu id: not mentioned
    assert "U1ANN" not in preview.text
    assert "https://gp.example.com/ui/rules/r1" in preview.text
