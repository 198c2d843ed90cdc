"""``grokpipe api -c api.yml``: serve the API (and run the scheduler) with uvicorn."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from grokpipe import logs
from grokpipe.api.app import create_app
from grokpipe.api.checks.sealing import generate_key
from grokpipe.api.config import ApiSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("-c", "--config", type=Path, help="api YAML config")
    what.add_argument(
        "--generate-secrets-key", action="store_true", help="print a new key for checks.secrets_keys and exit"
    )


def run(args: argparse.Namespace) -> int:
    if args.generate_secrets_key:
        print(generate_key())
        return 0
    settings = ApiSettings.load(args.config)
    logs.setup(settings.log_level)
    app = create_app(settings)
    uvicorn.run(app, host=settings.http.host, port=settings.http.port, log_config=None, access_log=False)
    return 0
