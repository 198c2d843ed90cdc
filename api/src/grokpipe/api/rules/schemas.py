"""Rules as typed models end to end: what users send (RuleCreate/RuleUpdate), what they get (RulePublic)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from grokpipe.api.kernel.durations import Duration, parse_duration
from grokpipe.api.kernel.schedule import Schedule
from grokpipe.api.kernel.schemas import Saved, Strict
from grokpipe.api.notifiers.base import Rendered
from grokpipe.api.params import Moment
from grokpipe.api.responses import NotificationOutcome
from grokpipe.fieldnames import ERROR_GROUPING_KEY


class AnyCondition(Strict):
    """Every match fires (per group)."""

    type: Literal["any"]


class ThresholdCondition(Strict):
    """ElastAlert ``frequency``: count ≥ ``count`` in the window, per group."""

    type: Literal["threshold"]
    count: int = Field(ge=1)


class FlatlineCondition(Strict):
    """Count < ``count`` per group, including groups seen in the previous ``history`` that went silent."""

    type: Literal["flatline"]
    count: int = Field(ge=1)
    history: Duration = "1d"


class NewTermCondition(Strict):
    """A value of ``field`` not seen in the ``history`` before the window."""

    type: Literal["new_term"]
    field: str
    history: Duration = "7d"


class SpikeCondition(Strict):
    """Window count vs the previous window: ratio ≥ ``ratio`` (up), ≤ 1/``ratio`` (down) or either (both)."""

    type: Literal["spike"]
    ratio: float = Field(gt=1)
    direction: Literal["up", "down", "both"] = "up"
    min_count: int = Field(default=1, ge=0)


class MetricCondition(Strict):
    """``agg`` of ``field`` per group compared with ``value``."""

    type: Literal["metric"]
    field: str
    agg: Literal["avg", "min", "max", "sum", "cardinality"]
    op: Literal["above", "below"] = "above"
    value: float


class PercentileCondition(Strict):
    """The ``percentile`` of ``field`` per group compared with ``value`` ("p95 of http.request.duration per
    url.path over 5m above 1.5"). Whether it fires is exact on every server: p95 is above 1.5 exactly
    when fewer than 95% of the values are at most 1.5, which is a count. The value the alert reports is
    computed from a histogram of the values, as ``/search/stats`` does, within 2% of ``value``."""

    type: Literal["percentile"]
    field: str
    percentile: float = Field(default=95.0, gt=0, lt=100)
    op: Literal["above", "below"] = "above"
    value: float


Condition = Annotated[
    AnyCondition
    | ThresholdCondition
    | FlatlineCondition
    | NewTermCondition
    | SpikeCondition
    | MetricCondition
    | PercentileCondition,
    Field(discriminator="type"),
]


_EXAMPLE: dict[str, Any] = {
    "name": "PHP fatal errors",
    "index": "logs-*",
    "query": 'event.dataset:php.error AND log.level:"fatal"',
    "schedule": {"interval": "1m"},
    "window": "5m",
    "group_by": [ERROR_GROUPING_KEY],
    "condition": {"type": "threshold", "count": 1},
    "realert": "1d",
    "notify": ["local-sink"],
}


class RuleBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    enabled: bool = True
    index: str = "logs-*"
    time_field: str = "@timestamp"
    query: str | None = Field(default=None, description="Lucene query, as typed in Kibana")
    dsl: dict[str, Any] | None = Field(default=None, description="raw Elasticsearch query (no scripts)")
    schedule: Schedule = Field(default_factory=lambda: Schedule(interval="1m"))
    window: Duration = "5m"
    query_delay: Duration = "0s"
    group_by: list[str] = Field(default_factory=list, max_length=3)
    condition: Condition
    realert: Duration = "0s"
    recovery: bool = True
    notify: list[str] = Field(
        default_factory=list,
        description="notifier names from api.yml; none: the rule only records its alerts in /alerts "
        "(notified: false), to watch in the console",
    )
    sample_size: int = Field(default=5, ge=0, le=50)
    silenced_until: Moment | None = None
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _query_xor_dsl(self) -> RuleBody:
        if self.query is not None and self.dsl is not None:
            raise ValueError("set query (Lucene) or dsl, not both")
        return self

    @field_validator("silenced_until")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("silenced_until needs a timezone (e.g. 2026-01-01T00:00:00Z)")
        return value

    @property
    def window_td(self) -> timedelta:
        return parse_duration(self.window)

    @property
    def delay_td(self) -> timedelta:
        return parse_duration(self.query_delay)

    @property
    def realert_td(self) -> timedelta:
        return parse_duration(self.realert)


class RuleCreate(RuleBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})


class RuleUpdate(Strict):
    """PATCH: only the given keys change; the result is validated as a whole rule."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": False}]})
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    index: str | None = None
    time_field: str | None = None
    query: str | None = None
    dsl: dict[str, Any] | None = None
    schedule: Schedule | None = None
    window: Duration | None = None
    query_delay: Duration | None = None
    group_by: list[str] | None = None
    condition: Condition | None = None
    realert: Duration | None = None
    recovery: bool | None = None
    notify: list[str] | None = None
    sample_size: int | None = None
    silenced_until: Moment | None = None
    tags: list[str] | None = None


class Rule(RuleBody, Saved):
    """A stored rule: the body plus identity and the concurrency token."""


class RulePublic(Rule):
    pass


class PreviewRequest(Strict):
    rule: RuleCreate
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def _a_window(self) -> PreviewRequest:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end need a timezone (e.g. 2026-01-05T12:00:00Z)")
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


# ---------------------------------------------------------------- results (responses of preview, run, ack)


class FindingPreview(BaseModel):
    """One group the condition holds for, as ``POST /rules/preview`` lists it."""

    group: dict[str, Any] = Field(description="the group_by fields' values ({} without group_by)")
    key: str = Field(description="the group's key, as alerts and acknowledgements name it")
    count: int
    value: float | None = Field(default=None, description="the metric's value (metric and percentile conditions)")
    previous: int | None = Field(default=None, description="the earlier window's count (spike)")
    sample_ids: list[str | None] = Field(default_factory=list)


class RulePreview(BaseModel):
    total: int = Field(description="matching events in the window")
    groups: int = Field(description="groups seen")
    findings: list[FindingPreview]


class RunWindow(BaseModel):
    start: datetime
    end: datetime


class RunAlert(BaseModel):
    """One alert a run raised, with each notifier's outcome."""

    kind: str = Field(description="fired or recovered")
    group_key: str | None
    notified: bool
    notifications: dict[str, NotificationOutcome]


class RuleRunResult(BaseModel):
    tick: datetime
    window: RunWindow
    total: int
    findings: int
    alerts: list[RunAlert]


class Acknowledged(BaseModel):
    rule_id: str
    group_key: str
    acknowledged: bool


class GroupMessages(BaseModel):
    group: dict[str, Any]
    key: str
    messages: dict[str, Rendered]


class RuleMessagesPreview(BaseModel):
    """``POST /rules/{id}/preview``: the groups the rule finds in its window ending now, and the
    ``[FIRED]`` message each notifier would receive for each of them (at most ``limit``)."""

    start: str
    end: str
    total: int
    findings: int
    groups: list[GroupMessages]
