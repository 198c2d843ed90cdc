"""The indexer's configuration: ``grokpipe indexer -c indexer.yml``."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from pydantic import Field, field_validator

from grokpipe.indexer.pipeline import DEFAULT_LIBRARY
from grokpipe.indexer.retention import RetentionSettings
from grokpipe.settings import ElasticsearchSettings, HttpSettings, KafkaSettings, Section, ServiceSettings


class BatchSettings(Section):
    max_events: int = Field(default=5_000, ge=1)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_wait: float = Field(
        default=0.25,
        gt=0,
        description=(
            "seconds a batch waits for more events after its first; past it, the batch goes as soon as "
            "no bulk request is in flight (it keeps filling until then)"
        ),
    )


class RetrySettings(Section):
    initial: float = Field(default=0.5, gt=0)
    max: float = Field(default=30.0, gt=0)


class GrokSettings(Section):
    library: Path = Field(default=DEFAULT_LIBRARY, description="folder with patterns/, pipelines/, routing.yml")
    extra_patterns: list[Path] = Field(default_factory=list, description="more pattern folders (e.g. logstash's)")
    timeout: float = Field(default=0.25, gt=0, description="seconds one grok search may take")
    max_chars: int = Field(
        default=65_536, ge=1024, description="characters of a field a grok step searches (longer: tagged _groklimit)"
    )
    event_budget: float = Field(
        default=1.0, gt=0, description="seconds of pipeline steps per event; then the rest is skipped (_pipelinelimit)"
    )
    timezone: str = Field(default="UTC", description="for timestamps written without an offset")


class ScrubSettings(Section):
    """Credentials masked before documents reach Elasticsearch (see :mod:`indexer.scrub`)."""

    enabled: bool = True
    keys: list[str] = Field(
        default_factory=list,
        description="more key names whose values are masked (case-insensitive, exact names; '-' equals '_')",
    )
    patterns: list[str] = Field(
        default_factory=list,
        description="regexes run on every string: group 1 (or the whole match) is masked",
    )
    disable_datasets: list[str] = Field(
        default_factory=list, description="datasets left as they are (shell-style globs: nginx.*)"
    )

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for index, pattern in enumerate(patterns):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"pattern {index} ({pattern!r}) is not a valid regex: {exc}") from None
        return patterns


#: Kafka's rule for a group.instance.id (the same as for topic names).
_INSTANCE_ID = re.compile(r"[A-Za-z0-9._-]{0,249}")


def derived_instance_id(host: str, group_id: str, topic: str, listen: str) -> str | None:
    """The default ``group.instance.id``: ``<host>-<port>-<hash of group, topic, listen>``.

    Stable across restarts of the same replica, distinct between replicas: containers and pods have
    distinct host names, and two indexers on one host cannot listen on the same ``http.listen``. An
    ephemeral port (``:0``) distinguishes nothing, so then there is no default (dynamic membership).
    """
    port = listen.rpartition(":")[2]
    if port in ("", "0"):
        return None
    name = re.sub(r"[^A-Za-z0-9._-]", "_", host or "indexer")[:200]
    digest = hashlib.sha256(f"{group_id}\0{topic}\0{listen}".encode()).hexdigest()[:8]
    return f"{name}-{port}-{digest}"


class IndexerSettings(ServiceSettings):
    log_level: str = "INFO"
    namespace: str = Field(default="default", pattern=r"^[a-z0-9_]+$")
    instance_id: str | None = Field(
        default=None,
        description=(
            "Kafka static group membership (KIP-345, group.instance.id). null (the default): derived "
            "from the host name, kafka.group_id, kafka.topic and http.listen, see group_instance_id(); "
            "a string: that id (one per replica); '': none, dynamic membership"
        ),
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    http: HttpSettings = Field(default_factory=lambda: HttpSettings(listen="127.0.0.1:5067"))
    batch: BatchSettings = Field(default_factory=BatchSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    grok: GrokSettings = Field(default_factory=GrokSettings)
    scrub: ScrubSettings = Field(default_factory=ScrubSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    workers: int = Field(
        default=1,
        ge=1,
        le=256,
        description=(
            "parse processes (decode, pipelines, scrub) beside the one consuming and writing; 1: parse in "
            "the consumer itself. Offsets are still committed only once Elasticsearch settled the batch. "
            "Worth more than 1 only where the indexer has spare cores (see grokpipe.indexer.workers)"
        ),
    )

    @field_validator("instance_id")
    @classmethod
    def _kafka_instance_id(cls, value: str | None) -> str | None:
        if value is not None and not _INSTANCE_ID.fullmatch(value):
            raise ValueError("at most 249 characters of A-Z, a-z, 0-9, '.', '_' and '-' (Kafka's rule)")
        return value

    def group_instance_id(self, host: str) -> str | None:
        """The ``group.instance.id`` this replica joins with on ``host``; None for dynamic membership.

        Why a default at all: a dynamic member that dies without leaving (kill -9, OOM, power loss)
        stays in the group until the coordinator expires its session. Apache Kafka does that after
        ``session.timeout.ms`` (librdkafka's default 45 s), then rebalances; the embedded server
        (noida-db) never does, so a restarted indexer with a fresh member id waited forever for
        partitions its dead predecessor still held. A static member that rejoins with the same
        instance id takes the old member's place and its partitions at once, on both servers: no
        waiting, no rebalance (KIP-345, Kafka >= 2.3).

        What it costs on Apache Kafka: a static member that dies and does *not* come back keeps its
        partitions unconsumed until ``session.timeout.ms`` passes (45 s, the same as a dynamic one's
        detection time); librdkafka never sends LeaveGroup for a static member on close (KIP-345), so
        the consumer leaves explicitly on a clean stop (SIGTERM), and scaling down hands the
        partitions over at once. Two replicas with the same id fence each other, hence the derived
        id includes the host name and ``http.listen`` (unique per host for running indexers).
        """
        if self.instance_id is not None:
            return self.instance_id or None
        return derived_instance_id(host, self.kafka.group_id, self.kafka.topic, self.http.listen)
