"""The ip step: an address Elasticsearch's ``ip`` type takes goes to source.ip, anything else to
source.domain (a document with a bad ip would be refused whole and land in the dead letters)."""

from __future__ import annotations

from typing import Any

import pytest

from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY
from grokpipe.indexer.processors import Context, Ip, is_ip

IPS = [
    "192.0.2.1",
    "0.0.0.0",
    "255.255.255.255",
    "::1",
    "::",
    "2001:db8::1",
    "2001:DB8:0:0:8:800:200C:417A",
    "fe80::1",
    "::ffff:192.0.2.1",  # IPv4-mapped
    "64:ff9b::192.0.2.33",
]
NOT_IPS = [
    "999.1.1.1",  # the old regex took any three digits
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",  # a leading zero: octal or decimal? Elasticsearch refuses it too
    "192.0.2.1:8080",
    "[2001:db8::1]",
    "2001:db8::1::2",
    "2001:db8:::1",
    "fe80::1%eth0",  # a zone
    "12345::1",
    ":",
    "::g",
    "example.com",
    "localhost",
    "unix:",
    " 192.0.2.1",
]


@pytest.mark.parametrize(("text", "expected"), [(t, True) for t in IPS] + [(t, False) for t in NOT_IPS])
def test_is_ip(text: str, expected: bool) -> None:
    assert is_ip(text) is expected
    assert is_ip(text) is expected  # and again, from the cache


@pytest.fixture(scope="module")
def step() -> Ip:
    context = Context(PatternLibrary.from_dirs([DEFAULT_LIBRARY / "patterns"]), 0.25, "UTC")
    return Ip({"field": "source.address"}, context)


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("192.0.2.1", {"source": {"ip": "192.0.2.1"}}),
        ("2001:db8::1", {"source": {"ip": "2001:db8::1"}}),
        ("999.1.1.1", {"source": {"domain": "999.1.1.1"}}),
        ("unix:", {"source": {"domain": "unix:"}}),
        ("web-1.lan", {"source": {"domain": "web-1.lan"}}),
        ("-", {"source": {}}),  # nothing known: neither
        ("", {"source": {}}),
        (7, {"source": {}}),
    ],
)
def test_the_step_routes_by_address(step: Ip, address: object, expected: dict[str, Any]) -> None:
    event: dict[str, Any] = {"source": {"address": address}}
    step(event)
    assert event == expected
