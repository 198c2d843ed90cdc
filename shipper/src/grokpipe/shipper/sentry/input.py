"""The Sentry input: an HTTP endpoint for Sentry SDKs -> records -> spool -> Kafka.

A request is answered 200 only once its records are in the spool (``<data_dir>/sentry/<id>/``, the
syslog input's write-ahead log, with the same fsync policies and the same crash guarantees: see
``grokpipe.shipper.spool``); the drain hands them to the publisher, and Kafka's acknowledgements move
the spool's checkpoint. A full spool answers 429, which is how an SDK is told to back off.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher
from grokpipe.shipper.sentry.config import SentryInputSettings
from grokpipe.shipper.sentry.endpoint import SentryEndpoint
from grokpipe.shipper.sentry.server import HttpServer
from grokpipe.shipper.spool import Spool

log = logging.getLogger(__name__)


def spool_dir(data_dir: os.PathLike[str] | str, name: str) -> Path:
    return Path(data_dir) / "sentry" / name


class SentryInput:
    def __init__(
        self,
        settings: SentryInputSettings,
        publisher: Publisher,
        metrics: ShipperMetrics,
        *,
        data_dir: os.PathLike[str] | str,
        host: str,
        shutdown_timeout: float = 30.0,
    ) -> None:
        self.settings = settings
        self.name = f"sentry:{settings.name}"
        self._shutdown_timeout = shutdown_timeout
        self.spool = Spool(
            spool_dir(data_dir, settings.name),
            settings.spool,
            publisher.publish,
            name=self.name,
            publish_many=publisher.publish_many,
        )
        publisher.after_poll(self.spool.settle)
        self.endpoint = SentryEndpoint(settings, self.spool, metrics, host=host, encode=publisher.encode)
        self.server = HttpServer(
            settings.address,
            self.endpoint,
            max_body=settings.limits.body_bytes,
            idle_timeout=settings.idle_timeout,
            max_connections=settings.max_connections,
        )
        metrics.spool_depth.labels(settings.name).set_function(lambda: self.spool.depth)
        metrics.spool_bytes.labels(settings.name).set_function(lambda: self.spool.bytes)

    def start(self) -> None:
        self.spool.start()
        try:
            self.server.start()
        except OSError:
            self.spool.stop(0)
            raise
        log.info("sentry input listening", extra={"input": self.settings.name, "listen": self.server.bound})

    def stop(self, timeout: float | None = None) -> None:
        """Stop answering, then give Kafka ``timeout`` (default ``shutdown_timeout``) to take the spool."""
        self.server.stop()
        self.spool.stop(self._shutdown_timeout if timeout is None else timeout)

    def finish(self) -> None:
        """Nothing to record: the spool's checkpoint was saved by ``stop``."""

    def health(self) -> dict[str, Any]:
        return {
            "alive": self.server.alive and self.spool.draining,
            "listen": self.server.bound,
            "connections_refused": self.server.refused,
            "spool": {"depth": self.spool.depth, "bytes": self.spool.bytes, "torn": self.spool.dropped_torn},
        }
