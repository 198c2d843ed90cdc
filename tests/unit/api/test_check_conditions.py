"""The check condition language: parse errors (reason and position) and evaluation, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from grokpipe.api.checks.conditions import ConditionError, context_names, parse, parse_value
from grokpipe.api.checks.evaluate import MISSING, Response, check, value_of

BODY: dict[str, Any] = {
    "code": 0,
    "status": "UP",
    "data": {"usedCount": 12, "ssoSessionId": "abc123", "items": [{"id": 7}, {"id": 8}], "ok": True, "n": "42"},
}
RESPONSE = Response(
    status=200,
    response_time_ms=153.2,
    body=BODY,
    headers={"Content-Type": "application/json; charset=utf-8", "X-Request-Id": "r-1"},
    context={"before": 11, "session": "abc123", "name": "tts"},
)

PASSING = [
    "[STATUS] == 200",
    "[STATUS] != 500",
    "[STATUS] < 300",
    "[STATUS] <= 200",
    "[STATUS] >= 200",
    "[RESPONSE_TIME] < 2000",
    "[RESPONSE_TIME] > 0",
    "[BODY].code == 0",
    "[BODY].data.usedCount == [CONTEXT].before + 1",
    "[BODY].data.usedCount - [CONTEXT].before == 1",
    "[BODY].data.usedCount == ([CONTEXT].before + 1) * 2 - 12",
    "[BODY].data.usedCount / 4 == 3",
    "-[BODY].data.usedCount == -12",
    "[BODY].data.items[1].id == 8",
    "len([BODY].data.items) == 2",
    "len([BODY].data.ssoSessionId) == 6",
    "has([BODY].data.ok)",
    "[BODY].data.ok == true",
    "[BODY].status == UP",
    "[BODY].status == 'UP'",
    '[BODY].status == "UP"',
    "[BODY].status == any(UP, DEGRADED)",
    "[STATUS] == any(200, 201, 204)",
    "[BODY].data.ssoSessionId == pat(abc*)",
    "[BODY].data.ssoSessionId == pat('a?c*')",
    "[BODY].data.ssoSessionId != pat(zz*)",
    "[HEADERS].content-type == pat(application/json*)",
    "[HEADERS].X-REQUEST-ID == r-1",
    "[CONTEXT].session == [BODY].data.ssoSessionId",
    "[BODY].data.n == 42",
    "[BODY].data.n > 41.5",
    "[CONTEXT].name + '-v2' == 'tts-v2'",
    "1e3 == 1000",
]


@pytest.mark.parametrize("text", PASSING)
def test_passing_conditions(text: str) -> None:
    outcome = check(parse(text), RESPONSE)
    assert outcome.passed, outcome.detail


FAILING = [
    ("[STATUS] == 500", "200 == 500"),
    ("[BODY].data.usedCount == [CONTEXT].before + 2", "12 == 13"),
    ("[BODY].data.missing == 1", "[BODY].data.missing is missing"),
    ("[BODY].data.items[5].id == 1", "[BODY].data.items[5].id is missing"),
    ("[HEADERS].x-absent == 1", "[HEADERS].x-absent is missing"),
    ("has([BODY].data.nope)", "[BODY].data.nope is missing"),
    ("[BODY].status == any(DOWN, DEGRADED)", '"UP" == any("DOWN", "DEGRADED")'),
    ("[BODY].status > 3", '"UP" > 3: > needs numbers, got "UP"'),
    ("[BODY].code / 0 == 1", "division by zero"),
    ("len([BODY].code) == 1", "len() of a int"),
    ("[CONTEXT].absent + 1 == 2", "[CONTEXT].absent is missing"),
]


@pytest.mark.parametrize(("text", "detail"), FAILING)
def test_failing_conditions_say_why(text: str, detail: str) -> None:
    outcome = check(parse(text), RESPONSE)
    assert not outcome.passed
    assert outcome.detail == detail


def test_no_response_means_missing() -> None:
    empty = Response(status=None, response_time_ms=None, body=MISSING, headers={}, context={})
    assert check(parse("[STATUS] == 200"), empty).detail == "[STATUS] is missing"
    assert value_of(parse_value("[BODY].a"), empty) is MISSING


ERRORS = [
    ("", "empty condition", 0),
    ("[STATUS] = 200", "'=' is not an operator; use '=='", 9),
    ("[STATUS] == ", "expected a value, found the end", 12),
    ("[STATUS] ==", "expected a value, found the end", 11),
    ("[FOO] == 1", "unknown placeholder '[FOO]'; use [STATUS], [RESPONSE_TIME], [BODY], [HEADERS], [CONTEXT]", 0),
    ("[STATUS] == 200 200", "unexpected '200'", 16),
    ("[STATUS] == 200 == 200", "comparisons cannot be chained", 16),
    ("[BODY].a. == 1", "expected a name after '.'", 9),
    ("[BODY].a[x] == 1", "expected a list index like [0]", 8),
    ("[HEADERS] == 1", "[HEADERS] needs one name, like [HEADERS].name", 0),
    ("[CONTEXT].a.b == 1", "[CONTEXT] needs one name, like [CONTEXT].name", 0),
    ("len(1, 2) == 1", "len() takes one argument", 0),
    ("has(1)", "has() takes a placeholder like [BODY].a.b", 0),
    ("eval([BODY]) == 1", "unknown function 'eval'; use len, has, any, pat", 0),
    ("[BODY].a == 'open", "unterminated string", 12),
    ("([STATUS] == 200", "expected ')', found '=='", 10),
    ("[STATUS] == 200 && [BODY].a == 1", "unexpected character '&'", 16),
    ("[STATUS]", "a condition compares two values (==, !=, <, <=, >, >=) or calls has()", 0),
    ("[BODY].a + 1", "a condition compares two values (==, !=, <, <=, >, >=) or calls has()", 0),
    ("[STATUS] == pat(2*", "pat( is not closed", 15),
    ("__import__('os') == 1", "unknown function '__import__'; use len, has, any, pat", 0),
]


@pytest.mark.parametrize(("text", "reason", "position"), ERRORS)
def test_parse_errors_have_reason_and_position(text: str, reason: str, position: int) -> None:
    with pytest.raises(ConditionError) as caught:
        parse(text)
    assert (caught.value.reason, caught.value.position) == (reason, position)


@pytest.mark.parametrize(
    ("text", "value"),
    [("[BODY].data.ssoSessionId", "abc123"), ("[BODY].data.items[0]", {"id": 7}), ("[CONTEXT].before + 1", 12)],
)
def test_store_expressions(text: str, value: Any) -> None:
    assert value_of(parse_value(text), RESPONSE) == value


def test_context_names() -> None:
    assert context_names(parse("[BODY].a == [CONTEXT].before + len([CONTEXT].x)").root) == {"before", "x"}
    assert context_names(parse("[STATUS] == 200").root) == set()
