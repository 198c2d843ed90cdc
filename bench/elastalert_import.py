"""``grokpipe rules import`` beside ElastAlert2 2.19.0: the same rule files, the same data, the same groups?

Run with ``make bench BENCH=elastalert_import`` (or ``python bench/elastalert_import.py``). One noida-db,
one data set, in one run (a few minutes, most of it ElastAlert2's start-up, once per rule):

- ElastAlert2 rule files written the way its documentation shows them (``type`` any, frequency,
  spike, flatline, new_term, cardinality, metric_aggregation; ``filter`` as query_string, term,
  terms, range and bool; ``query_key``; ``alert: email``);
- generated events in ``logs-eabench-default`` that end at ``T`` (the last whole minute), designed
  so that some groups of each rule fire and others do not (each rule's docstring below says which);
- (a) ElastAlert2 2.19.0 (its own venv under ``.grokpipe/bench/elastalert-venv``, as ``bench/rules.py``
  makes it) runs each original file over the data up to ``T`` (``--start``/``--end``, as
  ``elastalert-test-rule`` does), and the groups are the ``query_key`` values (new_term: the new
  value) of the matches its rule type finds, whatever realert would silence after them;
- (b) the api (on a real uvicorn, clock fixed at ``T``) gets the rules ``grokpipe rules import``
  created from the same files, and ``POST /rules/preview`` evaluates each stored rule over its window
  ending at ``T`` (what a scheduled run at ``T`` searches): the groups are its findings' keys.

Prints one table per rule (group, fired under ElastAlert2, fired under grokpipe, agree) and a summary
line (rules agreeing / total). Where the two cannot agree by design, the table says why (see
docs/alerting.md, "Coming from ElastAlert"). Not a test: nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# With bench/ on sys.path, "import indexer" would find bench/indexer.py: import the packages without
# bench/ on the path, then its helpers.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import httpx  # noqa: E402
import uvicorn  # noqa: E402
import yaml  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402

from grokpipe.api.app import create_app  # noqa: E402
from grokpipe.api.config import ApiSettings  # noqa: E402
from grokpipe.api.rules.conditions import window_for  # noqa: E402
from grokpipe.api.rules.schemas import RuleCreate  # noqa: E402
from grokpipe.embedded import EmbeddedStack  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402
from rules import elastalert_venv  # noqa: E402

KEY = "bench-admin-key-0123456789"
INDEX = "logs-eabench-default"
MAPPING = {
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "service": {"type": "keyword"},
        "host": {"type": "keyword"},
        "user": {"type": "keyword"},
        "client_ip": {"type": "keyword"},
        "event": {"type": "keyword"},
        "level": {"type": "keyword"},
        "path": {"type": "keyword"},
        "maintenance": {"type": "keyword"},
        "status": {"type": "long"},
        "latency_ms": {"type": "long"},
    }
}


@dataclass(frozen=True)
class BenchRule:
    """One ElastAlert2 rule file, the field that names its groups, and how far before ``T`` ElastAlert2
    starts reading (as far back as grokpipe's evaluation reads, or further where ElastAlert2 needs to
    have watched a group for a while before it may fire: spike and flatline)."""

    file: str
    text: str
    group_field: str
    lookback: timedelta


RULES = [
    BenchRule(
        "any.yaml",
        """\
# type any (the documentation's example_rules/example_any.yaml shape): every fatal error, by service
name: PHP fatal errors
type: any
index: logs-*
query_key: service
realert:
  minutes: 0
filter:
- query:
    query_string:
      query: "level: fatal"
alert:
- "email"
email:
- "php-team@example.com"
""",
        "service",
        timedelta(minutes=5),
    ),
    BenchRule(
        "any_bool.yaml",
        """\
# type any with a bool filter (should with minimum_should_match, must_not exists), a Lucene query_string
# with a group and a wildcard, match_phrase, and a range with lt, by host. The hyphen before the wildcard is
# escaped: noida-db's query_string finds nothing for host:db-* (Elasticsearch's finds db-1...)
name: Database trouble
type: any
index: logs-*
query_key: host
filter:
- bool:
    should:
    - match_phrase:
        message: "disk full"
    - query_string:
        query: 'level:(error OR fatal) AND host:db\\-*'
    minimum_should_match: 1
    must_not:
    - exists:
        field: maintenance
- range:
    latency_ms:
      lt: 1000
alert:
- "email"
email:
- "dba@example.com"
""",
        "host",
        timedelta(minutes=5),
    ),
    BenchRule(
        "frequency.yaml",
        """\
# type frequency (example_frequency.yaml): at least 5 server errors of checkout in 10 minutes, per host
name: Checkout 5xx burst
type: frequency
index: logs-*
num_events: 5
timeframe:
  minutes: 10
query_key: host
filter:
- term:
    service: "checkout"
- range:
    status:
      gte: 500
alert:
- "email"
email:
- "oncall@example.com"
""",
        "host",
        timedelta(minutes=10),
    ),
    BenchRule(
        "frequency_compound.yaml",
        """\
# type frequency with a query_key list (a compound key) and a Lucene query_string: at least 3 failed
# uploads (5xx, not retried) in 10 minutes, per service and host
name: Failed uploads
type: frequency
index: logs-*
num_events: 3
timeframe:
  minutes: 10
query_key:
- service
- host
filter:
- query:
    query_string:
      query: 'event:upload AND status:[500 TO 599] AND NOT message:"retried"'
alert:
- "email"
email:
- "storage@example.com"
""",
        "service,host",
        timedelta(minutes=10),
    ),
    BenchRule(
        "spike.yaml",
        """\
# type spike (example_spike.yaml): errors tripled against the previous 10 minutes, at least 5 of them
name: Error spike
type: spike
index: logs-*
timeframe:
  minutes: 10
spike_height: 3
spike_type: "up"
threshold_cur: 5
query_key: service
filter:
- bool:
    must:
    - term:
        level: "error"
    must_not:
    - term:
        path: "/health"
alert:
- "email"
email:
- "oncall@example.com"
""",
        "service",
        timedelta(minutes=30),
    ),
    BenchRule(
        "spike_down.yaml",
        """\
# type spike, spike_type down: requests fell to a third of the previous 10 minutes, per service
name: Traffic dip
type: spike
index: logs-*
timeframe:
  minutes: 10
spike_height: 3
spike_type: "down"
threshold_cur: 5
query_key: service
filter:
- term:
    event: "request"
alert:
- "email"
email:
- "oncall@example.com"
""",
        "service",
        timedelta(minutes=30),
    ),
    BenchRule(
        "flatline.yaml",
        """\
# type flatline (example_flatline.yaml... with a query_key): fewer than 3 heartbeats in 10 minutes, per host
name: Heartbeat lost
type: flatline
index: logs-*
threshold: 3
timeframe:
  minutes: 10
query_key: host
filter:
- term:
    service: "heartbeat"
alert:
- "email"
email:
- "oncall@example.com"
""",
        "host",
        timedelta(minutes=30),
    ),
    BenchRule(
        "new_term.yaml",
        """\
# type new_term (example_new_term.yaml): a user never seen logging in during the day before; the field
# is a keyword (no user.keyword sub-field), so use_keyword_postfix: false, as ElastAlert2's docs say.
# The filter is a term, not the example's {query: {query_string: ...}}: new_term's history search sends the
# filter as written, and that old {query: ...} wrapper is no Elasticsearch query (noida-db matched nothing
# with it, so every user looked new to ElastAlert2).
name: New user logging in
type: new_term
index: logs-*
fields:
- "user"
use_keyword_postfix: false
terms_window_size:
  days: 1
filter:
- term:
    event: "login"
alert:
- "email"
email:
- "security@example.com"
""",
        "user",
        timedelta(minutes=5),
    ),
    BenchRule(
        "cardinality.yaml",
        """\
# type cardinality (example_cardinality.yaml): more than 3 distinct users from one address in 10 minutes
name: Many users from one address
type: cardinality
index: logs-*
timeframe:
  minutes: 10
cardinality_field: "user"
max_cardinality: 3
query_key: client_ip
filter:
- terms:
    event: ["login", "login_failed"]
alert:
- "email"
email:
- "security@example.com"
""",
        "client_ip",
        timedelta(minutes=10),
    ),
    BenchRule(
        "metric_aggregation.yaml",
        """\
# type metric_aggregation (the documentation's Metricbeat shape): average latency of the cart pages
# above 500 ms over the buffer time, per service
name: Slow cart pages
type: metric_aggregation
index: logs-*
buffer_time:
  minutes: 10
metric_agg_key: latency_ms
metric_agg_type: avg
max_threshold: 500
query_key: service
filter:
- terms:
    path: ["/cart", "/checkout"]
alert:
- "email"
email:
- "perf@example.com"
""",
        "service",
        timedelta(minutes=10),
    ),
]


#: groups where the two differ by design: ElastAlert2's semantics that a grokpipe rule cannot express
#: (``grokpipe rules import`` says so for each rule it concerns; docs/alerting.md lists them)
BY_DESIGN = {
    ("any.yaml", "None"): "db-2's fatal error has no service: ElastAlert2 groups events without the "
    "query_key field under None; grokpipe's groups are the field's values, and such events are in none",
    ("spike.yaml", "svc-new"): "first seen in the window: ElastAlert2 watches a query_key value for two "
    "timeframes before its spike may fire (alert_on_new_data: false); grokpipe compares the windows as they are",
    ("spike_down.yaml", "dip-b"): "a dip to 2: ElastAlert2 wants threshold_cur (5) of the current window; "
    "grokpipe's min_count is met by either window",
    ("flatline.yaml", "hb-new"): "first seen 3 minutes ago: ElastAlert2 watches a query_key value for a "
    "timeframe before its flatline may fire; grokpipe counts the window as it is",
}


def events(end: datetime) -> Iterator[dict[str, Any]]:
    """The data set, relative to ``end`` (``T``). No event is on a window's edge (every edge is a whole minute)."""

    def at(minutes: float, seconds: int = 20) -> str:
        return (end - timedelta(minutes=minutes) + timedelta(seconds=seconds)).isoformat()

    def ev(when: str, **fields: Any) -> dict[str, Any]:
        return {"@timestamp": when, "message": " ".join(f"{k}={v}" for k, v in fields.items()), **fields}

    # any: fatal errors of php-shop and php-admin in the last 5 minutes fire; php-blog's is 8 minutes old;
    # api-go only logs errors.
    for i in range(3):
        yield ev(at(4 - i), service="php-shop", level="fatal")
    yield ev(at(2), service="php-admin", level="fatal")
    yield ev(at(8), service="php-blog", level="fatal")
    for i in range(4):
        yield ev(at(3, i), service="api-go", level="error")
    # any_bool: db-1 (error) and web-9 ("disk full") fire; db-2 is in maintenance (and its fatal error,
    # without a service, is one for the any rule: ElastAlert2 fires for the service None); web-8's disk "is full";
    # db-3 only warns; db-4's latency is 1000 (not under it); app-1 is no db-* host.
    for host, level, message, extra in (
        ("db-1", "error", "query failed", {}),
        ("db-2", "fatal", "query failed", {"maintenance": "planned"}),
        ("web-9", "info", "disk full on /var", {}),
        ("web-8", "info", "disk is full", {}),
        ("db-3", "warn", "slow query", {}),
        ("db-4", "error", "query failed", {"latency_ms": 1000}),
        ("app-1", "error", "query failed", {}),
    ):
        yield ev(at(3), host=host, level=level, **({"latency_ms": 100} | extra)) | {"message": message}
    # frequency (5 checkout 5xx in 10 minutes per host): web-1 (8) and web-2 (5, exactly) fire; web-3 has 4
    # (and 10 successes); web-4's 6 are search's; web-5's 7 are 404s.
    for host, count, service, status in (
        ("web-1", 8, "checkout", 500),
        ("web-2", 5, "checkout", 503),
        ("web-3", 4, "checkout", 502),
        ("web-3", 10, "checkout", 200),
        ("web-4", 6, "search", 500),
        ("web-5", 7, "checkout", 404),
    ):
        for i in range(count):
            yield ev(at(9 - i % 9, i), service=service, host=host, status=status)
    # frequency_compound (3 uploads with a 5xx not retried, per service and host): files/f-1 (4) and
    # media/f-1 (3, status 599) fire; files/f-2 has 3 of which one retried; media/f-2's 3 are status 600;
    # files/f-3's 5 are downloads.
    for service, host, statuses, retried, event in (
        ("files", "f-1", [500, 500, 502, 504], 0, "upload"),
        ("files", "f-2", [503, 503, 503], 1, "upload"),
        ("media", "f-1", [599, 599, 599], 0, "upload"),
        ("media", "f-2", [600, 600, 600], 0, "upload"),
        ("files", "f-3", [500] * 5, 0, "download"),
    ):
        for i, status in enumerate(statuses):
            words = "upload retried" if i < retried else "upload failed"
            yield ev(at(8 - i, 7 * i), service=service, host=host, status=status, event=event, message=words)
    # spike (errors x3 against the previous 10 minutes, at least 5): every service but svc-new also logged
    # an error 25 minutes ago (ElastAlert2 fires only for a key it has watched for two timeframes).
    # svc-a 2 -> 8 fires; svc-b 4 -> 8 does not; svc-c 1 -> 4 is under 5; svc-d 0 -> 6 fires; svc-h 1 -> 9 of
    # which 5 on /health (4 count) does not; svc-new 0 -> 8, first seen now.
    for service, before, now, health in (
        ("svc-a", 2, 8, 0),
        ("svc-b", 4, 8, 0),
        ("svc-c", 1, 4, 0),
        ("svc-d", 0, 6, 0),
        ("svc-h", 1, 4, 5),
        ("svc-new", 0, 8, 0),
    ):
        if service != "svc-new":
            yield ev(at(25), service=service, level="error", path="/api")
        for i in range(before):
            yield ev(at(18 - i), service=service, level="error", path="/api")
        for i in range(now + health):
            yield ev(at(1, 2 * i), service=service, level="error", path="/health" if i < health else "/api")
    # spike_down (requests down to a third, at least 5 now), each service also seen 25 minutes ago:
    # dip-a 30 -> 6 fires; dip-c 12 -> 6 does not; dip-b 30 -> 2 is a dip, but under threshold_cur for
    # ElastAlert2 (grokpipe's min_count is met by the earlier window: by design).
    for service, before, now in (("dip-a", 30, 6), ("dip-b", 30, 2), ("dip-c", 12, 6)):
        yield ev(at(25), service=service, event="request")
        for i in range(before):
            yield ev(at(19 - i % 4, 2 * i % 60), service=service, event="request")
        for i in range(now):
            yield ev(at(2, 5 * i), service=service, event="request")
    # flatline (fewer than 3 heartbeats in 10 minutes per host), one a minute from 30 minutes ago:
    # hb-1 never stops; hb-2 stops 12 minutes ago and fires; hb-3 too, with a single beat 4 minutes ago;
    # hb-new started 3 minutes ago (2 beats): grokpipe fires, ElastAlert2 has not watched it for 10 minutes.
    for host, last in (("hb-1", 0), ("hb-2", 12), ("hb-3", 12)):
        for m in range(30, last, -1):
            yield ev(at(m), service="heartbeat", host=host)
    yield ev(at(4), service="heartbeat", host="hb-3")
    for m in (3, 2):
        yield ev(at(m), service="heartbeat", host="hb-new")
    # new_term (user, a day of history): alice and bob logged in 2 and 3 hours ago, carol never, dave two
    # days ago (beyond terms_window_size): carol and dave fire; erin's logout is not a login.
    for user, hours in (("alice", 2), ("bob", 3), ("dave", 48)):
        yield ev(at(60 * hours), event="login", user=user, client_ip="192.0.2.1")
    for i, user in enumerate(("alice", "bob", "carol", "carol", "dave")):
        yield ev(at(4 - i * 0.5), event="login", user=user, client_ip=f"192.0.2.{i + 1}")
    yield ev(at(2), event="logout", user="erin", client_ip="192.0.2.1")
    # cardinality (more than 3 users per client_ip in 10 minutes, logins and failures): 10.0.0.1 (5) and
    # 10.0.0.3 (4) fire; 10.0.0.2 has 3; 10.0.0.4 one user ten times; 10.0.0.5 5 users, but 2 of them
    # only logged out.
    for ip, users, event in (
        ("10.0.0.1", ["u1", "u2", "u3", "u4", "u5"], "login_failed"),
        ("10.0.0.2", ["u1", "u2", "u3"], "login"),
        ("10.0.0.3", ["u6", "u7", "u8", "u9"], "login_failed"),
        ("10.0.0.4", ["u1"] * 10, "login_failed"),
        ("10.0.0.5", ["u1", "u2", "u3"], "login_failed"),
        ("10.0.0.5", ["u4", "u5"], "logout"),
    ):
        for i, user in enumerate(users):
            yield ev(at(9 - i % 8, 5 * i % 60), event=event, user=user, client_ip=ip)
    # metric_aggregation (average latency_ms of /cart and /checkout above 500 per service, 10 minutes):
    # cart-api (800) fires; shop-api (300) does not, nor pay-api (exactly 500); search-api's 900 are
    # on /search; cart-old's 2000 are 15 minutes old.
    for service, path, latencies, minutes in (
        ("cart-api", "/cart", [600, 800, 1000], 5),
        ("shop-api", "/checkout", [200, 300, 400], 5),
        ("pay-api", "/checkout", [400, 500, 600], 5),
        ("search-api", "/search", [900, 900], 5),
        ("cart-old", "/cart", [2000], 15),
    ):
        for i, latency in enumerate(latencies):
            yield ev(at(minutes - i), service=service, path=path, latency_ms=latency)


#: run inside ElastAlert2's venv: one rule file over [start, end], the groups its rule type matched
DRIVER = """\
import json, sys
from elastalert.elastalert import ElastAlerter
from elastalert.util import lookup_es_key, ts_to_dt

config, rule_file, start, end, field, out = sys.argv[1:7]
client = ElastAlerter(["--config", config, "--rule", rule_file, "--start", start, "--end", end, "--debug"])
rule = client.rules[0]
found = []
add_match = rule["type"].add_match

def recording(match, *args, **kwargs):
    add_match(match, *args, **kwargs)
    found.append(rule["type"].matches[-1] if rule["type"].matches else match)

rule["type"].add_match = recording
client.run_rule(rule, ts_to_dt(end), ts_to_dt(start))
groups = set()
for match in found:
    value = lookup_es_key(match, field)
    if value is None and field == rule.get("query_key"):
        value = match.get("key")
    if value is None:
        value = match.get("new_value")
    groups.add(str(value))
with open(out, "w") as f:
    json.dump(sorted(groups), f)
"""


def elastalert_groups(venv: Path, tmp: Path, es_url: str, end: datetime) -> dict[str, set[str] | str]:
    """Each rule file's groups under ElastAlert2 (or why it could not run)."""
    host, port = es_url.removeprefix("http://").rsplit(":", 1)
    config = tmp / "elastalert.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "rules_folder": str(tmp / "rules"),
                "run_every": {"minutes": 1},
                "buffer_time": {"minutes": 5},
                "es_host": host,
                "es_port": int(port),
                "writeback_index": "elastalert",
                "alert_time_limit": {"days": 1},
                "old_query_limit": {"weeks": 1},
            }
        )
    )
    subprocess.run(
        [str(venv / "bin" / "elastalert-create-index"), "--config", str(config)],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=300,
    )
    driver = tmp / "driver.py"
    driver.write_text(DRIVER)
    found: dict[str, set[str] | str] = {}
    for rule in RULES:
        out = tmp / f"{rule.file}.json"
        start = (end - rule.lookback).isoformat()
        argv = [str(config), str(tmp / "rules" / rule.file), start, end.isoformat(), rule.group_field, str(out)]
        proc = subprocess.run(
            [str(venv / "bin" / "python"), str(driver), *argv],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            found[rule.file] = "failed: " + (proc.stderr.strip().splitlines() or ["?"])[-1]
            (tmp / f"{rule.file}.log").write_text(proc.stdout + proc.stderr)
        else:
            found[rule.file] = set(json.loads(out.read_text()))
    return found


@contextmanager
def serve_api(settings: ApiSettings, end: datetime) -> Iterator[str]:
    """The api on a real uvicorn on a free port, its clock fixed at ``end``."""
    app = create_app(settings, clock=lambda: end, scheduler=False)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def grokpipe_groups(es_url: str, tmp: Path, end: datetime) -> tuple[dict[str, set[str] | str], str]:
    """Each rule file's groups under the rules ``grokpipe rules import`` made of it, and the import's output."""
    settings = ApiSettings.model_validate(
        {
            "elasticsearch": {"hosts": [es_url]},
            "auth": {"admin_keys": [KEY]},
            "notifiers": {"ops-mail": {"type": "email", "host": "127.0.0.1", "sender": "a@x", "to": ["b@x"]}},
            "log_level": "WARNING",
        }
    )
    found: dict[str, set[str] | str] = {}
    with serve_api(settings, end) as url:
        files = [str(tmp / "rules" / rule.file) for rule in RULES]
        argv = ["rules", "import", "--api", url, "--api-key", KEY, "--notifier", "email=ops-mail", *files]
        cli = [sys.executable, "-c", "import sys; from grokpipe.cli import main; sys.exit(main(sys.argv[1:]))"]
        proc = subprocess.run(
            [*cli, *argv],
            check=False,
            capture_output=True,
            text=True,
            timeout=300,
        )
        output = proc.stdout + proc.stderr
        created: dict[str, str] = {}
        for line in proc.stdout.splitlines():
            path, _, rest = line.partition(": ")
            if ": created rule " in rest:
                created[Path(path).name] = rest.rsplit(" ", 1)[-1]
            elif ": not converted" in rest or ": refused by the api: " in rest:
                found[Path(path).name] = "not imported: " + rest.split(": ", 1)[1]
        headers = {"X-API-Key": KEY}
        with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
            for rule in RULES:
                rule_id = created.get(rule.file)
                if rule_id is None:
                    found.setdefault(rule.file, "not imported")
                    continue
                stored = client.get(f"/rules/{rule_id}").json()
                body = RuleCreate.model_validate({k: v for k, v in stored.items() if k in RuleCreate.model_fields})
                start, until = window_for(body, end)
                preview = {"rule": body.model_dump(mode="json"), "start": start.isoformat(), "end": until.isoformat()}
                response = client.post("/rules/preview", json=preview)
                if response.status_code != 200:
                    found[rule.file] = f"preview failed: HTTP {response.status_code} {response.text[:200]}"
                    continue
                found[rule.file] = {str(f["key"]).replace("/", ", ") for f in response.json()["findings"]}
    return found, output


def report(ea: dict[str, set[str] | str], gp: dict[str, set[str] | str]) -> tuple[str, int, int]:
    """One table per rule, the number of rules whose groups agree, and of those that agree but for
    groups in :data:`BY_DESIGN`."""
    out: list[str] = []
    agreeing = explained = 0
    for rule in RULES:
        name = yaml.safe_load(rule.text)["name"]
        a, g = ea.get(rule.file, "missing"), gp.get(rule.file, "missing")
        out.append(f"\n{rule.file} ({name}), groups by {rule.group_field}")
        if isinstance(a, str) or isinstance(g, str):
            out.append(f"  ElastAlert2: {a if isinstance(a, str) else sorted(a)}")
            out.append(f"  grokpipe:    {g if isinstance(g, str) else sorted(g)}")
            out.append("  agree: no")
            continue
        rows: list[list[object]] = []
        why: list[str] = []
        for group in sorted(a | g):
            same = (group in a) == (group in g)
            reason = BY_DESIGN.get((rule.file, group))
            if not same and reason:
                why.append(f"  {group}: {reason}")
            verdict = "yes" if same else "no (by design)" if reason else "NO"
            rows.append([group, "fired" if group in a else "-", "fired" if group in g else "-", verdict])
        if not rows:
            rows = [["(none)", "-", "-", "yes"]]
        agreeing += a == g
        explained += a == g or all((rule.file, x) in BY_DESIGN for x in a ^ g)
        out.append(table(["group", "ElastAlert2 2.19.0", "grokpipe (imported)", "agree"], rows))
        out.extend(why)
    return "\n".join(out), agreeing, explained


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--show-import", action="store_true", help="print grokpipe rules import's own output")
    args = parser.parse_args()
    venv = elastalert_venv()
    began = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp_name, EmbeddedStack(Path(tmp_name) / "noida") as stack:
        tmp = Path(tmp_name)
        (tmp / "rules").mkdir()
        for rule in RULES:
            (tmp / "rules" / rule.file).write_text(rule.text)
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=300)
        es.indices.create(index=INDEX, mappings=MAPPING)
        docs = list(events(end))
        helpers.bulk(es, ({"_index": INDEX, "_source": d} for d in docs), refresh=True)
        es.close()
        ea = elastalert_groups(venv, tmp, stack.elasticsearch_url, end)
        gp, output = grokpipe_groups(stack.elasticsearch_url, tmp, end)
        for log in sorted(tmp.glob("*.yaml.log")):
            print(f"== ElastAlert2 output for {log.name}:\n{log.read_text()[-3000:]}")
    if args.show_import:
        print("== grokpipe rules import:\n" + output)
    tables, agreeing, explained = report(ea, gp)
    print(
        f"{len(RULES)} ElastAlert2 rule files, {len(docs)} events ending at {end.isoformat()} on noida-db; "
        f"ElastAlert2 2.19.0 (--start/--end, per rule) vs grokpipe rules import + POST /rules/preview "
        f"at the same end ({time.monotonic() - began:.0f}s)"
    )
    print(tables)
    print(
        f"\nrules agreeing: {agreeing} / {len(RULES)} (same groups fired); {explained} / {len(RULES)} "
        "apart from the differences by design listed above"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
