"""``grokpipe shipper -c shipper.yml``"""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from grokpipe import gctune, logs
from grokpipe.shipper.config import ShipperSettings
from grokpipe.shipper.service import Shipper


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, required=True, help="shipper YAML config")


def run(args: argparse.Namespace) -> int:
    settings = ShipperSettings.load(args.config)
    logs.setup(settings.log_level)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    shipper = Shipper(settings)
    shipper.start()
    gctune.settle()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        shipper.stop()
    return 0
