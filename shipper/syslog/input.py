"""Placeholder until the syslog listeners land (issue 4): configuring one fails clearly at start."""

from __future__ import annotations

import os
from typing import Any

from grokpipe.settings import ConfigError
from shipper.metrics import ShipperMetrics
from shipper.publisher import Publisher
from shipper.syslog.config import SyslogInputSettings


class SyslogInput:
    def __init__(
        self,
        settings: SyslogInputSettings,
        publisher: Publisher,
        metrics: ShipperMetrics,
        *,
        data_dir: os.PathLike[str] | str,
        host: str,
    ) -> None:
        raise ConfigError("inputs: type 'syslog' is not available in this build yet")

    name = "syslog"

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def finish(self) -> None: ...

    def health(self) -> dict[str, Any]:
        return {}
