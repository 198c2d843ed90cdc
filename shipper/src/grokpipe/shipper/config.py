"""The shipper's configuration: ``grokpipe shipper -c shipper.yml``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, model_validator

from grokpipe.settings import HttpSettings, KafkaSettings, ServiceSettings
from grokpipe.shipper.file.config import FileInputSettings
from grokpipe.shipper.publisher import PublisherSettings
from grokpipe.shipper.sentry.config import SentryInputSettings
from grokpipe.shipper.syslog.config import SyslogInputSettings

InputSettings = Annotated[FileInputSettings | SyslogInputSettings | SentryInputSettings, Field(discriminator="type")]


class ShipperSettings(ServiceSettings):
    data_dir: Path = Path(".grokpipe/shipper")
    host_name: str | None = Field(default=None, description="host.name of events; default: this machine's name")
    log_level: str = "INFO"
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    publisher: PublisherSettings = Field(default_factory=PublisherSettings)
    http: HttpSettings = Field(default_factory=lambda: HttpSettings(listen="127.0.0.1:5066"))
    shutdown_timeout: float = Field(default=30.0, gt=0, description="seconds to wait for Kafka acks at stop")
    inputs: list[InputSettings] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_input_ids(self) -> ShipperSettings:
        names = [i.name for i in self.inputs if isinstance(i, FileInputSettings)]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"file inputs need distinct ids (or paths); repeated: {', '.join(dupes)}")
        return self
