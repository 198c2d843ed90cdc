"""Which source a stream connection counts against, and which connection gives way when a listener is full."""

from __future__ import annotations

import pytest

from grokpipe.shipper.syslog.sources import Held, shed_candidate, source_key


@pytest.mark.parametrize(
    ("address", "source"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # a v4 client on a dual-stack socket
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),  # one host holds a whole /64
        ("2001:db8:1:2::9", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::9", "2001:db8:1:3::/64"),
        ("fe80::1%eth0", "fe80::/64"),
        ("not an address", "not an address"),
    ],
)
def test_source_key(address: str, source: str) -> None:
    assert source_key(address) == source


NOW = 100.0
SILENT = NOW - 5  # silent for 5 s
BUSY = NOW - 0.1  # read 0.1 s ago


@pytest.mark.parametrize(
    ("name", "held", "newcomer", "expected"),
    [
        ("one source holds every slot: its longest-silent connection goes",
         [Held("a", SILENT, 0), Held("a", SILENT - 9, 0), Held("a", BUSY, 0)], "b", 1),
        ("the busiest source gives way, not a smaller one",
         [Held("a", SILENT - 9, 0), Held("b", SILENT, 0), Held("b", SILENT, 0), Held("b", SILENT, 0)], "c", 1),
        ("a connection holding part of a message is never shed",
         [Held("a", SILENT, 5), Held("a", SILENT, 5)], "b", None),
        ("a connection that read within QUIET is never shed", [Held("a", BUSY, 0), Held("a", BUSY, 0)], "b", None),
        ("the busiest cannot spare one: the next busiest that can does",
         [Held("a", BUSY, 0), Held("a", BUSY, 0), Held("a", BUSY, 0), Held("b", SILENT, 0), Held("b", SILENT, 0)],
         "c", 3),
        ("every source has one connection: refuse rather than swap one sender for another",
         [Held("a", SILENT, 0), Held("b", SILENT, 0)], "c", None),
        ("never evict a source for one that would then hold more", [Held("a", SILENT, 0), Held("a", SILENT, 0),
         Held("b", SILENT, 0)], "b", None),
        ("a newcomer from a source that already holds one: the busiest gives way only if it holds two more",
         [Held("a", SILENT, 0), Held("b", SILENT, 0), Held("b", SILENT, 0), Held("b", SILENT, 0)], "a", 1),
        ("nothing open", [], "a", None),
    ],
)  # fmt: skip
def test_shed_candidate(name: str, held: list[Held], newcomer: str, expected: int | None) -> None:
    assert shed_candidate(held, newcomer, NOW) == expected
