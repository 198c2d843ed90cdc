"""One evaluation per tick across replicas: a compare-and-set lease document per rule.

The document (``grokpipe-rule-state/<rule id>``) carries the last claimed tick, the owner and the
lease expiry, and the rule's throttle state. A replica claims tick T by rewriting it with
``if_seq_no``/``if_primary_term`` only if ``last_tick < T`` and no live lease is held; exactly one
writer wins. A dead replica's lease expires after ``lease_seconds``.

A run that takes longer than a third of the lease has it renewed (the same compare-and-set, by a
thread of this replica), so a slow check or search keeps its tick: without it, another replica could
claim the next tick while this run still works, and this run's release, state and all, would lose.
Renewal stops after ``HOLD_LIMIT`` leases, so a claim its run never released still expires. While
its own run holds a rule, a replica does not claim it again ("run now" gets a 409, not a second run).
A write of ours whose answer timed out may have landed: a conflict on a document that still shows our
claim of that tick is ours to continue from.

The throttle state is what stops a firing group from notifying again, so a release that cannot
reach Elasticsearch (tried a few times) is kept in memory: the next claim of that rule, if the
document is still the one this replica claimed (same ``_seq_no``/``_primary_term``: nobody wrote
since), continues from the kept state rather than the stale stored one.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.kernel.alertstate import RuleState
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchConflict, ElasticsearchError, ElasticsearchNotFound, ElasticsearchUnavailable
from grokpipe.retry import Backoff, RetryPolicy, retry

log = logging.getLogger(__name__)

#: A release is tried for about a second before its state is kept in memory instead.
RELEASE_RETRY = RetryPolicy(Backoff(initial=0.1, cap=0.5), attempts=4)
#: A claim is renewed for at most this many leases (a run that never released it must not hold it forever).
HOLD_LIMIT = 12


@dataclass(frozen=True)
class Claim:
    rule_id: str
    tick: datetime
    seq_no: int
    primary_term: int
    state: RuleState


@dataclass
class _Held:
    """A claim whose run has not released it: the latest write of it, for renewals and the release."""

    claim: Claim
    claimed_at: datetime  # the caller's ``now`` at the claim: renewals keep to its clock
    since: float  # time.monotonic() at the claim
    written: float  # time.monotonic() at the last write
    #: held by a renewal's write, so the release that follows uses the ``_seq_no`` it moved to
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: bool = False
    renewing: bool = True  # False past HOLD_LIMIT


class Leases:
    def __init__(
        self,
        es: Elasticsearch,
        index: str,
        owner: str,
        lease_seconds: float,
        *,
        release_retry: RetryPolicy = RELEASE_RETRY,
    ) -> None:
        self.es = es
        self.index = index
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)
        self.release_retry = release_retry
        self._unreleased: dict[str, tuple[Claim, RuleState]] = {}
        self._lock = threading.Lock()
        self._held: dict[str, _Held] = {}
        self._holding = threading.Lock()  # _held (never held across a request)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def _doc(self, tick: datetime, now: datetime, state: RuleState) -> dict[str, Any]:
        return {
            "last_tick": tick.isoformat(),
            "owner": self.owner,
            "lease_until": (now + self.lease).isoformat(),
            "state": state.model_dump(mode="json"),
        }

    def _get(self, rule_id: str) -> dict[str, Any] | None:
        try:
            with elasticsearch_errors(f"reading the lease of {rule_id}"):
                return dict(self.es.get(index=self.index, id=rule_id))
        except ElasticsearchNotFound:
            return None

    def _put(self, rule_id: str, document: dict[str, Any], **guard: Any) -> dict[str, Any] | None:
        """The write's response, or None if ``guard`` (``op_type=create`` or ``if_seq_no``) lost."""
        try:
            with elasticsearch_errors(f"writing the lease of {rule_id}"):
                return dict(self.es.index(index=self.index, id=rule_id, document=document, **guard))
        except ElasticsearchConflict:
            return None

    def claim(self, rule_id: str, tick: datetime, now: datetime) -> Claim | None:
        if self._busy(rule_id):
            return None
        current = self._get(rule_id)
        if current is None:
            state = RuleState()
            resp = self._put(rule_id, self._doc(tick, now, state), op_type="create")
            if resp is None:
                return None
            return self._hold(Claim(rule_id, tick, resp["_seq_no"], resp["_primary_term"], state), now)
        src = current["_source"]
        if src.get("last_tick") and datetime.fromisoformat(src["last_tick"]) >= tick:
            return None
        lease_until = src.get("lease_until")
        if lease_until and datetime.fromisoformat(lease_until) > now and src.get("owner") != self.owner:
            return None
        kept = self._kept(rule_id, current)  # the document still holds our claim: continue from our state
        state = kept[1] if kept else RuleState.model_validate(src.get("state") or {})
        resp = self._put(
            rule_id,
            self._doc(tick, now, state),
            if_seq_no=current["_seq_no"],
            if_primary_term=current["_primary_term"],
        )
        if resp is None:
            return None
        self._forget(rule_id)
        return self._hold(Claim(rule_id, tick, resp["_seq_no"], resp["_primary_term"], state), now)

    def _busy(self, rule_id: str) -> bool:
        """A run of this replica holds the rule's lease (a claim past this replica's own live lease is for
        a restart under the same ``replica_id``, not for a second run beside the first: "run now")."""
        with self._holding:
            held = self._held.get(rule_id)
            if held is None:
                return False
            if held.renewing or time.monotonic() - held.written < self.lease.total_seconds():
                return True
            del self._held[rule_id]  # past the hold limit and expired: its run never released it
            return False

    def _hold(self, claim: Claim, now: datetime) -> Claim:
        mono = time.monotonic()
        with self._holding:
            self._held[claim.rule_id] = _Held(claim, now, mono, mono)
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

    def _renew(self, held: _Held) -> bool:
        lease = self.lease.total_seconds()
        with held.lock:  # this claim's release waits for this write; other claims and releases do not
            mono = time.monotonic()
            if held.released or not held.renewing or mono - held.written < lease / 3:
                return False
            claim, age = held.claim, mono - held.since
            if age > HOLD_LIMIT * lease:  # kept for the release (it has the latest _seq_no), not renewed
                held.renewing = False
                log.warning("lease held too long; no longer renewed", extra={"rule.id": claim.rule_id, "seconds": age})
                return False
            document = self._doc(claim.tick, held.claimed_at + timedelta(seconds=age), claim.state)
            try:
                resp = self._put(claim.rule_id, document, if_seq_no=claim.seq_no, if_primary_term=claim.primary_term)
                if resp is None:  # a renewal of ours that timed out may yet have landed
                    ours = self._ours(claim)
                    resp = ours if ours is not None and ours["_source"].get("lease_until") is not None else None
            except ElasticsearchError as exc:  # tried again next round, while the lease still runs
                log.warning("cannot renew lease", extra={"rule.id": claim.rule_id, "error.message": str(exc)})
                return False
            if resp is None:
                held.renewing = False
                log.warning("lease lost while running", extra={"rule.id": claim.rule_id})
                return False
            held.claim = replace(claim, seq_no=resp["_seq_no"], primary_term=resp["_primary_term"])
            held.written = mono
            return True

    def _ours(self, claim: Claim) -> dict[str, Any] | None:
        """The document if it is still this replica's ``claim`` of its tick, claimed (``lease_until`` set) or
        released: a write of ours that timed out, and was retried, may have landed all the same."""
        current = self._get(claim.rule_id)
        if current is None:
            return None
        src = current["_source"]
        tick = src.get("last_tick")
        if src.get("owner") != self.owner or not tick or datetime.fromisoformat(tick) != claim.tick:
            return None
        return current

    def close(self) -> None:
        """Stop renewing (at shutdown: the runs are over, or their leases will expire)."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=10)

    def _latest(self, claim: Claim) -> Claim:
        """``claim`` as last written (renewals move its ``_seq_no``); it is no longer renewed."""
        with self._holding:
            held = self._held.get(claim.rule_id)
            if held is None or held.claim.tick != claim.tick:
                return claim
            del self._held[claim.rule_id]
        with held.lock:  # after a renewal in flight
            held.released = True
            return held.claim

    def release(self, claim: Claim, state: RuleState) -> bool:
        """Store the new state and drop the lease; False if the lease was lost meanwhile, or if Elasticsearch
        stayed away (then the state is kept for this rule's next claim)."""
        claim = self._latest(claim)
        doc: dict[str, Any] = {"last_tick": claim.tick.isoformat(), "owner": self.owner, "lease_until": None}
        doc["state"] = state.model_dump(mode="json")
        try:
            written = retry(lambda: self._release(claim, doc), self.release_retry)
        except ElasticsearchUnavailable as exc:
            with self._lock:
                self._unreleased[claim.rule_id] = (claim, state)
            log.warning(
                "cannot store rule state; kept in memory for the next claim",
                extra={"rule.id": claim.rule_id, "error.message": str(exc)},
            )
            return False
        self._forget(claim.rule_id)
        if written is None:
            log.warning("lease lost before release", extra={"rule.id": claim.rule_id})
            return False
        return True

    def _release(self, claim: Claim, doc: dict[str, Any]) -> dict[str, Any] | None:
        written = self._put(claim.rule_id, doc, if_seq_no=claim.seq_no, if_primary_term=claim.primary_term)
        if written is not None:
            return written
        current = self._ours(claim)
        if current is None:
            return None
        if current["_source"].get("lease_until") is None:  # an earlier try that timed out had released it
            return current if current["_source"].get("state") == doc["state"] else None
        # a renewal that timed out had moved the _seq_no
        return self._put(claim.rule_id, doc, if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"])

    def _kept(self, rule_id: str, current: dict[str, Any]) -> tuple[Claim, RuleState] | None:
        """The state of a release that never landed, if the document is still as this replica claimed it."""
        with self._lock:
            kept = self._unreleased.get(rule_id)
        if kept is None:
            return None
        claim = kept[0]
        if (current["_seq_no"], current["_primary_term"]) == (claim.seq_no, claim.primary_term):
            return kept
        self._forget(rule_id)  # someone wrote since: theirs is newer
        return None

    def _forget(self, rule_id: str) -> None:
        with self._lock:
            self._unreleased.pop(rule_id, None)

    def state(self, rule_id: str) -> RuleState:
        current = self._get(rule_id)
        if current is None:
            return RuleState()
        kept = self._kept(rule_id, current)
        if kept is not None:
            return kept[1]
        return RuleState.model_validate(current["_source"].get("state") or {})

    def acknowledge(self, rule_id: str, group_key: str) -> bool:
        """Mark a firing group acknowledged (no realerts until it recovers)."""
        for _ in range(5):  # compare-and-set: read again when a run wrote in between (no wait needed)
            current = self._get(rule_id)
            if current is None:
                return False
            src = dict(current["_source"])
            kept = self._kept(rule_id, current)
            state = kept[1] if kept else RuleState.model_validate(src.get("state") or {})
            if group_key not in state.groups:
                return False
            state.groups[group_key].acknowledged = True
            src["state"] = state.model_dump(mode="json")
            if kept:
                src |= {"last_tick": kept[0].tick.isoformat(), "lease_until": None}
            if self._put(rule_id, src, if_seq_no=current["_seq_no"], if_primary_term=current["_primary_term"]):
                self._forget(rule_id)
                return True
        return False
