"""A gunicorn + Flask container through Docker's syslog driver -> shipper -> Kafka -> indexer -> Elasticsearch:
JSON access lines become typed fields, five tracebacks become five events in one error group."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support import indexer as support
from support.shipper import settings as shipper_settings

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.indexer.service import Indexer
from grokpipe.shipper.service import Shipper

TAG = "whatweb-server-staging"
ACCESS = (
    '{{"request_address": "10.0.0.{n}", "request_time": "[07/Dec/2026:10:00:0{n} +0000]", '
    '"request": "GET /items?page={n} HTTP/1.1", "http_status_code": "{status}", "http_request_url": "/items", '
    '"http_query_string": "page={n}", "request_headers": {{"content-type": "application/json", '
    '"content-length": "-", "user-agent": "curl/8.5.0", "x-request-id": "req-{n}"}}}}'
)


def traceback(n: int) -> list[str]:
    return [
        f"[2026-12-07 10:00:0{n} +0000] [7] [ERROR] Exception on /boom/{n} [GET]",
        "Traceback (most recent call last):",
        '  File "/usr/local/lib/python3.12/site-packages/flask/app.py", line 880, in full_dispatch_request',
        "    rv = self.dispatch_request()",
        '  File "/app/whatweb/views.py", line 41, in boom',
        "    return TABLE[key]",
        f"KeyError: 'item-{n}'",
    ]


def frame(line: str) -> bytes:
    """Docker's syslog driver, syslog-format rfc5424micro, tag as configured (no id)."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return f"<27>1 {now} dockerhost {TAG} 812 {TAG} - {line}\n".encode()


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def test_container_json_access_lines_and_tracebacks(
    stack: EmbeddedStack, topic: str, data_dir: Path, es: Elasticsearch
) -> None:
    port = free_port()
    inputs = [{"type": "syslog", "id": "docker", "listen": [f"tcp://127.0.0.1:{port}"], "dataset": "syslog",
               "routes": [{"appname": "whatweb-*", "dataset": "docker"}], "multiline": {"timeout": 1.0}}]  # fmt: skip
    ns = support.namespace()
    shipper = Shipper(shipper_settings(stack, topic, data_dir, inputs))
    indexer = Indexer(support.settings(stack, topic, ns))
    shipper.start()
    indexer.start()
    try:
        with socket.create_connection(("127.0.0.1", port)) as conn:
            for n in range(5):
                conn.sendall(frame(ACCESS.format(n=n, status=200 if n else 500)))
                conn.sendall(b"".join(frame(line) for line in traceback(n)))
        assert support.wait_count(es, ns, 10) == 10
    finally:
        shipper.stop()
        indexer.stop()

    def search(query: dict[str, Any]) -> list[dict[str, Any]]:
        hits = es.search(index=f"logs-*-{ns}", query=query, size=50, sort=[{"@timestamp": "asc"}])["hits"]["hits"]
        return [h["_source"] for h in hits]

    access = search({"exists": {"field": "http.response.status_code"}})
    assert len(access) == 5
    first = next(e for e in access if e["source"]["ip"] == "10.0.0.0")
    assert first["http"] == {"request": {"method": "GET", "mime_type": "application/json"}, "version": "1.1",
                             "response": {"status_code": 500}}  # fmt: skip
    assert first["url"] == {"path": "/items", "query": "page=0", "original": "/items?page=0"}
    assert first["user_agent"] == {"original": "curl/8.5.0"}
    assert first["@timestamp"] == "2026-12-07T10:00:00.000Z"
    assert first["container"] == {"name": TAG}
    assert first["event"]["dataset"] == "docker"
    assert len(search({"range": {"http.response.status_code": {"gte": 500}}})) == 1  # a number, not a string

    errors = search({"exists": {"field": "error.grouping_key"}})
    assert len(errors) == 5
    assert all("multiline" in e["tags"] for e in errors)
    assert {e["error"]["grouping_key"] for e in errors} == {errors[0]["error"]["grouping_key"]}
    assert {e["error"]["culprit"] for e in errors} == {"/app/whatweb/views.py in boom"}
    assert {e["error"]["type"] for e in errors} == {"KeyError"}
    assert support.count(es, ns, {"term": {"tags": "_jsonparsefailure"}}) == 0
    # a key no shape knows: kept under the flattened json field, searchable by its path
    assert first["json"] == {"request_headers": {"x-request-id": "req-0"}}
    assert [e["url"]["query"] for e in search({"term": {"json.request_headers.x-request-id": "req-3"}})] == ["page=3"]
