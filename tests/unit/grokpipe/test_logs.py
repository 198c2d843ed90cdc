"""The log throttle: one warning per message per interval, info always through."""

from __future__ import annotations

import logging

from grokpipe.logs import Throttle


def record(level: int, msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("librdkafka", level, __file__, 1, msg, args, None)


def test_repeated_warnings_pass_once_per_interval_numbers_aside() -> None:
    throttle = Throttle(every=60)
    passed = [
        throttle.filter(record(logging.ERROR, "Connect to %s failed (after %dms)", "127.0.0.1:9092", n))
        for n in range(100)
    ]
    assert passed.count(True) == 1
    assert throttle.filter(record(logging.ERROR, "SSL handshake failed"))


def test_info_is_never_throttled() -> None:
    throttle = Throttle(every=60)
    assert all(throttle.filter(record(logging.INFO, "partitions assigned")) for _ in range(10))


def test_interval_elapsed_lets_it_through_again() -> None:
    throttle = Throttle(every=0)
    assert all(throttle.filter(record(logging.WARNING, "broker down")) for _ in range(3))
