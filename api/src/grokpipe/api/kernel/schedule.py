"""When a scheduled definition (rule, digest, check, report) runs: an interval aligned to the epoch, or a cron."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]
from pydantic import model_validator

from grokpipe.api.kernel.durations import Duration, parse_duration
from grokpipe.api.kernel.schemas import Strict
from grokpipe.timeutil import time_zone


class Schedule(Strict):
    """Either ``interval`` (aligned to the epoch so replicas agree on ticks) or ``cron`` in ``timezone``."""

    interval: Duration | None = None
    cron: str | None = None
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _one_of(self) -> Schedule:
        if (self.interval is None) == (self.cron is None):
            raise ValueError("set exactly one of schedule.interval or schedule.cron")
        if self.cron is not None and not croniter.is_valid(self.cron):
            raise ValueError(f"invalid cron expression {self.cron!r}")
        time_zone(self.timezone)
        return self

    def next_after(self, moment: datetime) -> datetime:
        """The first tick strictly after ``moment`` (aware datetimes)."""
        if self.interval is not None:
            step = parse_duration(self.interval).total_seconds()
            ts = moment.timestamp()
            return datetime.fromtimestamp((ts // step + 1) * step, moment.tzinfo)
        local = moment.astimezone(ZoneInfo(self.timezone))
        nxt: datetime = croniter(self.cron, local).get_next(datetime)
        return nxt.astimezone(moment.tzinfo)

    def previous(self, tick: datetime) -> datetime:
        """The tick before ``tick``: a digest sent at ``tick`` covers ``[previous(tick), tick)``."""
        if self.interval is not None:
            return tick - parse_duration(self.interval)
        local = tick.astimezone(ZoneInfo(self.timezone))
        prev: datetime = croniter(self.cron, local).get_prev(datetime)
        return prev.astimezone(tick.tzinfo)
