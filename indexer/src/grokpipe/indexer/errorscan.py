"""``grokpipe errors scan``: the error groups in log files, offline, through the indexer's own pipelines.

    grokpipe errors scan /var/log/nginx/error.log /var/log/php-fpm/error.log
    grokpipe errors scan --dataset python.traceback --json-lines app.log

Lines are joined into events as the shipper joins them (its multiline presets: ``php`` for
nginx.error and php.error, ``python``, ``java``), then run through the dataset's pipeline. Without
``--dataset`` each file's dataset is guessed: every routed pipeline is tried on the file's first
lines; a pipeline can lose: it fits only when at most half of its events carry a parse-failure tag
(``_grokparsefailure``, ``_jsonparsefailure``...) *and* it extracts at least
:data:`MIN_STRUCTURE` fields per event beyond the line itself (so a pipeline that never reports a
failure, ``docker``, does not win a file it does not understand). Among the fits, the fewest
failures win, then the most fields. A file that no pipeline fits is ``generic``: its header is
learned from its own lines and its error-level events are grouped by their pattern
(:mod:`grokpipe.indexer.patterns.scan`); ``--dataset generic`` asks for that directly.

Output: the distinct groups as a table (count, first seen, last seen, level, culprit, title), most
frequent first; with ``--json-lines`` one object per grouped event,
``{"line": N, "fingerprint": ..., "title": ..., "culprit": ...}`` (``line``: the event's first line
in its file). Each file's dataset is named on stderr. Exit status 2 when a file cannot be read or the
dataset is unknown; 141 when the output's reader went away (``| head``), quietly.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from grokpipe.fieldnames import ERROR_CULPRIT, ERROR_GROUPING_KEY, ERROR_TITLE
from grokpipe.indexer.errors import PatternError, PipelineError
from grokpipe.indexer.fields import Event, get, put
from grokpipe.indexer.fingerprint import Grouping, digest
from grokpipe.indexer.offline import events, process
from grokpipe.indexer.patterns.scan import GENERIC, assign
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY, Router

DETECT_LINES = 200
#: Fields per event (:func:`structure`) that a pipeline must extract to fit a file.
MIN_STRUCTURE = 2
_GROUPING = Grouping()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="errors_command", required=True, metavar="COMMAND")
    scan = sub.add_parser("scan", help="group the errors in log files, offline, with the datasets' pipelines")
    scan.add_argument("--dataset", help="the files' dataset, e.g. nginx.error (default: guessed per file)")
    scan.add_argument("--json-lines", action="store_true", help="one JSON object per grouped event")
    scan.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help="grok_patterns folder")
    scan.add_argument("--patterns-dir", type=Path, action="append", default=[], help="extra pattern folder")
    scan.add_argument("files", nargs="+", type=Path, metavar="FILE")


@dataclass(slots=True)
class Group:
    key: str
    title: str
    culprit: str
    level: str
    count: int = 0
    first_seen: str = ""
    last_seen: str = ""

    def add(self, timestamp: str) -> None:
        self.count += 1
        if timestamp and (not self.first_seen or timestamp < self.first_seen):
            self.first_seen = timestamp
        if timestamp and timestamp > self.last_seen:
            self.last_seen = timestamp


def _leaves(node: Any) -> int:
    return sum(_leaves(value) for value in node.values()) if isinstance(node, dict) else 1


#: What every pipeline puts on any line: not structure taken from it.
_NOT_STRUCTURE = {"message": None, "tags": None, "error": None, "event": {"dataset"}, "log": {"level"}}


def _flat(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _flat(value, f"{prefix}{key}.")
    else:
        yield prefix, repr(node)


def structure(event: Event, constant: frozenset[tuple[str, Any]] = frozenset()) -> int:
    """Fields a pipeline extracted from the line: not the message, the dataset, the tags, a level
    keyword or the error group fields (a pipeline that only finds a level word understood nothing),
    nor what it sets on any line (``constant``: its fields on an empty line, e.g. ``event.kind``)."""
    count = 0
    for key, value in event.items():
        skip = _NOT_STRUCTURE.get(key, set())
        if skip is None:
            continue
        kept = {k: v for k, v in value.items() if k not in skip} if isinstance(value, dict) else value
        count += sum(1 for leaf in _flat(kept, f"{key}.") if leaf not in constant)
    return count


def score(router: Router, dataset: str, lines: list[str]) -> tuple[float, float]:
    """(share of events with a failure tag, minus fields per event): lower is a better fit."""
    pipeline = router.pipeline_for(dataset)
    assert pipeline is not None
    sample = [process(pipeline, dataset, text) for _, text in events(lines, dataset)]
    if not sample:
        return 1.0, 0.0
    failed = sum(any(str(tag).startswith("_") for tag in event.get("tags") or []) for event in sample)
    constant = frozenset(_flat(process(pipeline, dataset, "")))
    return failed / len(sample), -sum(structure(event, constant) for event in sample) / len(sample)


def fits(failed: float, fields: float) -> bool:
    """A pipeline fits a file when most events parse and it extracts something from them."""
    return failed <= 0.5 and -fields >= MIN_STRUCTURE


def detect(router: Router, lines: list[str]) -> str:
    """The dataset whose pipeline fits the lines best, or :data:`GENERIC` when none fits."""
    scores = {dataset: score(router, dataset, lines) for dataset in router.datasets}
    fitting = [dataset for dataset, (failed, fields) in scores.items() if fits(failed, fields)]
    return min(fitting, key=lambda dataset: scores[dataset]) if fitting else GENERIC


def scanned(router: Router, dataset: str, lines: Iterable[str]) -> Iterator[tuple[int, Event]]:
    """(first line, event) of each event of a file, through its pipeline or the generic extraction."""
    pipeline = router.pipeline_for(dataset)
    if pipeline is None:
        yield from generic_events(list(lines))
        return
    for line, text in events(lines, dataset):
        yield line, process(pipeline, dataset, text)


def generic_events(lines: list[str], grouping: Grouping = _GROUPING) -> Iterator[tuple[int, Event]]:
    """Events of a file no pipeline fits: header learned from the file, each line's level from it,
    error-level lines grouped by their mined pattern (a node, host, pid or request id never splits
    a group: they are values of the pattern)."""
    for found, pattern in assign(lines):
        event: Event = {"message": lines[found.line - 1], "event": {"dataset": GENERIC}}
        if found.level is not None:
            event["log"] = {"level": found.level}
            if found.level in grouping.levels:
                culprit = found.logger or GENERIC
                put(event, ERROR_GROUPING_KEY, digest("pattern", culprit, *pattern.key))
                put(event, ERROR_TITLE, pattern.template)
                put(event, ERROR_CULPRIT, culprit)
        yield found.line, event


def _read(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for line in handle:
            yield line.rstrip("\r\n")


def table(groups: Iterable[Group]) -> str:
    rows = [("COUNT", "FIRST SEEN", "LAST SEEN", "LEVEL", "CULPRIT", "TITLE")]
    for group in sorted(groups, key=lambda g: (-g.count, g.first_seen, g.key)):
        culprit = group.culprit if len(group.culprit) <= 60 else "…" + group.culprit[-59:]
        seen = (group.first_seen or "-", group.last_seen or "-")
        rows.append((str(group.count), *seen, group.level or "-", culprit, group.title))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join(
        "  ".join([row[0].rjust(widths[0]), *(cell.ljust(w) for cell, w in zip(row[1:5], widths[1:], strict=True))])
        + "  "
        + row[5]
        for row in rows
    )


#: the exit status of a command whose reader went away (as if killed by SIGPIPE, like head's other writers)
BROKEN_PIPE = 141


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except BrokenPipeError:  # `grokpipe errors scan ... | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing left to flush at exit, so no second error
        os.close(devnull)
        return BROKEN_PIPE


def _run(args: argparse.Namespace) -> int:
    try:
        router = Router.load(args.library, args.patterns_dir)
    except (PatternError, PipelineError) as exc:
        print(f"grokpipe errors: {exc}", file=sys.stderr)
        return 2
    if args.dataset is not None and args.dataset != GENERIC and router.pipeline_for(args.dataset) is None:
        print(
            f"grokpipe errors: no pipeline for dataset {args.dataset!r} (known: {', '.join(router.datasets)})",
            file=sys.stderr,
        )
        return 2
    groups: dict[str, Group] = {}
    out = sys.stdout
    for path in args.files:
        try:
            dataset = args.dataset or detect(router, list(itertools.islice(_read(path), DETECT_LINES)))
            how = "--dataset" if args.dataset else f"guessed from its first {DETECT_LINES} lines; --dataset to choose"
            print(f"grokpipe errors: {path}: dataset {dataset} ({how})", file=sys.stderr)
            for line, event in scanned(router, dataset, _read(path)):
                key = get(event, ERROR_GROUPING_KEY)
                if not isinstance(key, str):
                    continue
                title, culprit = str(get(event, ERROR_TITLE) or ""), str(get(event, ERROR_CULPRIT) or "")
                if args.json_lines:
                    record = {"line": line, "fingerprint": key, "title": title, "culprit": culprit}
                    out.write(orjson.dumps(record).decode() + "\n")
                    continue
                group = groups.get(key)
                if group is None:
                    group = groups[key] = Group(key, title, culprit, str(get(event, "log.level") or ""))
                group.add(str(get(event, "@timestamp") or ""))
        except BrokenPipeError:
            raise
        except OSError as exc:
            print(f"grokpipe errors: {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
    if not args.json_lines:
        print(table(groups.values()) if groups else "no error groups")
    sys.stdout.flush()  # here, where a closed pipe is handled, not at exit
    return 0
