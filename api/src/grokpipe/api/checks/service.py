"""A scheduled check run: claim the tick, run, store the results, decide down/recovered, notify, release.

:class:`CheckService` fills in the steps of the kernel's scheduled job (:mod:`grokpipe.api.kernel.job`): the
tick is claimed with the same leases as rules (lease id ``check-<id>``), and the alert state is written back
in the releasing compare-and-set, so replicas run each tick once and notify once.
:class:`Checks` is what the lifespan builds: stores, runner, reports and their own schedulers (their
own thread pools: a slow target occupies a check worker, never a rule worker).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from prometheus_client import Counter
from pydantic import BaseModel

from grokpipe.api.checks import alerts, layouts, validate
from grokpipe.api.checks.alerts import CheckAction, CheckLease
from grokpipe.api.checks.crud import CheckCrud, report_crud
from grokpipe.api.checks.reports import ReportRunner
from grokpipe.api.checks.results import ResultStore
from grokpipe.api.checks.runner import CheckRunner
from grokpipe.api.checks.schemas import Check, CheckCreate, CheckRun, Report, ReportCreate
from grokpipe.api.checks.sealing import Sealer
from grokpipe.api.checks.settings import CheckSettings
from grokpipe.api.checks.store import CheckStore, ReportStore
from grokpipe.api.errors import ApiError
from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.job import Outcomes, ScheduledJob
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.scheduler import Scheduler, Timing
from grokpipe.api.kernel.seeds import Seed, parse_seeds, plant
from grokpipe.api.kernel.settings import IndicesSettings
from grokpipe.api.monitors.lookup import MonitorLookup
from grokpipe.api.monitors.store import MonitorStore
from grokpipe.api.monitors.view import MonitorView
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.responses import AlertRecord

log = logging.getLogger(__name__)


class CheckTitle(BaseModel):
    id: str
    name: str
    description: str | None


class RunFacts(BaseModel):
    run_id: str
    started: str  # ISO 8601
    up: int
    down: int


class RowFacts(BaseModel):
    row_key: str
    status: str
    error: str | None


class CheckFacts(BaseModel):
    """The ``check`` layout's context: the check, its run, each row's status, since when it is down."""

    check: CheckTitle
    run: RunFacts
    rows: list[RowFacts]
    since: str | None  # ISO 8601; None in a recovery


CHECK_RUNS = Counter("grokpipe_api_check_runs_total", "Check runs by outcome", ["outcome"])


def lease_id(check_id: str) -> str:
    return f"check-{check_id}"


@dataclass(frozen=True)
class CheckAlert:
    """A decided change of a check (down, recovered) and the message it sends."""

    action: CheckAction
    message: Message
    facts: CheckFacts


class CheckService(ScheduledJob[Check, CheckLease, CheckRun, CheckAlert, CheckRun]):
    def __init__(
        self,
        es: Elasticsearch,
        runner: CheckRunner,
        results: ResultStore,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        *,
        alerts_index: str,
        clock: Clock,
    ) -> None:
        super().__init__(leases.of(CheckLease), History(es, alerts_index, clock), clock)
        self.es = es
        self.runner = runner
        self.results = results
        self.dispatcher = dispatcher

    def lease_id(self, job: Check) -> str:
        return lease_id(job.id)

    def skipped(self, job: Check, tick: datetime) -> None:
        CHECK_RUNS.labels(outcome="skipped").inc()

    def evaluate(self, job: Check, tick: datetime) -> CheckRun:
        run = self.runner.execute(job, job.id)
        self.results.write(run)
        return run

    def failed(self, job: Check, error: BaseException) -> None:
        CHECK_RUNS.labels(outcome="failed").inc()
        log.error("check run failed", exc_info=error, extra={"check.id": job.id})

    def stored(self, state: CheckLease, tick: datetime, *, evaluated: bool) -> CheckLease:
        return state.model_copy(update={"last_tick": tick})

    def decide(
        self, job: Check, state: CheckLease, evaluation: CheckRun, tick: datetime
    ) -> tuple[CheckLease, list[CheckAlert]]:
        before = state.check
        after, action = alerts.decide(
            before,
            evaluation.status == "up",
            tick,
            failure_threshold=job.failure_threshold,
            success_threshold=job.success_threshold,
            realert=job.realert_td,
            recovery=job.recovery,
            silenced_until=job.silenced_until,
        )
        decided = state.model_copy(update={"last_run": tick, "check": after})
        if action is None:
            return decided, []
        return decided, [self._alert(job, evaluation, action, since=after.since or before.since or tick)]

    def _alert(self, check: Check, run: CheckRun, action: CheckAction, *, since: datetime) -> CheckAlert:
        facts = CheckFacts(
            check=CheckTitle(id=check.id, name=check.name, description=check.description),
            run=RunFacts(run_id=run.run_id, started=run.started.isoformat(), up=run.up, down=run.down),
            rows=[RowFacts(row_key=r.row_key, status=r.status, error=r.error) for r in run.rows],
            since=since.isoformat() if action.kind == "fired" else None,
        )
        message = Message(
            kind="down" if action.kind == "fired" else "recovered",
            rule=Subject(id=check.id, name=check.name, description=check.description),
            count=run.down,
            start=since,
            end=run.started,
            layout=layouts.CHECK,
            facts=facts,
        )
        return CheckAlert(action, message, facts)

    def notify(self, job: Check, action: CheckAlert, evaluation: CheckRun, tick: datetime) -> Outcomes:
        return self.dispatcher.deliver(job.notify, action.message) if action.action.notify else {}

    def record(
        self, job: Check, action: CheckAlert, evaluation: CheckRun, tick: datetime, outcomes: Outcomes
    ) -> AlertRecord:
        kind, notified = action.action.kind, action.action.notify
        doc = self.history.record(
            "check",
            kind,
            rule={"id": lease_id(job.id), "name": job.name},
            tick=tick,
            count=evaluation.down,
            notified=notified,
            notifications=outcomes,
            check={"id": job.id, "run_id": evaluation.run_id},
            rows=[r.model_dump() for r in action.facts.rows],
        )
        log.info("check alert " + kind, extra={"check.id": job.id, "notified": notified})
        return doc

    def done(
        self, job: Check, tick: datetime, evaluation: CheckRun, records: list[AlertRecord], seconds: float
    ) -> CheckRun:
        evaluation.alerts.extend(records)
        CHECK_RUNS.labels(outcome=evaluation.status).inc()
        log.info(
            "check ran",
            extra={"check.id": job.id, "status": evaluation.status, "up": evaluation.up, "down": evaluation.down},
        )
        return evaluation


class Checks:
    """Everything ``/checks`` and ``/reports`` use, built once in the lifespan."""

    def __init__(
        self,
        es: Elasticsearch,
        settings: CheckSettings,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        clock: Clock,
        *,
        indices: IndicesSettings,
        timing: Timing,
        events_index: str,
    ) -> None:
        """``events_index``: where the monitors that reports list read their check-ins (``errors.index``)."""
        self.settings = settings
        self.dispatcher = dispatcher
        self.clock = clock
        self.store = CheckStore(es, indices.checks, Sealer(settings.secrets_keys))
        self.reports = ReportStore(es, indices.reports)
        self.crud = CheckCrud(self.store, dispatcher.notifiers)
        self.report_crud = report_crud(self.reports, dispatcher.notifiers)
        self.results = ResultStore(es, settings.namespace)
        self.results.ensure()
        self.runner = CheckRunner(settings, clock)
        self.service = CheckService(
            es, self.runner, self.results, dispatcher, leases, alerts_index=indices.alerts, clock=clock
        )
        monitors = MonitorLookup(MonitorView(es, events_index, clock), MonitorStore(es, indices.monitors))
        self.report_runner = ReportRunner(
            es,
            self.store,
            self.results,
            dispatcher,
            leases,
            alerts_index=indices.alerts,
            clock=clock,
            monitors=monitors,
        )
        self.scheduler: Scheduler[Check] = Scheduler(
            self.store, self.service, timing, clock, kind="check", workers=settings.workers
        )
        self.report_scheduler: Scheduler[Report] = Scheduler(
            self.reports, self.report_runner, timing, clock, kind="report", workers=2
        )

    def seal(self) -> None:
        """At start: seal the stored secrets under the first key (after a rotation, or once keys are set)."""
        if not self.store.sealer.enabled:
            log.warning("checks.secrets_keys is empty: check secrets are stored in Elasticsearch as plain text")
            return
        try:
            self.store.reseal()
        except ApiError as exc:  # Elasticsearch away (listing them): the next start seals them
            log.error("check secrets not sealed", extra={"error.message": str(exc)})

    def seed(self, notifiers: Collection[str]) -> None:
        """Create the ``checks.seed`` checks and ``checks.reports_seed`` reports that do not exist yet (by ``id``)."""
        checks, reports = check_seeds(self.settings, notifiers)
        plant(checks, lambda body, id_: self.store.create(body, rule_id=id_), "check")
        plant(reports, lambda body, id_: self.reports.create(body, rule_id=id_), "report")

    def start(self) -> None:
        if self.settings.enabled:
            self.scheduler.start()
            self.report_scheduler.start()

    def stop(self) -> None:
        self.report_scheduler.stop()
        self.scheduler.stop()


def check_seeds(
    settings: CheckSettings, notifiers: Collection[str]
) -> tuple[list[Seed[CheckCreate]], list[Seed[ReportCreate]]]:
    """The ``checks.seed`` checks and ``checks.reports_seed`` reports, validated as a create through the api would."""
    checks = parse_seeds("checks.seed", settings.seed, CheckCreate, lambda body: validate.check_body(body, notifiers))
    reports = parse_seeds(
        "checks.reports_seed", settings.reports_seed, ReportCreate, lambda body: validate.report_body(body, notifiers)
    )
    return checks, reports
