"""``grokpipe api -c api.yml``: serve the API (and run the scheduler) with uvicorn."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from grokpipe import logs
from grokpipe.api.app import create_app
from grokpipe.api.config import ApiSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-c", "--config", type=Path, required=True, help="api YAML config")


def run(args: argparse.Namespace) -> int:
    settings = ApiSettings.load(args.config)
    logs.setup(settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, host=settings.http.host, port=settings.http.port, log_config=None, access_log=False)
    return 0
