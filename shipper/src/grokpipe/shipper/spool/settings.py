"""The spool's configuration: the ``spool`` key of a syslog or Sentry input."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grokpipe.settings import Section
from grokpipe.shipper.spool.segments import MiB


class SpoolSettings(Section):
    max_bytes: int = Field(default=1024 * MiB, ge=MiB, description="bytes not yet acknowledged; then put() waits")
    segment_bytes: int = Field(default=64 * MiB, ge=4096, description="a segment file rolls at this size")
    fsync: Literal["always", "interval", "never"] = Field(
        default="interval", description="always: before put() returns; interval: every fsync_interval; never: OS"
    )
    fsync_interval: float = Field(default=1.0, gt=0, description="seconds, for fsync: interval")
