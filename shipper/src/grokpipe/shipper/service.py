"""The shipper as one component: inputs, the publisher and the ops endpoint, started and stopped together."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from grokpipe.envelope import hostname
from grokpipe.httpserver import OpsServer
from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.deadletter import DeadLetter
from grokpipe.shipper.file.config import FileInputSettings
from grokpipe.shipper.file.input import FileInput
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.publisher import Publisher
from grokpipe.shipper.sentry.config import SentryInputSettings

log = logging.getLogger(__name__)


class Input(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None:
        """Stop accepting new data; what was handed to the publisher stays pending."""

    def finish(self) -> None:
        """After the publisher drained: record the acknowledged progress."""

    def health(self) -> dict[str, Any]: ...


class Shipper:
    def __init__(self, settings: ShipperSettings) -> None:
        self.settings = settings
        self.metrics = ShipperMetrics()
        self.host = settings.host_name or hostname()
        self.publisher = Publisher(
            settings.kafka, settings.publisher, self.metrics, dead_letter=DeadLetter(self.metrics, settings.data_dir)
        )
        self.inputs: list[Input] = [self._make_input(spec) for spec in settings.inputs]
        self.ops = OpsServer(settings.http, self.metrics.registry, self.health)

    def _make_input(self, spec: Any) -> Input:
        if isinstance(spec, FileInputSettings):
            return FileInput(spec, self.publisher, self.metrics, data_dir=self.settings.data_dir, host=self.host)
        if isinstance(spec, SentryInputSettings):
            from grokpipe.shipper.sentry.input import SentryInput  # loads only when configured

            sentry: Input = SentryInput(
                spec,
                self.publisher,
                self.metrics,
                data_dir=self.settings.data_dir,
                host=self.host,
                shutdown_timeout=self.settings.shutdown_timeout,
            )
            return sentry
        if spec.worker_count > 1:
            from grokpipe.shipper.syslog.workers import SyslogWorkers  # loads only when configured

            workers: Input = SyslogWorkers(spec, self.settings, self.metrics, host=self.host)
            return workers
        from grokpipe.shipper.syslog.input import SyslogInput  # the syslog stack loads only when configured

        syslog_input: Input = SyslogInput(
            spec,
            self.publisher,
            self.metrics,
            data_dir=self.settings.data_dir,
            host=self.host,
            shutdown_timeout=self.settings.shutdown_timeout,
        )
        return syslog_input

    def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.ops.start()
        self.publisher.start()
        for item in self.inputs:
            item.start()
        log.info("shipper started", extra={"inputs": [i.name for i in self.inputs], "host.name": self.host})

    def stop(self) -> None:
        """Stop reading, wait for Kafka to acknowledge what is in flight, then record progress."""
        for item in self.inputs:
            item.stop()
        drained = self.publisher.drain(self.settings.shutdown_timeout)
        if not drained:
            log.warning(
                "stopping with unacknowledged events; they are re-sent at the next start",
                extra={"in_flight": self.publisher.in_flight},
            )
        for item in self.inputs:
            item.finish()
        self.publisher.close()
        self.ops.stop()
        log.info("shipper stopped")

    def health(self) -> dict[str, Any]:
        inputs = {i.name: i.health() for i in self.inputs}
        ok = all(v.get("alive", True) for v in inputs.values())
        dead_letter = self.publisher.dead_letter
        status = "failing" if not ok else "degraded" if dead_letter.degraded else "ok"
        return {
            "status": status,
            "kafka": {
                "connected": self.publisher.connected,
                "in_flight": self.publisher.in_flight,
                "record_limit": self.publisher.record_limit,
                "dead_lettered": dead_letter.health(),
            },
            "inputs": inputs,
        }
