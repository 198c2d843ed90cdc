"""The objects the lifespan builds and the routes use: one place to wire clients and scheduler."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass

from elasticsearch import Elasticsearch

from grokpipe import elasticsearch_client
from grokpipe.api.attempts import FailedAttempts
from grokpipe.api.checks.service import Checks
from grokpipe.api.config import ApiSettings
from grokpipe.api.digests.routes import DigestsFeature
from grokpipe.api.digests.schemas import Digest
from grokpipe.api.digests.service import DigestRunner
from grokpipe.api.digests.store import DigestStore
from grokpipe.api.groups.blame import Blame
from grokpipe.api.groups.counts import Counter, KeyCounter
from grokpipe.api.groups.notify import GroupNotifier
from grokpipe.api.groups.service import ErrorGroups
from grokpipe.api.groups.store import GroupStore
from grokpipe.api.groups.sync import GroupSync
from grokpipe.api.kernel.clock import Clock, utc_now
from grokpipe.api.kernel.lease import Leases, NoState
from grokpipe.api.kernel.scheduler import Scheduler
from grokpipe.api.monitors.service import Monitors
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.render import Presentation
from grokpipe.api.patterns.service import Patterns
from grokpipe.api.patterns.store import PatternStore
from grokpipe.api.patterns.sync import PatternSync
from grokpipe.api.rules.batch import BatchRunner
from grokpipe.api.rules.routes import RulesFeature
from grokpipe.api.rules.runner import RuleRunner
from grokpipe.api.rules.schemas import Rule
from grokpipe.api.rules.state import RuleState
from grokpipe.api.rules.store import RuleStore, ensure_indices
from grokpipe.api.search.fields import FieldCache
from grokpipe.api.search.routes import SearchFeature
from grokpipe.api.search.service import Searcher
from grokpipe.api.search.store import SavedSearches
from grokpipe.api.sessions import Revoked
from grokpipe.fieldnames import LOG_PATTERN_KEY


@dataclass
class Services:
    settings: ApiSettings
    es: Elasticsearch
    store: RuleStore
    fields: FieldCache
    leases: Leases[RuleState]  # the rules'; every feature takes its own state type's from the same family (``of``)
    dispatcher: Dispatcher
    runner: RuleRunner
    scheduler: Scheduler[Rule]
    clock: Clock
    groups: GroupStore
    errors: ErrorGroups
    group_sync: GroupSync
    digests: DigestStore
    digest_runner: DigestRunner
    digest_scheduler: Scheduler[Digest]
    checks: Checks
    search: Searcher
    saved_searches: SavedSearches
    attempts: FailedAttempts
    revoked: Revoked
    monitors: Monitors
    pattern_store: PatternStore
    patterns: Patterns
    pattern_sync: PatternSync

    @classmethod
    def build(cls, settings: ApiSettings, clock: Clock = utc_now) -> Services:
        es = elasticsearch_client.elasticsearch(settings.elasticsearch)
        ensure_indices(es, settings.indices)
        owner = settings.scheduler.replica_id or f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}"
        leases = Leases(es, settings.indices.state, owner, settings.scheduler.lease_seconds, NoState)
        fields = FieldCache(es)
        console = settings.console
        dispatcher = Dispatcher(
            settings.notifiers, settings.delivery, Presentation(console.base_url, console.timezone, settings.people())
        )
        store = RuleStore(es, settings.indices.rules)
        runner = RuleRunner(
            es, indices=settings.indices, dispatcher=dispatcher, leases=leases, clock=clock, fields=fields
        )
        batcher = BatchRunner.configured(runner, settings.scheduler)
        scheduler = Scheduler(store, runner, settings.scheduler, clock, batcher=batcher)
        indices, errors = settings.indices, settings.errors
        groups = GroupStore(es, indices.error_groups, indices.state)
        groups.ensure()
        counter = Counter(es, groups, errors.index)
        notifier = GroupNotifier(
            es,
            groups,
            counter,
            dispatcher,
            notify=errors.notify,
            alerts_index=indices.alerts,
            people=settings.people(),
            clock=clock,
        )
        sync = GroupSync(
            es,
            groups,
            counter,
            errors,
            leases=leases,
            blame=Blame(settings.blame),
            blame_limit=settings.blame.refresh_limit,
            notifier=notifier,
            clock=clock,
        )
        digests = DigestStore(es, indices.digests)
        digests.ensure()
        revoked = Revoked(es, indices.sessions)
        revoked.ensure()
        monitors = Monitors(
            es,
            settings.monitors,
            dispatcher,
            leases,
            clock,
            indices=indices,
            timing=settings.scheduler,
            events_index=errors.index,
        )
        pattern_store = PatternStore(es, indices.patterns, indices.state)
        pattern_store.ensure()
        pattern_counter = KeyCounter(es, settings.patterns.index, field=LOG_PATTERN_KEY)
        patterns = Patterns(pattern_store, pattern_counter, clock)
        digest_runner = DigestRunner(
            es,
            groups,
            counter,
            dispatcher,
            leases,
            alerts_index=indices.alerts,
            people=settings.people(),
            clock=clock,
            failing_monitors=monitors.failing,
            patterns=patterns,
        )
        digest_scheduler = Scheduler(digests, digest_runner, settings.scheduler, clock, kind="digest", workers=2)
        return cls(
            settings,
            es,
            store,
            fields,
            leases.of(RuleState),
            dispatcher,
            runner,
            scheduler,
            clock,
            groups,
            ErrorGroups(groups, counter, clock),
            sync,
            digests,
            digest_runner,
            digest_scheduler,
            Checks(
                es,
                settings.checks,
                dispatcher,
                leases,
                clock,
                indices=indices,
                timing=settings.scheduler,
                events_index=errors.index,
            ),
            Searcher(es, fields),
            SavedSearches(es, indices.searches),
            FailedAttempts(settings.auth.failed_attempts, settings.auth.failed_window),
            revoked,
            monitors,
            pattern_store,
            patterns,
            PatternSync(pattern_store, pattern_counter, settings.patterns, leases=leases, clock=clock),
        )

    def features(self) -> tuple[object, ...]:
        """What each feature's routes work with, for :func:`grokpipe.api.kernel.provide.provide`."""
        return (
            RulesFeature(self.store, self.runner, self.leases, self.dispatcher, self.clock),
            DigestsFeature(self.digests, self.digest_runner, self.dispatcher, self.clock),
            self.checks,
            self.monitors,
            self.errors,
            self.group_sync,
            self.patterns,
            self.pattern_sync,
            SearchFeature(self.search, self.saved_searches, self.clock),
        )

    def start(self) -> None:
        """The background work: rule and digest schedules, and the error-group store's updates."""
        self.scheduler.start()
        self.digest_scheduler.start()
        self.checks.start()
        self.monitors.start()
        if self.settings.errors.enabled:
            self.group_sync.start()
        if self.settings.patterns.enabled:
            self.pattern_sync.start()

    def close(self) -> None:
        self.pattern_sync.stop()
        self.group_sync.stop()
        self.monitors.stop()
        self.checks.stop()
        self.digest_scheduler.stop()
        self.scheduler.stop()
        self.leases.close()
        self.dispatcher.close()
        self.es.close()
