"""The channel table: every api.yml ``type:`` and ``owners:`` key comes from it, and a wrong entry is named."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from grokpipe.api.config import ApiSettings
from grokpipe.api.notifiers.base import Channel
from grokpipe.api.notifiers.channels import BY_TYPE, CHANNELS, HANDLES
from grokpipe.settings import ConfigError

KEYS = {"auth": {"admin_keys": ["k"]}}


@pytest.mark.parametrize("channel", CHANNELS, ids=lambda c: c.name)
def test_a_channels_type_is_its_name(channel: Channel[Any]) -> None:
    assert typing.get_args(channel.config.model_fields["type"].annotation) == (channel.name,)


def test_names_and_handles_are_unique() -> None:
    assert len(BY_TYPE) == len(CHANNELS)
    assert sum(len(c.handles) for c in CHANNELS) == len(HANDLES)
    assert set(HANDLES) == {"dingtalk_mobile", "slack", "feishu"}


@pytest.mark.parametrize(
    ("entry", "channel"),
    [
        ({"type": "webhook", "url": "http://h/x", "headers": {"X-Key": "s"}}, "webhook"),
        ({"type": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "S"}, "dingtalk"),
        ({"type": "slack", "url": "https://hooks.slack.com/services/T/B/x", "channel": "#ops"}, "slack"),
        ({"type": "email", "host": "smtp", "sender": "a@b", "to": ["c@d"], "security": "starttls"}, "email"),
        ({"type": "feishu", "url": "https://open.feishu.cn/open-apis/bot/v2/hook/t", "secret": "S"}, "feishu"),
    ],
)
def test_api_yml_entries_keep_their_type(entry: dict[str, Any], channel: str) -> None:
    settings = ApiSettings.model_validate(KEYS | {"notifiers": {"n": entry}})
    assert isinstance(settings.notifiers["n"], BY_TYPE[channel].config)


@pytest.mark.parametrize(
    ("notifiers", "owners", "named"),
    [
        ({"n": {"type": "feishu"}}, {}, "notifiers.n.feishu.url"),
        ({"n": {"type": "slack", "url": "u", "secrets": "x"}}, {}, "notifiers.n.slack.secrets"),
        ({"n": {"type": "wecom", "url": "u"}}, {}, "notifiers.n"),
        ({}, {"a@b": {"slak": "U1"}}, "slak: not a channel's handle (one of dingtalk_mobile, feishu, slack)"),
        ({}, {"a@b": {"dingtalk_mobile": 13800000000}}, "dingtalk_mobile: a string"),
    ],
)
def test_a_wrong_entry_is_named_at_start(
    tmp_path: Path, notifiers: dict[str, Any], owners: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(").replace(")", r"\)")):
        ApiSettings.load(None, **KEYS, notifiers=notifiers, owners=owners)


def test_owners_are_people_with_the_channels_handles() -> None:
    settings = ApiSettings.model_validate(
        KEYS | {"owners": {"ann@example.com": {"dingtalk_mobile": "138", "slack": "U1", "feishu": "ou_1"}}}
    )
    ann = settings.people().person("Ann", "ann@example.com")
    assert (ann.handle("dingtalk_mobile"), ann.handle("slack"), ann.handle("feishu")) == ("138", "U1", "ou_1")
    assert settings.people().person("Bob", "bob@example.com").handles == {}


def test_the_example_config_loads() -> None:
    root = Path(__file__).resolve().parents[3]
    settings = ApiSettings.load(root / "examples" / "api.yml")
    assert {c.type for c in settings.notifiers.values()} <= set(BY_TYPE)
