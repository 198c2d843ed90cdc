"""The indexer's configuration: ``grokpipe indexer -c indexer.yml``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from grokpipe.settings import ElasticsearchSettings, HttpSettings, KafkaSettings, Section, ServiceSettings
from indexer.pipeline import DEFAULT_LIBRARY


class BatchSettings(Section):
    max_events: int = Field(default=5_000, ge=1)
    max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    max_wait: float = Field(default=1.0, gt=0, description="seconds to wait for a batch to fill")


class RetrySettings(Section):
    initial: float = Field(default=0.5, gt=0)
    max: float = Field(default=30.0, gt=0)


class GrokSettings(Section):
    library: Path = Field(default=DEFAULT_LIBRARY, description="folder with patterns/, pipelines/, routing.yml")
    extra_patterns: list[Path] = Field(default_factory=list, description="more pattern folders (e.g. logstash's)")
    timeout: float = Field(default=0.25, gt=0, description="seconds one grok search may take")
    timezone: str = Field(default="UTC", description="for timestamps written without an offset")


class IndexerSettings(ServiceSettings):
    log_level: str = "INFO"
    namespace: str = Field(default="default", pattern=r"^[a-z0-9_]+$")
    instance_id: str | None = Field(
        default=None,
        description=(
            "static group membership (KIP-345): a stable id unique to this replica (e.g. its host name); "
            "a restarted indexer then takes its partitions back at once instead of after a rebalance"
        ),
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    http: HttpSettings = Field(default_factory=lambda: HttpSettings(listen="127.0.0.1:5067"))
    batch: BatchSettings = Field(default_factory=BatchSettings)
    retry: RetrySettings = Field(default_factory=RetrySettings)
    grok: GrokSettings = Field(default_factory=GrokSettings)
