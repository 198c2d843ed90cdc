"""Trying again: one backoff formula and one retry loop for every service, keyed on ``retriable``.

Capped exponential backoff with jitter (the AWS architecture blog's "full jitter" unless a caller
keeps a floor), bounded by a number of attempts, a deadline, or neither. An error is tried again
only if it says so (:func:`grokpipe.errors.retriable`): a bug or a refused request surfaces at once
instead of being retried forever. The clock, the sleep and the random source are injected, so tests
never sleep; a sleep that returns True (``threading.Event.wait``) means "stop": the last error is
raised instead of waiting further.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from grokpipe.errors import retriable

T = TypeVar("T")
Sleep = Callable[[float], object]
AsyncSleep = Callable[[float], Awaitable[object]]
Clock = Callable[[], float]
OnRetry = Callable[[BaseException, int, float], None]


@dataclass(frozen=True)
class Backoff:
    """Delay before try ``attempt + 1``: ``initial * multiplier**attempt`` capped at ``cap``, of which the
    fraction ``jitter`` is drawn at random (1: full jitter, anywhere in ``[0, ceiling]``; 0.5: the upper
    half; 0: none)."""

    initial: float = 0.5
    cap: float = 30.0
    multiplier: float = 2.0
    jitter: float = 1.0

    def ceiling(self, attempt: int) -> float:
        return min(self.cap, self.initial * self.multiplier ** min(max(attempt, 0), 64))

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = self.ceiling(attempt)
        return ceiling - (rng or random).uniform(0, ceiling * self.jitter)


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts``: tries in all, the first one included; ``deadline``: seconds after the first try past
    which none starts. None: no bound (retry for as long as the error stays retriable)."""

    backoff: Backoff = field(default_factory=Backoff)
    attempts: int | None = None
    deadline: float | None = None


class Schedule:
    """The decisions of one retry loop: after a failure, how long to wait, or None to give up."""

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        is_retriable: Callable[[BaseException], bool] = retriable,
    ) -> None:
        self.policy = policy
        self.clock = clock
        self.rng = rng
        self.is_retriable = is_retriable
        self.started = clock()
        self.failures = 0

    def after(self, exc: BaseException) -> float | None:
        if not self.is_retriable(exc):
            return None
        delay = self.policy.backoff.delay(self.failures, self.rng)
        self.failures += 1
        attempts, deadline = self.policy.attempts, self.policy.deadline
        if attempts is not None and self.failures >= attempts:
            return None
        if deadline is not None:
            remaining = deadline - (self.clock() - self.started)
            if remaining <= 0:
                return None
            delay = min(delay, remaining)  # one last try at the deadline rather than none
        return delay


def retry(
    call: Callable[[], T],
    policy: RetryPolicy,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    rng: random.Random | None = None,
    is_retriable: Callable[[BaseException], bool] = retriable,
    on_retry: OnRetry | None = None,
) -> T:
    """``call()`` until it returns, raising the first error that is not retriable or the last one when
    the policy gives up or ``sleep`` reports a stop. ``on_retry(error, failures, delay)`` logs a retry."""
    schedule = Schedule(policy, clock=clock, rng=rng, is_retriable=is_retriable)
    while True:
        try:
            return call()
        except Exception as exc:
            delay = schedule.after(exc)
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(exc, schedule.failures, delay)
            if sleep(delay) is True:
                raise


async def retry_async(
    call: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    *,
    sleep: AsyncSleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    rng: random.Random | None = None,
    is_retriable: Callable[[BaseException], bool] = retriable,
    on_retry: OnRetry | None = None,
) -> T:
    """:func:`retry` for coroutines: ``await call()`` until it returns, same rules."""
    schedule = Schedule(policy, clock=clock, rng=rng, is_retriable=is_retriable)
    while True:
        try:
            return await call()
        except Exception as exc:
            delay = schedule.after(exc)
            if delay is None:
                raise
            if on_retry is not None:
                on_retry(exc, schedule.failures, delay)
            if await sleep(delay) is True:
                raise
