"""Joining the lines of one logical event (stack traces, PHP fatal errors), as Filebeat does.

``pattern`` / ``negate`` / ``match`` have Filebeat's meaning: a line is a *continuation* when
``bool(pattern matches) != negate``; with ``match: after`` continuations are appended to the line
before them, with ``match: before`` they are prepended to the next line that is not one. Events
never grow past ``max_lines``: the next line starts a new event, so nothing is dropped.

The presets are one table for the file input (:class:`Multiline`) and the syslog input, which
joins consecutive messages of one stream (``grokpipe.shipper.syslog.joiner``) with the ``after``
presets, whose continuations are recognised by what they are, not by what a new event starts with:

* ``python``: ``Traceback (most recent call last):``, indented frames and source lines (two
  spaces or a tab: a single space is what rsyslog's forwarding format leaves before any message),
  blank lines, the chained-exception banners (``During handling of the above exception ...``,
  ``The above exception was the direct cause ...``) and the final ``module.SomeError: message`` line.
* ``java``: ``\\tat pkg.Class.method(File.java:1)``, ``\\t... 3 more``, ``Caused by:``,
  ``Suppressed:`` and the exception line right after the log line that reported it.
* ``php_trace``: ``Stack trace:``, ``#0 /app/x.php(12): f()``, ``  thrown in ...`` and a chained
  ``Next RuntimeException: ...``. The file input's ``php`` preset is the other way round (a line
  that does not start with a PHP or nginx timestamp continues), right for an error_log file and
  wrong for a container stream, whose access-log lines would all join the error before them: the
  syslog input's ``php`` is ``php_trace``.
* ``auto``: python, java and php_trace at once (what a container of unknown language writes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, field_validator, model_validator

from grokpipe.settings import Section

Match = Literal["after", "before"]
Preset = tuple[str, bool, Match]  #: pattern, negate, match

PYTHON = (
    r"^(\s\s|\t)|^$|^Traceback \(most recent call last\):|^During handling of the above exception"
    r"|^The above exception was the direct cause|^([A-Za-z_][\w]*\.)*[A-Za-z_]*"
    r"(Error|Exception|Warning|Exit|Interrupt|StopIteration)(:|\s*$)"
)
JAVA = (
    r"^\s+(at\s|\.{3}\s?\d+\s(more|common frames omitted))|^\s*(Caused by|Suppressed):"
    r"|^([a-zA-Z_$][\w$]*\.)+[\w$]*(Exception|Error|Throwable)(:|\s*$)"
)
PHP_TRACE = r"^Stack trace:|^#\d+ |^\s+thrown in |^Next [\w\\]+(: |$)"
# A new event starts with a PHP error_log timestamp "[22-Nov-2026 10:00:00 UTC]" or an nginx
# error-log timestamp "2026/11/22 10:00:00 [error]"; anything else belongs to the event before it.
PHP_TIMESTAMP = r"^(\[\d{1,2}-[A-Za-z]{3}-\d{4} |\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} \[)"

PRESETS: dict[str, Preset] = {
    "java": (JAVA, False, "after"),
    "python": (PYTHON, False, "after"),
    "php": (PHP_TIMESTAMP, True, "after"),
    "php_trace": (PHP_TRACE, False, "after"),
    "auto": (f"{PYTHON}|{JAVA}|{PHP_TRACE}", False, "after"),
}
#: The syslog input's presets (``after`` ones only: a message is never held for the next stream's).
STREAM_PRESETS: dict[str, str] = {"auto": "auto", "python": "python", "java": "java", "php": "php_trace"}


class Continuation:
    """``continues(line)``: the preset's decision for one line, compiled once."""

    __slots__ = ("_negate", "_search")

    def __init__(self, pattern: str, negate: bool = False, *, anchored: bool = False) -> None:
        compiled = re.compile(pattern)
        # every alternative of a preset starts with ^: match does not try each later position
        self._search = compiled.match if anchored else compiled.search
        self._negate = negate

    @classmethod
    def preset(cls, name: str) -> Continuation:
        pattern, negate, _ = PRESETS[name]
        return cls(pattern, negate, anchored=True)

    def continues(self, line: str) -> bool:
        return (self._search(line) is not None) != self._negate


# -- the file input's joining ---------------------------------------------------------------------


class MultilineSettings(Section):
    preset: Literal["java", "python", "php", "auto"] | None = None
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
        pattern, negate, match = settings.resolved()
        self._continues = Continuation(pattern, negate).continues
        self._after = match == "after"
        self._max_lines = settings.max_lines
        self.timeout = settings.timeout
        self._block: Block | None = None

    @property
    def pending(self) -> Block | None:
        return self._block

    def push(self, offset: int, end: int, text: str, tags: set[str]) -> list[Block]:
        out: list[Block] = []
        continuation = self._continues(text)
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
