"""Which rules are due: ticks advance, a running rule is not started again, late loops coalesce."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from typing import Any

from grokpipe.api.kernel.scheduler import Scheduler
from grokpipe.api.kernel.settings import SchedulerSettings
from grokpipe.api.rules.schemas import Rule

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
S = timedelta(seconds=1)


def _scheduler(*intervals: str) -> Scheduler[Rule]:
    scheduler: Scheduler[Rule] = Scheduler(store=None, runner=None, settings=SchedulerSettings(), clock=lambda: T)  # type: ignore[arg-type]
    for i, interval in enumerate(intervals):
        rule = Rule.model_validate(
            {
                "id": f"r{i}",
                "version": "0:1",
                "created": T,
                "updated": T,
                "name": f"r{i}",
                "schedule": {"interval": interval},
                "condition": {"type": "any"},
            }
        )
        scheduler.rules[rule.id] = rule
    return scheduler


def _due(scheduler: Scheduler[Rule], now: datetime) -> list[tuple[str, datetime]]:
    return [(rule.id, tick) for rule, tick in scheduler.due(now)]


def test_ticks_follow_the_interval() -> None:
    scheduler = _scheduler("1m", "5m")
    assert _due(scheduler, T - S) == []  # first sight: schedule the next aligned tick
    assert _due(scheduler, T) == [("r0", T), ("r1", T)]
    assert _due(scheduler, T + 30 * S) == []
    assert _due(scheduler, T + 60 * S) == [("r0", T + 60 * S)]


def test_running_rule_is_skipped_and_late_loops_coalesce() -> None:
    scheduler = _scheduler("1m")
    _due(scheduler, T - S)
    pending: Future[Any] = Future()
    scheduler.running["r0"] = pending
    assert _due(scheduler, T) == []  # still running: no overlapping run
    pending.set_result(None)
    assert _due(scheduler, T + 3 * 60 * S + S) == [("r0", T)]  # runs its missed tick once
    assert scheduler.next_due["r0"] == T + 4 * 60 * S  # and continues at the next future tick
