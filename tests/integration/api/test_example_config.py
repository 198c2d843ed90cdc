"""``grokpipe api -c examples/api.yml`` serves, seeds the example rule, and that rule finds PHP error bursts
(not each new error: the error groups send that one message)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import httpx
from elasticsearch import Elasticsearch
from support.api import doc, free_port, new_logs_index, wait_healthy

from grokpipe.embedded import EmbeddedStack


def test_example_config_serves_and_seeds_the_php_rule(stack: EmbeddedStack, es: Elasticsearch) -> None:
    now = datetime.now(UTC)
    new_logs_index(
        es,
        [
            doc(
                now - timedelta(minutes=2),
                message="PHP Fatal error: Uncaught Error",
                event__dataset="php.error",
                log__level="critical",
                error__grouping_key=key,
            )
            for key in ["k1"] * 51 + ["k2"] * 3
        ]
        + [doc(now - timedelta(minutes=2), event__dataset="php.error", log__level="warning", error__grouping_key="w")],
    )
    port = free_port()
    env = os.environ | {
        "GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url,
        "GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{port}",
        "GROKPIPE_SCHEDULER__ENABLED": "false",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "grokpipe.cli", "api", "-c", "examples/api.yml"], env=env, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"X-API-Key": "dev-admin-key"}
    try:
        wait_healthy(url, proc)
        rule = httpx.get(f"{url}/rules/php-error-bursts", headers=headers).json()
        assert (rule["realert"], rule["group_by"], rule["recovery"]) == ("1h", ["error.grouping_key"], False)
        run = httpx.post(f"{url}/rules/php-error-bursts/run", headers=headers, timeout=60).json()
        assert sorted(a["group_key"] for a in run["alerts"]) == ["k1"]  # k2's three events are no burst
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
