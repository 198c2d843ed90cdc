"""The collector settings of a long-running hot path (a shipper, a syslog worker).

Every syslog message allocates a dozen dicts and lists that live for microseconds, so CPython's
default (a young collection every 700 allocations, each walking everything still young, including
the records awaiting Kafka's acknowledgement) ran every ~60 messages and took a fifth of the
shipper's CPU. Nothing on these paths relies on prompt cycle collection: young collections every
50,000 allocations, and what start-up loaded frozen out of the older generations' rounds.
"""

from __future__ import annotations

import gc

YOUNG = 50_000  # allocations between young collections (CPython's default: 700)


def settle() -> None:
    """Call once start-up is done."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG, older, oldest)
