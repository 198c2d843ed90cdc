"""One evaluation per tick across replicas: a compare-and-set lease document per scheduled definition.

The document (``grokpipe-rule-state/<lease id>``: a rule's id, ``check-<id>``, ``monitor-<slug>``...) carries
the last claimed tick, the owner and the lease expiry, and the definition's state: a pydantic model of the
feature's own (a rule's throttle state, a check's streaks, nothing for a digest), given when the
:class:`Leases` are built (``Leases[S]`` hands out ``Claim[S]``), so a feature reads and writes its state
typed and the kernel knows none of them. A replica claims tick T by rewriting it with
``if_seq_no``/``if_primary_term`` only if ``last_tick < T`` and no live lease is held; exactly one
writer wins. A dead replica's lease expires after ``lease_seconds``.

A run that takes longer than a third of the lease has it renewed (the same compare-and-set, by a
thread of this replica), so a slow check or search keeps its tick: without it, another replica could
claim the next tick while this run still works, and this run's release, state and all, would lose.
Renewal stops after ``HOLD_LIMIT`` leases, so a claim its run never released still expires. While
its own run holds a lease, a replica does not claim it again ("run now" gets a 409, not a second run).
A write of ours whose answer timed out may have landed: a conflict on a document that still shows our
claim of that tick is ours to continue from.

A rule's throttle state is what stops a firing group from notifying again, so a release that cannot
reach Elasticsearch (tried a few times) is kept in memory: the next claim of that lease, if the
document is still the one this replica claimed (same ``_seq_no``/``_primary_term``: nobody wrote
since), continues from the kept state rather than the stale stored one.

Every document has the same fields (``last_tick``, ``owner``, ``lease_until``, ``state``); what ``state``
holds is the feature's. A state type must load the documents its feature wrote before (field names are
kept: see :mod:`grokpipe.api.kernel.alertstate` for the checks' and monitors' states stored in rules' shape).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from elasticsearch import Elasticsearch
from pydantic import BaseModel

from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchConflict, ElasticsearchError, ElasticsearchNotFound, ElasticsearchUnavailable
from grokpipe.retry import Backoff, RetryPolicy, retry

log = logging.getLogger(__name__)

#: A release is tried for about a second before its state is kept in memory instead.
RELEASE_RETRY = RetryPolicy(Backoff(initial=0.1, cap=0.5), attempts=4)
#: A claim is renewed for at most this many leases (a run that never released it must not hold it forever).
HOLD_LIMIT = 12

S = TypeVar("S", bound=BaseModel)
T = TypeVar("T", bound=BaseModel)


class NoState(BaseModel):
    """The state of a job that keeps none between ticks (digests, reports, the syncs): the lease is all it needs."""


@dataclass(frozen=True)
class Claim(Generic[S]):
    lease_id: str
    tick: datetime
    seq_no: int
    primary_term: int
    state: S


@dataclass
class _Held(Generic[S]):
    """A claim whose run has not released it: the latest write of it, for renewals and the release."""

    claim: Claim[S]
    claimed_at: datetime  # the caller's ``now`` at the claim: renewals keep to its clock
    since: float  # time.monotonic() at the claim
    written: float  # time.monotonic() at the last write
    #: held by a renewal's write, so the release that follows uses the ``_seq_no`` it moved to
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: bool = False
    renewing: bool = True  # False past HOLD_LIMIT


class Leases(Generic[S]):
    """The leases of the definitions whose state is a ``state_type`` (one instance per state type)."""

    def __init__(
        self,
        es: Elasticsearch,
        index: str,
        owner: str,
        lease_seconds: float,
        state_type: type[S],
        *,
        release_retry: RetryPolicy = RELEASE_RETRY,
    ) -> None:
        self.es = es
        self.index = index
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)
        self.state_type = state_type
        self.release_retry = release_retry
        self._unreleased: dict[str, tuple[Claim[S], S]] = {}
        self._lock = threading.Lock()
        self._held: dict[str, _Held[S]] = {}
        self._holding = threading.Lock()  # _held (never held across a request)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None
        self._family: dict[type[BaseModel], Leases[Any]] = {state_type: self}  # shared by of()

    def of(self, state_type: type[T]) -> Leases[T]:
        """The leases in the same index, for the same owner, of definitions whose state is a ``state_type``: one
        instance per state type, all closed by :meth:`close`. Lease ids never overlap between features (a rule's
        id, ``check-<id>``, ``monitor-<slug>``...), so a feature asks for its own and needs no other's."""
        family = self._family.get(state_type)  # asked for while the services are built, before any thread runs
        if family is None:
            family = Leases(
                self.es,
                self.index,
                self.owner,
                self.lease.total_seconds(),
                state_type,
                release_retry=self.release_retry,
            )
            family._family = self._family
            self._family[state_type] = family
        leases: Leases[T] = family
        return leases

    def _load(self, stored: Any) -> S:
        return self.state_type.model_validate(stored or {})

    def _doc(self, tick: datetime, now: datetime, state: S) -> dict[str, Any]:
        return {
            "last_tick": tick.isoformat(),
            "owner": self.owner,
            "lease_until": (now + self.lease).isoformat(),
            "state": state.model_dump(mode="json"),
        }

    def _get(self, lease_id: str) -> dict[str, Any] | None:
        try:
            with elasticsearch_errors(f"reading the lease of {lease_id}"):
                return dict(self.es.get(index=self.index, id=lease_id))
        except ElasticsearchNotFound:
            return None

    def _put(self, lease_id: str, document: dict[str, Any], **guard: Any) -> dict[str, Any] | None:
        """The write's response, or None if ``guard`` (``op_type=create`` or ``if_seq_no``) lost."""
        try:
            with elasticsearch_errors(f"writing the lease of {lease_id}"):
                return dict(self.es.index(index=self.index, id=lease_id, document=document, **guard))
        except ElasticsearchConflict:
            return None

    def claim(self, lease_id: str, tick: datetime, now: datetime) -> Claim[S] | None:
        if self._busy(lease_id):
            return None
        current = self._get(lease_id)
        if current is None:
            state = self.state_type()
            resp = self._put(lease_id, self._doc(tick, now, state), op_type="create")
            if resp is None:
                return None
            return self._hold(Claim(lease_id, tick, resp["_seq_no"], resp["_primary_term"], state), now)
        src = current["_source"]
        if src.get("last_tick") and datetime.fromisoformat(src["last_tick"]) >= tick:
            return None
        lease_until = src.get("lease_until")
        if lease_until and datetime.fromisoformat(lease_until) > now and src.get("owner") != self.owner:
            return None
        kept = self._kept(lease_id, current)  # the document still holds our claim: continue from our state
        state = kept[1] if kept else self._load(src.get("state"))
        resp = self._put(
            lease_id,
            self._doc(tick, now, state),
            if_seq_no=current["_seq_no"],
            if_primary_term=current["_primary_term"],
        )
        if resp is None:
            return None
        self._forget(lease_id)
        return self._hold(Claim(lease_id, tick, resp["_seq_no"], resp["_primary_term"], state), now)

    def _busy(self, lease_id: str) -> bool:
        """A run of this replica holds this lease (a claim past this replica's own live lease is for
        a restart under the same ``replica_id``, not for a second run beside the first: "run now")."""
        with self._holding:
            held = self._held.get(lease_id)
            if held is None:
                return False
            if held.renewing or time.monotonic() - held.written < self.lease.total_seconds():
                return True
            del self._held[lease_id]  # past the hold limit and expired: its run never released it
            return False

    def _hold(self, claim: Claim[S], now: datetime) -> Claim[S]:
        mono = time.monotonic()
        with self._holding:
            self._held[claim.lease_id] = _Held(claim, now, mono, mono)
            if self._renewer is None and not self._stop.is_set():
                self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer", daemon=True)
                self._renewer.start()
        return claim

    def _renew_loop(self) -> None:
        period = min(max(self.lease.total_seconds() / 6, 0.05), 10.0)
        while not self._stop.wait(period):
            try:
                self.renew()
            except Exception:
                log.exception("lease renewal failed")

    def renew(self) -> int:
        """Extend the leases held for over a third of a lease; how many were extended."""
        with self._holding:
            held = list(self._held.values())
        return sum(self._renew(h) for h in held)

    def _renew(self, held: _Held[S]) -> bool:
        lease = self.lease.total_seconds()
        with held.lock:  # this claim's release waits for this write; other claims and releases do not
            mono = time.monotonic()
            if held.released or not held.renewing or mono - held.written < lease / 3:
                return False
            claim, age = held.claim, mono - held.since
            if age > HOLD_LIMIT * lease:  # kept for the release (it has the latest _seq_no), not renewed
                held.renewing = False
                log.warning("lease held too long; no longer renewed", extra={"rule.id": claim.lease_id, "seconds": age})
                return False
            document = self._doc(claim.tick, held.claimed_at + timedelta(seconds=age), claim.state)
            try:
                resp = self._put(claim.lease_id, document, if_seq_no=claim.seq_no, if_primary_term=claim.primary_term)
                if resp is None:  # a renewal of ours that timed out may yet have landed
                    ours = self._ours(claim)
                    resp = ours if ours is not None and ours["_source"].get("lease_until") is not None else None
            except ElasticsearchError as exc:  # tried again next round, while the lease still runs
                log.warning("cannot renew lease", extra={"rule.id": claim.lease_id, "error.message": str(exc)})
                return False
            if resp is None:
                held.renewing = False
                log.warning("lease lost while running", extra={"rule.id": claim.lease_id})
                return False
            held.claim = replace(claim, seq_no=resp["_seq_no"], primary_term=resp["_primary_term"])
            held.written = mono
            return True

    def _ours(self, claim: Claim[S]) -> dict[str, Any] | None:
        """The document if it is still this replica's ``claim`` of its tick, claimed (``lease_until`` set) or
        released: a write of ours that timed out, and was retried, may have landed all the same."""
        current = self._get(claim.lease_id)
        if current is None:
            return None
        src = current["_source"]
        tick = src.get("last_tick")
        if src.get("owner") != self.owner or not tick or datetime.fromisoformat(tick) != claim.tick:
            return None
        return current

    def close(self) -> None:
        """Stop renewing (at shutdown: the runs are over, or their leases will expire), for every state type."""
        for leases in list(self._family.values()):
            leases._stop.set()
            if leases._renewer is not None:
                leases._renewer.join(timeout=10)

    def _latest(self, claim: Claim[S]) -> Claim[S]:
        """``claim`` as last written (renewals move its ``_seq_no``); it is no longer renewed."""
        with self._holding:
            held = self._held.get(claim.lease_id)
            if held is None or held.claim.tick != claim.tick:
                return claim
            del self._held[claim.lease_id]
        with held.lock:  # after a renewal in flight
            held.released = True
            return held.claim

    def release(self, claim: Claim[S], state: S) -> bool:
        """Store the new state and drop the lease; False if the lease was lost meanwhile, or if Elasticsearch
        stayed away (then the state is kept for this lease's next claim)."""
        claim = self._latest(claim)
        doc: dict[str, Any] = {"last_tick": claim.tick.isoformat(), "owner": self.owner, "lease_until": None}
        doc["state"] = state.model_dump(mode="json")
        try:
            written = retry(lambda: self._release(claim, doc), self.release_retry)
        except ElasticsearchUnavailable as exc:
            with self._lock:
                self._unreleased[claim.lease_id] = (claim, state)
            log.warning(
                "cannot store rule state; kept in memory for the next claim",
                extra={"rule.id": claim.lease_id, "error.message": str(exc)},
            )
            return False
        self._forget(claim.lease_id)
        if written is None:
            log.warning("lease lost before release", extra={"rule.id": claim.lease_id})
            return False
        return True

    def _release(self, claim: Claim[S], doc: dict[str, Any]) -> dict[str, Any] | None:
        written = self._put(claim.lease_id, doc, if_seq_no=claim.seq_no, if_primary_term=claim.primary_term)
        if written is not None:
            return written
        current = self._ours(claim)
        if current is None:
            return None
        if current["_source"].get("lease_until") is None:  # an earlier try that timed out had released it
            return current if current["_source"].get("state") == doc["state"] else None
        # a renewal that timed out had moved the _seq_no
        return self._put(claim.lease_id, doc, if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"])

    def _kept(self, lease_id: str, current: dict[str, Any]) -> tuple[Claim[S], S] | None:
        """The state of a release that never landed, if the document is still as this replica claimed it."""
        with self._lock:
            kept = self._unreleased.get(lease_id)
        if kept is None:
            return None
        claim = kept[0]
        if (current["_seq_no"], current["_primary_term"]) == (claim.seq_no, claim.primary_term):
            return kept
        self._forget(lease_id)  # someone wrote since: theirs is newer
        return None

    def _forget(self, lease_id: str) -> None:
        with self._lock:
            self._unreleased.pop(lease_id, None)

    def state(self, lease_id: str) -> S:
        current = self._get(lease_id)
        if current is None:
            return self.state_type()
        kept = self._kept(lease_id, current)
        if kept is not None:
            return kept[1]
        return self._load(current["_source"].get("state"))

    def update(self, lease_id: str, change: Callable[[S], S | None]) -> bool:
        """Rewrite the stored state with ``change(state)`` (a rule's acknowledge); False if there is no document or
        ``change`` answers None (nothing to change)."""
        for _ in range(5):  # compare-and-set: read again when a run wrote in between (no wait needed)
            current = self._get(lease_id)
            if current is None:
                return False
            src = dict(current["_source"])
            kept = self._kept(lease_id, current)
            state = change(kept[1] if kept else self._load(src.get("state")))
            if state is None:
                return False
            src["state"] = state.model_dump(mode="json")
            if kept:
                src |= {"last_tick": kept[0].tick.isoformat(), "lease_until": None}
            if self._put(lease_id, src, if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"]):
                self._forget(lease_id)
                return True
        return False
