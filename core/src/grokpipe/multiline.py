"""Joining the lines of one logical event (stack traces, PHP fatal errors), as Filebeat does.

``pattern`` / ``negate`` / ``match`` have Filebeat's meaning: a line is a *continuation* when
``bool(pattern matches) != negate``; with ``match: after`` continuations are appended to the line
before them, with ``match: before`` they are prepended to the next line that is not one. Events
never grow past ``max_lines``: the next line starts a new event, so nothing is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, field_validator, model_validator

from grokpipe.settings import Section

#: Presets: (pattern, negate, match)
PRESETS: dict[str, tuple[str, bool, Literal["after", "before"]]] = {
    # "\tat com.x.Y(Y.java:1)", "\t... 3 more", "Caused by: ...", "Suppressed: ...",
    # and the exception line right after the log line that reported it.
    "java": (
        r"^\s+(at\s|\.{3}\s?\d+\s(more|common frames omitted))|^\s*(Caused by|Suppressed):"
        r"|^([a-zA-Z_$][\w$]*\.)+[\w$]*(Exception|Error|Throwable)(:|\s*$)",
        False,
        "after",
    ),
    # "Traceback (most recent call last):", indented frames, chained-exception banners,
    # and the final "SomeError: message" line.
    "python": (
        r"^\s|^$|^Traceback \(most recent call last\):|^During handling of the above exception"
        r"|^The above exception was the direct cause|^([A-Za-z_][\w]*\.)*[A-Za-z_]*"
        r"(Error|Exception|Warning|Exit|Interrupt|StopIteration)(:|\s*$)",
        False,
        "after",
    ),
    # A new event starts with a PHP error_log timestamp "[22-Nov-2026 10:00:00 UTC]" or an
    # nginx error-log timestamp "2026/11/22 10:00:00 [error]"; anything else ("Stack trace:",
    # "#0 /var/www/x.php(12): f()", "  thrown in ...") belongs to the event before it.
    "php": (r"^(\[\d{1,2}-[A-Za-z]{3}-\d{4} |\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[)", True, "after"),
}


class MultilineSettings(Section):
    preset: Literal["java", "python", "php"] | None = None
    pattern: str | None = None
    negate: bool = False
    match: Literal["after", "before"] = "after"
    max_lines: int = Field(default=500, ge=2)
    timeout: float = Field(default=5.0, gt=0, description="seconds without a new line before an event is sent")

    @model_validator(mode="after")
    def _pattern_or_preset(self) -> MultilineSettings:
        if (self.preset is None) == (self.pattern is None):
            raise ValueError("set exactly one of 'preset' or 'pattern'")
        return self

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    def resolved(self) -> tuple[str, bool, Literal["after", "before"]]:
        if self.preset is not None:
            return PRESETS[self.preset]
        assert self.pattern is not None
        return self.pattern, self.negate, self.match


@dataclass(slots=True)
class Block:
    """Lines joined into one event: the span they cover in the file and their text."""

    offset: int
    end: int
    lines: list[str] = field(default_factory=list)
    tags: set[str] = field(default_factory=set)


class Multiline:
    """Feeds lines in, gets whole events out; :meth:`flush` sends what waits after ``timeout``."""

    def __init__(self, settings: MultilineSettings) -> None:
        pattern, self._negate, match = settings.resolved()
        self._regex = re.compile(pattern)
        self._after = match == "after"
        self._max_lines = settings.max_lines
        self.timeout = settings.timeout
        self._block: Block | None = None

    @property
    def pending(self) -> Block | None:
        return self._block

    def push(self, offset: int, end: int, text: str, tags: set[str]) -> list[Block]:
        out: list[Block] = []
        continuation = bool(self._regex.search(text)) != self._negate
        block = self._block
        if self._after:
            if block is not None and (not continuation or len(block.lines) >= self._max_lines):
                out.append(block)
                block = None
        elif block is not None and len(block.lines) >= self._max_lines:
            out.append(block)
            block = None
        if block is None:
            block = Block(offset, end)
        block.lines.append(text)
        block.end = end
        block.tags |= tags
        self._block = block
        if not self._after and not continuation:
            out.append(block)
            self._block = None
        return out

    def flush(self) -> Block | None:
        block, self._block = self._block, None
        return block
