"""Kafka record -> Elasticsearch document: id, target index, failures kept."""

from __future__ import annotations

import orjson
import pytest

from grokpipe.indexer.documents import build, dataset_name
from grokpipe.indexer.pipeline import Router


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def test_shipper_event_goes_to_its_data_stream_with_its_id(router: Router) -> None:
    raw = orjson.dumps(
        {
            "@timestamp": "2026-11-22T09:00:00.000Z",
            "message": '192.0.2.1 - - [22/Nov/2026:08:15:08 +0000] "GET / HTTP/1.1" 200 5 "-" "x"',
            "event": {"id": "abc123", "dataset": "nginx.access"},
            "log": {"file": {"path": "/var/log/nginx/access.log", "inode": "1234", "device_id": "64768"}, "offset": 0},
            "host": {"name": "web1"},
        }
    )
    doc = build(raw, "logs.raw", 0, 7, router=router, namespace="prod")
    assert (doc.index, doc.id, doc.raw) == ("logs-nginx.access-prod", "abc123", raw)
    assert doc.source["data_stream"] == {"type": "logs", "dataset": "nginx.access", "namespace": "prod"}
    assert doc.source["http"]["response"]["status_code"] == 200
    assert doc.source["log"]["file"]["inode"] == "1234"
    assert doc.source["@timestamp"] == "2026-11-22T08:15:08.000Z"


def test_not_json_is_kept_with_a_tag_and_a_stable_id(router: Router) -> None:
    first = build(b"plain text", "logs.raw", 2, 99, router=router, namespace="default")
    again = build(b"plain text", "logs.raw", 2, 99, router=router, namespace="default")
    assert first.source["message"] == "plain text"
    assert first.source["tags"] == ["_jsonparsefailure"]
    assert first.index == "logs-generic-default"
    assert first.id == again.id  # replay of the same record -> same _id -> 409, not a duplicate


@pytest.mark.parametrize(
    ("dataset", "name"),
    [("nginx.access", "nginx.access"), ("My-App", "my_app"), (None, "generic"), ("...", "generic"), ("a b/c", "a_b_c")],
)
def test_dataset_names_are_data_stream_safe(dataset: str | None, name: str) -> None:
    assert dataset_name(dataset) == name
