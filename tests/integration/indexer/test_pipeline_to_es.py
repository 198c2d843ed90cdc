"""Shipper -> Kafka -> indexer -> Elasticsearch with the example logs: counts and parsed fields."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support import indexer as support
from support.shipper import settings as shipper_settings
from support.shipper import wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.service import Indexer
from grokpipe.kafka_admin import kafka_producer
from grokpipe.settings import KafkaSettings
from grokpipe.shipper.service import Shipper

EXAMPLES = Path(__file__).parents[3] / "examples"


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def test_example_logs_are_parsed_and_searchable(
    stack: EmbeddedStack, topic: str, data_dir: Path, tmp_path: Path, es: Elasticsearch
) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(EXAMPLES / "logs", logs)
    inputs = [
        {"type": "file", "id": "a", "paths": [str(logs / "nginx/access*.log")], "dataset": "nginx.access",
         "scan_frequency": 0.2},
        {"type": "file", "id": "e", "paths": [str(logs / "nginx/error*.log")], "dataset": "nginx.error",
         "scan_frequency": 0.2, "multiline": {"preset": "php", "timeout": 0.5}},
        {"type": "file", "id": "p", "paths": [str(logs / "php/*.log")], "dataset": "php.error",
         "scan_frequency": 0.2, "multiline": {"preset": "php", "timeout": 0.5}},
        {"type": "file", "id": "y", "paths": [str(logs / "app/*.log")], "dataset": "python.traceback",
         "scan_frequency": 0.2, "multiline": {"preset": "python", "timeout": 0.5}},
    ]  # fmt: skip
    ns = support.namespace()
    shipper = Shipper(shipper_settings(stack, topic, data_dir, inputs))
    indexer = Indexer(support.settings(stack, topic, ns))
    shipper.start()
    indexer.start()
    try:
        # 8 access lines, 5 nginx error events, 6 php events, 4 python events (one a traceback)
        assert support.wait_count(es, ns, 23) == 23
    finally:
        shipper.stop()
        indexer.stop()

    def search(query: dict[str, Any]) -> list[dict[str, Any]]:
        return [h["_source"] for h in es.search(index=f"logs-*-{ns}", query=query, size=50)["hits"]["hits"]]

    errors = search({"term": {"http.response.status_code": 500}})
    assert [e["url"]["original"] for e in errors] == ["/cart.php"]
    assert errors[0]["source"]["ip"] == "198.51.100.23"
    assert errors[0]["@timestamp"] == "2026-11-22T08:15:08.000Z"
    assert errors[0]["url"]["path"] == "/cart.php"
    assert errors[0]["http"]["request"]["duration"] == 1.734  # nginx's $request_time, seconds
    slow = search({"range": {"http.request.duration": {"gt": 1.5}}})
    assert sorted(e["url"]["path"] for e in slow) == ["/cart.php", "/checkout.php"]

    fatal = search(
        {"bool": {"filter": [{"term": {"event.dataset": "php.error"}}, {"term": {"log.level": "critical"}}]}}
    )
    assert len(fatal) == 4
    keys = {e["error"]["grouping_key"] for e in fatal}
    assert len(keys) == 4
    cart = next(e for e in fatal if e["log"]["origin"]["file"]["name"].endswith("Cart.php"))
    assert cart["log"]["origin"]["file"]["line"] == 57
    assert cart["error"]["type"] == "Error"
    assert cart["error"]["stack_trace"].startswith("Stack trace:")
    # The same fatal error seen through nginx's FastCGI log groups with the php-fpm one.
    nginx_php = search({"bool": {"filter": [{"term": {"event.dataset": "nginx.error"}}, {"term": {"tags": "php"}}]}})
    assert cart["error"]["grouping_key"] in {e["error"]["grouping_key"] for e in nginx_php}

    traceback = search({"term": {"error.type": "ZeroDivisionError"}})
    assert len(traceback) == 1
    # the origin is the innermost frame: where the error was raised
    assert traceback[0]["log"]["origin"]["file"] == {"name": "/srv/billing/pricing.py", "line": 31}
    assert support.count(es, ns, {"term": {"tags": "_grokparsefailure"}}) == 0


def test_rejected_document_goes_to_dead_letter_and_consumer_moves_on(
    stack: EmbeddedStack, topic: str, es: Elasticsearch
) -> None:
    ns = support.namespace()
    producer = kafka_producer(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]))
    good = b'{"@timestamp":"2026-11-22T10:00:00.000Z","message":"ok %d","event":{"id":"%s","dataset":"custom.app"}}'
    # status_code is a long in our template: a word there is a mapping conflict
    bad = (
        b'{"@timestamp":"2026-11-22T10:00:00.000Z","message":"bad","event":{"id":"bad-1","dataset":"custom.app"},'
        b'"http":{"response":{"status_code":"teapot"}}}'
    )
    producer.send(topic, value=good % (1, b"good-1"))
    producer.send(topic, value=bad)
    producer.send(topic, value=b"this is not json")
    producer.send(topic, value=good % (2, b"good-2"))
    producer.flush()
    producer.close()
    indexer = Indexer(support.settings(stack, topic, ns))
    indexer.start()
    try:
        assert support.wait_count(es, ns, 3) == 3
        assert wait_for(lambda: indexer.metrics.dead_letters._value.get() == 1)
    finally:
        indexer.stop()
    es.indices.refresh(index="grokpipe-deadletter")
    dead = es.get(index="grokpipe-deadletter", id="bad-1")["_source"]
    assert dead["target_index"] == f"logs-custom.app-{ns}"
    assert "teapot" in dead["event"]["original"]
    assert dead["error"]["status"] == 400
    unparsed = es.search(index=f"logs-*-{ns}", query={"term": {"tags": "_jsonparsefailure"}})["hits"]["hits"]
    assert [h["_source"]["message"] for h in unparsed] == ["this is not json"]


def test_events_of_a_format_without_pipeline_share_a_pattern_and_an_error_group(
    stack: EmbeddedStack, topic: str, es: Elasticsearch
) -> None:
    ns = support.namespace()
    producer = kafka_producer(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]))
    line = (
        b'{"@timestamp":"2026-11-22T10:00:00.000Z","event":{"id":"ras-%d","dataset":"custom.ras"},'
        b'"message":"2005-06-11-17.%d.07.581048 R%d-M0-N9-C:J16-U01 RAS KERNEL FATAL data TLB error interrupt"}'
    )
    for i in range(3):
        producer.send(topic, value=line % (i, 30 + i, 10 + i))
    producer.flush()
    producer.close()
    indexer = Indexer(support.settings(stack, topic, ns))
    indexer.start()
    try:
        assert support.wait_count(es, ns, 3) == 3
    finally:
        indexer.stop()
    hits = [h["_source"] for h in es.search(index=f"logs-*-{ns}", size=10)["hits"]["hits"]]
    key = hits[0]["log"]["pattern"]["key"]
    assert support.count(es, ns, {"term": {"log.pattern.key": key}}) == 3
    assert {h["log"]["pattern"]["template"] for h in hits} == {"data TLB error interrupt"}
    assert {h["log"]["level"] for h in hits} == {"critical"}
    assert len({h["error"]["grouping_key"] for h in hits}) == 1
