"""The JavaScript SDK and sentry-cli from npm (``make npm-packages`` installs them, pinned, under
``.grokpipe/npm``): query-string auth, items without length, check-ins from ``monitors run``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import orjson
import pytest
import sentry_sdk
from support.kafka import consume

from grokpipe.embedded import EmbeddedStack
from grokpipe.indexer.documents import build
from grokpipe.indexer.pipeline import Router

from .conftest import StartSentry

NPM = Path(__file__).parents[4] / ".grokpipe" / "npm"
NODE_MODULES = NPM / "node_modules"
SENTRY_CLI = (
    NODE_MODULES / "@sentry" / "cli" / "bin" / "sentry-cli"
)  # run by node (no .bin links: the tree has no symlinks)

pytestmark = pytest.mark.skipif(
    not (NODE_MODULES / "@sentry" / "node").is_dir() or not SENTRY_CLI.exists(),
    reason="@sentry/node and @sentry/cli are installed by `make npm-packages` (make test runs it)",
)

NODE_SCRIPT = """
const Sentry = require("@sentry/node");
Sentry.init({dsn: process.env.DSN, release: "web@2.0.0", environment: "staging", serverName: "node-1"});
function loadCart(id) { throw new TypeError(`cart ${id} is undefined`); }
for (const id of ["c-1", "c-22"]) {
  try { loadCart(id); } catch (e) { console.log(Sentry.captureException(e)); }
}
Sentry.flush(10000).then((ok) => process.exit(ok ? 0 : 1));
"""


def run(argv: list[str], dsn: str, cwd: Path) -> str:
    env = {**os.environ, "DSN": dsn, "SENTRY_DSN": dsn, "NODE_PATH": str(NODE_MODULES), "SENTRY_LOG_LEVEL": "warn"}
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sentry_node(stack: EmbeddedStack, topic: str, start_sentry: StartSentry, tmp_path: Path) -> None:
    running = start_sentry()
    script = tmp_path / "app.js"
    script.write_text(NODE_SCRIPT)
    sent = run(["node", str(script)], running.dsn, tmp_path).split()
    events = [e for e in consume(stack.kafka_bootstrap, topic, expect=2, idle=1) if e["event"]["dataset"] == "sentry"]
    assert sorted(e["sentry"]["payload"]["event_id"] for e in events) == sorted(sent)
    payload = events[0]["sentry"]["payload"]
    assert payload["platform"] == "node"
    assert payload["release"] == "web@2.0.0"
    assert payload["exception"]["values"][-1]["type"] == "TypeError"
    assert events[0]["sentry"]["sdk"]["name"] == "sentry.javascript.node"


def test_sentry_cli_send_event_and_monitors_run(
    stack: EmbeddedStack, topic: str, start_sentry: StartSentry, tmp_path: Path
) -> None:
    running = start_sentry()
    run(
        [str(SENTRY_CLI), "send-event", "-m", "deploy of %s failed", "-a", "web-7", "--no-environ"],
        running.dsn,
        tmp_path,
    )
    run(["node", str(SENTRY_CLI), "monitors", "run", "qa-inspection", "--", "true"], running.dsn, tmp_path)
    events = consume(stack.kafka_bootstrap, topic, expect=3, idle=1)
    [message] = [e for e in events if e["event"]["dataset"] == "sentry"]
    assert message["sentry"]["payload"]["logentry"]["message"] == "deploy of %s failed"
    checkins = [e["sentry"]["payload"] for e in events if e["event"]["dataset"] == "sentry.checkin"]
    assert sorted(c["status"] for c in checkins) == ["in_progress", "ok"]
    assert {c["monitor_slug"] for c in checkins} == {"qa-inspection"}


def test_two_languages_never_share_a_group(
    stack: EmbeddedStack, topic: str, start_sentry: StartSentry, tmp_path: Path
) -> None:
    """The same error type and message from Node and from Python: two groups (the indexer's pipeline)."""
    running = start_sentry()
    script = tmp_path / "app.js"
    script.write_text(NODE_SCRIPT)
    run(["node", str(script)], running.dsn, tmp_path)

    def loadCart(cart: str) -> None:
        raise TypeError(f"cart {cart} is undefined")

    sentry_sdk.init(dsn=running.dsn, default_integrations=False)
    try:
        try:
            loadCart("c-1")
        except TypeError:
            sentry_sdk.capture_exception()
    finally:
        sentry_sdk.get_client().close(timeout=10)
        sentry_sdk.get_global_scope().set_client(None)
    router = Router.load()
    keys: dict[str, set[str]] = {}
    for event in consume(stack.kafka_bootstrap, topic, expect=3, idle=1):
        doc = build(orjson.dumps(event), topic, 0, 0, router=router, namespace="t").source
        keys.setdefault(doc["sentry"]["platform"], set()).add(doc["error"]["grouping_key"])
    assert len(keys["node"]) == 1  # c-1 and c-22: one group
    assert keys["node"].isdisjoint(keys["python"])
