from __future__ import annotations

from pathlib import Path

import pytest

from grokpipe.settings import ConfigError
from indexer.config import IndexerSettings

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
