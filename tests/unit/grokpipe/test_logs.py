"""Our own logs: the throttle (one warning per message per interval, info always through) and the
format (JSON lines, or readable text when stderr is a terminal)."""

from __future__ import annotations

import io
import logging
import os
import re
import sys
from typing import TextIO

import orjson
import pytest
from pydantic import SecretStr

from grokpipe.logs import ENV, LogFormatError, TextFormatter, Throttle, choose_format, setup, text_value


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


# -- the format: JSON lines, or readable text on a terminal --------------------------------------


class Terminal(io.StringIO):
    """A stream that says it is a terminal (what a pty's isatty says)."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("setting", "stream", "expected"),
    [
        ("auto", Terminal(), "text"),
        ("auto", io.StringIO(), "json"),
        ("AUTO ", Terminal(), "text"),
        ("json", Terminal(), "json"),
        ("text", io.StringIO(), "text"),
        ("Text", io.StringIO(), "text"),
        ("auto", object(), "json"),  # no isatty at all
    ],
)
def test_choose_format(setting: str, stream: TextIO, expected: str) -> None:
    assert choose_format(setting, stream) == expected


def test_a_real_pty_is_a_terminal() -> None:
    master, slave = os.openpty()
    try:
        with os.fdopen(slave, "w", closefd=False) as stream:
            assert choose_format("auto", stream) == "text"
    finally:
        os.close(master)
        os.close(slave)


def test_an_unknown_format_names_the_variable() -> None:
    with pytest.raises(LogFormatError, match="GROKPIPE_LOG_FORMAT must be json, text or auto, not 'yaml'"):
        choose_format("yaml", io.StringIO())


def emit(monkeypatch: pytest.MonkeyPatch, env: str | None, stream: io.StringIO, **extra: object) -> str:
    if env is None:
        monkeypatch.delenv(ENV, raising=False)
    else:
        monkeypatch.setenv(ENV, env)
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup("INFO", stream=stream)
        logging.getLogger("grokpipe.test").warning("Kafka unavailable", extra=extra)
    finally:
        root.handlers[:], root.level = saved
    return stream.getvalue()


def test_setup_writes_json_lines_when_not_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = emit(monkeypatch, None, io.StringIO(), retry_in=1.5, password=SecretStr("hunter2"))
    doc = orjson.loads(out)
    assert (doc["log.level"], doc["log.logger"], doc["message"]) == ("warning", "grokpipe.test", "Kafka unavailable")
    assert (doc["retry_in"], doc["password"]) == (1.5, "**********")
    assert "hunter2" not in out


def test_setup_writes_text_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    out = emit(monkeypatch, None, Terminal(), retry_in=1.5, password=SecretStr("hunter2"))
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} WARNING grokpipe\.test: Kafka unavailable retry_in=1\.5 password=\*{10}\n", out
    )


def test_the_variable_overrides_auto(monkeypatch: pytest.MonkeyPatch) -> None:
    assert orjson.loads(emit(monkeypatch, "json", Terminal()))["message"] == "Kafka unavailable"
    assert "WARNING grokpipe.test: Kafka unavailable" in emit(monkeypatch, "text", io.StringIO())


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("plain", "plain"),
        ("/var/log/a.log", "/var/log/a.log"),
        ("two words", '"two words"'),
        ("", '""'),
        ('say "hi"', '"say \\"hi\\""'),
        ("a=b", '"a=b"'),
        ("line\nbreak", '"line\\nbreak"'),
        (3, "3"),
        (1.5, "1.5"),
        (True, "true"),
        (None, "null"),
        (["udp://127.0.0.1:5514", "tcp://127.0.0.1:5514"], '["udp://127.0.0.1:5514","tcp://127.0.0.1:5514"]'),
        ({"depth": 3}, '{"depth":3}'),
        (SecretStr("hunter2"), "**********"),
        (ValueError("no broker"), '"no broker"'),
    ],
)
def test_text_values(value: object, text: str) -> None:
    assert text_value(value) == text


def test_text_keeps_the_stack_trace() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("grokpipe.x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    first, *rest = TextFormatter().format(record).splitlines()
    assert first.endswith("ERROR   grokpipe.x: failed")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "RuntimeError: boom"
