"""``grokpipe`` command line: one console script, one subcommand per installed service.

Each distribution registers its subcommands under the ``grokpipe.commands`` entry-point group (a module with
``add_arguments(parser)``, ``run(args) -> int`` and a docstring whose first line is the help), so the core knows
no service: ``pip install ./shipper`` gives ``grokpipe shipper`` and nothing else. Only the chosen subcommand's
module is imported, so ``grokpipe shipper`` does not pay for FastAPI.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from grokpipe.settings import ConfigError
from grokpipe.version import __version__

#: The entry-point group each distribution registers its subcommands in (``name = "module"``).
GROUP = "grokpipe.commands"

#: One line of help per subcommand, so ``grokpipe --help`` lists them without importing any.
HELP: dict[str, str] = {
    "shipper": "tail files and receive syslog, publish events to Kafka",
    "indexer": "consume events, grok-parse, bulk-write to Elasticsearch",
    "api": "alert-rule API and scheduler",
    "grok": "grok debugger: test patterns and datasets against sample lines",
    "errors": "error groups in log files, offline: grokpipe errors scan FILE...",
    "search": "search logs through the api: grokpipe search QUERY --since 15m",
    "patterns": "log patterns of files, offline: grokpipe patterns scan FILE...",
    "up": "run the whole pipeline on the embedded Kafka + Elasticsearch",
    "rules": "ElastAlert2 rule files into grokpipe rules: grokpipe rules import FILE...",
}


def commands() -> dict[str, str]:
    """Installed subcommand -> module name, from the distributions' entry points, sorted by name."""
    return {ep.name: ep.value for ep in sorted(entry_points(group=GROUP), key=lambda ep: ep.name)}


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grokpipe", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"grokpipe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Only the chosen subcommand's module is imported: the others are listed by name and help.
    chosen = next((arg for arg in argv if not arg.startswith("-")), None)
    for name, module_name in commands().items():
        help_text = HELP.get(name, "")
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
