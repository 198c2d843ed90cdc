"""Failed key attempts per source address (pure, on a fake clock)."""

from __future__ import annotations

import pytest

from grokpipe.api.attempts import FailedAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# (events, expected retry_after for "a" at the end); "f" = a failure of "a", "g" = of "b", a number = seconds pass
CASES = [
    ([], None),
    (["f", "f"], None),
    (["f", "f", "f"], 60.0),
    (["f", 10, "f", 10, "f"], 40.0),
    (["f", 10, "f", 10, "f", 40.0], None),  # the first failure left the window
    (["f", 10, "f", 10, "f", 39.5], 0.5),
    (["g", "g", "g", "f"], None),  # another address's failures are its own
    (["f", "f", 61, "f"], None),
    (["f", "f", "f", "f", "f", 59], 1.0),  # failures while refused keep the newest three
]


@pytest.mark.parametrize(("events", "expected"), CASES)
def test_retry_after(events: list[str | float], expected: float | None) -> None:
    clock = Clock()
    attempts = FailedAttempts(3, 60.0, clock=clock)
    for event in events:
        if event == "f":
            attempts.failed("a")
        elif event == "g":
            attempts.failed("b")
        else:
            assert isinstance(event, float | int)
            clock.now += event
    assert attempts.retry_after("a") == (pytest.approx(expected) if expected is not None else None)


def test_the_table_of_addresses_is_bounded() -> None:
    clock = Clock()
    attempts = FailedAttempts(1, 60.0, clock=clock, max_sources=2)
    for source in ("a", "b", "c"):
        attempts.failed(source)
    assert attempts.retry_after("a") is None  # the least recent address was forgotten
    assert attempts.retry_after("b") == attempts.retry_after("c") == 60.0
