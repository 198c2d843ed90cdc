"""The indexer as one component: templates, pipelines, consumer and ops endpoint."""

from __future__ import annotations

import logging
import threading
from typing import Any

from grokpipe.elasticsearch_client import elasticsearch
from grokpipe.httpserver import OpsServer
from grokpipe.indexer.bulk import BulkWriter
from grokpipe.indexer.config import IndexerSettings
from grokpipe.indexer.consumer import Consumer
from grokpipe.indexer.metrics import IndexerMetrics
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.retention import Retention
from grokpipe.indexer.template import install_templates
from grokpipe.retry import Backoff, RetryPolicy, retry

log = logging.getLogger(__name__)

#: Templates are installed once Elasticsearch answers, however long that takes.
SETUP_RETRY = RetryPolicy(Backoff(initial=0.5, cap=10.0))


def _setup_retry(exc: BaseException, failures: int, delay: float) -> None:
    log.warning(
        "cannot install templates yet, retrying",
        extra={"error.message": str(exc)[:200], "attempts": failures, "retry_in": round(delay, 2)},
    )


class Indexer:
    def __init__(self, settings: IndexerSettings) -> None:
        self.settings = settings
        self.metrics = IndexerMetrics()
        grok = settings.grok
        self.router = Router.load(
            grok.library,
            grok.extra_patterns,
            grok.timeout,
            grok.timezone,
            grok_max_chars=grok.max_chars,
            event_budget=grok.event_budget,
        )
        self.es = elasticsearch(settings.elasticsearch)
        self._stop = threading.Event()
        self.writer = BulkWriter(self.es, settings.retry, self.metrics, self._stop)
        self.consumer = Consumer(settings, self.router, self.writer, self.metrics)
        self.retention = (
            Retention(self.es, settings.retention, settings.namespace) if settings.retention.enabled else None
        )
        self.ops = OpsServer(settings.http, self.metrics.registry, self.health)
        self._thread = threading.Thread(target=self._run, name="indexer", daemon=True)

    def setup(self) -> dict[str, Any]:
        """Install templates, waiting for Elasticsearch while it is unavailable (until ``stop``); a refused
        request or a bug raises at once instead of being retried forever."""
        return retry(lambda: install_templates(self.es), SETUP_RETRY, sleep=self._stop.wait, on_retry=_setup_retry)

    def start(self) -> None:
        self.ops.start()
        self.setup()
        self._thread.start()
        if self.retention is not None:
            self.retention.start()
        log.info("indexer started", extra={"datasets": self.router.datasets, "topic": self.settings.kafka.topic})

    def _run(self) -> None:
        try:
            self.consumer.run()
        except BaseException as exc:
            self.consumer.error = exc
            log.exception("indexer failed")
            raise

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self.consumer.stop()
        self._thread.join(timeout)
        if self.retention is not None:
            self.retention.stop()
        self.ops.stop()
        self.es.close()
        log.info("indexer stopped")

    def health(self) -> dict[str, Any]:
        alive = self._thread.is_alive()
        status = "ok" if alive and self.consumer.error is None else "failing"
        doc: dict[str, Any] = {"status": status, "consumer_alive": alive}
        if self.retention is not None:
            doc["retention"] = self.retention.health()
            if status == "ok" and self.retention.warn:
                doc["status"] = "degraded"  # near the embedded store's ceiling (docs/capacity.md)
        return doc
