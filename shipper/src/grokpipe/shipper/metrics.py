"""The shipper's metrics, on one registry served at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge


class ShipperMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.lines_read = Counter("grokpipe_shipper_lines_read", "Lines read from files", ["input"], registry=r)
        self.bytes_read = Counter("grokpipe_shipper_bytes_read", "Bytes read from files", ["input"], registry=r)
        self.events = Counter("grokpipe_shipper_events", "Events handed to the publisher", ["input"], registry=r)
        self.truncated = Counter(
            "grokpipe_shipper_lines_truncated",
            "Events cut at max_line_bytes or to the record limit",
            ["input"],
            registry=r,
        )
        self.invalid_utf8 = Counter(
            "grokpipe_shipper_invalid_utf8", "Events with invalid UTF-8 replaced", ["input"], registry=r
        )
        self.files_open = Gauge("grokpipe_shipper_files_open", "Files being harvested", ["input"], registry=r)
        self.registry_lag = Gauge(
            "grokpipe_shipper_registry_lag_bytes",
            "Bytes read but not yet acknowledged by Kafka, summed over open files",
            ["input"],
            registry=r,
        )
        self.published = Counter("grokpipe_shipper_events_published", "Events acknowledged by Kafka", registry=r)
        self.published_bytes = Counter(
            "grokpipe_shipper_bytes_published", "Record value bytes acknowledged by Kafka", registry=r
        )
        self.kafka_errors = Counter(
            "grokpipe_shipper_kafka_errors", "Failed sends and connection attempts (all retried)", registry=r
        )
        self.dead_lettered = Counter(
            "grokpipe_shipper_events_dead_lettered",
            "Records Kafka refused for good, kept in the dead-letter file instead (by reason)",
            ["reason"],
            registry=r,
        )
        self.record_limit = Gauge(
            "grokpipe_shipper_record_limit_bytes", "Largest record the publisher sends (the broker's limit)", registry=r
        )
        self.in_flight = Gauge(
            "grokpipe_shipper_queue_depth", "Events handed to Kafka and not yet acknowledged", registry=r
        )
        self.kafka_connected = Gauge(
            "grokpipe_shipper_kafka_connected", "1 while the last Kafka send succeeded", registry=r
        )
        self.syslog_messages = Counter(
            "grokpipe_shipper_syslog_messages",
            "Syslog messages accepted into the spool",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_bytes = Counter(
            "grokpipe_shipper_syslog_bytes", "Syslog bytes received", ["input", "listener"], registry=r
        )
        self.syslog_parse_failures = Counter(
            "grokpipe_shipper_syslog_parse_failures",
            "Messages that fit no syslog grammar (published whole, tagged _syslogparsefailure)",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_flagged = Counter(
            "grokpipe_shipper_syslog_flagged",
            "Messages kept but flagged: tag syslog_no_pri (no <PRI>) or syslog_nonconformant (breaks RFC 5424)",
            ["input", "listener", "tag"],
            registry=r,
        )
        self.syslog_dropped = Counter(
            "grokpipe_shipper_syslog_dropped",
            "Datagrams dropped because the spool was full or the disk failed",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_kernel_drops = Gauge(
            "grokpipe_shipper_syslog_kernel_drops",
            "Datagrams the kernel dropped before the shipper read them (receive buffer full; Linux)",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_connections = Gauge(
            "grokpipe_shipper_syslog_connections", "Open stream connections", ["input", "listener"], registry=r
        )
        self.syslog_connections_accepted = Counter(
            "grokpipe_shipper_syslog_connections_accepted",
            "Stream connections accepted",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_connections_refused = Counter(
            "grokpipe_shipper_syslog_connections_refused",
            "Stream connections refused at max_connections or max_connections_per_source",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_connections_shed = Counter(
            "grokpipe_shipper_syslog_connections_shed",
            "Silent stream connections of the busiest source closed to serve a new source at max_connections",
            ["input", "listener"],
            registry=r,
        )
        self.syslog_workers = Gauge(
            "grokpipe_shipper_syslog_workers", "Worker processes of a syslog input that are up", ["input"], registry=r
        )
        self.syslog_worker_restarts = Counter(
            "grokpipe_shipper_syslog_worker_restarts",
            "Syslog worker processes restarted after they died",
            ["input"],
            registry=r,
        )
        self.spool_depth = Gauge(
            "grokpipe_shipper_spool_depth", "Spooled messages Kafka has not acknowledged", ["input"], registry=r
        )
        self.spool_bytes = Gauge(
            "grokpipe_shipper_spool_bytes", "Spool bytes on disk Kafka has not acknowledged", ["input"], registry=r
        )
        self.spool_paused = Gauge(
            "grokpipe_shipper_syslog_paused",
            "1 while stream connections are not read (back-pressure)",
            ["input"],
            registry=r,
        )
        self.sentry_requests = Counter(
            "grokpipe_shipper_sentry_requests",
            "Requests to the Sentry input, by endpoint (envelope, store, cron) and HTTP status",
            ["input", "endpoint", "status"],
            registry=r,
        )
        self.sentry_items = Counter(
            "grokpipe_shipper_sentry_items",
            "Envelope items accepted by the Sentry input, by item type (log: per log record)",
            ["input", "type"],
            registry=r,
        )
        self.sentry_refused = Counter(
            "grokpipe_shipper_sentry_refused",
            "Sentry requests refused, by reason (forbidden, malformed, too_large, spool_full, project_rate_limit,"
            " spool_failed)",
            ["input", "reason"],
            registry=r,
        )
        self.sentry_bytes = Counter(
            "grokpipe_shipper_sentry_bytes", "Sentry request body bytes received, as sent", ["input"], registry=r
        )
