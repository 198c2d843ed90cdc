"""``grokpipe rules import FILE...``: ElastAlert2 rule files into grokpipe rules, through the API.

    grokpipe rules import --api http://127.0.0.1:8000 rules/*.yaml    (key: GROKPIPE_API_KEY or --api-key)
    grokpipe rules import --dry-run --notifier email=php-team-mail rules/error_frequency.yaml

Each file is converted (:mod:`grokpipe.api.rules.elastalert`) and created with ``POST /rules``, so the
api validates it like any rule (fields against the mapping, notifier names against api.yml). For each
file it prints the rule created or why the api refused it, and every key it could not convert, and why.
Exit status 0 when every rule was created, 1 when one was not, 2 for a file that cannot be read.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import yaml

from grokpipe.api.rules.elastalert import Conversion, convert


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rules_command", required=True, metavar="COMMAND")
    imp = sub.add_parser("import", help="convert ElastAlert2 rule files and create them through the api")
    imp.add_argument("--api", default="http://127.0.0.1:8000", help="the grokpipe api (default %(default)s)")
    imp.add_argument("--api-key", help="an admin key (default: the GROKPIPE_API_KEY environment variable)")
    imp.add_argument(
        "--notifier",
        action="append",
        default=[],
        metavar="ALERTER=NAME",
        help="the api.yml notifier an ElastAlert alerter becomes, e.g. email=php-team-mail (default: the "
        "alerter's type: email, slack, dingtalk, webhook)",
    )
    imp.add_argument("--dry-run", action="store_true", help="print the converted rules as YAML; create nothing")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")


def _names(pairs: list[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for pair in pairs:
        alerter, sep, name = pair.partition("=")
        if not sep or not alerter or not name:
            raise SystemExit(f"grokpipe rules: --notifier {pair!r} is not ALERTER=NAME")
        names[alerter.strip()] = name.strip()
    return names


def _refusal(response: httpx.Response) -> str:
    try:
        error: dict[str, Any] = response.json().get("error") or {}
    except ValueError:
        return f"HTTP {response.status_code}"
    details = error.get("details") or {}
    parts = [str(error.get("message") or f"HTTP {response.status_code}")]
    for item in details.get("errors") or []:
        where = ".".join(str(p) for p in item.get("loc", [])[1:])
        parts.append(f"{where}: {item.get('hint') or item.get('msg')}")
    if details.get("reason"):
        parts.append(str(details["reason"]))
    return "; ".join(parts)


def _report(conversion: Conversion) -> None:
    for why in conversion.skipped:
        print(f"  not converted: {why}")


def run(args: argparse.Namespace) -> int:
    names = _names(args.notifier)
    key = args.api_key or os.environ.get("GROKPIPE_API_KEY", "")
    if not args.dry_run and not key:
        print("grokpipe rules: an admin API key is needed (--api-key or GROKPIPE_API_KEY)", file=sys.stderr)
        return 2
    failed = False
    with httpx.Client(base_url=args.api, headers={"X-API-Key": key}, timeout=30) as client:
        for path in args.files:
            try:
                docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
            except (OSError, yaml.YAMLError) as exc:
                print(f"grokpipe rules: {path}: {getattr(exc, 'strerror', None) or exc}", file=sys.stderr)
                return 2
            for doc in docs:
                conversion = (
                    convert(doc, names) if isinstance(doc, dict) else Conversion(str(path), None, ["not a rule"])
                )
                if conversion.rule is None:
                    print(f"{path}: {conversion.name}: not converted")
                    _report(conversion)
                    failed = True
                    continue
                if args.dry_run:
                    print(f"# {path}: {conversion.name}")
                    print(yaml.safe_dump(conversion.rule, sort_keys=False, allow_unicode=True), end="")
                    _report(conversion)
                    continue
                try:
                    response = client.post("/rules", json=conversion.rule)
                except httpx.HTTPError as exc:
                    print(f"grokpipe rules: {args.api}: {type(exc).__name__}", file=sys.stderr)
                    return 2
                if response.status_code == 201:
                    print(f"{path}: {conversion.name}: created rule {response.json()['id']}")
                else:
                    print(f"{path}: {conversion.name}: refused by the api: {_refusal(response)}")
                    failed = True
                _report(conversion)
    return 1 if failed else 0
