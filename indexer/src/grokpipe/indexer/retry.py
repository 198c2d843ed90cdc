"""Classifying a bulk response: which items are settled, which to retry, which to dead-letter.

Pure functions, table-tested against real responses. A ``create`` that conflicts (409) means the
document with that id is already indexed: a re-delivery, so it counts as settled. How long to wait
before sending again is :mod:`grokpipe.retry`'s one formula.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from grokpipe.retry import Backoff

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass
class Outcome:
    settled: list[int] = field(default_factory=list)  #: indexed (201) or already there (409)
    duplicates: int = 0  #: of ``settled``, how many were 409s
    retry: list[int] = field(default_factory=list)  #: 429 / 5xx: send again
    dead: list[tuple[int, int, dict[str, Any]]] = field(default_factory=list)  #: (item, status, error)


def classify(items: list[dict[str, Any]]) -> Outcome:
    outcome = Outcome()
    for index, item in enumerate(items):
        (result,) = item.values()
        status = int(result.get("status", 0))
        if 200 <= status < 300:
            outcome.settled.append(index)
        elif status == 409:
            outcome.settled.append(index)
            outcome.duplicates += 1
        elif status in RETRY_STATUSES or status == 0:
            outcome.retry.append(index)
        else:
            outcome.dead.append((index, status, result.get("error") or {}))
    return outcome


def bulk_backoff(initial: float = 0.5, cap: float = 30.0) -> Backoff:
    """The bulk writer's backoff: the shared formula, keeping the upper half of each interval random
    ("equal jitter") so an outage of the whole cluster is not hammered by near-zero waits."""
    return Backoff(initial=initial, cap=cap, jitter=0.5)


def backoff(attempt: int, base: float = 0.5, cap: float = 30.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before bulk try ``attempt + 1``, in ``[ceiling / 2, ceiling]``."""
    return bulk_backoff(base, cap).delay(attempt, rng)
