"""Two simulated days of nginx, php-fpm, Python and Java logs through shipper -> Kafka -> indexer ->
Elasticsearch -> the api's group store: exact counts, first/last seen, one digest per day listing each
group once, a regression after resolve, and a merge that persists for new events."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from elasticsearch import Elasticsearch
from support import indexer as support
from support.api import api_settings
from support.process import start_service

from grokpipe.api.digests.schemas import DigestCreate
from grokpipe.api.groups.schemas import ErrorGroup
from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack, free_port

DAY1 = datetime(2026, 11, 30, tzinfo=UTC)
DAY2 = DAY1 + timedelta(days=1)
DAY3 = DAY2 + timedelta(days=1)
CONTROLLER = "/home/wwwroot/api.example.com/app/Http/Controller.php"


def nginx(at: datetime, n: int) -> str:
    return (
        f'{at:%Y/%m/%d %H:%M:%S} [error] 1234#0: *{n} FastCGI sent in stderr: "PHP message: PHP Fatal error:  '
        f'Uncaught Error: Call to undefined function foo() in {CONTROLLER}:57" while reading response header from '
        f'upstream, client: 10.0.0.{n}, server: api.example.com, request: "GET /v1/orders/{n} HTTP/1.1"\n'
    )


def fpm(at: datetime, file: str, line: int, what: str = "Call to undefined function foo()") -> str:
    return (
        f"[{at:%d-%b-%Y %H:%M:%S} UTC] PHP Fatal error:  Uncaught Error: {what} in {file}:{line}\n"
        f"Stack trace:\n#0 {{main}}\n  thrown in {file} on line {line}\n"
    )


def python(at: datetime, invoice: int) -> str:
    return (
        f"{at:%Y-%m-%d %H:%M:%S},123 ERROR billing.worker Invoice {invoice} failed\n"
        "Traceback (most recent call last):\n"
        '  File "/srv/billing/worker.py", line 77, in process\n    total = compute_total(invoice)\n'
        '  File "/srv/billing/pricing.py", line 31, in compute_total\n    return total / invoice.quantity\n'
        "ZeroDivisionError: division by zero\n"
        f"{at:%Y-%m-%d %H:%M:%S},200 INFO billing.worker next\n"
    )


def java(at: datetime, exception: str, line: int) -> str:
    return (
        f"{at:%Y-%m-%d %H:%M:%S}.123 ERROR [http-nio-8080-exec-1] com.example.shop.CartController - Request failed\n"
        f"{exception}: cart 0x{line:04x} is closed\n"
        f"\tat com.example.shop.CartController.view(CartController.java:{line})\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:1583)\n"
        f"{at:%Y-%m-%d %H:%M:%S}.200 INFO [main] com.example.shop.App - next\n"
    )


@pytest.fixture
def stack(own_stack: EmbeddedStack) -> EmbeddedStack:
    """A server of this test's own: its PHP fatals are recent, and other tests' rules search logs-* for the last
    minutes (tests/integration/api/test_example_config.py)."""
    return own_stack


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url, request_timeout=60)
    yield client
    client.close()


def by_culprit(services: Services, culprit: str) -> ErrorGroup:
    groups, _ = services.groups.search({"query": {"term": {"culprit": culprit}}, "size": 5})
    assert len(groups) == 1, culprit
    return groups[0]


def test_two_days_through_the_whole_pipeline(
    stack: EmbeddedStack, topic: str, tmp_path: Path, es: Elasticsearch
) -> None:
    ns = support.namespace()
    logs = tmp_path / "logs"
    files = {name: logs / f"{name}.log" for name in ("nginx", "fpm", "python", "java")}
    logs.mkdir()
    for path in files.values():
        path.touch()
    presets = {"nginx": ("nginx.error", "php"), "fpm": ("php.error", "php"), "python": ("python.traceback", "python")}
    presets["java"] = ("java.stacktrace", "java")
    shipper_config = {
        "data_dir": str(tmp_path / "shipper"),
        "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
        "http": {"listen": f"127.0.0.1:{free_port()}"},
        "inputs": [
            {"type": "file", "id": name, "paths": [str(path)], "dataset": presets[name][0], "scan_frequency": 0.2,
             "multiline": {"preset": presets[name][1], "timeout": 0.5}}
            for name, path in files.items()
        ],
    }  # fmt: skip
    (tmp_path / "shipper.yml").write_text(yaml.safe_dump(shipper_config))
    indexer_config = support.write_config(tmp_path / "indexer.yml", stack, topic, ns)
    procs = [
        start_service("shipper", tmp_path / "shipper.yml", tmp_path, {}, tmp_path / "shipper.log"),
        start_service("indexer", indexer_config, tmp_path, {}, tmp_path / "indexer.log"),
    ]
    services = Services.build(api_settings(stack, errors={"index": f"logs-*-{ns}", "settle": 1}))
    digest = DigestCreate.model_validate({"name": "daily", "schedule": {"cron": "0 0 * * *"}, "top": 10})

    def write(name: str, text: str) -> None:
        with files[name].open("a") as out:
            out.write(text)

    def settle(expected: int) -> None:
        assert support.wait_count(es, ns, expected, timeout=120) == expected
        time.sleep(1.2)  # past errors.settle, so the stored counts take it all
        es.indices.refresh(index=f"logs-*-{ns}")
        services.group_sync.run_once()

    try:
        # day 1: the PHP fatal through nginx (2) and php-fpm (1); another PHP error; Python; Java
        write("nginx", nginx(DAY1 + timedelta(hours=9), 1) + nginx(DAY1 + timedelta(hours=10), 2))
        write(
            "fpm", fpm(DAY1 + timedelta(hours=11), CONTROLLER, 57) + fpm(DAY1 + timedelta(hours=12), "/srv/b.php", 12)
        )
        write("python", python(DAY1 + timedelta(hours=13), 88121))
        write("java", java(DAY1 + timedelta(hours=14), "java.lang.IllegalStateException", 88))
        settle(2 + 2 + 2 + 2)  # each Python/Java trace is followed by one INFO line
        php = by_culprit(services, f"{CONTROLLER}:57")
        assert php.count == 3
        assert sorted(php.datasets) == ["nginx.error", "php.error"]
        assert (php.first_seen, php.last_seen) == (DAY1 + timedelta(hours=9), DAY1 + timedelta(hours=11))
        other_php = by_culprit(services, "/srv/b.php:12")
        py = by_culprit(services, "/srv/billing/pricing.py in compute_total")
        jv = by_culprit(services, "com.example.shop.CartController.view")
        first = services.digest_runner.report(digest, DAY1, DAY2)
        assert sorted((r.id, r.flag, r.count) for r in first.rows) == sorted(
            [(php.id, "new", 3), (other_php.id, "new", 1), (py.id, "new", 1), (jv.id, "new", 1)]
        )

        # day 2: again, a new Java exception, the same Python error with another invoice id
        services.errors.resolve(other_php.id)
        write("nginx", nginx(DAY2 + timedelta(hours=9), 3) + nginx(DAY2 + timedelta(hours=9, minutes=5), 4))
        write("python", python(DAY2 + timedelta(hours=10), 90001))
        write("java", java(DAY2 + timedelta(hours=11), "java.lang.IllegalArgumentException", 91))
        settle(8 + 2 + 2 + 2)
        second = services.digest_runner.report(digest, DAY2, DAY3)
        rows = {r.id: (r.flag, r.count) for r in second.rows}
        assert len(second.rows) == len(rows) == 3  # each group once: PHP, Python, the new Java exception
        assert rows[php.id] == ("ongoing", 2)
        assert rows[py.id] == ("ongoing", 1)
        new = [i for i, (flag, _) in rows.items() if flag == "new"]
        assert len(new) == 1
        assert other_php.id not in rows  # resolved, and silent on day 2
        assert services.groups.get(other_php.id).group.status == "resolved"

        # the resolved PHP error happens again (now): regressed
        write("fpm", fpm(datetime.now(UTC), "/srv/b.php", 12))
        settle(15)
        regressed = services.groups.get(other_php.id).group
        assert regressed.status == "unresolved"
        assert regressed.regressed_at is not None

        # merge the new Java group into the old one; the merge holds for later events
        services.errors.merge(new[0], jv.id)
        write("java", java(datetime.now(UTC), "java.lang.IllegalArgumentException", 91))
        settle(17)
        totals = services.errors.search(limit=100)
        assert {g.id for g in totals.items} == {php.id, other_php.id, py.id, jv.id}
        merged = next(g for g in totals.items if g.id == jv.id)
        assert merged.aliases == new
        assert merged.total == 3
        for group in totals.items:
            keys = [group.id, *group.aliases]
            query = {"terms": {"error.grouping_key": keys}}
            assert group.total == es.count(index=f"logs-*-{ns}", query=query)["count"], group.culprit
        by_id = {g.id: g.total for g in totals.items}
        assert (by_id[php.id], by_id[other_php.id], by_id[py.id], by_id[jv.id]) == (5, 2, 2, 3)  # every error once
    finally:
        services.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)
