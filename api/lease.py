"""One evaluation per tick across replicas: a compare-and-set lease document per rule.

The document (``grokpipe-rule-state/<rule id>``) carries the last claimed tick, the owner and the
lease expiry, and the rule's throttle state. A replica claims tick T by rewriting it with
``if_seq_no``/``if_primary_term`` only if ``last_tick < T`` and no live lease is held; exactly one
writer wins. A dead replica's lease expires after ``lease_seconds``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from grokpipe.api.throttle import RuleState

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Claim:
    rule_id: str
    tick: datetime
    seq_no: int
    primary_term: int
    state: RuleState


class Leases:
    def __init__(self, es: Elasticsearch, index: str, owner: str, lease_seconds: float) -> None:
        self.es = es
        self.index = index
        self.owner = owner
        self.lease = timedelta(seconds=lease_seconds)

    def _doc(self, tick: datetime, now: datetime, state: RuleState) -> dict[str, Any]:
        return {
            "last_tick": tick.isoformat(),
            "owner": self.owner,
            "lease_until": (now + self.lease).isoformat(),
            "state": state.model_dump(mode="json"),
        }

    def claim(self, rule_id: str, tick: datetime, now: datetime) -> Claim | None:
        try:
            current = self.es.get(index=self.index, id=rule_id)
        except NotFoundError:
            state = RuleState()
            try:
                resp = self.es.index(
                    index=self.index, id=rule_id, document=self._doc(tick, now, state), op_type="create"
                )
            except ConflictError:
                return None
            return Claim(rule_id, tick, resp["_seq_no"], resp["_primary_term"], state)
        src = current["_source"]
        if src.get("last_tick") and datetime.fromisoformat(src["last_tick"]) >= tick:
            return None
        lease_until = src.get("lease_until")
        if lease_until and datetime.fromisoformat(lease_until) > now and src.get("owner") != self.owner:
            return None
        state = RuleState.model_validate(src.get("state") or {})
        try:
            resp = self.es.index(
                index=self.index,
                id=rule_id,
                document=self._doc(tick, now, state),
                if_seq_no=current["_seq_no"],
                if_primary_term=current["_primary_term"],
            )
        except ConflictError:
            return None
        return Claim(rule_id, tick, resp["_seq_no"], resp["_primary_term"], state)

    def release(self, claim: Claim, state: RuleState) -> bool:
        """Store the new state and drop the lease; False if the lease was lost meanwhile."""
        doc: dict[str, Any] = {"last_tick": claim.tick.isoformat(), "owner": self.owner, "lease_until": None}
        doc["state"] = state.model_dump(mode="json")
        try:
            self.es.index(
                index=self.index,
                id=claim.rule_id,
                document=doc,
                if_seq_no=claim.seq_no,
                if_primary_term=claim.primary_term,
            )
        except ConflictError:
            log.warning("lease lost before release", extra={"rule.id": claim.rule_id})
            return False
        return True

    def state(self, rule_id: str) -> RuleState:
        try:
            src = self.es.get(index=self.index, id=rule_id)["_source"]
        except NotFoundError:
            return RuleState()
        return RuleState.model_validate(src.get("state") or {})

    def acknowledge(self, rule_id: str, group_key: str) -> bool:
        """Mark a firing group acknowledged (no realerts until it recovers)."""
        for _ in range(5):
            try:
                current = self.es.get(index=self.index, id=rule_id)
            except NotFoundError:
                return False
            src = dict(current["_source"])
            state = RuleState.model_validate(src.get("state") or {})
            if group_key not in state.groups:
                return False
            state.groups[group_key].acknowledged = True
            src["state"] = state.model_dump(mode="json")
            try:
                self.es.index(
                    index=self.index,
                    id=rule_id,
                    document=src,
                    if_seq_no=current["_seq_no"],
                    if_primary_term=current["_primary_term"],
                )
            except ConflictError:
                continue
            return True
        return False
