"""Credentials in real log lines never reach Elasticsearch: the real indexer into noida-db."""

from __future__ import annotations

from typing import Any

import orjson
from confluent_kafka import Producer
from elasticsearch import Elasticsearch
from support import indexer as support

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.service import Indexer

SECRETS = ("hunter2", "sk_live_51Hx", "eyJhbGciOiJIUzI1NiJ9", "dXNlcjpwYXNz", "9f8e7d6c5b", "s3cr3tpw", "c0ok1e")

EVENTS: list[tuple[str, str]] = [
    (
        "nginx.access",
        '203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET /login?user=bob&password=hunter2 HTTP/1.1" 302 0 '
        '"https://shop.example.com/cart?token=9f8e7d6c5b" "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"',
    ),
    (
        "nginx.error",
        '2026/11/22 10:00:01 [error] 812#812: *7 FastCGI sent in stderr: "PHP message: PHP Warning:  '
        'file_get_contents(https://api.stripe.example/v1/charges?api_key=sk_live_51Hx): Failed to open stream" '
        "while reading response header from upstream, client: 203.0.113.9, server: shop.example.com, "
        'request: "GET /checkout HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:"',
    ),
    (
        "php.error",
        "[22-Nov-2026 10:00:02 UTC] PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [2002] "
        "mysql:host=db;dbname=shop;password=s3cr3tpw in /var/www/shop/src/Db.php:12",
    ),
    (
        "python.traceback",
        "2026-11-22 10:00:03,120 DEBUG urllib3.connectionpool: headers={'Authorization': 'Bearer "
        "eyJhbGciOiJIUzI1NiJ9.e30.x', 'Cookie': 'sessionid=c0ok1e'}",
    ),
    ("app", "Authorization: Basic dXNlcjpwYXNz"),
    ("app", "GET /healthz 200"),  # nothing to mask: no tag
    ("raw.audit", "user bob set password=hunter2"),  # scrubbing turned off for this dataset
]


def produce(stack: EmbeddedStack, topic: str) -> None:
    producer = Producer({"bootstrap.servers": stack.kafka_bootstrap})
    for i, (dataset, message) in enumerate(EVENTS):
        event = {"message": message, "event": {"id": f"scrub-{i}", "dataset": dataset}, "host": {"name": "web1"}}
        producer.produce(topic, value=orjson.dumps(event))
    assert producer.flush(30) == 0


def test_stored_documents_hold_no_credential_and_carry_the_tag(stack: EmbeddedStack, topic: str) -> None:
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    ns = support.namespace()
    settings = support.settings(stack, topic, ns, batch={"max_wait": 0.2}, scrub={"disable_datasets": ["raw.*"]})
    indexer = Indexer(settings)
    indexer.start()
    try:
        produce(stack, topic)
        assert support.wait_count(es, ns, len(EVENTS), timeout=60) == len(EVENTS)
    finally:
        indexer.stop()
    hits = es.search(index=f"logs-*-{ns}", size=50, query={"match_all": {}})["hits"]["hits"]
    docs: dict[str, dict[str, Any]] = {h["_source"]["event"]["id"]: h["_source"] for h in hits}
    assert len(docs) == len(EVENTS)

    audit = docs.pop("scrub-6")
    assert audit["message"] == "user bob set password=hunter2"
    assert "scrubbed" not in audit.get("tags", [])
    assert "scrubbed" not in docs.pop("scrub-5").get("tags", [])
    stored = orjson.dumps(docs).decode()
    for secret in SECRETS:
        assert secret not in stored, secret
    assert all("scrubbed" in doc["tags"] for doc in docs.values())
    assert "[Filtered]" in docs["scrub-0"]["url"]["original"]  # parsed fields too, key names kept
    assert docs["scrub-0"]["url"]["original"] == "/login?user=bob&password=[Filtered]"
    assert docs["scrub-0"]["http"]["request"]["referrer"] == "https://shop.example.com/cart?token=[Filtered]"
    assert docs["scrub-4"]["message"] == "Authorization: Basic [Filtered]"
    # what Elasticsearch indexed cannot be found by the secret either
    es.indices.refresh(index=f"logs-*-{ns}")
    found = es.count(index=f"logs-*-{ns}", query={"query_string": {"query": "hunter2"}})["count"]
    assert found == 1  # only the audit event, where scrubbing is off
    tagged = es.count(index=f"logs-*-{ns}", query={"term": {"tags": "scrubbed"}})["count"]
    assert tagged == 5
