"""``grokpipe patterns scan FILE...``: the pattern of every line of log files, offline (no servers).

Each file is one source: its header is learned from its own lines (:mod:`.header`), the message of
every line is masked into a key (:mod:`grokpipe.patterns.tokens`) and the keys of the file are mined
into patterns (:mod:`grokpipe.patterns.mining`). Without flags the patterns print as a table (count,
level, template), most frequent first; ``--json-lines`` prints one object per event in file order:
``{"line": N, "pattern": "<id>", "template": "<template>"}``.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import orjson

from grokpipe.indexer.patterns.header import HeaderModel, program
from grokpipe.patterns.mining import Key, Pattern, mine
from grokpipe.patterns.tokens import MAX_CHARS, split


@dataclass(frozen=True)
class Event:
    line: int
    key: Key
    level: str | None
    logger: str | None = None  #: the program or logger the header names (``sshd``, ``dfs.DataNode``)


def keys(lines: Sequence[str]) -> list[Event]:
    """The key and level of every line of one source (its header learned from the same lines)."""
    model = HeaderModel.learn(lines)
    events: list[Event] = []
    for number, line in enumerate(lines, 1):
        cut = model.split(line[: MAX_CHARS * 2])
        logger = program(cut.header[-1])[0] if model.kind == "name" and cut.header else None
        events.append(Event(number, tuple(split(cut.message)), cut.level, logger))
    return events


def assign(lines: Sequence[str]) -> list[tuple[Event, Pattern]]:
    """Every line of one source with its pattern."""
    events = keys(lines)
    patterns = mine(Counter(event.key for event in events))
    return [(event, patterns[event.key]) for event in events]


def read_lines(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in handle]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    scan = sub.add_parser("scan", help="the patterns of log files, offline")
    scan.add_argument("files", nargs="+", type=Path, metavar="FILE")
    scan.add_argument(
        "--dataset", help="dataset name (accepted for symmetry with 'errors scan'; the header is learned)"
    )
    scan.add_argument("--json-lines", action="store_true", help="one JSON object per event, in file order")


def _table(rows: list[tuple[Event, Pattern]]) -> Iterator[str]:
    counts: Counter[str] = Counter()
    levels: dict[str, Counter[str]] = {}
    templates: dict[str, str] = {}
    for event, pattern in rows:
        counts[pattern.id] += 1
        levels.setdefault(pattern.id, Counter())[event.level or "-"] += 1
        templates[pattern.id] = pattern.template
    yield f"{'count':>7}  {'level':<8}  template"
    for pid, count in counts.most_common():
        level = levels[pid].most_common(1)[0][0]
        yield f"{count:>7}  {level:<8}  {templates[pid]}"


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # grokpipe patterns scan FILE | head
        sys.stderr.close()
        return 0


def _run(args: argparse.Namespace) -> int:
    out = sys.stdout
    rows: list[tuple[Event, Pattern]] = []
    for path in args.files:
        try:
            lines = read_lines(path)
        except OSError as exc:
            print(f"grokpipe patterns: {path}: {exc.strerror}", file=sys.stderr)
            return 2
        assigned = assign(lines)
        if args.json_lines:
            for event, pattern in assigned:
                record = {"line": event.line, "pattern": pattern.id, "template": pattern.template}
                out.write(orjson.dumps(record).decode() + "\n")
        rows.extend(assigned)
    if not args.json_lines:
        for row in _table(rows):
            out.write(row + "\n")
    return 0
