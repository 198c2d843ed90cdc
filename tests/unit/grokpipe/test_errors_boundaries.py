"""Where the narrowed excepts and the mapped errors show: an outage is retried, a bug or a refusal is not,
and a bad time zone is a config error naming the key rather than a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from pydantic import ValidationError

from grokpipe.api.kernel.schedule import Schedule
from grokpipe.embedded import free_port
from grokpipe.errors import ElasticsearchUnavailable
from grokpipe.indexer.config import IndexerSettings
from grokpipe.indexer.service import Indexer
from grokpipe.indexer.template import install_templates
from grokpipe.shipper.syslog.config import SyslogInputSettings


def closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_templates_without_a_server_are_unavailable_not_no_ilm() -> None:
    es = Elasticsearch(closed_port_url(), max_retries=0)
    try:
        with pytest.raises(ElasticsearchUnavailable):
            install_templates(es)  # used to answer "server has no ILM" and go on
    finally:
        es.close()


@pytest.fixture
def indexer() -> Iterator[Indexer]:
    """An indexer whose Elasticsearch is a closed port (its ops endpoint never started, so never bound)."""
    settings = {"elasticsearch": {"hosts": [closed_port_url()]}, "http": {"listen": "127.0.0.1:0"}}
    ix = Indexer(IndexerSettings.model_validate(settings))
    yield ix
    ix.ops.stop()  # never started: nothing to close
    ix.es.close()


def test_indexer_setup_waits_for_elasticsearch_until_stopped(indexer: Indexer) -> None:
    ix = indexer
    ix._stop.set()  # stopping: the wait ends at once and the outage is raised
    with pytest.raises(ElasticsearchUnavailable):
        ix.setup()


class Broken:
    """Stands where the client's ILM API is: raises what a bug would."""

    def __init__(self) -> None:
        self.calls = 0

    def put_lifecycle(self, **_: Any) -> None:
        self.calls += 1
        raise TypeError("a bug, not an outage")


def test_indexer_setup_does_not_retry_a_bug(indexer: Indexer) -> None:
    ix = indexer
    broken = Broken()
    ix.es.ilm = broken  # type: ignore[assignment]
    with pytest.raises(TypeError):
        ix.setup()  # used to retry any exception forever
    assert broken.calls == 1


@pytest.mark.parametrize("zone", ["America", "Nowhere/City", "../etc", ""])
def test_a_bad_rule_time_zone_is_a_validation_error(zone: str) -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Schedule.model_validate({"interval": "1m", "timezone": zone})


def test_a_time_zone_folder_is_a_syslog_config_error() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        SyslogInputSettings.model_validate({"listen": ["udp://127.0.0.1:5514"], "timezone": "America"})
