"""Request values every route reads the same way, validated at the edge so a client's mistake is a 422
with a reason, never a 500 or a 502 from deeper down.

- :data:`Paging`: ``offset`` and ``limit`` of a listing. Elasticsearch refuses ``from + size`` past its
  ``index.max_result_window`` (10,000 by default), so ``offset + limit`` over :data:`MAX_WINDOW` is refused
  here, naming both; narrower filters reach older items.
- :data:`Moment`: a date and time in ISO 8601 (``2026-01-05T12:00:00Z``, ``2026-01-05``). pydantic would
  also read a number as seconds since 1970 (``until=0.5``): a number is refused, so a typo is not a date.
  An aware moment is turned to UTC, so what reaches Elasticsearch has an offset it takes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, NamedTuple

from fastapi import Depends, Query
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BeforeValidator

MAX_WINDOW = 10_000
MAX_LIMIT = 500
_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


class Window(NamedTuple):
    offset: int
    limit: int


def paging(
    offset: Annotated[
        int, Query(ge=0, le=MAX_WINDOW - 1, description=f"items to skip; offset + limit at most {MAX_WINDOW:,}")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 50,
) -> Window:
    if offset + limit > MAX_WINDOW:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "offset"),
                    "msg": f"offset + limit must be at most {MAX_WINDOW:,} (got {offset + limit:,}): filter to narrow",
                    "type": "value_error",
                }
            ]
        )
    return Window(offset, limit)


Paging = Annotated[Window, Depends(paging)]


def _not_a_number(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("expected a date and time in ISO 8601 (e.g. 2026-01-05T12:00:00Z), not a number")
    return value


def _in_utc(value: datetime) -> datetime:
    """An aware moment in UTC (Elasticsearch takes offsets up to ±18:00 only; Python up to ±23:59)."""
    if value.tzinfo is None:
        return value  # the field says whether it needs a timezone
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the date is out of range once in UTC") from None


Moment = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_in_utc)]
