"""``grokpipe`` command line: one console script, one subcommand per service.

Each subcommand imports its service lazily, so ``grokpipe shipper`` does not pay for FastAPI and
a missing optional piece only affects the command that needs it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from grokpipe import __version__
from grokpipe.settings import ConfigError

#: subcommand -> (module with ``add_arguments(parser)`` and ``run(args) -> int``, help)
COMMANDS: dict[str, tuple[str, str]] = {
    "shipper": ("grokpipe.shipper.main", "tail files and receive syslog, publish events to Kafka"),
    "indexer": ("grokpipe.indexer.main", "consume events, grok-parse, bulk-write to Elasticsearch"),
    "api": ("grokpipe.api.main", "alert-rule API and scheduler"),
    "grok": ("grokpipe.indexer.grokcli", "grok debugger: test patterns and datasets against sample lines"),
    "errors": ("grokpipe.indexer.errorscan", "error groups in log files, offline: grokpipe errors scan FILE..."),
    "up": ("grokpipe.up", "run the whole pipeline on the embedded Kafka + Elasticsearch"),
}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grokpipe", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"grokpipe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Only the chosen subcommand's module is imported: the others are listed by name and help.
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, (module_name, help_text) in COMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.add_arguments(sub_parser)
            sub_parser.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    try:
        code: int = args.run(args)
    except ConfigError as exc:
        print(f"grokpipe {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
