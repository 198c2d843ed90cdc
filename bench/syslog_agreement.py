"""How often grokpipe's syslog parser reads a message the way the peers publish it, per group.

``python bench/syslog_agreement.py`` prints, for each group of tests/support/syslog_peers.py (rsyslog's
testbench cases, RFC 3164 and RFC 5424; a strict RFC 5424 parser's valid and invalid cases), how
many cases agree. ``--parser FILE`` measures another version of the parser module (for example the
one before rsyslog's rules: ``git show 7274c07:shipper/src/grokpipe/shipper/syslog/parser.py > /tmp/p.py``) in the same
table; ``--show`` lists the cases that disagree and why. Not a benchmark of speed: nothing is timed.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from procstats import table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from support.syslog_peers import CASES, GROUPS, agreement, differences

from grokpipe.shipper.syslog.parser import SyslogParser

NOW = datetime(2026, 8, 31, 6, 30, tzinfo=UTC)


def load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"parser_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SyslogParser("UTC", now=lambda: NOW)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--parser", type=Path, action="append", default=[], help="another parser.py to measure")
    args.add_argument("--show", action="store_true", help="list the cases that disagree")
    opts = args.parse_args()
    parsers = {"this tree": SyslogParser("UTC", now=lambda: NOW)} | {str(p): load(p) for p in opts.parser}
    results = {name: agreement(parser.parse) for name, parser in parsers.items()}
    rows: list[list[object]] = []
    for group in GROUPS:
        row: list[object] = [group]
        for result in results.values():
            agree, total = result[group]
            row.append(f"{agree}/{total} ({100 * agree / total:.1f}%)")
        rows.append(row)
    print(table(["group", *results], rows))
    if opts.show:
        for name, parser in parsers.items():
            for case in CASES:
                try:
                    diff = differences(case, parser.parse(case.frame))
                except Exception as exc:  # noqa: BLE001 -- an older parser may lack a field
                    diff = [repr(exc)]
                if diff:
                    print(f"{name} | {case.name} | {case.source} | {'; '.join(diff)}")


if __name__ == "__main__":
    main()
