"""A scheduled check run: claim the tick, run, store the results, decide down/recovered, notify, release.

The tick is claimed with the same leases as rules (lease id ``check-<id>``), and the alert state is
written back in the releasing compare-and-set, so replicas run each tick once and notify once.
:class:`Checks` is what the lifespan builds: stores, runner, reports and their own schedulers (their
own thread pools: a slow target occupies a check worker, never a rule worker).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from prometheus_client import Counter
from pydantic import BaseModel

from grokpipe.api.checks import alerts, validate
from grokpipe.api.checks.alerts import CheckAction, CheckLease, CheckState
from grokpipe.api.checks.reports import ReportRunner
from grokpipe.api.checks.results import ResultStore
from grokpipe.api.checks.runner import CheckRunner
from grokpipe.api.checks.schemas import Check, CheckCreate, CheckRun, Report, ReportCreate
from grokpipe.api.checks.sealing import Sealer
from grokpipe.api.checks.store import CheckStore, ReportStore
from grokpipe.api.config import ApiSettings, CheckSettings
from grokpipe.api.errors import ApiError, Conflict
from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.scheduler import Scheduler
from grokpipe.api.kernel.seeds import Seed, parse_seeds
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


class CheckService:
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
        self.es = es
        self.runner = runner
        self.results = results
        self.dispatcher = dispatcher
        self.leases = leases.of(CheckLease)
        self.history = History(es, alerts_index, clock)
        self.clock = clock

    def run(self, check: Check, tick: datetime) -> CheckRun | None:
        """Run ``check`` for ``tick`` unless another run (here or on a replica) claimed it."""
        claim = self.leases.claim(lease_id(check.id), tick, self.clock())
        if claim is None:
            CHECK_RUNS.labels(outcome="skipped").inc()
            return None
        state = claim.state
        try:
            run = self.runner.execute(check, check.id)
            self.results.write(run)
            if self.history.pending:  # Elasticsearch took the results: write what an outage kept back
                self.history.flush()
            before = claim.state.check
            after, action = alerts.decide(
                before,
                run.status == "up",
                tick,
                failure_threshold=check.failure_threshold,
                success_threshold=check.success_threshold,
                realert=check.realert_td,
                recovery=check.recovery,
                silenced_until=check.silenced_until,
            )
            if action is not None:
                run.alerts.append(self._act(check, run, action, before=before, after=after, tick=tick))
            state = claim.state.model_copy(update={"last_run": tick, "check": after})
        except Exception:
            CHECK_RUNS.labels(outcome="failed").inc()
            log.exception("check run failed", extra={"check.id": check.id})
            raise
        finally:
            self.leases.release(claim, state.model_copy(update={"last_tick": tick}))
        CHECK_RUNS.labels(outcome=run.status).inc()
        log.info("check ran", extra={"check.id": check.id, "status": run.status, "up": run.up, "down": run.down})
        return run

    def _act(
        self, check: Check, run: CheckRun, action: CheckAction, *, before: CheckState, after: CheckState, tick: datetime
    ) -> AlertRecord:
        since = after.since or before.since or tick
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
            layout="check",
            facts=facts,
        )
        outcomes = self.dispatcher.deliver(check.notify, message) if action.notify else {}
        doc = self.history.record(
            "check",
            action.kind,
            rule={"id": lease_id(check.id), "name": check.name},
            tick=tick,
            count=run.down,
            notified=action.notify,
            notifications=outcomes,
            check={"id": check.id, "run_id": run.run_id},
            rows=[r.model_dump() for r in facts.rows],
        )
        log.info("check alert " + action.kind, extra={"check.id": check.id, "notified": action.notify})
        return doc


class Checks:
    """Everything ``/checks`` and ``/reports`` use, built once in the lifespan."""

    def __init__(
        self, es: Elasticsearch, settings: ApiSettings, dispatcher: Dispatcher, leases: Leases[Any], clock: Clock
    ) -> None:
        cfg = settings.checks
        self.settings = cfg
        self.store = CheckStore(es, settings.indices.checks, Sealer(cfg.secrets_keys))
        self.reports = ReportStore(es, settings.indices.reports)
        self.results = ResultStore(es, cfg.namespace)
        self.results.ensure()
        self.runner = CheckRunner(cfg, clock)
        self.service = CheckService(
            es, self.runner, self.results, dispatcher, leases, alerts_index=settings.indices.alerts, clock=clock
        )
        monitors = MonitorLookup(
            MonitorView(es, settings.errors.index, clock), MonitorStore(es, settings.indices.monitors)
        )
        self.report_runner = ReportRunner(
            es,
            self.store,
            self.results,
            dispatcher,
            leases,
            alerts_index=settings.indices.alerts,
            clock=clock,
            monitors=monitors,
        )
        self.scheduler: Scheduler[Check] = Scheduler(
            self.store, self.service, settings.scheduler, clock, kind="check", workers=cfg.workers
        )
        self.report_scheduler: Scheduler[Report] = Scheduler(
            self.reports, self.report_runner, settings.scheduler, clock, kind="report", workers=2
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
        for check in checks:
            try:
                self.store.create(check.body, rule_id=check.id)
                log.info("seeded check", extra={"check.id": check.id})
            except Conflict:
                pass
            except ApiError as exc:
                log.error("seed check not created", extra={"check.id": check.id, "error.message": str(exc)})
        for report in reports:
            try:
                self.reports.create(report.body, rule_id=report.id)
            except Conflict:
                pass
            except ApiError as exc:
                log.error("seed report not created", extra={"report.id": report.id, "error.message": str(exc)})

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
