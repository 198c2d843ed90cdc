"""The indexer's metrics, served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class IndexerMetrics:
    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.events_in = Counter("grokpipe_indexer_events_in", "Records consumed from Kafka", registry=r)
        self.events_out = Counter(
            "grokpipe_indexer_events_indexed", "Documents Elasticsearch stored (incl. already present)", registry=r
        )
        self.duplicates = Counter(
            "grokpipe_indexer_duplicates", "Re-delivered documents Elasticsearch already had (409)", registry=r
        )
        self.parse_failures = Counter(
            "grokpipe_indexer_parse_failures", "Events tagged with a parse failure", ["dataset", "tag"], registry=r
        )
        self.dead_letters = Counter(
            "grokpipe_indexer_dead_letters", "Documents sent to the dead-letter index", registry=r
        )
        self.retries = Counter("grokpipe_indexer_bulk_retries", "Bulk requests or items sent again", registry=r)
        self.bulk_seconds = Histogram("grokpipe_indexer_bulk_seconds", "Bulk request latency", registry=r)
        self.lag = Gauge("grokpipe_indexer_consumer_lag", "Records behind the end of the topic", registry=r)
        self.commits = Counter("grokpipe_indexer_commits", "Offset commits", registry=r)
        self.worker_restarts = Counter(
            "grokpipe_indexer_worker_restarts", "Parse worker pools started again after a worker died", registry=r
        )
