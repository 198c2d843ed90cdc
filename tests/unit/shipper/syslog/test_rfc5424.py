"""Which RFC 5424 rules a header or structured data breaks, by the rule's name."""

from __future__ import annotations

from typing import Any

import pytest

from grokpipe.shipper.syslog.rfc5424 import first_broken_rule, header_violations, structured_data


@pytest.mark.parametrize(
    ("pri", "conforms", "fields", "rules"),
    [
        ("13", True, ("host", "app", "42", "ID1"), []),
        ("013", True, ("host", "app", "42", "ID1"), ["PRI"]),
        ("0", True, ("-", "-", "-", "-"), []),
        ("13", False, ("-", "-", "-", "-"), ["TIMESTAMP"]),
        ("13", True, ("h" * 256, "a" * 49, "p" * 129, "m" * 33), ["HOSTNAME", "APP-NAME", "PROCID", "MSGID"]),
        ("13", True, ("h" * 255, "a" * 48, "p" * 128, "m" * 32), []),
        ("13", True, ("höst", "app", "-", "-"), ["HOSTNAME"]),
        ("13", True, ("host", "a\x01p", "-", "-"), ["APP-NAME"]),
    ],
)
def test_header_violations(pri: str, conforms: bool, fields: tuple[str, str, str, str], rules: list[str]) -> None:
    assert header_violations(pri, conforms, fields) == rules


@pytest.mark.parametrize(
    ("pri", "after_pri", "rule"),
    [
        ("1", "1 ", "TIMESTAMP"),
        ("1", "1 2003-11-02T23:12:46.012345", "TIMESTAMP"),  # no offset
        ("1", "1 - host\nname - - - -", "HOSTNAME"),
        ("1", "1 - - - - m\nid -", "MSGID"),
        ("1", "1 - - - -", "MSGID"),
        ("002", "122 2018-11-22", "PRI"),
        ("1", "1", None),  # no VERSION SP: not an RFC 5424 frame
        ("1", "Nov 23 06:00:00 h app: m", None),
        ("1", "1000 2018-11-22", None),
    ],
)
def test_first_broken_rule(pri: str, after_pri: str, rule: str | None) -> None:
    assert first_broken_rule(pri, after_pri) == rule


@pytest.mark.parametrize(
    ("sd", "elements", "message", "raw", "rules"),
    [
        ('[a@1 k="v"] m', {"a@1": {"k": "v"}}, "m", None, []),
        ('[a@1 k="v\\"\\]\\\\"]', {"a@1": {"k": 'v"]\\'}}, "", None, []),
        ("[a][a]", {"a": [{}, {}]}, "", None, ["SD-ID-duplicate"]),
        ('[a k="]"]', {"a": {"k": "]"}}, "", None, ["PARAM-VALUE"]),
        ('[a k="c:\\temp"]', {"a": {"k": "c:\\temp"}}, "", None, ["PARAM-VALUE"]),
        ('[a k= "v"] m', {}, "m", '[a k= "v"]', ["PARAM-VALUE"]),
        ("[a " + "n" * 33 + '="v"]', {"a": {"n" * 33: "v"}}, "", None, ["PARAM-NAME"]),
        ("[" + "i" * 33 + "]", {"i" * 33: {}}, "", None, ["SD-ID"]),
        ("[]", {}, "", "[]", ["SD-ID"]),
        ("[a]x", {"a": {}}, "x", None, ["STRUCTURED-DATA"]),
    ],
)
def test_structured_data(sd: str, elements: dict[str, Any], message: str, raw: str | None, rules: list[str]) -> None:
    assert structured_data(sd) == (elements, message, raw, rules)


def test_an_element_that_never_ends_is_no_structured_data() -> None:
    assert structured_data('[a k="never closed] m') is None
