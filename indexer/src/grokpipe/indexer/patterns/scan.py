"""``grokpipe patterns scan FILE...``: the pattern of every line of log files, offline (no servers).

Each file is one source: its header is learned from its own lines (:mod:`.header`), or, with
``--dataset``, its events are cut and parsed as the indexer does (:mod:`grokpipe.indexer.offline`); the message of
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

from grokpipe.indexer.errors import PatternError, PipelineError
from grokpipe.indexer.fields import get
from grokpipe.indexer.offline import events, process
from grokpipe.indexer.patterns.header import HeaderModel, program
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY, Pipeline, Router
from grokpipe.patterns.mining import Key, Pattern, mine
from grokpipe.patterns.tokens import MAX_CHARS, split

#: The dataset of the generic extraction (``errors scan`` names files no pipeline fits so too).
GENERIC = "generic"


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


def dataset_keys(pipeline: Pipeline, dataset: str, lines: Sequence[str]) -> list[Event]:
    """The key and level of every event of one file of ``dataset``: lines joined with its multiline
    preset, the message the dataset's pipeline names (``log.message``, else ``message``), as online."""
    out: list[Event] = []
    for number, text in events(lines, dataset):
        event = process(pipeline, dataset, text[: MAX_CHARS * 2])
        message = get(event, "log.message")
        if not isinstance(message, str):
            message = event.get("message") if isinstance(event.get("message"), str) else text
        level = get(event, "log.level")
        first_line = message.split("\n", 1)[0]
        out.append(Event(number, tuple(split(first_line)), level if isinstance(level, str) else None))
    return out


def assign(lines: Sequence[str], pipeline: Pipeline | None = None, dataset: str = "") -> list[tuple[Event, Pattern]]:
    """Every event of one source with its pattern (through ``dataset``'s ``pipeline`` when given)."""
    found = keys(lines) if pipeline is None else dataset_keys(pipeline, dataset, lines)
    patterns = mine(Counter(event.key for event in found))
    return [(event, patterns[event.key]) for event in found]


def read_lines(path: Path) -> list[str]:
    with path.open("rb") as handle:
        return [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in handle]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    scan = sub.add_parser("scan", help="the patterns of log files, offline")
    scan.add_argument("files", nargs="+", type=Path, metavar="FILE")
    scan.add_argument(
        "--dataset",
        help="the files' dataset: its pipeline names the message, as in the indexer (default: generic, the header "
        "is learned per file)",
    )
    scan.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help="grok_patterns folder")
    scan.add_argument("--patterns-dir", type=Path, action="append", default=[], help="extra pattern folder")
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


def _pipeline(args: argparse.Namespace) -> Pipeline | None:
    """The pipeline of ``--dataset`` (None for the generic extraction); ValueError names what is wrong."""
    if args.dataset is None or args.dataset == GENERIC:
        return None
    try:
        router = Router.load(args.library, args.patterns_dir)
    except (PatternError, PipelineError) as exc:
        raise ValueError(str(exc)) from exc
    pipeline = router.pipeline_for(args.dataset)
    if pipeline is None:
        raise ValueError(f"no pipeline for dataset {args.dataset!r} (known: {', '.join(router.datasets)}, {GENERIC})")
    return pipeline


def _run(args: argparse.Namespace) -> int:
    out = sys.stdout
    rows: list[tuple[Event, Pattern]] = []
    try:
        pipeline = _pipeline(args)
    except ValueError as exc:
        print(f"grokpipe patterns: {exc}", file=sys.stderr)
        return 2
    for path in args.files:
        try:
            lines = read_lines(path)
        except OSError as exc:
            print(f"grokpipe patterns: {path}: {exc.strerror}", file=sys.stderr)
            return 2
        assigned = assign(lines, pipeline, args.dataset or "")
        if args.json_lines:
            for event, pattern in assigned:
                record = {"line": event.line, "pattern": pattern.id, "template": pattern.template}
                out.write(orjson.dumps(record).decode() + "\n")
        rows.extend(assigned)
    if not args.json_lines:
        for row in _table(rows):
            out.write(row + "\n")
    return 0
