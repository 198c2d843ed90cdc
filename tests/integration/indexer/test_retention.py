"""Retention on the embedded server: events past max_age go, the oldest past max_events go down to
trim_ratio of it, and the store near its limit says so in /healthz."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch
from support import indexer as support

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.retention import Retention, RetentionSettings
from grokpipe.indexer.service import Indexer
from grokpipe.indexer.template import install_templates


def index(es: Elasticsearch, ns: str, stamps: list[datetime], first: int = 0, happened: datetime | None = None) -> None:
    """Events indexed at ``stamps`` (``event.ingested``); they happened then too unless ``happened`` says."""
    ops: list[dict[str, object]] = []
    for i, stamp in enumerate(stamps, start=first):
        ops += [
            {"create": {"_index": f"logs-retention-{ns}", "_id": f"r{i:05d}"}},
            {
                "@timestamp": (happened or stamp).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "event": {"ingested": stamp.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
                "message": f"event {i}",
                "data_stream": {"type": "logs", "dataset": "retention", "namespace": ns},
            },
        ]
    es.bulk(operations=ops, refresh=True)


def test_retention_by_age_and_by_count(stack: EmbeddedStack) -> None:
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    install_templates(es)
    ns = support.namespace()
    now = datetime.now(UTC)
    settings = RetentionSettings(enabled=True, max_events=200, max_age_days=2, warn_ratio=0.8, trim_ratio=0.7)
    retention = Retention(es, settings, ns)
    index(es, ns, [now - timedelta(days=3, minutes=i) for i in range(50)])  # past max_age
    index(es, ns, [now - timedelta(minutes=500 - i) for i in range(170)], first=50)  # 170 of 200: near it
    decided = retention.run_once()
    assert support.count(es, ns) == 170
    assert decided.warn
    assert retention.health()["near_limit"]
    index(es, ns, [now - timedelta(seconds=100 - i) for i in range(60)], first=220)  # 230: past it
    decided = retention.run_once()
    assert (decided.trim, decided.warn) == (90, False)
    assert support.count(es, ns) == 140  # the newest 140: every event of the last batch is kept
    kept = es.search(index=f"logs-*-{ns}", size=200)["hits"]["hits"]
    assert {hit["_id"] for hit in kept} >= {f"r{i:05d}" for i in range(220, 280)}
    assert retention.deleted == 50 + 90
    es.close()


def test_old_logs_shipped_now_are_kept(stack: EmbeddedStack) -> None:
    """Last month's log file shipped today (the example logs of make run): its age is when it was indexed."""
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    install_templates(es)
    ns = support.namespace()
    now = datetime.now(UTC)
    retention = Retention(es, RetentionSettings(enabled=True, max_events=200, max_age_days=7), ns)
    index(es, ns, [now - timedelta(seconds=i) for i in range(20)], happened=now - timedelta(days=40))
    retention.run_once()
    assert support.count(es, ns) == 20
    assert retention.deleted == 0
    es.close()


def test_an_indexer_near_the_limit_is_degraded(stack: EmbeddedStack, topic: str) -> None:
    ns = support.namespace()
    settings = support.settings(stack, topic, ns, retention={"enabled": True, "max_events": 100, "interval": 3600})
    es = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    install_templates(es)
    index(es, ns, [datetime.now(UTC) - timedelta(minutes=i) for i in range(90)])
    indexer = Indexer(settings)
    indexer.start()
    try:
        assert indexer.retention is not None
        indexer.retention.run_once()
        health = indexer.health()
        assert health["status"] == "degraded"
        assert health["retention"]["events"] == 90
    finally:
        indexer.stop()
    es.close()
