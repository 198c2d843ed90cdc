"""Durations as users write them in rules, schedules and settings (``30s``, ``5m``, ``1h``, ``1d``, ``2w``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import AfterValidator

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"^(\d+)([smhdw])$")


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"expected a duration like 30s, 5m, 1h, 1d, 2w; got {text!r}")
    return timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _check(text: str) -> str:
    parse_duration(text)
    return text


Duration = Annotated[str, AfterValidator(_check)]
