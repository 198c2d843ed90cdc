from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from grokpipe.indexer.config import IndexerSettings, derived_instance_id
from grokpipe.indexer.consumer import consumer_config
from grokpipe.settings import ConfigError

EXAMPLE = Path(__file__).parents[3] / "examples" / "indexer.yml"


def test_example_config_is_valid() -> None:
    settings = IndexerSettings.load(EXAMPLE)
    assert (settings.kafka.topic, settings.kafka.group_id) == ("logs.raw", "grokpipe-indexer")
    assert settings.http.listen == "127.0.0.1:5067"
    assert settings.namespace == "default"


def test_defaults() -> None:
    settings = IndexerSettings.load(None)
    assert settings.http.listen == "127.0.0.1:5067"
    assert settings.kafka.group_id == "grokpipe-indexer"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("batch: {max_events: 0}", "batch.max_events"),
        ("batch: {max_evnts: 10}", "batch.max_evnts"),
        ("namespace: Prod-1", "namespace"),
        ("grok: {timeout: -1}", "grok.timeout"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "indexer.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        IndexerSettings.load(path)


@pytest.mark.parametrize(
    ("overrides", "host", "expected"),
    [
        ({}, "web-1", "web-1-5067-"),  # default: derived from the host and the config
        ({"http": {"listen": "127.0.0.1:5068"}}, "web-1", "web-1-5068-"),  # a second indexer on the host
        ({"http": {"listen": "0.0.0.0:5067"}}, "3f2a9c1b7d4e", "3f2a9c1b7d4e-5067-"),  # a container
        ({"http": {"listen": "127.0.0.1:0"}}, "web-1", None),  # an ephemeral port tells replicas apart not
        ({"instance_id": "indexer-1"}, "web-1", "indexer-1"),  # set: used as it is
        ({"instance_id": ""}, "web-1", None),  # opted out: dynamic membership
        ({}, "ip-10-0-0-7.eu-west-1.compute.internal", "ip-10-0-0-7.eu-west-1.compute.internal-5067-"),
        ({}, "odd host:name", "odd_host_name-5067-"),  # Kafka allows [A-Za-z0-9._-]
    ],
)
def test_group_instance_id(overrides: dict[str, Any], host: str, expected: str | None) -> None:
    instance = IndexerSettings.load(None, **overrides).group_instance_id(host)
    if expected is None or "instance_id" in overrides:
        assert instance == expected
    else:
        assert instance is not None
        assert instance.startswith(expected)
        assert len(instance) == len(expected) + 8


def test_derived_instance_id_is_stable_and_differs_by_group_topic_and_listen() -> None:
    base = derived_instance_id("web-1", "grokpipe-indexer", "logs.raw", "127.0.0.1:5067")
    assert base == derived_instance_id("web-1", "grokpipe-indexer", "logs.raw", "127.0.0.1:5067")
    others = {
        derived_instance_id("web-2", "grokpipe-indexer", "logs.raw", "127.0.0.1:5067"),
        derived_instance_id("web-1", "other-group", "logs.raw", "127.0.0.1:5067"),
        derived_instance_id("web-1", "grokpipe-indexer", "logs.other", "127.0.0.1:5067"),
        derived_instance_id("web-1", "grokpipe-indexer", "logs.raw", "127.0.0.2:5067"),
    }
    assert base not in others
    assert len(others) == 4


def test_consumer_joins_with_the_instance_id(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = IndexerSettings.load(None)
    assert consumer_config(settings, host="web-1")["group.instance.id"].startswith("web-1-5067-")
    assert "group.instance.id" not in consumer_config(IndexerSettings.load(None, instance_id=""), host="web-1")
    monkeypatch.setenv("GROKPIPE_INSTANCE_ID", "from-env")
    assert consumer_config(IndexerSettings.load(None), host="web-1")["group.instance.id"] == "from-env"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("instance_id: 'web 1'", "instance_id"),
        ("instance_id: " + "x" * 250, "instance_id"),
        ("scrub: {patterns: ['(unclosed']}", "scrub.patterns"),
        ("scrub: {enabeld: false}", "scrub.enabeld"),
        ("scrub: {keys: token}", "scrub.keys"),
    ],
)
def test_bad_membership_and_scrub_settings_name_the_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "indexer.yml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        IndexerSettings.load(path)


def test_scrub_defaults() -> None:
    scrub = IndexerSettings.load(None).scrub
    assert (scrub.enabled, scrub.keys, scrub.patterns, scrub.disable_datasets) == (True, [], [], [])
