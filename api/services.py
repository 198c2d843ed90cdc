"""The objects the lifespan builds and the routes use: one place to wire clients and scheduler."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from elasticsearch import Elasticsearch

from api.config import ApiSettings
from api.lease import Leases
from api.notifiers.dispatch import Dispatcher
from api.rules.schemas import Rule
from api.runner import Clock, FieldCache, RuleRunner
from api.scheduler import Scheduler
from api.store import RuleStore, ensure_indices
from grokpipe import clients


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: ApiSettings
    es: Elasticsearch
    store: RuleStore
    fields: FieldCache
    leases: Leases
    dispatcher: Dispatcher
    runner: RuleRunner
    scheduler: Scheduler[Rule]
    clock: Clock

    @classmethod
    def build(cls, settings: ApiSettings, clock: Clock = utc_now) -> Services:
        es = clients.elasticsearch(settings.elasticsearch)
        ensure_indices(es, settings.indices)
        owner = settings.scheduler.replica_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        leases = Leases(es, settings.indices.state, owner, settings.scheduler.lease_seconds)
        fields = FieldCache(es)
        dispatcher = Dispatcher(settings.notifiers, settings.delivery)
        store = RuleStore(es, settings.indices.rules)
        runner = RuleRunner(
            es, indices=settings.indices, dispatcher=dispatcher, leases=leases, clock=clock, fields=fields
        )
        scheduler = Scheduler(store, runner, settings.scheduler, clock)
        return cls(settings, es, store, fields, leases, dispatcher, runner, scheduler, clock)

    def close(self) -> None:
        self.scheduler.stop()
        self.dispatcher.close()
        self.es.close()
