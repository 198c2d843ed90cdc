"""``grokpipe grok test``: a command-line grok debugger, like Kibana's.

    grokpipe grok test --pattern '%{IP:source.ip} %{WORD:verb}' '10.0.0.1 GET'
    tail -n 5 access.log | grokpipe grok test --dataset nginx.access

Prints one JSON object per sample (the captured fields, or the event after the dataset's
pipeline); exits 1 when any sample did not match.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import orjson

from grokpipe.envelope import TAG_GROK_PARSE_FAILURE, TAG_GROK_TIMEOUT
from grokpipe.indexer.errors import PatternError, PipelineError
from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY, Router


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="grok_command", required=True, metavar="COMMAND")
    test = sub.add_parser("test", help="match sample lines (arguments, or stdin) against a pattern or a dataset")
    what = test.add_mutually_exclusive_group(required=True)
    what.add_argument("--pattern", help="a grok expression, e.g. '%%{COMBINEDLOG}'")
    what.add_argument("--dataset", help="run the dataset's whole pipeline, e.g. nginx.error")
    test.add_argument("--patterns-dir", type=Path, action="append", default=[], help="extra pattern folder")
    test.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, help="grok_patterns folder")
    test.add_argument("--timeout", type=float, default=1.0)
    test.add_argument("samples", nargs="*", help="sample lines (default: stdin, one per line)")


def run(args: argparse.Namespace) -> int:
    samples = args.samples or [line.rstrip("\n") for line in sys.stdin]
    failed = 0
    try:
        if args.pattern:
            library = PatternLibrary.from_dirs([args.library / "patterns", *args.patterns_dir])
            grok = library.compile(args.pattern)
            for sample in samples:
                try:
                    found = grok.match(sample, timeout=args.timeout)
                except TimeoutError:
                    found, failed = None, failed + 1
                    print(orjson.dumps({"sample": sample, "error": "timeout"}).decode())
                    continue
                if found is None:
                    failed += 1
                    print(orjson.dumps({"sample": sample, "error": "no match", "pattern": args.pattern}).decode())
                else:
                    print(orjson.dumps(found, option=orjson.OPT_SORT_KEYS).decode())
        else:
            router = Router.load(args.library, args.patterns_dir, args.timeout)
            if router.pipeline_for(args.dataset) is None:
                print(
                    f"grokpipe grok: no pipeline for dataset {args.dataset!r} (known: {', '.join(router.datasets)})",
                    file=sys.stderr,
                )
                return 2
            for sample in samples:
                event = router({"message": sample, "event": {"dataset": args.dataset}})
                tags = event.get("tags") or []
                if TAG_GROK_PARSE_FAILURE in tags or TAG_GROK_TIMEOUT in tags:
                    failed += 1
                print(orjson.dumps(event, option=orjson.OPT_SORT_KEYS).decode())
    except (PatternError, PipelineError) as exc:
        print(f"grokpipe grok: {exc}", file=sys.stderr)
        return 2
    return 1 if failed else 0
