"""The syslog joiner's decisions (pure) and its acknowledgements (records of an event settle together)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import orjson
import pytest

from grokpipe.multiline import Continuation
from grokpipe.shipper.syslog.joiner import (
    _NEVER_CONTINUES,
    TICK_KEY,
    JoiningPublish,
    LineClassifier,
    StreamJoiner,
    hint_key,
    kafka_key,
    receive_time,
    stream_id,
    tick,
)

PY_TRACE = [
    "ERROR in app: Exception on /boom [GET]",
    "Traceback (most recent call last):",
    '  File "/app/app.py", line 12, in boom',
    "    return 1 / 0",
    "ZeroDivisionError: division by zero",
    "",
    "During handling of the above exception, another exception occurred:",
    "",
    "Traceback (most recent call last):",
    '  File "/app/app.py", line 14, in boom',
    "    raise ValueError('bad')",
    "ValueError: bad",
]
JAVA_TRACE = [
    "2026-12-07 10:00:00.000 ERROR 1 --- [main] c.e.App : request failed",
    "java.lang.IllegalStateException: outer",
    "\tat com.example.App.run(App.java:10)",
    "\tat com.example.App.main(App.java:5)",
    "Caused by: java.lang.NullPointerException: inner",
    "\tat com.example.Dao.load(Dao.java:42)",
    "\t... 2 more",
    "\tSuppressed: java.io.IOException: close failed",
    "\t\tat com.example.Dao.close(Dao.java:50)",
]
PHP_TRACE = [
    "PHP Fatal error:  Uncaught Exception: boom in /app/index.php:3",
    "Stack trace:",
    "#0 /app/index.php(7): f()",
    "#1 {main}",
    "  thrown in /app/index.php on line 3",
]


def record(message: str, *, app: str = "web", host: str = "dockerhost", at: float = 0.0, procid: str = "812") -> bytes:
    millis = round(at * 1000)
    created = f"2026-12-07T10:00:{millis // 1000:02d}.{millis % 1000:03d}Z"
    return orjson.dumps(
        {
            "message": message,
            "event": {"id": f"id-{app}-{message[:20]}-{at}", "created": created, "original": f"<30>{message}"},
            "log": {"syslog": {"hostname": host, "appname": app, "procid": procid}},
        }
    )


def messages(out: Sequence[tuple[bytes, bytes, Any]]) -> list[str]:
    return [orjson.loads(value)["message"] for _, value, _ in out]


def run(joiner: StreamJoiner, lines: list[tuple[str, str, float]]) -> list[tuple[bytes, bytes, Any]]:
    out: list[tuple[bytes, bytes, Any]] = []
    for seq, (app, line, at) in enumerate(lines):
        out.extend(joiner.push(seq, app.encode(), record(line, app=app, at=at)))
    return out


def auto(timeout: float = 5.0, max_lines: int = 500) -> StreamJoiner:
    return StreamJoiner.preset("auto", timeout=timeout, max_lines=max_lines)


@pytest.mark.parametrize(
    ("preset", "lines"),
    [("python", PY_TRACE), ("java", JAVA_TRACE), ("php", PHP_TRACE), ("auto", PY_TRACE), ("auto", JAVA_TRACE),
     ("auto", PHP_TRACE)],
)  # fmt: skip
def test_a_trace_is_one_event(preset: str, lines: list[str]) -> None:
    joiner = StreamJoiner.preset(preset, timeout=5, max_lines=500)
    out = run(joiner, [("web", line, 0.001 * i) for i, line in enumerate(lines)])
    out += run(joiner, [("web", "GET /health 200", 0.5)])
    assert messages(out) == ["\n".join(lines)]
    event = orjson.loads(out[0][1])
    assert event["tags"] == ["multiline"]
    assert event["event"]["id"] == orjson.loads(record(lines[0], at=0.0))["event"]["id"]
    assert event["event"]["original"] == "\n".join(f"<30>{line}" for line in lines)
    assert out[0][2] == list(range(len(lines)))
    assert joiner.pending == 1  # the health line waits for its stream's next line or a tick


def test_interleaved_streams_never_mix() -> None:
    joiner = auto()
    lines = []
    for i, (a, b) in enumerate(itertools.zip_longest(PY_TRACE, JAVA_TRACE)):
        lines += [(app, line, 0.01 * i) for app, line in (("py", a), ("java", b)) if line is not None]
    out = run(joiner, lines) + joiner.flush()
    assert sorted(messages(out)) == sorted(["\n".join(PY_TRACE), "\n".join(JAVA_TRACE)])


def test_same_app_other_host_or_procid_is_another_stream() -> None:
    joiner = auto()
    out = list(joiner.push(0, b"k", record("Traceback (most recent call last):", host="a")))
    out += joiner.push(1, b"k", record('  File "x.py", line 1, in f', host="b"))
    out += joiner.push(2, b"k", record("  continued", host="a", procid="9"))
    out += joiner.flush()
    assert len(out) == 3
    assert all(isinstance(seqs, int) for _, _, seqs in out)


@pytest.mark.parametrize(
    ("gaps", "expected"),
    [
        ([0.1, 0.1, 0.1], 1),  # within timeout: one event
        ([0.1, 1.5, 0.1], 2),  # a gap longer than timeout: the stream's event was complete
        ([1.0, 1.0], 1),  # exactly timeout still continues
    ],
)
def test_timeout_is_measured_on_receive_times(gaps: list[float], expected: int) -> None:
    joiner = auto(timeout=1.0)
    at, lines = 0.0, [("web", "Traceback (most recent call last):", 0.0)]
    for gap in gaps:
        at += gap
        lines.append(("web", "  frame", at))
    out = run(joiner, lines) + joiner.flush()
    assert len(out) == expected


def test_another_streams_later_message_completes_a_quiet_stream() -> None:
    joiner = auto(timeout=1.0)
    out = run(joiner, [("a", "Traceback (most recent call last):", 0.0), ("a", "  frame", 0.1), ("b", "x", 2.0)])
    assert messages(out) == ["Traceback (most recent call last):\n  frame"]


def test_ticks_complete_quiet_streams_and_flush_completes_all() -> None:
    joiner = auto(timeout=1.0)
    run(joiner, [("a", "one", 0.0), ("b", "two", 0.8)])
    base = receive_time("2026-12-07T10:00:00.000Z")
    assert joiner.tick(tick(base + 500)[1]) == []
    assert messages(joiner.tick(tick(base + 1000)[1])) == ["one"]
    assert messages(joiner.tick(tick(None)[1])) == ["two"]
    assert joiner.pending == 0


def test_max_lines_sends_the_event_and_the_next_line_starts_another() -> None:
    joiner = auto(max_lines=3)
    lines = [("web", "Traceback (most recent call last):", 0.0)] + [("web", f"  frame {i}", 0.01) for i in range(5)]
    out = run(joiner, lines) + joiner.flush()
    assert [len(m.split("\n")) for m in messages(out)] == [3, 3]


def test_a_trace_that_never_ends_is_bounded() -> None:
    joiner = auto(max_lines=100)
    out = run(joiner, [("web", "Traceback (most recent call last):", 0.0)])
    out += run(joiner, [("web", "  frame", 0.0)] * 1000)
    assert joiner.pending <= 1
    assert all(len(m.split("\n")) <= 100 for m in messages(out))


def test_what_is_not_an_event_passes_unchanged() -> None:
    joiner = auto()
    for value in (b"not json", b"[1]", orjson.dumps({"message": 1})):
        assert joiner.push(0, b"k", value) == [(b"k", value, 0)]


def test_a_message_alone_keeps_its_spooled_bytes() -> None:
    joiner = auto()
    value = record("GET / 200")
    joiner.push(0, b"k", value)
    assert joiner.flush() == [(b"k", value, 0)]


class FakePublisher:
    """The publisher's publish_many: keeps each batch; :meth:`deliver` acknowledges the ``n``-th record
    handed over, as Kafka would (``settled(first + i)``)."""

    def __init__(self) -> None:
        self.sent: list[tuple[bytes, bytes]] = []
        self.first: list[int] = []
        self._reports: list[tuple[Any, int]] = []

    def __call__(self, records: Sequence[tuple[bytes, bytes, *tuple[int, ...]]], first: int, settled: Any) -> None:
        self.first.append(first)
        for i, record in enumerate(records):
            self.sent.append((record[0], record[1]))
            self._reports.append((settled, first + i))

    def deliver(self, n: int) -> None:
        settled, number = self._reports[n]
        settled(number)


def test_an_event_acknowledges_every_record_it_joined_and_ticks_settle_at_once() -> None:
    publisher, acked = FakePublisher(), list[int]()
    join = JoiningPublish(publisher, auto(timeout=1.0))
    trace = [(b"web", record(line, at=0.01 * i)) for i, line in enumerate(PY_TRACE[:5])]
    join(trace, 10, acked.append)
    assert publisher.sent == []
    assert acked == []
    join([(b"web", record("next", at=0.2)), tick(None)], 15, acked.append)
    assert acked == [16]  # the tick
    assert len(publisher.sent) == 2
    publisher.deliver(1)  # "next", a record alone: acknowledged as the spool's own
    assert acked == [16, 15]
    publisher.deliver(0)  # the traceback: all five records
    assert acked == [16, 15, 10, 11, 12, 13, 14]


def test_consecutive_single_records_go_as_one_batch_of_the_spools_numbers() -> None:
    publisher, acked = FakePublisher(), list[int]()
    join = JoiningPublish(publisher, auto(timeout=1.0))
    join([(b"k", record(f"line {i}", app=f"app{i % 3}", at=0.001 * i)) for i in range(9)], 100, acked.append)
    assert publisher.first == [100]  # lines 0-5 completed by 3-8, in order
    assert len(publisher.sent) == 6
    for n in range(6):
        publisher.deliver(n)
    assert acked == [100, 101, 102, 103, 104, 105]


def test_without_multiline_recovered_ticks_are_dropped_and_later_records_pass() -> None:
    publisher, acked = FakePublisher(), list[int]()
    join = JoiningPublish(publisher, None)
    join.recovered = 2
    join([(b"k", b"{}"), (TICK_KEY, b"1.0")], 0, acked.append)
    assert publisher.sent == [(b"k", b"{}")]
    assert acked == [1]
    publisher.deliver(0)
    assert acked == [1, 0]
    join([(b"k", b"{}")], 2, acked.append)
    assert publisher.first[-1] == 2  # passed as it came


def test_unparsed_frames_and_a_single_leading_space_do_not_join() -> None:
    joiner = auto()
    unparsed = orjson.dumps({"message": "  garbage", "event": {"id": "x"}, "tags": ["_syslogparsefailure"]})
    assert joiner.push(0, b"k", unparsed) == [(b"k", unparsed, 0)]
    out = run(joiner, [("relayed", " via rsyslog 1", 0.0), ("relayed", " via rsyslog 2", 0.0)]) + joiner.flush()
    assert messages(out) == [" via rsyslog 1", " via rsyslog 2"]


def test_hinted_records_decide_as_decoded_ones_and_reach_kafka_without_the_hint() -> None:
    """The input's hint (stream, continues, receive time) must give the joins decoding gives: a spool
    holding both (written before and after an upgrade) joins across them."""
    classify = LineClassifier("auto")
    lines = [("py", line, 0.01 * i) for i, line in enumerate(PY_TRACE)] + [("java", JAVA_TRACE[0], 0.2)]
    lines += [("py", "next", 0.3), ("java", JAVA_TRACE[1], 0.3), ("py", "  late", 9.0)]
    plain, hinted = auto(timeout=1.0), auto(timeout=1.0)
    out_plain: list[Any] = []
    out_hinted: list[Any] = []
    for seq, (app, line, at) in enumerate(lines):
        value = record(line, app=app, at=at)
        event = orjson.loads(value)
        syslog = event["log"]["syslog"]
        stream = stream_id(syslog["hostname"], None, syslog["appname"], syslog["procid"])
        key = hint_key(app.encode(), stream, classify(line), receive_time(event["event"]["created"]))
        out_plain += plain.push(seq, app.encode(), value)
        out_hinted += hinted.push(seq, key, value) if seq % 2 else hinted.push(seq, app.encode(), value)
    out_plain += plain.flush()
    out_hinted += hinted.flush()
    assert out_hinted == out_plain
    assert len(out_plain) == 4  # the traceback, the two java lines, "next", "  late" (after the timeout)
    assert kafka_key(hint_key(b"h|web", b"s", b"c", 1)) == b"h|web"


TRACE_HEAD = ["Traceback (most recent call last):", '  File "/app/x.py", line 1, in f', "    abort(404)"]


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        # an exception whose name the preset does not know ends the traceback it follows
        ([*TRACE_HEAD, "werkzeug.exceptions.NotFound: 404 Not Found", "GET / 200"], 4),
        ([*TRACE_HEAD, "app.Stop"], 4),
        ([*TRACE_HEAD, "app.Stop: 1", "INFO: next"], 4),
        # ... but nothing that looks like one elsewhere
        (["GET / 200", "Handling signal: term"], 1),
    ],
)
def test_a_traceback_ends_with_any_exception_name(lines: list[str], joined: int) -> None:
    joiner = auto()
    out = run(joiner, [("web", line, 0.0) for line in lines]) + joiner.flush()
    assert messages(out) == ["\n".join(lines[:joined]), *lines[joined:]]


def test_the_first_character_shortcut_agrees_with_the_presets() -> None:
    for preset in ("auto", "python", "java", "php_trace"):
        continues = Continuation.preset(preset).continues
        for first in _NEVER_CONTINUES:
            for rest in ("", " more", "Error: x", "\tat a.B.c(B.java:1)", ": x"):
                assert not continues(first + rest), (preset, first + rest)
