"""The PHP team's story with the example config (examples/api.yml) against a real noida-db: one new PHP
fatal gives exactly one message per channel, naming the owner of the culprit line (git blame) the way
each channel mentions people, with the time in the configured zone and a link to the console."""

from __future__ import annotations

import subprocess
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from elasticsearch import Elasticsearch
from support.api import FEISHU_HOOK, FakeClock, fresh_indices, http_receiver, new_logs_index, smtp_server
from support.groups import add, event

from grokpipe.api.app import seed_rules
from grokpipe.api.config import ApiSettings
from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime.fromisoformat("2026-01-05T12:00:00+00:00")
PREFIX = "/home/wwwroot/api.example.com/"
FILE = PREFIX + "app/Http/Controller.php"
BASE = "https://grokpipe.example.com"


def checkout(tmp: Path) -> Path:
    """A git repository whose Controller.php line 3 was written by Ann."""
    repo = tmp / "api"
    (repo / "app" / "Http").mkdir(parents=True)
    (repo / "app" / "Http" / "Controller.php").write_text("<?php\n// controller\nfoo();\n")
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(tmp)}
    ann = ["-c", "user.name=Ann", "-c", "user.email=ann@example.com"]
    for args in (["init", "-q"], ["add", "."], [*ann, "commit", "-q", "-m", "controller"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)
    return repo


def example_settings(stack: EmbeddedStack, logs: str, notifiers: dict[str, Any], repo: Path) -> ApiSettings:
    data = yaml.safe_load((ROOT / "examples" / "api.yml").read_text())
    names = list(notifiers)
    data |= {
        "elasticsearch": {"hosts": [stack.elasticsearch_url]},
        "indices": fresh_indices(uuid.uuid4().hex[:8]),
        "notifiers": notifiers,
        "scheduler": {"enabled": False},
        "dev_sink": False,
        "console": {"base_url": BASE, "timezone": "Asia/Shanghai"},
        "blame": {"repos": [{"path_prefix": PREFIX, "checkout": str(repo)}]},
        "owners": {"ann@example.com": {"dingtalk_mobile": "13800000000", "slack": "U1ANN", "feishu": "ou_ann"}},
    }
    data["errors"] |= {"index": logs, "notify": names, "settle": 60}
    for rule in data["rules_seed"]:
        rule |= {"index": logs, "notify": names}
    data["checks"] |= {"seed": [], "reports_seed": []}
    return ApiSettings.model_validate(data)


def test_one_new_php_fatal_is_one_message_per_channel_naming_its_owner(
    stack: EmbeddedStack, es: Elasticsearch, tmp_path: Path
) -> None:
    logs = new_logs_index(es, [])
    repo = checkout(tmp_path)
    clock = FakeClock(T0)
    with http_receiver() as receiver, smtp_server() as smtp:
        notifiers = {
            "dingtalk": {"type": "dingtalk", "url": f"{receiver.url}/dingtalk", "secret": receiver.secret},
            "slack": {"type": "slack", "url": f"{receiver.url}/slack"},
            "feishu": {"type": "feishu", "url": f"{receiver.url}{FEISHU_HOOK}tok", "secret": receiver.secret},
            "hook": {"type": "webhook", "url": f"{receiver.url}/hook"},
            "mail": {"type": "email", "host": smtp.host, "port": smtp.port, "sender": "a@example.com", "to": ["t@x"]},
        }
        services = Services.build(example_settings(stack, logs, notifiers, repo), clock)
        try:
            seed_rules(services)
            fatal = {"title": "PHP Fatal error: Uncaught Error: Call to undefined function foo()"}
            origin = {"log__origin__file__name": FILE, "log__origin__file__line": 3}
            seen = T0 - timedelta(minutes=2)
            add(es, logs, [event("k", seen + timedelta(seconds=i), seen, **fatal, **origin) for i in range(3)])
            rule = services.store.get("php-error-bursts")
            for minute in range(8):  # the group sync and the seeded rule, minute by minute
                clock.now = T0 + timedelta(minutes=minute)
                services.group_sync.run_once()
                services.runner.run(rule, clock.now.replace(second=0))
        finally:
            services.close()

    per_channel = Counter(r.path for r in receiver.requests) + Counter({"mail": len(smtp.mailbox.messages)})
    per_channel = Counter("feishu" if p.startswith(FEISHU_HOOK) else p for p in per_channel.elements())
    assert per_channel == {"/dingtalk": 1, "/slack": 1, "feishu": 1, "/hook": 1, "mail": 1}

    [ding] = [r.body for r in receiver.requests if r.path == "/dingtalk"]
    assert ding["markdown"]["title"] == "[NEW ERROR] PHP Fatal error: Uncaught Error: Call to undefined function foo()"
    assert "- **owner**: Ann @13800000000" in ding["markdown"]["text"]
    assert ding["at"]["atMobiles"] == ["13800000000"]
    assert "2026-01-05 19:58:00 CST" in ding["markdown"]["text"]  # first seen, in Asia/Shanghai
    assert f"({BASE}/ui/errors/k)" in ding["markdown"]["text"]

    [slack] = [r.body for r in receiver.requests if r.path == "/slack"]
    text = slack["blocks"][1]["text"]["text"]
    assert "<@U1ANN>" in text
    assert "13800000000" not in text
    assert "###" not in text
    assert f"<{BASE}/ui/errors/k|open in grokpipe>" in text

    [feishu] = [r.body for r in receiver.requests if r.path.startswith(FEISHU_HOOK)]
    text = feishu["card"]["elements"][0]["content"]
    assert "- **owner**: <at id=ou_ann></at>" in text
    assert "13800000000" not in text
    assert "2026-01-05 19:58:00 CST" in text
    assert f"({BASE}/ui/errors/k)" in text

    [mail] = smtp.mailbox.messages
    html = str(next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content())  # type: ignore[attr-defined]
    assert "Ann &lt;ann@example.com&gt;" in html
    assert f'<a href="{BASE}/ui/errors/k">' in html
