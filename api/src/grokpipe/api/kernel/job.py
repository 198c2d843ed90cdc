"""One tick of a scheduled job, once across replicas: claim, evaluate, decide, notify, record, release.

Rules, checks, monitors, digests and reports each run a definition per tick this way; :class:`ScheduledJob`
holds the order once and a feature fills in its steps:

============  =====================================================================================
claim         the lease of the job's tick (``Leases[S]``); None when another replica, or a run of this
              one, holds it (:meth:`ScheduledJob.skipped` counts it)
evaluate      search, run the check, fold the check-ins, build the digest or report; a raise gives the
              tick back with the state as claimed (:meth:`ScheduledJob.fail`)
decide        the new state and the actions (fired, recovered, the digest to send...), from the claimed
              state and the evaluation
notify        one action through its notifiers: the outcome per notifier
record        the action and its outcomes in the alert history (which never raises for Elasticsearch)
release       the decided state, also when notifying or recording raised: once decided, it is what stops
              the notifications already sent from going out again
============  =====================================================================================

Before deciding, the alert history writes what an outage kept back (Elasticsearch just answered the
evaluation). A raise after the evaluation (a bug: delivering and recording never raise) is not counted as a
failed run; it reaches the caller, whose log says it (the scheduler's, or the batch's).

The steps are methods (a feature's subclass is its runner, as the scheduler and the "run now" routes call
it); :meth:`ScheduledJob.claim`, :meth:`ScheduledJob.fail` and :meth:`ScheduledJob.finish` are public so a
batch of rules can claim, evaluate with one search, and finish each rule alone.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from pydantic import BaseModel

from grokpipe.api.history import History
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Claim
from grokpipe.api.responses import AlertRecord, NotificationOutcome

J = TypeVar("J")  # the job: a rule, a check, a monitor, a digest, a report
S = TypeVar("S", bound=BaseModel)  # the state its lease keeps
E = TypeVar("E")  # what an evaluation found
A = TypeVar("A")  # one thing to notify and record
R = TypeVar("R")  # what a run answers (the scheduler drops it; "run now" returns it)

Outcomes = dict[str, NotificationOutcome]


class TickLeases(Protocol[S]):
    """What a job needs of its leases: :class:`grokpipe.api.kernel.lease.Leases` of its state type."""

    def claim(self, lease_id: str, tick: datetime, now: datetime) -> Claim[S] | None: ...
    def release(self, claim: Claim[S], state: S) -> bool: ...


class ScheduledJob(ABC, Generic[J, S, E, A, R]):
    def __init__(self, leases: TickLeases[S], history: History, clock: Clock) -> None:
        self.leases = leases
        self.history = history
        self.clock = clock

    # -- the steps a feature writes -----------------------------------------------------------------

    @abstractmethod
    def lease_id(self, job: J) -> str:
        """The id of the job's lease document (unique across features: a prefix per kind)."""

    @abstractmethod
    def evaluate(self, job: J, tick: datetime) -> E:
        """What the job finds for ``tick``; may raise (the tick is given back, the state unchanged)."""

    @abstractmethod
    def decide(self, job: J, state: S, evaluation: E, tick: datetime) -> tuple[S, Sequence[A]]:
        """The state to keep and the actions to notify and record, in order."""

    @abstractmethod
    def notify(self, job: J, action: A, evaluation: E, tick: datetime) -> Outcomes:
        """Deliver ``action`` through the job's notifiers (none when the action is not to be notified)."""

    @abstractmethod
    def record(self, job: J, action: A, evaluation: E, tick: datetime, outcomes: Outcomes) -> AlertRecord:
        """Write ``action`` and how its notification went to the alert history."""

    @abstractmethod
    def done(self, job: J, tick: datetime, evaluation: E, records: list[AlertRecord], seconds: float) -> R:
        """What the run answers, once released (``seconds`` since the claim); counts and logs the run."""

    # -- what a feature may add ---------------------------------------------------------------------

    def skipped(self, job: J, tick: datetime) -> None:
        """The tick was not this run's to evaluate (claimed elsewhere, or already done)."""

    def failed(self, job: J, error: BaseException) -> None:
        """The evaluation raised ``error`` (called inside the ``except`` or from a batch): count and log it."""

    def stored(self, state: S, tick: datetime, *, evaluated: bool) -> S:
        """The state the release writes: the decided one (``evaluated``), or the claimed one after a failed
        evaluation. As given, unless the feature stamps it (the tick it last released)."""
        return state

    # -- the skeleton -------------------------------------------------------------------------------

    def run(self, job: J, tick: datetime) -> R | None:
        """Run ``job`` for ``tick`` unless another run (here or on a replica) claimed it."""
        claim = self.claim(job, tick)
        if claim is None:
            return None
        began = time.monotonic()
        try:
            evaluation = self.evaluate(job, tick)
        except Exception as exc:
            self.fail(job, claim, exc)
            raise
        return self.finish(job, claim, evaluation, began)

    def claim(self, job: J, tick: datetime) -> Claim[S] | None:
        """The lease on ``tick``, or None (:meth:`skipped`) if it is not this run's to evaluate."""
        claim = self.leases.claim(self.lease_id(job), tick, self.clock())
        if claim is None:
            self.skipped(job, tick)
        return claim

    def fail(self, job: J, claim: Claim[S], error: BaseException) -> None:
        """The evaluation failed: count and log it, and give the tick back with the state as claimed."""
        self.failed(job, error)
        self.leases.release(claim, self.stored(claim.state, claim.tick, evaluated=False))

    def finish(self, job: J, claim: Claim[S], evaluation: E, began: float | None = None) -> R:
        """Decide, notify, record, and release the lease with the decided state."""
        began = time.monotonic() if began is None else began
        tick = claim.tick
        state = claim.state
        records: list[AlertRecord] = []
        try:
            if self.history.pending:  # Elasticsearch answered this run: write what an outage kept back
                self.history.flush()
            state, actions = self.decide(job, claim.state, evaluation, tick)
            for action in actions:
                records.append(self.record(job, action, evaluation, tick, self.notify(job, action, evaluation, tick)))
        finally:
            self.leases.release(claim, self.stored(state, tick, evaluated=True))
        return self.done(job, tick, evaluation, records, time.monotonic() - began)
