"""The scheduled-job skeleton's order, and what it releases when a step raises (a table of runs)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import cast

import pytest
from elasticsearch import Elasticsearch
from pydantic import BaseModel

from grokpipe.api.history import History
from grokpipe.api.kernel.job import Outcomes, ScheduledJob
from grokpipe.api.kernel.lease import Claim
from grokpipe.api.responses import AlertRecord

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Seen(BaseModel):
    found: int = 0
    last_tick: datetime | None = None


class Broken(Exception):
    pass


class OneReplica:
    """Leases of one replica in memory: a tick is claimed once."""

    def __init__(self, state: Seen) -> None:
        self.stored = state
        self.claimed: set[tuple[str, datetime]] = set()
        self.released: list[Seen] = []

    def claim(self, lease_id: str, tick: datetime, now: datetime) -> Claim[Seen] | None:
        if (lease_id, tick) in self.claimed:
            return None
        self.claimed.add((lease_id, tick))
        return Claim(lease_id, tick, 0, 1, self.stored)

    def release(self, claim: Claim[Seen], state: Seen) -> bool:
        self.released.append(state)
        self.stored = state
        return True


class Counting(ScheduledJob[str, Seen, int, str, list[str]]):
    """Finds ``found`` things, keeps their sum, notifies and records two actions; ``broken`` names the step
    that raises."""

    def __init__(self, leases: OneReplica, *, found: int, broken: str | None) -> None:
        history = History(Elasticsearch("http://127.0.0.1:9"), "alerts", lambda: T)  # written only if pending
        super().__init__(leases, history, lambda: T)
        self.found = found
        self.broken = broken
        self.steps: list[str] = []

    def _step(self, name: str) -> None:
        self.steps.append(name)
        if name == self.broken:
            raise Broken(name)

    def lease_id(self, job: str) -> str:
        return f"count-{job}"

    def skipped(self, job: str, tick: datetime) -> None:
        self.steps.append("skipped")

    def evaluate(self, job: str, tick: datetime) -> int:
        self._step("evaluate")
        return self.found

    def failed(self, job: str, error: BaseException) -> None:
        self.steps.append(f"failed: {error}")

    def stored(self, state: Seen, tick: datetime, *, evaluated: bool) -> Seen:
        return state.model_copy(update={"last_tick": tick}) if evaluated else state

    def decide(self, job: str, state: Seen, evaluation: int, tick: datetime) -> tuple[Seen, Sequence[str]]:
        self._step("decide")
        return Seen(found=state.found + evaluation, last_tick=state.last_tick), ["a", "b"]

    def notify(self, job: str, action: str, evaluation: int, tick: datetime) -> Outcomes:
        self._step(f"notify {action}")
        return {"log": {"outcome": "sent", "attempts": 1}}

    def record(self, job: str, action: str, evaluation: int, tick: datetime, outcomes: Outcomes) -> AlertRecord:
        self._step(f"record {action}")
        return cast(AlertRecord, {"kind": action, "notifications": outcomes})

    def done(self, job: str, tick: datetime, evaluation: int, records: list[AlertRecord], seconds: float) -> list[str]:
        self.steps.append("done")
        return [r["kind"] for r in records]


BEFORE = Seen(found=1)
DECIDED = Seen(found=3, last_tick=T)
ALL = ["evaluate", "decide", "notify a", "record a", "notify b", "record b", "done"]


@pytest.mark.parametrize(
    ("broken", "steps", "released"),
    [
        (None, ALL, DECIDED),
        # the evaluation failed: counted, and the tick given back with the state as claimed
        ("evaluate", ["evaluate", "failed: evaluate"], BEFORE),
        # once decided, the decided state is released whatever raises next (no notification goes out twice)
        ("notify a", ["evaluate", "decide", "notify a"], DECIDED),
        ("record b", ["evaluate", "decide", "notify a", "record a", "notify b", "record b"], DECIDED),
        ("decide", ["evaluate", "decide"], Seen(found=1, last_tick=T)),
    ],
)
def test_a_run_releases_what_it_decided(broken: str | None, steps: list[str], released: Seen) -> None:
    leases = OneReplica(BEFORE)
    job = Counting(leases, found=2, broken=broken)
    if broken is None:
        assert job.run("j", T) == ["a", "b"]
    else:
        with pytest.raises(Broken):
            job.run("j", T)
    assert job.steps == steps
    assert leases.released == [released]


def test_a_tick_claimed_elsewhere_is_skipped() -> None:
    leases = OneReplica(BEFORE)
    leases.claimed.add(("count-j", T))
    job = Counting(leases, found=2, broken=None)
    assert job.run("j", T) is None
    assert job.steps == ["skipped"]
    assert leases.released == []
