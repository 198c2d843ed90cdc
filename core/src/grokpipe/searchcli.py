"""``grokpipe search``: logs from the command line, through the api's ``/search`` (an HTTP client only).

    grokpipe search 'http.response.status_code:500' --since 15m
    grokpipe search 'event.dataset:nginx.access' --stats http.request.duration --by url.path --since 1h
    grokpipe search 'log.level:error' --follow --json-lines | jq .message

The query is Lucene as in Kibana and in rules; the api translates it with the rules' own code, so a
query that works in a rule works here. The api's URL and key come from ``--url``/``--key`` or
``GROKPIPE_API_URL``/``GROKPIPE_API_KEY`` (a read key is enough), so the same command works against
``make run`` and the compose stack. Output: a table, newest first; ``--json-lines`` prints one event
per line (its fields, flattened to dotted names); ``--follow`` then keeps printing new matches as they
are indexed (by ``event.ingested``), oldest first. Exit status 1 when the api refuses the query or
cannot be reached, 2 on bad arguments.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

import orjson

if TYPE_CHECKING:  # httpx comes with the core's "search" extra; imported when the command runs
    import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_COLUMNS = ("event.dataset", "host.name", "message")
PAGE = 500
TIME_WIDTH = 29  # 2026-12-07T08:15:02.123+00:00
#: how far back each --follow poll looks past the previous one (bulk request + refresh + clock skew)
FOLLOW_OVERLAP = timedelta(seconds=30)


class SearchError(Exception):
    """The api refused the request or could not be reached; the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="?", default="", help="Lucene, e.g. 'http.response.status_code:500'")
    when = parser.add_mutually_exclusive_group()
    when.add_argument("--since", help="the last 15m, 1h, 7d... (default 15m)")
    when.add_argument("--from", dest="start", help="range start, ISO 8601 (e.g. 2026-12-07T08:00:00Z)")
    parser.add_argument("--until", help="range end, ISO 8601 (default now)")
    parser.add_argument("--fields", help="comma-separated columns (default: event.dataset,host.name,message)")
    parser.add_argument("--limit", type=int, default=50, help="events to print at most (default 50)")
    parser.add_argument("--json-lines", action="store_true", help="one JSON object per event")
    parser.add_argument("--follow", "-f", action="store_true", help="keep printing new matches (Ctrl-C stops)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between --follow polls")
    parser.add_argument("--index", default="logs-*", help="index pattern (default logs-*)")
    parser.add_argument("--stats", metavar="FIELD", help="numbers of a numeric field instead of events")
    parser.add_argument("--by", metavar="FIELD", help="with --stats: per value of this keyword field")
    parser.add_argument("--top", type=int, default=10, help="with --by: the N most frequent values")
    parser.add_argument("--url", default=os.environ.get("GROKPIPE_API_URL", DEFAULT_URL), help="api URL")
    parser.add_argument("--key", default=os.environ.get("GROKPIPE_API_KEY"), help="API key ($GROKPIPE_API_KEY)")


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if importlib.util.find_spec("httpx") is None:
        print("grokpipe search needs httpx: pip install 'grokpipe-core[search]'", file=sys.stderr)
        return 2
    if not args.key:
        print(
            "grokpipe search: no API key: pass --key or set GROKPIPE_API_KEY (make run: dev-read-key)", file=sys.stderr
        )
        return 2
    if args.limit < 1 or (args.by and not args.stats):
        print("grokpipe search: --limit must be positive; --by needs --stats", file=sys.stderr)
        return 2
    client = SearchClient(args.url, args.key)
    try:
        if args.stats:
            stats = client.get(
                "/search/stats", _range(args) | _common(args, field=args.stats, by=args.by, top=args.top)
            )
            out.write(orjson.dumps(stats).decode() + "\n" if args.json_lines else stats_table(stats))
            return 0
        columns = [c.strip() for c in (args.fields or "").split(",") if c.strip()] or list(DEFAULT_COLUMNS)
        printer = Printer(out, columns, json_lines=args.json_lines, pick=bool(args.fields))
        common = _common(args, fields=",".join(["@timestamp", *columns, "event.ingested"]) if args.fields else None)
        events, end = client.newest(_range(args) | common, args.limit)
        printer.print(reversed(events) if args.follow else events)
        if not events and not args.json_lines:
            print("no events match in the range" + (" yet; following" if args.follow else ""), file=sys.stderr)
        if args.follow:
            skip = {str(event["id"]) for event in events}
            for batch in client.follow(common, start=end, interval=args.interval, skip=skip):
                printer.print(batch)
    except SearchError as exc:
        print(f"grokpipe search: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        client.close()
    return 0


def _common(args: argparse.Namespace, **more: Any) -> dict[str, Any]:
    return {"q": args.query, "index": args.index} | {k: v for k, v in more.items() if v is not None}


def _range(args: argparse.Namespace) -> dict[str, Any]:
    params = {"since": args.since, "from": args.start, "until": args.until}
    return {k: v for k, v in params.items() if v is not None}


class SearchClient:
    """The api's ``/search`` endpoints over one HTTP connection; failures become :class:`SearchError`."""

    def __init__(self, url: str, key: str, transport: httpx.BaseTransport | None = None) -> None:
        import httpx

        self.http = httpx.Client(base_url=url, headers={"X-API-Key": key}, timeout=60, transport=transport)

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any]) -> Any:
        import httpx

        try:
            resp = self.http.get(path, params=params)
        except httpx.HTTPError as exc:
            raise SearchError(f"cannot reach the api at {self.http.base_url}: {exc}") from None
        if resp.status_code != 200:
            raise SearchError(describe_error(resp, str(params.get("q", ""))))
        return resp.json()

    def newest(self, params: dict[str, Any], limit: int) -> tuple[list[dict[str, Any]], str]:
        """Up to ``limit`` matching events, newest first, and the end of the range the api used."""
        events: list[dict[str, Any]] = []
        page = self.get("/search", params | {"size": min(limit, PAGE)})
        end = str(page["end"])
        while True:
            events += page["events"]
            if not page["next"] or len(events) >= limit:
                return events[:limit], end
            page = self.get("/search", params | {"size": min(limit - len(events), PAGE), "after": page["next"]})

    def follow(
        self, params: dict[str, Any], *, start: str, interval: float, skip: set[str] | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Batches of events indexed after ``start`` (by ``event.ingested``), each event once, oldest first;
        ``skip``: ids already printed."""
        since = _parse(start)
        seen: dict[str, datetime] = dict.fromkeys(skip or (), since)
        while True:
            time.sleep(interval)
            window = since - FOLLOW_OVERLAP
            query = params | {"time_field": "event.ingested", "from": window.isoformat(), "order": "asc", "size": PAGE}
            batch: list[dict[str, Any]] = []
            page = self.get("/search", query)
            since = _parse(str(page["end"]))
            while True:
                for event in page["events"]:
                    if event["id"] not in seen:
                        seen[event["id"]] = _parse(str(event["fields"].get("event.ingested") or page["end"]))
                        batch.append(event)
                if not page["next"]:
                    break
                page = self.get("/search", query | {"after": page["next"]})
            for key in [k for k, at in seen.items() if at < window]:
                del seen[key]
            if batch:
                yield batch


def describe_error(resp: httpx.Response, query: str) -> str:
    """The api's error as a sentence; a syntax error also shows the query with a caret at its position."""
    try:
        error = resp.json()["error"]
        message, details = str(error["message"]), dict(error.get("details") or {})
    except (ValueError, KeyError, TypeError):
        return f"HTTP {resp.status_code}: {resp.text[:200]}"
    reason = f": {details['reason']}" if details.get("reason") else ""
    text = f"{message}{reason}"
    position = details.get("position")
    if isinstance(position, int) and query:
        text += f"\n  {query}\n  {' ' * min(position, len(query))}^"
    return text


class Printer:
    """Events as a table (one header, fixed widths, the last column takes the rest) or as JSON lines."""

    def __init__(self, out: TextIO, columns: Sequence[str], *, json_lines: bool, pick: bool = False) -> None:
        self.out = out
        self.pick = pick  # JSON lines hold only ``columns`` (and @timestamp)
        self.columns = list(columns)
        self.json_lines = json_lines
        self.header = False
        width = shutil.get_terminal_size((160, 24)).columns
        self.widths = [TIME_WIDTH] + [20] * (len(self.columns) - 1)
        self.widths.append(max(20, width - TIME_WIDTH - 2 - 22 * (len(self.columns) - 1)))

    def print(self, events: Any) -> None:
        for event in events:
            if self.json_lines:
                fields = event["fields"]
                picked = {c: fields[c] for c in ["@timestamp", *self.columns] if c in fields} if self.pick else fields
                self.out.write(orjson.dumps(picked).decode() + "\n")
                continue
            if not self.header:
                self.out.write(self._row(["@timestamp", *self.columns]) + "\n")
                self.header = True
            values = [event.get("timestamp") or "", *(_show(event["fields"].get(c)) for c in self.columns)]
            self.out.write(self._row(values) + "\n")
        self.out.flush()

    def _row(self, values: Sequence[str]) -> str:
        cells = [_cut(v, w).ljust(w) for v, w in zip(values[:-1], self.widths, strict=False)]
        return "  ".join([*cells, _cut(values[-1], self.widths[len(values) - 1])]).rstrip()


def stats_table(stats: dict[str, Any]) -> str:
    """``/search/stats`` as a table: the whole set, then one row per value of ``by``."""
    labels = list(stats["overall"]["percentiles"])
    head = [stats["by"] or "", "COUNT", "AVG", "MIN", "MAX", *(label.upper() for label in labels)]
    rows = [head, _stats_row("(all)", stats["overall"], labels)]
    rows += [_stats_row(str(g["key"]), g, labels) for g in stats["groups"]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in rows
    ]
    if stats["method"] == "histogram":
        bound = max([stats["overall"]["error_bound"], *(g["error_bound"] for g in stats["groups"])])
        lines.append(f"{stats['field']}: percentiles from a histogram, each within {_num(bound)} of the exact value")
    else:
        lines.append(f"{stats['field']}: percentiles from the server's percentiles aggregation")
    return "\n".join(lines) + "\n"


def _stats_row(key: str, numbers: dict[str, Any], labels: Sequence[str]) -> list[str]:
    values = [numbers["avg"], numbers["min"], numbers["max"], *(numbers["percentiles"][label] for label in labels)]
    return [key, str(numbers["count"]), *(_num(v) for v in values)]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def _show(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return str(value).replace("\n", " ⏎ ")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
