"""``grokpipe indexer -c indexer.yml [--setup-only]``"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

import orjson

from grokpipe import logs
from grokpipe.indexer.config import IndexerSettings
from grokpipe.indexer.errors import PipelineError
from grokpipe.indexer.service import Indexer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, required=True, help="indexer YAML config")
    parser.add_argument("--setup-only", action="store_true", help="install index templates and exit")


def run(args: argparse.Namespace) -> int:
    settings = IndexerSettings.load(args.config)
    logs.setup(settings.log_level)
    try:
        indexer = Indexer(settings)
    except PipelineError as exc:
        print(f"grokpipe indexer: {exc}", file=sys.stderr)
        return 2
    if args.setup_only:
        print(orjson.dumps(indexer.setup()).decode())
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    indexer.start()
    try:
        while not stop.wait(1.0):
            if indexer.consumer.error is not None:
                return 1
    finally:
        indexer.stop()
    return 0
