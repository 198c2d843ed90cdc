"""The one retry helper: which errors are tried again, how long it waits, when it gives up. No sleeping:
the clock and the sleep are fakes that move time."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

import pytest

from grokpipe.errors import ElasticsearchRejected, ElasticsearchUnavailable, KafkaUnavailable
from grokpipe.retry import Backoff, RetryPolicy, Schedule, retry, retry_async


class FakeTime:
    """``sleep`` moves ``now``; ``stop_after`` makes the n-th sleep report a stop (like Event.wait)."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self.stop_after = stop_after

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> bool:
        self.sleeps.append(seconds)
        self.now += seconds
        return self.stop_after is not None and len(self.sleeps) >= self.stop_after

    async def async_sleep(self, seconds: float) -> bool:
        return self.sleep(seconds)


def failing(errors: list[Exception], result: str = "done") -> Callable[[], str]:
    """A call that raises ``errors`` in turn, then returns ``result``."""
    pending = list(errors)

    def call() -> str:
        if pending:
            raise pending.pop(0)
        return result

    return call


NO_JITTER = Backoff(initial=1.0, cap=8.0, jitter=0.0)
DOWN = ElasticsearchUnavailable("down")


@pytest.mark.parametrize(
    ("policy", "errors", "outcome", "sleeps"),
    [
        # retriable errors are retried with 1, 2, 4, 8, 8 ... (capped)
        (RetryPolicy(NO_JITTER), [DOWN] * 6, "done", [1, 2, 4, 8, 8, 8]),
        (RetryPolicy(NO_JITTER), [], "done", []),
        (RetryPolicy(NO_JITTER), [KafkaUnavailable("away"), DOWN], "done", [1, 2]),
        # a refused request or a bug is raised at once
        (RetryPolicy(NO_JITTER), [ElasticsearchRejected("400")], ElasticsearchRejected, []),
        (RetryPolicy(NO_JITTER), [DOWN, ValueError("bug")], ValueError, [1]),
        # attempts count every try, the first included
        (RetryPolicy(NO_JITTER, attempts=3), [DOWN] * 3, ElasticsearchUnavailable, [1, 2]),
        (RetryPolicy(NO_JITTER, attempts=3), [DOWN] * 2, "done", [1, 2]),
        (RetryPolicy(NO_JITTER, attempts=1), [DOWN], ElasticsearchUnavailable, []),
        # the deadline trims the last wait to end at it, then gives up
        (RetryPolicy(NO_JITTER, deadline=5.0), [DOWN] * 5, ElasticsearchUnavailable, [1, 2, 2]),
        (RetryPolicy(NO_JITTER, deadline=5.0), [DOWN] * 3, "done", [1, 2, 2]),
    ],
)
def test_retry_table(
    policy: RetryPolicy, errors: list[Exception], outcome: str | type[Exception], sleeps: list[float]
) -> None:
    fake = FakeTime()
    call = failing(errors)
    if isinstance(outcome, str):
        assert retry(call, policy, sleep=fake.sleep, clock=fake.clock) == outcome
    else:
        with pytest.raises(outcome):
            retry(call, policy, sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == sleeps


def test_a_stop_while_waiting_raises_the_last_error() -> None:
    fake = FakeTime(stop_after=2)
    with pytest.raises(ElasticsearchUnavailable):
        retry(failing([DOWN] * 10), RetryPolicy(NO_JITTER), sleep=fake.sleep, clock=fake.clock)
    assert fake.sleeps == [1, 2]


def test_on_retry_sees_each_failure_and_delay() -> None:
    fake = FakeTime()
    seen: list[tuple[str, int, float]] = []
    retry(
        failing([DOWN, DOWN]),
        RetryPolicy(NO_JITTER),
        sleep=fake.sleep,
        clock=fake.clock,
        on_retry=lambda exc, n, delay: seen.append((type(exc).__name__, n, delay)),
    )
    assert seen == [("ElasticsearchUnavailable", 1, 1.0), ("ElasticsearchUnavailable", 2, 2.0)]


def test_a_custom_predicate_decides_instead_of_retriable() -> None:
    fake = FakeTime()
    call = failing([ElasticsearchRejected("409")])
    assert retry(call, RetryPolicy(NO_JITTER), sleep=fake.sleep, clock=fake.clock, is_retriable=lambda _: True)
    assert fake.sleeps == [1]


def test_async_retry_follows_the_same_rules() -> None:
    fake = FakeTime()
    sync_call = failing([DOWN, DOWN, ElasticsearchRejected("400")])

    async def call() -> str:
        return sync_call()

    with pytest.raises(ElasticsearchRejected):
        asyncio.run(retry_async(call, RetryPolicy(NO_JITTER), sleep=fake.async_sleep, clock=fake.clock))
    assert fake.sleeps == [1, 2]


@pytest.mark.parametrize(
    ("backoff", "attempt", "low", "high"),
    [
        (Backoff(initial=0.5, cap=30.0), 0, 0.0, 0.5),  # full jitter: anywhere up to the ceiling
        (Backoff(initial=0.5, cap=30.0), 3, 0.0, 4.0),
        (Backoff(initial=0.5, cap=30.0), 40, 0.0, 30.0),
        (Backoff(initial=0.5, cap=30.0, jitter=0.5), 3, 2.0, 4.0),  # equal jitter: the upper half
        (Backoff(initial=0.2, cap=5.0, jitter=0.0), 10, 5.0, 5.0),  # none: the ceiling itself
        (Backoff(initial=1.0, cap=1e9, multiplier=3.0, jitter=0.0), 2, 9.0, 9.0),
        (Backoff(initial=1.0, cap=10.0), 10_000, 0.0, 10.0),  # no overflow on huge attempt counts
    ],
)
def test_backoff_bounds(backoff: Backoff, attempt: int, low: float, high: float) -> None:
    rng = random.Random(attempt)
    delays = [backoff.delay(attempt, rng) for _ in range(200)]
    assert all(low <= d <= high for d in delays)
    if backoff.jitter:
        assert len(set(delays)) > 1


def test_schedule_counts_failures_for_loops_of_their_own() -> None:
    fake = FakeTime()
    schedule = Schedule(RetryPolicy(NO_JITTER, attempts=3), clock=fake.clock)
    assert [schedule.after(DOWN), schedule.after(DOWN), schedule.after(DOWN)] == [1.0, 2.0, None]
    assert schedule.after(ValueError()) is None
