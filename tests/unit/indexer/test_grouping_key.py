"""error.grouping_key: stable across occurrences, distinct across errors."""

from __future__ import annotations

import pytest

from indexer.processors import grouping_key, normalise_message


@pytest.mark.parametrize(
    ("message", "normalised"),
    [
        ("Allowed memory size of 134217728 bytes exhausted", "Allowed memory size of <id> bytes exhausted"),
        ("tried to allocate 20480 bytes", "tried to allocate <n> bytes"),
        ('Undefined array key "discount"', "Undefined array key <v>"),
        ("Object 0x7f3a9c2b1d00 freed twice", "Object <id> freed twice"),
        ("request 9f86d081884c7d65 failed", "request <id> failed"),
        ("user 'bob'   not   found", "user <v> not found"),
        ("Call to a member function getTotal() on null", "Call to a member function getTotal() on null"),
    ],
)
def test_normalise_message(message: str, normalised: str) -> None:
    assert normalise_message(message) == normalised


def test_same_error_same_key_whatever_the_values() -> None:
    a = grouping_key("Fatal error", "Allowed memory size of 134217728 bytes exhausted (tried 20480)", "/a.php", 210)
    b = grouping_key("Fatal error", "Allowed memory size of 268435456 bytes exhausted (tried 65536)", "/a.php", "210")
    assert a == b


@pytest.mark.parametrize(
    "other",
    [
        ("Warning", "Allowed memory size of 1 bytes exhausted (tried 2)", "/a.php", 210),
        ("Fatal error", "Maximum execution time exceeded", "/a.php", 210),
        ("Fatal error", "Allowed memory size of 1 bytes exhausted (tried 2)", "/b.php", 210),
        ("Fatal error", "Allowed memory size of 1 bytes exhausted (tried 2)", "/a.php", 211),
    ],
)
def test_any_part_changing_changes_the_key(other: tuple[str, str, str, int]) -> None:
    base = grouping_key("Fatal error", "Allowed memory size of 1 bytes exhausted (tried 2)", "/a.php", 210)
    assert grouping_key(*other) != base


def test_key_is_stable_across_releases() -> None:
    # a saved key: changing the hash breaks every saved alert and dashboard that groups by it
    key = grouping_key("Error", "Call to a member function getTotal() on null", "/var/www/shop/src/Cart.php", 57)
    assert key == "8d654e88023f27f3eaef968ed18df93f"
