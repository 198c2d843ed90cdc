"""Local corpus bench: GA of ``grokpipe patterns scan`` and of drain3 on logs that real programs write here.

Each program of ``localcorpus/`` (sshd, nginx, redis, postgresql, rsyslog, Python libraries, the JVM)
is installed from Debian when missing, run in a folder of its own under ``.grokpipe/local-corpus/``
with its own config and ports, and driven by real clients into writing a few hundred to 2,000 lines,
with many users, paths, ports and ids, so masking is tested. Every line is labelled by the call site
of its format string in the program's source (a table per program, the source cited beside each
regex); lines no label fits are left out of the score and counted. The scanner gets the raw file,
headers and all, as the acceptance check runs it (bench/loghub.py), and drain3 with its defaults the
same lines. GA per Zhu et al. (ICSE-SEIP 2019). Not a test: nothing here asserts a GA.

    .venv/bin/python bench/local_corpus.py [--keep] [--only PROGRAM...] [--show NAME]

``--keep`` leaves the folders (logs, configs) in place; ``--show NAME`` prints the groups grokpipe gets
wrong (their template, the true events in them, three of their lines) in a program's logs or in one
log (named like its row: ``nginx-error``, ``sshd``...).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

from localcorpus import jvm, nginx, pg, pylogging, redis_server, rsyslog, sshd
from localcorpus.base import Log, Program, label
from loghub import scan, show
from patterns import drain3_groups, grouping_accuracy

DATA = Path(__file__).resolve().parent.parent / ".grokpipe" / "local-corpus"
PROGRAMS: tuple[Program, ...] = (
    sshd.PROGRAM,
    nginx.PROGRAM,
    redis_server.PROGRAM,
    pg.PROGRAM,
    rsyslog.PROGRAM,
    pylogging.PROGRAM,
    jvm.PROGRAM,
)
#: The most lines of one log that are scored (LogHub's samples are 2,000 lines a system).
LIMIT = 2000


@dataclass(frozen=True)
class Row:
    """One log's figures, or why there are none."""

    name: str
    lines: int = 0
    labelled: int = 0
    events: int = 0
    ga: float = 0.0
    drain: float = 0.0
    failure: str = ""


def install(programs: list[Program]) -> dict[str, str]:
    """Install the Debian packages the programs need; the programs that could not get theirs, and why."""
    missing = sorted({p for program in programs for p in program.packages if not _installed(p)})
    if missing:
        print(f"installing Debian packages: {' '.join(missing)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            capture_output=True,
            check=False,
            env=env,
        )
    failed = {}
    for program in programs:
        absent = [p for p in program.packages if not _installed(p)]
        if absent:
            failed[program.name] = f"not installed: {' '.join(absent)}"
    return failed


def _installed(package: str) -> bool:
    status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False)
    return status.stdout.endswith("install ok installed")


def measure(cli: str, log: Log, path: Path, shown: bool) -> Row:
    """GA of the scanner and of drain3 on one log, on the lines a label fits."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[:LIMIT]
    labels = [label(line, log.events) for line in lines]
    kept = [i for i, event in enumerate(labels) if event is not None]
    predicted, templates = scan(cli, path, len(lines))
    drained = drain3_groups(lines)
    truth = [str(labels[i]) for i in kept]
    ours = [predicted[i] for i in kept]
    if shown:
        show(log.name, [lines[i] for i in kept], truth, ours, templates)
    return Row(
        log.name,
        len(lines),
        len(kept),
        len(set(truth)),
        grouping_accuracy(truth, ours),
        grouping_accuracy(truth, [drained[i] for i in kept]),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keep", action="store_true", help="keep each program's folder under .grokpipe/local-corpus/")
    parser.add_argument("--only", nargs="+", metavar="PROGRAM", choices=[p.name for p in PROGRAMS])
    parser.add_argument(
        "--show", action="append", default=[], metavar="NAME", help="print the wrong groups of a program or log"
    )
    args = parser.parse_args()
    cli = shutil.which("grokpipe") or str(Path(sys.executable).parent / "grokpipe")
    programs = [p for p in PROGRAMS if not args.only or p.name in args.only]
    failed = install(programs)
    DATA.mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for number, program in enumerate(programs):
        if program.name in failed:
            rows += [Row(log.name, failure=failed[program.name]) for log in program.logs]
            continue
        work = Path(tempfile.mkdtemp(prefix=f"{program.name}-", dir=DATA))
        work.chmod(0o755)  # servers that drop root (postgres, nginx's workers) read their config here
        print(f"{program.name}: running in {work}", flush=True)
        try:
            program.produce(work, random.Random(number))
        except Exception as exc:  # noqa: BLE001 -- one program that fails to run must not stop the others
            traceback.print_exc()
            rows += [Row(log.name, failure=f"did not run: {type(exc).__name__}: {exc}"[:90]) for log in program.logs]
        else:
            for log in program.logs:
                path = work / log.file
                if not path.is_file():
                    rows.append(Row(log.name, failure=f"wrote no {log.file}"))
                    continue
                row = measure(cli, log, path, bool({log.name, program.name} & set(args.show)))
                print(f"{log.name}: {row.lines - row.labelled} of {row.lines} lines fit no label", flush=True)
                rows.append(row)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    report(rows)
    return 0


def report(rows: list[Row]) -> None:
    print(f"{'program':<16} {'lines':>6} {'labelled':>8} {'events':>6} {'GA':>6} {'drain3':>6}")
    for row in rows:
        if row.failure:
            print(f"{row.name:<16} {row.failure}")
        else:
            print(f"{row.name:<16} {row.lines:>6} {row.labelled:>8} {row.events:>6} {row.ga:>6.3f} {row.drain:>6.3f}")
    scored = [row for row in rows if not row.failure and row.labelled]
    if not scored:
        return
    lines, labelled = sum(r.lines for r in scored), sum(r.labelled for r in scored)
    events = sum(r.events for r in scored)
    mean, mean_drain = (sum(getattr(r, f) for r in scored) / len(scored) for f in ("ga", "drain"))
    print(f"{'mean':<16} {'':>6} {'':>8} {'':>6} {mean:>6.3f} {mean_drain:>6.3f}")
    pooled = sum(r.labelled * r.ga for r in scored) / labelled
    pooled_drain = sum(r.labelled * r.drain for r in scored) / labelled
    print(f"{'all lines':<16} {lines:>6} {labelled:>8} {events:>6} {pooled:>6.3f} {pooled_drain:>6.3f}")


if __name__ == "__main__":
    sys.exit(main())
