"""``grokpipe rules import`` against a real api on noida-db: converted ElastAlert2 rules are created through
``POST /rules`` (the api's own validation), refusals are explained, unconvertible rules say why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support import elastalert_rules as files
from support.api import ADMIN_KEY, T0, FakeClock, doc, new_logs_index, serve

from grokpipe.api.app import create_app
from grokpipe.cli import main


def test_rules_import_creates_what_converts_and_explains_the_rest(
    es: Elasticsearch, make_services: Any, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = new_logs_index(
        es,
        [
            doc(
                T0,
                event__dataset="php.error",
                http__response__status_code=500,
                log__level="error",
                error__grouping_key="k",
            )
        ],
    )
    services = make_services(
        notifiers={
            "php-team-mail": {"type": "email", "host": "127.0.0.1", "sender": "a@x", "to": ["b@x"]},
            "dingtalk": {"type": "dingtalk", "url": "http://127.0.0.1:9/robot"},
            "webhook": {"type": "webhook", "url": "http://127.0.0.1:9/hook"},
        }
    )
    rules = {
        "any.yaml": files.ANY.replace("index: logs-*", f"index: {logs}"),
        "typo.yaml": files.FREQUENCY.replace("index: logstash-*", f"index: {logs}").replace(
            "some_field", "http.status"
        ),
        "change.yaml": files.CHANGE,
    }
    for name, text in rules.items():
        (tmp_path / name).write_text(text)
    app = create_app(services.settings, clock=clock, scheduler=False)
    with serve(app) as url:
        argv = ["rules", "import", "--api", url, "--api-key", ADMIN_KEY, "--notifier", "email=php-team-mail"]
        code = main([*argv, *(str(tmp_path / n) for n in rules)])
        out = capsys.readouterr().out
        created = [line for line in out.splitlines() if ": created rule " in line]
        assert len(created) == 1
        rule_id = created[0].rsplit(" ", 1)[-1]
        rule = httpx.get(f"{url}/rules/{rule_id}", headers={"X-API-Key": ADMIN_KEY}).json()
    assert code == 1  # not every rule was created
    assert (rule["name"], rule["condition"], rule["group_by"], rule["notify"]) == (
        "PHP fatal errors",
        {"type": "any"},
        ["error.grouping_key"],
        ["dingtalk", "webhook"],
    )
    assert "not converted: dingtalk_access_token: set on the notifier in api.yml's notifiers, not per rule" in out
    assert (
        f"{tmp_path / 'typo.yaml'}: Example frequency rule: refused by the api: "
        "unknown fields: http.status (did you mean http.response.status_code?)" in out
    )
    assert f"{tmp_path / 'change.yaml'}: New country login: not converted" in out
    assert "  not converted: type change: no grokpipe condition compares a field between events" in out
