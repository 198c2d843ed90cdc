"""A monitor's configuration as the SDKs send it (``monitor_config``) and when it next expects a run.

``schedule`` is ``{"type": "crontab", "value": "0 2 * * *"}`` or ``{"type": "interval", "value": 6,
"unit": "hour"}``; ``checkin_margin`` (minutes a run may start late before it is *missed*),
``max_runtime`` (minutes a run may stay in progress before it *timed out*), ``timezone`` of a
crontab, ``failure_issue_threshold`` (failures in a row that open an incident) and
``recovery_threshold`` (successes in a row that resolve it) follow Sentry's monitor configuration;
their defaults are Sentry's documented ones (margin 1, max runtime 30, thresholds 1).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

Unit = Literal["minute", "hour", "day", "week", "month", "year"]
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}


class Schedule(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Literal["crontab", "interval"]
    value: str | Annotated[int, Field(ge=1)]
    unit: Unit | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Schedule:
        if self.type == "crontab":
            if not isinstance(self.value, str) or not croniter.is_valid(self.value):
                raise ValueError(f"not a crontab: {self.value!r}")
        elif not isinstance(self.value, int) or self.unit is None:
            raise ValueError(
                "an interval schedule is {type: interval, value: N, unit: minute|hour|day|week|month|year}"
            )
        return self


class MonitorConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    schedule: Schedule
    checkin_margin: Annotated[int, Field(ge=1)] = 1
    max_runtime: Annotated[int, Field(ge=1)] = 30
    timezone: str = "UTC"
    failure_issue_threshold: Annotated[int, Field(ge=1)] = 1
    recovery_threshold: Annotated[int, Field(ge=1)] = 1

    @field_validator("checkin_margin", "max_runtime", "failure_issue_threshold", "recovery_threshold", mode="before")
    @classmethod
    def _null_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        """The SDKs send ``null`` for what the user left unset."""
        return cls.model_fields[str(info.field_name)].default if value is None else value

    @field_validator("timezone", mode="before")
    @classmethod
    def _zone(cls, value: Any) -> Any:
        if value is None:
            return "UTC"
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @property
    def margin(self) -> timedelta:
        return timedelta(minutes=self.checkin_margin)

    @property
    def runtime(self) -> timedelta:
        return timedelta(minutes=self.max_runtime)


def _add_months(moment: datetime, months: int) -> datetime:
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31,
                           31, 30, 31, 30, 31][month - 1])  # fmt: skip
    return moment.replace(year=year, month=month, day=day)


def next_expected(config: MonitorConfig, after: datetime) -> datetime:
    """The first scheduled run strictly after ``after`` (aware). An interval counts from ``after``,
    the last check-in (Sentry's interval monitors do the same)."""
    schedule = config.schedule
    if schedule.type == "crontab":
        local = after.astimezone(ZoneInfo(config.timezone))
        found: datetime = croniter(schedule.value, local).get_next(datetime)
        return found.astimezone(after.tzinfo)
    count = int(schedule.value)
    if schedule.unit in _UNIT_MINUTES:
        return after + timedelta(minutes=count * _UNIT_MINUTES[schedule.unit])
    return _add_months(after, count * (12 if schedule.unit == "year" else 1))
