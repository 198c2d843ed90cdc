"""The parser against the peers' own published cases: rsyslog's testbench (RFC 3164 and RFC 5424) and
a strict RFC 5424 parser's valid and invalid messages. The table, its sources and what "agree"
means for each group are in tests/support/syslog_peers.py; ``bench/syslog_agreement.py`` prints the
same figures (and those of another parser version beside them)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from support.syslog_peers import CASES, GROUPS, Case, agreement, differences

from grokpipe.shipper.syslog.parser import SyslogParser

NOW = datetime(2026, 8, 31, 6, 30, tzinfo=UTC)


def parser() -> SyslogParser:
    return SyslogParser("UTC", now=lambda: NOW)


def test_the_table_is_large_enough_and_covers_every_group() -> None:
    assert len(CASES) >= 100
    assert {case.group for case in CASES} == set(GROUPS)


@pytest.mark.parametrize(
    "case",
    [pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=c.differs)) if c.differs else c for c in CASES],
    ids=[c.name for c in CASES],
)
def test_agrees_with_the_peer(case: Case) -> None:
    event = parser().parse(case.frame)
    assert differences(case, event) == [], case.source


def test_agreement_per_group_is_at_least_95_percent() -> None:
    result = agreement(parser().parse)
    for group, (agree, total) in result.items():
        assert agree / total >= 0.95, f"{group}: {agree}/{total}"


@pytest.mark.parametrize("case", [c for c in CASES if c.group == "RFC 5424 invalid"], ids=lambda c: c.name)
def test_nothing_the_peer_refuses_is_dropped(case: Case) -> None:
    event, original = parser().parse_text(case.frame)
    assert original == case.frame.decode(errors="replace")
    assert isinstance(event["message"], str)
