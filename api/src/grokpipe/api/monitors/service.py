"""Scheduled evaluation of saved monitors: claim the tick, fold check-ins and clock, alert once, release.

Each saved, enabled monitor is a job of its own scheduler (every ``monitors.every`` seconds), claimed
with the same leases as rules and checks (lease id ``monitor-<slug>``); the incident last notified is
written back in the releasing compare-and-set, so two api replicas notify once. Before the jobs are
listed (every ``scheduler.rules_refresh`` seconds) check-ins that carry a ``monitor_config`` create
their monitor (``origin: checkin``; a create is a conflict on the second replica) or update the saved
configuration of one they created, as Sentry upserts monitors from check-ins.

:class:`MonitorService` fills in the steps of the kernel's scheduled job (:mod:`grokpipe.api.kernel.job`); its
:meth:`MonitorService.notify` is the one place monitors reach the notifiers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from prometheus_client import Counter
from pydantic import BaseModel, ValidationError

from grokpipe.api.errors import ApiError, Conflict
from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.crud import Crud, require_notifiers
from grokpipe.api.kernel.job import Outcomes, ScheduledJob
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.schedule import Schedule
from grokpipe.api.kernel.scheduler import Scheduler, Timing
from grokpipe.api.kernel.settings import IndicesSettings
from grokpipe.api.monitors import alerts, layouts
from grokpipe.api.monitors.alerts import MonitorAction, MonitorLease
from grokpipe.api.monitors.schedule import MonitorConfig
from grokpipe.api.monitors.schemas import MonitorBody, MonitorRow, SavedMonitor
from grokpipe.api.monitors.settings import MonitorSettings
from grokpipe.api.monitors.state import FAILURES
from grokpipe.api.monitors.store import MonitorStore
from grokpipe.api.monitors.view import Monitor, MonitorView
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Message, Subject
from grokpipe.api.responses import AlertRecord
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound

log = logging.getLogger(__name__)
MONITOR_RUNS = Counter("grokpipe_api_monitor_runs_total", "Monitor evaluations by outcome", ["outcome"])


def lease_id(slug: str) -> str:
    return f"monitor-{slug}"


@dataclass(frozen=True)
class MonitorJob:
    """A saved monitor as a scheduler job: its id is its slug, its schedule the evaluation's."""

    id: str
    schedule: Schedule
    monitor: SavedMonitor


class MonitorSummary(BaseModel):
    slug: str
    name: str
    status: str
    last_checkin: str | None  # ISO 8601
    next_expected: str | None


class MonitorFacts(BaseModel):
    """The ``monitor`` layout's context: the monitor as evaluated, since when its incident is open."""

    monitor: MonitorSummary
    since: str | None  # ISO 8601; None in a recovery


@dataclass(frozen=True)
class Evaluation:
    monitor: Monitor
    alert: AlertRecord | None


@dataclass(frozen=True)
class MonitorAlert:
    """An incident opened or resolved, the message it sends and the notifiers it goes to."""

    action: MonitorAction
    message: Message
    summary: MonitorSummary
    notify: list[str]


class MonitorService(ScheduledJob[MonitorJob, MonitorLease, Monitor, MonitorAlert, Evaluation]):
    def __init__(
        self,
        view: MonitorView,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        history: History,
        *,
        settings: MonitorSettings,
        clock: Clock,
    ) -> None:
        super().__init__(leases.of(MonitorLease), history, clock)
        self.view = view
        self.dispatcher = dispatcher
        self.settings = settings

    def lease_id(self, job: MonitorJob) -> str:
        return lease_id(job.monitor.slug)

    def skipped(self, job: MonitorJob, tick: datetime) -> None:
        MONITOR_RUNS.labels(outcome="skipped").inc()

    def evaluate(self, job: MonitorJob, tick: datetime) -> Monitor:
        return self.view.get(job.monitor.slug, job.monitor, self.clock())

    def failed(self, job: MonitorJob, error: BaseException) -> None:
        MONITOR_RUNS.labels(outcome="failed").inc()
        log.error("monitor evaluation failed", exc_info=error, extra={"monitor.slug": job.monitor.slug})

    def stored(self, state: MonitorLease, tick: datetime, *, evaluated: bool) -> MonitorLease:
        return state.model_copy(update={"last_tick": tick})

    def decide(
        self, job: MonitorJob, state: MonitorLease, evaluation: Monitor, tick: datetime
    ) -> tuple[MonitorLease, list[MonitorAlert]]:
        saved = job.monitor
        after, action = alerts.decide(
            state.monitor, evaluation.incident, evaluation.status, tick, recovery=saved.recovery
        )
        decided = state.model_copy(update={"last_run": tick, "monitor": after})
        return decided, [] if action is None else [self._alert(saved, evaluation, action, tick)]

    def _alert(self, saved: SavedMonitor, monitor: Monitor, action: MonitorAction, tick: datetime) -> MonitorAlert:
        summary = MonitorSummary(
            slug=saved.slug,
            name=saved.name,
            status=monitor.status,
            last_checkin=monitor.last_checkin.isoformat() if monitor.last_checkin else None,
            next_expected=monitor.next_expected.isoformat() if monitor.next_expected else None,
        )
        message = Message(
            kind=action.kind,
            rule=Subject(id=lease_id(saved.slug), name=saved.name, description=saved.description),
            count=1,
            start=action.since,
            end=tick,
            layout=layouts.MONITOR,
            facts=MonitorFacts(monitor=summary, since=action.since.isoformat() if action.kind != "recovered" else None),
        )
        names = saved.notify if saved.notify is not None else self.settings.notify
        return MonitorAlert(action, message, summary, names)

    def notify(self, job: MonitorJob, action: MonitorAlert, evaluation: Monitor, tick: datetime) -> Outcomes:
        return self.dispatcher.deliver(action.notify, action.message) if action.action.notify else {}

    def record(
        self, job: MonitorJob, action: MonitorAlert, evaluation: Monitor, tick: datetime, outcomes: Outcomes
    ) -> AlertRecord:
        saved, kind, notified = job.monitor, action.action.kind, action.action.notify
        doc = self.history.record(
            "monitor",
            kind,
            rule={"id": lease_id(saved.slug), "name": saved.name},
            tick=tick,
            count=1,
            notified=notified and bool(action.notify),
            notifications=outcomes,
            monitor=action.summary.model_dump(mode="json"),
        )
        log.info("monitor alert " + kind, extra={"monitor.slug": saved.slug, "notified": notified})
        return doc

    def done(
        self, job: MonitorJob, tick: datetime, evaluation: Monitor, records: list[AlertRecord], seconds: float
    ) -> Evaluation:
        MONITOR_RUNS.labels(outcome=evaluation.status).inc()
        return Evaluation(evaluation, records[0] if records else None)


class MonitorJobs:
    """The scheduler's job source: creates or updates monitors from their check-ins, then lists the enabled."""

    def __init__(self, store: MonitorStore, view: MonitorView, every: float) -> None:
        self.store = store
        self.view = view
        self.schedule = Schedule(interval=f"{max(1, int(every))}s")

    def discover(self) -> int:
        """Monitors created or updated from the check-ins' ``monitor_config``; how many were written."""
        saved = {m.slug: m for m in self.store.every()}
        written = 0
        for slug, raw in self.view.latest_configs().items():
            try:
                config = MonitorConfig.model_validate(raw)
                current = saved.get(slug)
                if current is None:
                    self.store.create(MonitorBody(slug=slug, config=config, origin="checkin"), rule_id=slug)
                elif current.origin == "checkin" and current.config != config:
                    body = MonitorBody.model_validate(current.model_dump(include=set(MonitorBody.model_fields)))
                    self.store.replace(current, body.model_copy(update={"config": config}))
                else:
                    continue
            except (ValidationError, Conflict):
                continue  # a config the SDK got wrong; another replica wrote it first
            written += 1
            log.info("monitor saved from its check-ins", extra={"monitor.slug": slug})
        return written

    def enabled(self) -> list[MonitorJob]:
        try:
            self.discover()
        except ApiError as exc:  # Elasticsearch away: the saved ones are still evaluated when it answers
            log.warning("monitors not discovered from check-ins", extra={"error.message": str(exc)})
        return [MonitorJob(m.slug, self.schedule, m) for m in self.store.enabled()]


class Monitors:
    """Everything ``/monitors`` uses, built once in the lifespan."""

    def __init__(
        self,
        es: Elasticsearch,
        settings: MonitorSettings,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        clock: Clock,
        *,
        indices: IndicesSettings,
        timing: Timing,
        events_index: str,
    ) -> None:
        """``events_index``: where the check-ins are (``errors.index``)."""
        self.settings = settings
        self.dispatcher = dispatcher
        self.state_index = indices.state
        self.store = MonitorStore(es, indices.monitors)
        self.store.ensure()
        # a monitor's id is its slug; one written through the api is no longer configured by its check-ins
        self.crud = Crud(self.store, MonitorBody, "monitor", self._validate, id_field="slug", fixed={"origin": "api"})
        self.view = MonitorView(es, events_index, clock)
        self.service = MonitorService(
            self.view,
            dispatcher,
            leases,
            History(es, indices.alerts, clock),
            settings=settings,
            clock=clock,
        )
        self.jobs = MonitorJobs(self.store, self.view, settings.every)
        self.scheduler: Scheduler[MonitorJob] = Scheduler(
            self.jobs, self.service, timing, clock, kind="monitor", workers=2
        )

    def delete(self, slug: str, version: str | None = None) -> None:
        """Delete a saved monitor and its evaluation state, so one created again starts without an incident."""
        self.store.delete(slug, version)
        try:
            with elasticsearch_errors(f"deleting the state of monitor {slug}"):
                self.store.es.delete(index=self.state_index, id=lease_id(slug), refresh=True)
        except ElasticsearchNotFound:
            pass
        except ElasticsearchError as exc:  # the monitor is gone; a stale state only matters if it comes back
            log.warning("monitor state not deleted", extra={"monitor.slug": slug, "error.message": str(exc)})

    def _validate(self, body: MonitorBody) -> None:
        require_notifiers(body.notify or [], self.dispatcher.notifiers)

    def saved(self) -> dict[str, SavedMonitor]:
        return {m.slug: m for m in self.store.every()}

    def failing(self) -> list[MonitorRow]:
        """The saved, enabled monitors failing now (``missed``, ``timeout``, ``error``): rows of digests."""
        rows: list[MonitorRow] = []
        for saved in self.store.enabled():
            monitor = self.view.get(saved.slug, saved)
            if monitor.status in FAILURES:
                rows.append(
                    MonitorRow(
                        slug=saved.slug, name=saved.name, status=monitor.status, last_checkin=monitor.last_checkin
                    )
                )
        return rows

    def start(self) -> None:
        if self.settings.enabled:
            self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.stop()
