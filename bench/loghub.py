"""LogHub bench: grouping accuracy of ``grokpipe patterns scan --json-lines`` on LogHub files, drain3 beside it.

The data is not in the repository (LogHub's licence and size): put it under ``.grokpipe/loghub/``
(gitignored), one source a system, either as LogHub ships it -- ``<System>_2k.log`` with
``<System>_2k.log_structured.csv`` beside it (https://github.com/logpai/loghub) -- or as an excerpt,
``<System>.log`` (raw lines) with ``<System>.ids`` (the ``EventId`` of each line, whitespace-separated)
or with ``<System>_templates.csv`` (LogHub's ``_2k.log_templates.csv``: each line gets the event whose
template matches its end with the most literal characters; a line no template matches is left out).
Without data the bench says so and exits 0.

    .venv/bin/python bench/loghub.py [DIR] [--no-drain3] [--show SYSTEM]

The scanner runs as the acceptance check runs it: the installed CLI, one file at a time, no per-source
setting. Each JSON object is an event; an event spans the lines from its ``line`` to the next event's,
and every line of it counts with the event's pattern. GA: a line is right when its pattern holds exactly
the lines of its true event (Zhu et al., ICSE-SEIP 2019).
"""

from __future__ import annotations

import argparse
import csv
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import orjson
from patterns import drain3_groups, grouping_accuracy

DATA = Path(__file__).resolve().parent.parent / ".grokpipe" / "loghub"


#: The label of a line no template matches; such lines are left out of the score.
UNLABELLED = "-"


def template_labels(lines: Sequence[str], templates: Path) -> list[str]:
    """The event of each line: the template matching the line's end with the most literal characters."""
    with templates.open(encoding="utf-8", newline="") as handle:
        rows = [(row["EventId"], row["EventTemplate"]) for row in csv.DictReader(handle)]
    compiled = []
    for event, template in rows:
        parts = [re.sub(r"(\\ )+", r"\\s+", re.escape(part)) for part in template.strip().split("<*>")]
        literal = sum(len(part.strip()) for part in template.split("<*>"))
        compiled.append((literal, event, re.compile("(?:^|\\s|\\W)" + "(.*?)".join(parts) + r"\s*$")))
    compiled.sort(key=lambda item: -item[0])
    labels = []
    for line in lines:
        labels.append(next((event for _, event, rx in compiled if rx.search(line)), UNLABELLED))
    return labels


def sources(folder: Path) -> list[tuple[str, Path, list[str]]]:
    """(system, raw log, true event of each line) for every labelled log in ``folder``."""
    found = []
    for log in sorted(folder.glob("*.log")):
        name = log.name.removesuffix(".log").removesuffix("_2k")
        ids, structured = log.with_suffix(".ids"), log.with_name(log.name + "_structured.csv")
        templates = log.with_name(f"{name}_templates.csv")
        if ids.is_file():
            truth = ids.read_text(encoding="utf-8").split()
        elif structured.is_file():
            with structured.open(encoding="utf-8", newline="") as handle:
                truth = [row["EventId"] for row in csv.DictReader(handle)]
        elif templates.is_file():
            truth = template_labels(log.read_text(encoding="utf-8", errors="replace").splitlines(), templates)
        else:
            continue
        found.append((name, log, truth))
    return found


def scan(cli: str, log: Path, count: int) -> tuple[list[str], dict[str, str]]:
    """The pattern of each of the first ``count`` lines of ``log``, and the template of each pattern."""
    out = subprocess.run([cli, "patterns", "scan", "--json-lines", str(log)], capture_output=True, check=True)
    records = [orjson.loads(line) for line in out.stdout.decode().splitlines() if line]
    starts = [int(record["line"]) for record in records]
    if starts != sorted(starts) or (starts and starts[0] != 1):
        raise SystemExit(f"{log}: events out of file order or not starting at line 1")
    predicted: list[str] = []
    for record, end in zip(records, [*starts[1:], sys.maxsize], strict=True):
        predicted.extend([str(record["pattern"])] * (min(end, count + 1) - int(record["line"])))
    if len(predicted) < count:
        raise SystemExit(f"{log}: {count - len(predicted)} lines have no event")
    return predicted[:count], {str(r["pattern"]): str(r["template"]) for r in records}


def show(
    name: str, lines: Sequence[str], truth: Sequence[str], predicted: Sequence[str], templates: dict[str, str]
) -> None:
    by_true: dict[str, set[int]] = defaultdict(set)
    by_pred: dict[str, set[int]] = defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, predicted, strict=True)):
        by_true[t].add(i)
        by_pred[p].add(i)
    for pid, members in by_pred.items():
        if all(by_true[truth[i]] == members for i in members):
            continue
        events = sorted({truth[i] for i in members})
        print(f"--- {name}: {templates[pid]!r} holds {len(members)} lines of {', '.join(events)}")
        for i in sorted(members)[:3]:
            print(f"    {i + 1} [{truth[i]}] {lines[i][:160]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("folder", nargs="?", type=Path, default=DATA)
    parser.add_argument("--no-drain3", action="store_true")
    parser.add_argument("--show", action="append", default=[], help="print the wrong groups of this system")
    args = parser.parse_args()
    cli = shutil.which("grokpipe") or str(Path(sys.executable).parent / "grokpipe")
    found = sources(args.folder) if args.folder.is_dir() else []
    if not found:
        print(f"loghub: no labelled LogHub logs under {args.folder} (see this file's docstring); nothing to measure")
        return 0
    rows = []
    for name, log, labels in found:
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[: len(labels)]
        truth = labels[: len(lines)]
        predicted, templates = scan(cli, log, len(lines))
        drained = drain3_groups(lines) if not args.no_drain3 else []
        kept = [i for i, label in enumerate(truth) if label != UNLABELLED]
        lines, truth, predicted = [lines[i] for i in kept], [truth[i] for i in kept], [predicted[i] for i in kept]
        drain = grouping_accuracy(truth, [drained[i] for i in kept]) if drained else float("nan")
        rows.append((name, len(lines), grouping_accuracy(truth, predicted), drain))
        if name in args.show:
            show(name, lines, truth, predicted, templates)
    print(f"{'system':<12} {'lines':>6} {'GA':>6} {'drain3':>6}")
    for name, count, ga, drain in rows:
        print(f"{name:<12} {count:>6} {ga:>6.3f} {drain:>6.3f}")
    mean = sum(r[2] for r in rows) / len(rows)
    mean_drain = sum(r[3] for r in rows) / len(rows)
    print(f"{'mean':<12} {sum(r[1] for r in rows):>6} {mean:>6.3f} {mean_drain:>6.3f}")
    total = sum(r[1] for r in rows)
    pooled = sum(r[1] * r[2] for r in rows) / total
    pooled_drain = sum(r[1] * r[3] for r in rows) / total
    print(f"{'all lines':<12} {total:>6} {pooled:>6.3f} {pooled_drain:>6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
