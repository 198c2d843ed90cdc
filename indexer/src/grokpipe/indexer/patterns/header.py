"""Header extraction learned per source: which leading columns of a line are header, not message.

No settings per source: a column is a header column because it behaves like one across the lines of
the source (a file, a syslog app). Lines are cut into columns at spaces (a ``[...]`` group, nested
once, is one column; ``|`` also separates columns when most lines use it), and for each of the
first :data:`MAX_COLUMNS` columns the share of lines is counted where it

- is a separator (``-``, ``|``), as Zookeeper's and Proxifier's headers end;
- ends with ``:`` after a name (``sshd[24200]:``, ``dfs.DataNode$PacketResponder:``), as most
  syslog and log4j headers end with the logger or program;
- is a level word (``INFO``, ``warning``, ``E``, ``[notice]``, ``<3>``...);
- holds a digit (timestamps, pids, node ids, sequence numbers).

The header ends after the last separator, level or name column that holds on most lines (a level is
followed by a bracketed column or a logger when those hold too); a source with none of those ends its
header after its last column that holds a digit on nearly every line (a record number, a node, an
epoch). Each line then finds its own end near that column (``chrome.exe *64 -`` ends one column
later than ``chrome.exe -``), and a line that does not start like the others keeps its whole text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

MAX_COLUMNS: Final = 12
#: Characters of a line looked at for its header.
MAX_HEADER_CHARS: Final = 512
#: Lines a model learns from.
LEARN_LINES: Final = 5000

LEVELS: Final = {
    "trace": "trace", "debug": "debug", "dbg": "debug", "fine": "debug", "finer": "trace", "finest": "trace",
    "info": "info", "information": "info", "notice": "notice", "warn": "warning", "warning": "warning",
    "error": "error", "err": "error", "severe": "error", "crit": "critical", "critical": "critical",
    "fatal": "critical", "failure": "error", "alert": "alert", "emerg": "emergency", "emergency": "emergency",
    "panic": "emergency", "verbose": "debug",
}  # fmt: skip
ONE_LETTER: Final = {
    "V": "debug",
    "D": "debug",
    "I": "info",
    "W": "warning",
    "E": "error",
    "F": "critical",
    "A": "alert",
}
NUMERIC_SYSLOG: Final = ("emergency", "alert", "critical", "error", "warning", "notice", "info", "debug")

_COLUMN = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\S*|\S+")
_PIPE_COLUMN = re.compile(r"\[(?:[^\[\]|]|\[[^\[\]|]*\])*\][^\s|]*|[^\s|]+")
_SEPARATORS = frozenset({"-", "|", "--", "::"})
_NAME_COLON = re.compile(r".*[A-Za-z\])][^:]*:")
_DIGIT = re.compile(r"[0-9]")
_STRIP = "[]()<>:,"


def level_of(column: str) -> str | None:
    """The level a header column names, or None: words, one letter, ``<3>`` syslog numbers."""
    word = column.strip(_STRIP)
    if not word:
        return None
    if column.startswith("<") and word.isdigit() and int(word) < len(NUMERIC_SYSLOG):
        return NUMERIC_SYSLOG[int(word)]
    if len(word) == 1:
        return ONE_LETTER.get(word)
    return LEVELS.get(word.lower())


def _is_separator(column: str) -> bool:
    return column in _SEPARATORS


def _is_name(column: str) -> bool:
    return len(column) > 1 and _NAME_COLON.fullmatch(column) is not None


def _is_bracket(column: str) -> bool:
    return column.startswith("[") and column.endswith("]")


@dataclass(frozen=True)
class Split:
    """A line cut in two: the header's columns and the message."""

    header: tuple[str, ...]
    message: str
    level: str | None = None
    logger: str | None = None  #: ``sshd`` of ``sshd[24200]:``, ``org.x.Y`` of ``org.x.Y:``
    pid: int | None = None  #: ``24200`` of ``sshd[24200]:``
    host: str | None = None  #: the column before ``program[pid]:`` in a syslog line


def program(column: str) -> tuple[str | None, int | None]:
    """``sshd(pam_unix)[19939]:`` -> (``sshd``, 19939); ``dfs.DataNode$PacketResponder:`` -> (itself, None)."""
    match = _PROGRAM.fullmatch(column)
    if match is None:
        return None, None
    pid = match.group(2)
    return match.group(1) or None, int(pid) if pid else None


@dataclass
class HeaderModel:
    """Where the header ends in the lines of one source (learned by :meth:`learn`)."""

    end: int = 0  #: columns in the usual header (0: no header)
    kind: str = "none"  #: what ends it: separator, name, level, digits, none
    level_column: int | None = None
    search_from: int = 0  #: where a line starts looking for its own separator or name column
    pipes: bool = False
    first_has_digit: bool = False
    first_bracket: bool = False
    first_separator: bool = False
    _stats: dict[str, float] = field(default_factory=dict, repr=False)

    @classmethod
    def learn(cls, lines: Iterable[str]) -> HeaderModel:
        sample = [line[:MAX_HEADER_CHARS] for _, line in zip(range(LEARN_LINES), lines, strict=False) if line.strip()]
        if not sample:
            return cls()
        pipes = sum(1 for line in sample if line[:120].count("|") >= 2) >= 0.8 * len(sample)
        rows = [columns(line, pipes)[0] for line in sample]
        n = len(rows)

        def share(index: int, test: Callable[[str], bool]) -> float:
            return sum(1 for row in rows if len(row) > index and test(row[index])) / n

        model = cls(pipes=pipes)
        model.first_has_digit = share(0, lambda c: _DIGIT.search(c) is not None) >= 0.9
        model.first_bracket = share(0, _is_bracket) >= 0.9
        model.first_separator = share(0, _is_separator) >= 0.9
        level_at = next(
            (i for i in range(MAX_COLUMNS - 1) if share(i, lambda c: level_of(c) is not None) >= 0.85), None
        )
        separator_at = max((i for i in range(1, 9) if share(i, _is_separator) >= 0.85), default=None)
        separator_lo = separator_at
        if separator_at is None:  # Proxifier: 'name -' or 'name *64 -'
            firsts = Counter(_first(row, _is_separator, 1, 7) for row in rows)
            pos, count = max(
                ((p, c) for p, c in firsts.items() if p is not None), key=lambda x: x[1], default=(None, 0)
            )
            if pos is not None and sum(c for p, c in firsts.items() if p is not None) >= 0.9 * n and count >= 0.5 * n:
                separator_at = pos
                separator_lo = min(p for p, c in firsts.items() if p is not None and c >= 0.02 * n)
        start = 0 if level_at is None else level_at + 1
        names = Counter(_first(row, _is_name, start, MAX_COLUMNS) for row in rows)
        name_at, name_count = max(
            ((p, c) for p, c in names.items() if p is not None and p <= 9), key=lambda x: x[1], default=(None, 0)
        )
        if name_count < 0.6 * n:
            name_at = None
        ends: list[tuple[int, str]] = []
        if separator_at is not None:
            ends.append((separator_at + 1, "separator"))
        if name_at is not None and (level_at is None or name_at <= level_at + 2):
            ends.append((name_at + 1, "name"))
        if level_at is not None:
            end = level_at + 1
            if share(end, _is_bracket) >= 0.9:
                end += 1
            elif share(end + 1, _is_bracket) >= 0.9:
                end += 2
            ends.append((end, "level"))
        if ends:
            model.end, model.kind = max(ends)
            model.search_from = model.end - 1
            if model.kind == "separator" and separator_lo is not None:
                model.search_from = separator_lo
            elif model.kind == "name":
                firsts = Counter(_first(row, _is_name, start, model.end + 3) for row in rows)
                seen = [p for p, c in firsts.items() if p is not None and c >= 0.02 * n]
                model.search_from = min(seen, default=model.end - 1)
        else:
            digits = [i for i in range(8) if share(i, lambda c: _DIGIT.search(c) is not None) >= 0.9]
            if digits and share(digits[-1] + 1, lambda c: True) >= 0.5:
                model.end, model.kind = digits[-1] + 1, "digits"
        model.level_column = level_at if level_at is not None and level_at < model.end else None
        return model

    def split(self, line: str) -> Split:
        """The header columns and message of one line, as this source's lines are cut."""
        if self.end == 0:
            return Split((), line)
        cols, spans = columns(line[:MAX_HEADER_CHARS], self.pipes)
        if not cols or not self._starts_like(cols[0]):
            return Split((), line)
        end = self.end
        if self.kind in ("separator", "name"):
            test = _is_separator if self.kind == "separator" else _is_name
            found = _first(cols, test, min(self.search_from, end - 1), end + 3)
            if found is not None:
                end = found + 1
        if len(cols) < end:
            return Split((), line)
        message = "" if len(cols) == end else line[spans[end] :] if spans[end] < len(line) else ""
        level = None
        if self.level_column is not None and self.level_column < end:
            level = level_of(cols[self.level_column])
        return Split(tuple(cols[:end]), message, level)

    def _starts_like(self, first: str) -> bool:
        if self.first_separator:
            return True
        if self.first_bracket:
            return _is_bracket(first)
        if self.first_has_digit:
            return _DIGIT.search(first) is not None
        return True


def columns(line: str, pipes: bool = False) -> tuple[list[str], list[int]]:
    """The first :data:`MAX_COLUMNS` + 1 columns of a line and where each starts."""
    pattern = _PIPE_COLUMN if pipes else _COLUMN
    cols: list[str] = []
    spans: list[int] = []
    for match in pattern.finditer(line):
        cols.append(match.group())
        spans.append(match.start())
        if len(cols) > MAX_COLUMNS:
            break
    return cols, spans


def _first(row: Sequence[str], test: Callable[[str], bool], lo: int, hi: int) -> int | None:
    for i in range(max(lo, 0), min(hi, len(row))):
        if test(row[i]):
            return i
    return None


_MONTHS = frozenset(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])
_DAYS = frozenset(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
_IDISH = re.compile(r"[A-Z0-9][A-Z0-9:._/\-]*|\[[^\]]*\]")
_TIMEISH = re.compile(r"[\[(]?[0-9][0-9:.,/\-+TZ]*[\])]?,?")
_NAME = re.compile(r"[A-Za-z_./$\-][\w.$/\-]*(?:\([\w.\-]*\))?(?:\[[0-9]+\])?:")
_PROGRAM = re.compile(r"([^\[(:]*)(?:\([^)]*\))?(?:\[([0-9]{1,9})\])?(?:\s*\([^)]*\))?:")


def _headerish(column: str) -> bool:
    if column.startswith("[") and column.endswith("]") and len(column) <= 40 and _DIGIT.search(column):
        return True  # [Sun Dec 04 04:47:44 2005], [10.30 16:49:06]
    word = column.strip("[](),").lower()
    return (
        _TIMEISH.fullmatch(column) is not None
        or (word[:3] in _MONTHS and len(word) <= 9)
        or (word[:3] in _DAYS and len(word) <= 9)
        or column in ("-", "|")
    )


def strip_header(line: str) -> Split:
    """The header of one line cut without learning: leading timestamps, numbers, a level, bracketed
    fields, a host and a ``program[pid]:`` or ``logger:`` column. A line that does not start with a
    time or a number keeps its whole text (it is a message already)."""
    cols, spans = columns(line[:512])
    if not cols or not _headerish(cols[0]):
        return Split((), line)
    end = 0
    level: str | None = None
    name: str | None = None
    host: str | None = None
    limit = min(len(cols), 10)
    while end < limit and _headerish(cols[end]):
        end += 1
    # a level a few columns on, after node or component ids (R02-M1-N0-C:J12-U11 RAS KERNEL INFO)
    for ahead in range(end, min(limit, end + 6)):
        if level_of(cols[ahead]) is not None and len(cols[ahead].strip("[]<>")) > 1:
            if all(_IDISH.fullmatch(c) for c in cols[end:ahead]):
                end = ahead
            break
    while end < limit:
        column = cols[end]
        found = level_of(column) if level is None else None
        if found is not None and (len(column.strip("[]<>")) > 1 or end > 0):
            level = found
            end += 1
        elif column.startswith("[") and column.endswith("]"):
            end += 1
        elif _NAME.fullmatch(column):
            name = column
            end += 1
            break
        elif end + 1 < limit and _NAME.fullmatch(cols[end + 1]) and level is None:
            host, name = column, cols[end + 1]
            end += 2  # host program[pid]:
            break
        elif column in ("-", "|"):
            end += 1
        else:
            break
    logger, pid = program(name) if name is not None else (None, None)
    message = line[spans[end] :] if end < len(cols) else ""
    return Split(tuple(cols[:end]), message, level, logger, pid, host)
