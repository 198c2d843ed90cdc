"""Checks and reports as typed models: what users send, what is stored, what a run produces.

``secrets`` are write-only: stored with the check (runs need them) but never in :class:`CheckPublic`,
in run results or in logs; ``repr`` masks them.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StringConstraints,
    field_serializer,
    field_validator,
    model_validator,
)

from grokpipe.api.kernel.durations import Duration, parse_duration
from grokpipe.api.kernel.schedule import Schedule
from grokpipe.api.kernel.schemas import Saved, Strict
from grokpipe.api.notifiers.base import Rendered
from grokpipe.api.params import Moment
from grokpipe.api.responses import AlertRecord, NotificationOutcome

MatrixValue = str | int | float
StepStatus = Literal["passed", "failed", "skipped"]
MonitorStatus = Literal["up", "down"]
MAX_ROWS = 50


class HttpRequest(Strict):
    """One request; every string may use ``{{ secrets.x }}``, ``{{ context.x }}`` and ``{{ matrix.x }}``."""

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] = "GET"
    url: str = Field(min_length=1)
    headers: dict[str, str] = Field(default_factory=dict)
    params: dict[str, str] = Field(default_factory=dict)
    json_body: Any = Field(default=None, alias="json")
    body: str | None = None
    timeout: Duration | None = Field(default=None, description="default: checks.timeout")
    follow_redirects: bool = False
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="after")
    def _one_body(self) -> HttpRequest:
        if self.json_body is not None and self.body is not None:
            raise ValueError("set json or body, not both")
        return self


class RequestStep(Strict):
    name: str = Field(default="", max_length=100)
    request: HttpRequest
    assertions: list[str] = Field(default_factory=list, alias="assert", description="conditions that must hold")
    store: dict[str, str] = Field(default_factory=dict, description="context name -> expression, e.g. [BODY].a")
    show: list[str] = Field(
        default_factory=list,
        description="stored names the console may show (a counter); the others are treated as secret (a session)",
    )
    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="after")
    def _shown_are_stored(self) -> RequestStep:
        unknown = sorted(set(self.show) - set(self.store))
        if unknown:
            raise ValueError(f"show: {', '.join(unknown)} not in store")
        return self


class WaitStep(Strict):
    name: str = Field(default="", max_length=100)
    wait: Duration


Step = RequestStep | WaitStep

_CHECK_EXAMPLE: dict[str, Any] = {
    "name": "open platform metering",
    "schedule": {"cron": "0 9 * * *", "timezone": "Asia/Shanghai"},
    "matrix": {"service": ["iat", "tts"]},
    "secrets": {"password": "..."},
    "steps": [
        {
            "name": "login",
            "request": {
                "method": "POST",
                "url": "https://sso.example.com/login",
                "json": {"user": "qa", "password": "{{ secrets.password }}"},
            },
            "store": {"session": "[BODY].data.ssoSessionId"},
        },
        {
            "name": "call",
            "request": {"method": "POST", "url": "https://api.example.com/{{ matrix.service }}", "timeout": "10s"},
            "assert": ["[STATUS] == 200", "[RESPONSE_TIME] < 2000", "[BODY].code == 0"],
        },
        {"wait": "30s"},
    ],
    "notify": ["local-sink"],
}


class CheckBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    enabled: bool = True
    schedule: Schedule = Field(default_factory=lambda: Schedule(interval="5m"))
    matrix: dict[str, list[MatrixValue]] = Field(default_factory=dict, description="the steps run once per row")
    secrets: dict[str, SecretStr] = Field(default_factory=dict, description="write-only; templates: secrets.name")
    steps: list[Step] = Field(min_length=1, max_length=30)
    notify: list[str] = Field(default_factory=list)
    failure_threshold: int = Field(default=1, ge=1, description="consecutive failed runs before the alert")
    success_threshold: int = Field(default=1, ge=1, description="consecutive passing runs before the recovery")
    realert: Duration = Field(default="1h", description="while down, notify again at most this often")
    recovery: bool = True
    silenced_until: Moment | None = None
    tags: list[str] = Field(default_factory=list)

    @field_serializer("secrets", when_used="json")
    def _store_secrets(self, secrets: dict[str, SecretStr]) -> dict[str, str]:
        """The stored document needs the values; responses use :class:`CheckPublic`, which has none."""
        return {k: v.get_secret_value() for k, v in secrets.items()}

    @field_validator("matrix")
    @classmethod
    def _rows(cls, matrix: dict[str, list[MatrixValue]]) -> dict[str, list[MatrixValue]]:
        rows = 1
        for key, values in matrix.items():
            if not values:
                raise ValueError(f"matrix.{key} has no values")
            rows *= len(values)
        if rows > MAX_ROWS:
            raise ValueError(f"the matrix has {rows} rows; at most {MAX_ROWS}")
        return matrix

    @model_validator(mode="after")
    def _names(self) -> CheckBody:
        seen: set[str] = set()
        for i, step in enumerate(self.steps):
            if not step.name:
                step.name = "wait" if isinstance(step, WaitStep) else f"step {i + 1}"
            if step.name in seen and isinstance(step, RequestStep):
                raise ValueError(f"step name {step.name!r} is used twice")
            seen.add(step.name)
        if self.silenced_until is not None and self.silenced_until.tzinfo is None:
            raise ValueError("silenced_until needs a timezone")
        return self

    def rows(self) -> list[dict[str, MatrixValue]]:
        """One dict per matrix row (one empty row without a matrix)."""
        keys = list(self.matrix)
        return [dict(zip(keys, values, strict=True)) for values in itertools.product(*self.matrix.values())]

    @property
    def realert_td(self) -> Any:
        return parse_duration(self.realert)


class CheckCreate(CheckBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CHECK_EXAMPLE]})


class CheckUpdate(Strict):
    """PATCH: only the given keys change (``secrets`` replaces all secrets); validated as a whole check."""

    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    schedule: Schedule | None = None
    matrix: dict[str, list[MatrixValue]] | None = None
    secrets: dict[str, SecretStr] | None = None
    steps: list[Step] | None = None
    notify: list[str] | None = None
    failure_threshold: int | None = None
    success_threshold: int | None = None
    realert: Duration | None = None
    recovery: bool | None = None
    silenced_until: Moment | None = None
    tags: list[str] | None = None


class Check(CheckBody, Saved):
    """A stored check (with its secrets: internal only)."""

    #: secrets sealed under a key not in ``checks.secrets_keys`` (name -> as stored): runs fail naming them
    unopened_secrets: dict[str, Any] = Field(default_factory=dict, exclude=True)


class CheckPublic(Saved):
    """A check as the API returns it: the secrets' names, never their values."""

    name: str
    description: str
    enabled: bool
    schedule: Schedule
    matrix: dict[str, list[MatrixValue]]
    secret_names: list[str]
    steps: list[Step]
    notify: list[str]
    failure_threshold: int
    success_threshold: int
    realert: str
    recovery: bool
    silenced_until: datetime | None
    tags: list[str]

    @classmethod
    def of(cls, check: Check) -> CheckPublic:
        names = sorted({*check.secrets, *check.unopened_secrets})
        data = check.model_dump(exclude={"secrets"}) | {"secret_names": names}
        return cls.model_validate(data)


# ---------------------------------------------------------------- results


class AssertionResult(BaseModel):
    condition: str
    passed: bool
    detail: str


class StepResult(BaseModel):
    name: str
    kind: Literal["request", "wait"]
    status: StepStatus
    error: str | None = None
    duration_ms: float = 0.0
    method: str | None = None
    url: str | None = None
    status_code: int | None = None
    response_time_ms: float | None = None
    body: str | None = Field(default=None, description="the response body, capped at checks.body_limit")
    assertions: list[AssertionResult] = Field(default_factory=list)
    stored: dict[str, Any] = Field(default_factory=dict)


class RowResult(BaseModel):
    row: dict[str, MatrixValue] = Field(default_factory=dict)
    row_key: str = Field(default="", description="'service=iat' (empty without a matrix)")
    status: MonitorStatus
    error: str | None = Field(default=None, description="the first failed step and why")
    duration_ms: float = 0.0
    steps: list[StepResult]
    stored: dict[str, Any] = Field(default_factory=dict)


class CheckRun(BaseModel):
    run_id: str
    check_id: str | None
    check_name: str
    started: datetime
    duration_ms: float
    status: MonitorStatus
    up: int
    down: int
    rows: list[RowResult]
    alerts: list[AlertRecord] = Field(default_factory=list, description="history documents of alerts the run raised")


class RunRecord(RowResult):
    """One stored result document (a run's row), as ``GET /checks/{id}/runs`` pages them."""

    run_id: str
    check_id: str
    check_name: str
    timestamp: datetime


# ---------------------------------------------------------------- reports


class ReportColumn(Strict):
    """One column: ``row`` (matrix row), ``matrix.<key>``, ``stored.<name>``, ``step.<name>`` (OK / FAILED /
    SKIPPED), ``check``, ``status`` or ``error``."""

    title: str = Field(min_length=1)
    source: str = Field(min_length=1, pattern=r"^(row|check|status|error|matrix\.\w+|stored\.\w+|step\..+)$")
    missing: str = Field(default="—", description="shown when the value is absent, e.g. 'count failed'")


_REPORT_EXAMPLE: dict[str, Any] = {
    "name": "Daily metering report",
    "schedule": {"cron": "0 9 * * *", "timezone": "Asia/Shanghai"},
    "checks": ["open-platform-metering"],
    "columns": [
        {"title": "service", "source": "matrix.service"},
        {"title": "count before", "source": "stored.before", "missing": "count failed"},
        {"title": "count after", "source": "stored.after", "missing": "count failed"},
        {"title": "metered OK", "source": "step.after"},
        {"title": "call OK", "source": "step.call"},
    ],
    "notify": ["local-sink"],
}


def default_columns() -> list[ReportColumn]:
    return [
        ReportColumn(title="check", source="check"),
        ReportColumn(title="row", source="row"),
        ReportColumn(title="status", source="status"),
        ReportColumn(title="error", source="error"),
    ]


#: a check's id as a report names it: Elasticsearch ids are 1 to 512 bytes
CheckRef = Annotated[str, StringConstraints(min_length=1, max_length=512, pattern=r"^\S(.*\S)?$")]


class ReportBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    enabled: bool = True
    schedule: Schedule = Field(default_factory=lambda: Schedule(cron="0 9 * * *"))
    checks: list[CheckRef] = Field(default_factory=list, description="check ids; the latest run of each is reported")
    monitors: list[CheckRef] = Field(
        default_factory=list, description="cron monitor slugs; a row each: did the job run (its status as of now)"
    )
    columns: list[ReportColumn] = Field(default_factory=default_columns, min_length=1)
    notify: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something(self) -> ReportBody:
        if not self.checks and not self.monitors:
            raise ValueError("a report lists at least one of checks or monitors")
        return self


class ReportCreate(ReportBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_REPORT_EXAMPLE]})


class ReportUpdate(Strict):
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    schedule: Schedule | None = None
    checks: list[CheckRef] | None = None
    monitors: list[CheckRef] | None = None
    columns: list[ReportColumn] | None = None
    notify: list[str] | None = None
    tags: list[str] | None = None


class Report(ReportBody, Saved):
    pass


class ReportRow(BaseModel):
    check_id: str  #: empty for a monitor's row
    monitor: str | None = None  #: the slug of a cron monitor's row
    check_name: str
    row_key: str
    status: MonitorStatus | Literal["no result"]
    cells: list[str]
    run_id: str | None = None
    timestamp: datetime | None = None


class ReportResult(BaseModel):
    report_id: str | None
    name: str
    generated: datetime
    columns: list[str]
    rows: list[ReportRow]
    executed: int
    passed: int
    failed: int
    notifications: dict[str, NotificationOutcome] = Field(default_factory=dict)


# ``POST /reports/{id}/preview``: the table now and what each notifier would receive (Dispatcher.preview)
class ReportMessagesPreview(BaseModel):
    result: ReportResult
    messages: dict[str, Rendered]
