"""A scheduled send: each tick, one message built from what the job found; no state between ticks.

Digests and check reports run this way. Their runners write what is their own: :meth:`ScheduledSend.evaluate`
(the period's digest, the report's table), :meth:`ScheduledSend.message`, the alert history document's
``count`` and own fields (:meth:`ScheduledSend.count`, :meth:`ScheduledSend.recorded`) and the metric and
log line of a send (:meth:`ScheduledSend.sent`). The other steps of the scheduled job
(:mod:`grokpipe.api.kernel.job`) are the same for both and written here: the lease is ``<kind>-<id>`` and
keeps :class:`NoState`, the one action is the message, it goes to the job's notifiers (the outcomes are kept
on the evaluation), the history records it under the job's ``kind``, and the run answers the evaluation.
:meth:`ScheduledSend.deliver` is the same send outside the schedule and its lease ("send now").
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import datetime
from typing import Any, ClassVar, Protocol, TypeVar

from elasticsearch import Elasticsearch

from grokpipe.api.history import History, Source
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.job import Outcomes, ScheduledJob
from grokpipe.api.kernel.lease import Leases, NoState
from grokpipe.api.responses import AlertRecord


class Sendable(Protocol):
    """What a send needs of its job (a saved digest or report)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def notify(self) -> list[str]: ...


class Delivered(Protocol):
    """What a send needs of its evaluation: where the outcomes of its notification are kept."""

    notifications: Outcomes


M_contra = TypeVar("M_contra", contravariant=True)


class Deliverer(Protocol[M_contra]):
    """The dispatcher (:class:`grokpipe.api.notifiers.dispatch.Dispatcher`): a message to the named notifiers."""

    def deliver(self, names: list[str], message: M_contra) -> Outcomes: ...


J = TypeVar("J", bound=Sendable)
E = TypeVar("E", bound=Delivered)
M = TypeVar("M")  # the message


class ScheduledSend(ScheduledJob[J, NoState, E, M, E]):
    #: the alert history's source and kind, and the lease's prefix
    kind: ClassVar[Source]

    def __init__(
        self, es: Elasticsearch, dispatcher: Deliverer[M], leases: Leases[Any], *, alerts_index: str, clock: Clock
    ) -> None:
        super().__init__(leases.of(NoState), History(es, alerts_index, clock), clock)
        self.dispatcher = dispatcher

    # -- what a feature writes ----------------------------------------------------------------------

    @abstractmethod
    def message(self, job: J, evaluation: E) -> M:
        """The message that sends ``evaluation``."""

    @abstractmethod
    def count(self, evaluation: E) -> int:
        """The alert history document's ``count``."""

    def recorded(self, evaluation: E) -> dict[str, Any]:
        """The alert history document's own fields, besides the common ones."""
        return {}

    @abstractmethod
    def sent(self, job: J, evaluation: E, *, failed: bool) -> None:
        """Count and log a send, recorded (``failed``: a notifier did not deliver it)."""

    # -- the send -----------------------------------------------------------------------------------

    def deliver(self, job: J, evaluation: E, tick: datetime) -> E:
        """Send ``evaluation`` now, outside the schedule and its lease, and record it."""
        message = self.message(job, evaluation)
        self.record(job, message, evaluation, tick, self.notify(job, message, evaluation, tick))
        return evaluation

    # -- the scheduled job's steps (grokpipe.api.kernel.job) ----------------------------------------

    def lease_id(self, job: J) -> str:
        return f"{self.kind}-{job.id}"

    def decide(self, job: J, state: NoState, evaluation: E, tick: datetime) -> tuple[NoState, list[M]]:
        return state, [self.message(job, evaluation)]

    def notify(self, job: J, action: M, evaluation: E, tick: datetime) -> Outcomes:
        evaluation.notifications = self.dispatcher.deliver(job.notify, action)
        return evaluation.notifications

    def record(self, job: J, action: M, evaluation: E, tick: datetime, outcomes: Outcomes) -> AlertRecord:
        doc = self.history.record(
            self.kind,
            self.kind,
            rule={"id": self.lease_id(job), "name": job.name},
            tick=tick,
            count=self.count(evaluation),
            notified=bool(job.notify),
            notifications=outcomes,
            **self.recorded(evaluation),
        )
        self.sent(job, evaluation, failed=any(o.get("outcome") != "sent" for o in outcomes.values()))
        return doc

    def done(self, job: J, tick: datetime, evaluation: E, records: list[AlertRecord], seconds: float) -> E:
        return evaluation
