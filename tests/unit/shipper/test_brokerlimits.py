"""The record limit is the smallest of the configured one and what the topic and brokers state."""

from __future__ import annotations

import pytest

from grokpipe.shipper.brokerlimits import record_limit


@pytest.mark.parametrize(
    ("configured", "found", "expected"),
    [
        (1_000_000, [], 1_000_000),  # nothing stated
        (1_000_000, ["1048588"], 1_000_000),  # Kafka's default topic limit is above librdkafka's
        (1_000_000, ["1048588", "524288"], 524_288),  # a broker states less
        (1_000_000, [None, "", "x", "-1", "0"], 1_000_000),  # missing or meaningless values are ignored
        (2_000_000, ["1048588", None], 1_048_588),
    ],
)
def test_record_limit(configured: int, found: list[str | None], expected: int) -> None:
    assert record_limit(configured, found) == expected
